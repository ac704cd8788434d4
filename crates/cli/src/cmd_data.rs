//! `plexus data list|buy|get`: the sensor data sets the network sells, bought with PLX and
//! fetched from an oracle's data service, checked against the chain before they are written.

use crate::cmd_tx::send_and_wait;
use crate::output::Table;
use crate::{print_json, Globals};
use anyhow::{bail, Context};
use plexus_client::data::check_data_set;
use plexus_client::{Clock, NodeApi, OracleClient, SystemClock};
use plexus_types::{Amount, Body};
use std::path::PathBuf;
use std::time::Duration;

#[derive(clap::Subcommand)]
pub enum DataCommand {
    /// The data sets for sale: one per sensor class and region (a resolution-5 H3 cell) and
    /// epoch (a day of readings), with its price, sales and revenue.
    List {
        /// One epoch (default: the last ten ended epochs).
        #[arg(long)]
        epoch: Option<u64>,
    },
    /// Buy a data set: pays its listed price into the data market, which shares it among the
    /// devices whose readings are in the set, by their quality.
    Buy {
        /// The set's name as `list` prints it, `<class>/<region>`.
        name: String,
        #[arg(long)]
        epoch: u64,
        /// The buyer's key.
        #[arg(long)]
        from: String,
        /// The most to pay (for example `20plx`; default: the listed price).
        #[arg(long)]
        max_price: Option<String>,
        /// How long to wait for the purchase to commit, in seconds.
        #[arg(long, default_value_t = 30)]
        timeout: u64,
    },
    /// Fetch a bought data set from an oracle, check every batch's signature and the set's
    /// roots against the chain, and write it as JSON.
    Get {
        name: String,
        #[arg(long)]
        epoch: u64,
        /// The buyer's key, which signs the request.
        #[arg(long)]
        from: String,
        /// The oracle whose data service to ask.
        #[arg(long, default_value = "http://127.0.0.1:26651")]
        oracle: String,
        /// The file to write: the set's leaves, roots, signed batches and readings.
        #[arg(short = 'o', long = "out", value_name = "FILE")]
        out: PathBuf,
    },
}

pub async fn run(g: &Globals, cmd: DataCommand) -> anyhow::Result<()> {
    match cmd {
        DataCommand::List { epoch } => list(g, epoch).await,
        DataCommand::Buy {
            name,
            epoch,
            from,
            max_price,
            timeout,
        } => {
            let node = g.client()?;
            let Some(set) = node.data_set(epoch, &name).await? else {
                bail!("no final data set {name} for epoch {epoch} (see `plexus data list`)");
            };
            let max_price = match max_price {
                Some(text) => Amount::parse_human(&text)?,
                None => set.price,
            };
            let key = g.keyring().secret(&from)?;
            let buyer = plexus_types::Address::from_public_key(&key.public_key());
            if node.data_sale(epoch, &name, &buyer).await?.is_some() {
                bail!(
                    "{from} already bought {name} of epoch {epoch}: fetch it with \
                     plexus data get {name} --epoch {epoch} --from {from} -o FILE"
                );
            }
            let body = Body::BuyData {
                epoch,
                data_set: name.clone(),
                max_price,
            };
            let result = send_and_wait(g, &key, body, Duration::from_secs(timeout)).await?;
            if g.json {
                print_json(&result);
            } else {
                println!(
                    "bought {name} of epoch {epoch} for {} · committed {} at height {}",
                    set.price.to_plx_string(),
                    result["hash"].as_str().unwrap_or("?"),
                    result["height"],
                );
            }
            Ok(())
        }
        DataCommand::Get {
            name,
            epoch,
            from,
            oracle,
            out,
        } => get(g, &name, epoch, &from, &oracle, &out).await,
    }
}

async fn list(g: &Globals, epoch: Option<u64>) -> anyhow::Result<()> {
    let node = g.client()?;
    let epochs: Vec<u64> = match epoch {
        Some(e) => vec![e],
        None => {
            let last = node.rewards().await?.last_ended_epoch;
            (last.saturating_sub(9).max(1)..=last).collect()
        }
    };
    let mut sets = Vec::new();
    for e in epochs {
        sets.extend(node.data_sets(e).await?.sets);
    }
    if g.json {
        print_json(&sets);
        return Ok(());
    }
    let mut table = Table::new(&["EPOCH", "NAME", "PRICE", "SALES", "REVENUE", "DATA ROOT"]);
    table.right(0).right(2).right(3).right(4);
    for s in &sets {
        table.row([
            s.epoch.to_string(),
            s.name.clone(),
            s.price.to_plx_string(),
            s.sales.to_string(),
            s.revenue.to_plx_string(),
            s.data_root.to_string(),
        ]);
    }
    table.print_or("no data set is final yet: sensor devices report for a day (an epoch), then oracles publish the sets");
    Ok(())
}

async fn get(
    g: &Globals,
    name: &str,
    epoch: u64,
    from: &str,
    oracle: &str,
    out: &PathBuf,
) -> anyhow::Result<()> {
    let node = g.client()?;
    let Some(set) = node.data_set(epoch, name).await? else {
        bail!("no final data set {name} for epoch {epoch} (see `plexus data list`)");
    };
    let chain = node.chain_params().await?;
    let key = g.keyring().secret(from)?;
    let oracle = OracleClient::new(oracle)?;
    let contents = oracle
        .data_set(&chain.chain_id, epoch, name, &key, SystemClock.now_ms())
        .await
        .map_err(|e| match e.code() {
            Some("not_bought") => anyhow::anyhow!(
                "{e}\nbuy it first: plexus data buy {name} --epoch {epoch} --from {from}"
            ),
            _ => e.into(),
        })?;
    let checked = check_data_set(&chain.chain_id, &contents, &set)
        .map_err(|e| anyhow::anyhow!("the oracle's data set fails its check: {e}"))?;
    let readings: Vec<serde_json::Value> = checked
        .batches
        .iter()
        .map(|b| {
            serde_json::json!({
                "device": b.batch.device,
                "seq": b.batch.seq,
                "readings": readings_json(&b.batch.readings),
            })
        })
        .collect();
    let document = serde_json::json!({
        "epoch": epoch,
        "name": name,
        "root": set.root,
        "data_root": set.data_root,
        "leaves": contents.leaves,
        "batches": contents.batches,
        "readings": readings,
    });
    let text = serde_json::to_string_pretty(&document)?;
    plexus_durable::write_durably(out, text.as_bytes())
        .with_context(|| format!("writing {}", out.display()))?;
    let summary = serde_json::json!({
        "epoch": epoch,
        "name": name,
        "devices": contents.leaves.len(),
        "batches": checked.batches.len(),
        "readings": checked.readings,
        "data_root": set.data_root,
        "verified": true,
        "out": out,
    });
    if g.json {
        print_json(&summary);
    } else {
        println!(
            "{name} of epoch {epoch}: {} devices, {} batches, {} readings · every batch signed by its device, data root {} and leaves match the chain · written to {}",
            contents.leaves.len(),
            checked.batches.len(),
            checked.readings,
            set.data_root,
            out.display()
        );
    }
    Ok(())
}

/// A batch's readings in the units the quality rules read them (`temperature_cc` in
/// hundredths of a degree, and so on).
fn readings_json(readings: &plexus_types::readings::Readings) -> serde_json::Value {
    use plexus_rewards::sensors::wire;
    use plexus_types::readings::Readings;
    let value = match readings {
        Readings::Weather(r) => {
            serde_json::to_value(r.iter().map(wire::weather).collect::<Vec<_>>())
        }
        Readings::Meter(r) => serde_json::to_value(r.iter().map(wire::meter).collect::<Vec<_>>()),
        Readings::Vehicle(r) => {
            serde_json::to_value(r.iter().filter_map(wire::vehicle).collect::<Vec<_>>())
        }
    };
    value.unwrap_or(serde_json::Value::Null)
}
