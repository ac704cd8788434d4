//! Data credits from the command line: `plexus tx buy-data-credits|settle-data-session`, and
//! `plexus wireless credits|data|sign-receipt` to read balances and epochs' traffic and to
//! sign a data session's receipt (on devnets and in tests, where one keyring holds both the
//! subscriber's and the hotspot's keys).

use crate::cmd_tx::{resolve_address, send_and_wait};
use crate::output::Table;
use crate::{print_json, Globals};
use anyhow::{bail, Context};
use plexus_client::NodeApi;
use plexus_types::{Amount, Body, DataSession, DataSessionReceipt};
use std::path::PathBuf;
use std::time::Duration;

/// The data-credit transactions of `plexus tx`.
#[derive(clap::Subcommand)]
pub enum DataCreditsTxCommand {
    /// Burn PLX for data credits, for yourself or (as a carrier) for a subscriber.
    BuyDataCredits(BuyDataCredits),
    /// Settle a data session from the receipt its subscriber and hotspot signed.
    SettleDataSession(SettleDataSession),
    /// Claim a hotspot's pay for the data it carried in an ended epoch, out of the epoch's
    /// data pool; it goes to the hotspot's owner of record, whoever submits.
    ClaimData(ClaimData),
}

#[derive(clap::Args)]
pub struct ClaimData {
    /// Name of the key that submits (and pays the fee): anyone, usually the hotspot's owner.
    #[arg(long)]
    from: String,
    /// The ended epoch whose data to claim.
    #[arg(long)]
    epoch: u64,
    /// The hotspot: its device key (64 hex digits) or a key name in the keyring.
    #[arg(long)]
    device: String,
    /// How long to wait for the transaction to commit.
    #[arg(long, default_value = "60s", value_parser = humantime::parse_duration)]
    timeout: Duration,
}

#[derive(clap::Args)]
pub struct BuyDataCredits {
    /// Name of the key that burns the PLX.
    #[arg(long)]
    from: String,
    /// PLX to burn, for example 2.5plx or 2500000uplx.
    #[arg(long)]
    amount: String,
    /// Who holds the credits (plx1… or a key name); yourself if absent. Buying for another
    /// account makes you its carrier: its usage is reported under you.
    #[arg(long = "for")]
    beneficiary: Option<String>,
    /// How long to wait for the transaction to commit.
    #[arg(long, default_value = "60s", value_parser = humantime::parse_duration)]
    timeout: Duration,
}

#[derive(clap::Args)]
pub struct SettleDataSession {
    /// Name of the key that submits (and pays the fee): anyone, usually the hotspot's owner.
    #[arg(long)]
    from: String,
    /// The receipt, a JSON file as `plexus wireless sign-receipt` writes it.
    #[arg(long)]
    receipt: PathBuf,
    /// How long to wait for the transaction to commit.
    #[arg(long, default_value = "60s", value_parser = humantime::parse_duration)]
    timeout: Duration,
}

/// `plexus wireless`.
#[derive(clap::Subcommand)]
pub enum WirelessCommand {
    /// An account's data credits and who bought them.
    Credits {
        /// plx1… or a key name.
        address: String,
    },
    /// An epoch's data traffic: each hotspot's settled sessions and each carrier's usage.
    Data { epoch: u64 },
    /// Sign a data session's receipt with both the subscriber's and the hotspot's keys.
    SignReceipt(SignReceipt),
}

#[derive(clap::Args)]
pub struct SignReceipt {
    /// Name of the subscriber's key (its credits pay for the session).
    #[arg(long)]
    subscriber: String,
    /// Name of the hotspot device's key in the keyring.
    #[arg(
        long,
        required_unless_present = "hotspot_key_file",
        conflicts_with = "hotspot_key_file"
    )]
    hotspot: Option<String>,
    /// The hotspot device's key file, as an agent keeps it (`device_key.json`).
    #[arg(long)]
    hotspot_key_file: Option<PathBuf>,
    /// The subscriber's session number (each settles once).
    #[arg(long)]
    session: u64,
    /// The epoch the session ended in (default: the epoch in progress).
    #[arg(long)]
    epoch: Option<u64>,
    #[arg(long)]
    bytes_up: u64,
    #[arg(long)]
    bytes_down: u64,
    /// Where to write the receipt (default: standard output).
    #[arg(long = "out", short = 'o')]
    out: Option<PathBuf>,
}

pub async fn run_tx(g: &Globals, cmd: DataCreditsTxCommand) -> anyhow::Result<()> {
    let (from, body, timeout) = match cmd {
        DataCreditsTxCommand::BuyDataCredits(a) => {
            let key = g.keyring().secret(&a.from)?;
            let beneficiary = match &a.beneficiary {
                Some(text) => resolve_address(g, text)?,
                None => plexus_types::Address::from_public_key(&key.public_key()),
            };
            let amount = Amount::parse_human(&a.amount)?;
            (
                key,
                Body::BuyDataCredits {
                    amount,
                    beneficiary,
                },
                a.timeout,
            )
        }
        DataCreditsTxCommand::SettleDataSession(a) => {
            let text = std::fs::read_to_string(&a.receipt)
                .with_context(|| format!("reading {}", a.receipt.display()))?;
            let receipt: DataSessionReceipt = serde_json::from_str(&text)
                .with_context(|| format!("{} is not a receipt", a.receipt.display()))?;
            (
                g.keyring().secret(&a.from)?,
                Body::SettleDataSession(receipt),
                a.timeout,
            )
        }
        DataCreditsTxCommand::ClaimData(a) => {
            let device = crate::cmd_hotspot::resolve_device(g, &a.device)?;
            let data = g.client()?.epoch_data(a.epoch).await?;
            let Some(record) = data.hotspots.iter().find(|h| h.device == device) else {
                bail!("hotspot {device} carried no data in epoch {}", a.epoch);
            };
            let claim = plexus_types::RewardClaim {
                epoch: a.epoch,
                resource: "data".into(),
                device,
                owner: record.owner,
                units: record.credits,
                proof: plexus_types::MerkleProof {
                    index: 0,
                    leaf_count: 0,
                    siblings: Vec::new(),
                },
            };
            (
                g.keyring().secret(&a.from)?,
                Body::ClaimReward(claim),
                a.timeout,
            )
        }
    };
    let result = send_and_wait(g, &from, body, timeout).await?;
    if g.json {
        print_json(&result);
    } else {
        println!(
            "committed {} at height {} · {}",
            result["hash"].as_str().unwrap_or("?"),
            result["height"],
            result["code"].as_str().unwrap_or("?")
        );
    }
    Ok(())
}

pub async fn run(g: &Globals, cmd: WirelessCommand) -> anyhow::Result<()> {
    match cmd {
        WirelessCommand::Credits { address } => {
            let holder = resolve_address(g, &address)?;
            let view = g.client()?.data_credits(&holder).await?;
            if g.json {
                print_json(&view);
            } else {
                match view.bought_by {
                    Some(by) if by != holder => {
                        println!("{holder}: {} data credits, bought by {by}", view.credits)
                    }
                    _ => println!("{holder}: {} data credits", view.credits),
                }
            }
            Ok(())
        }
        WirelessCommand::Data { epoch } => {
            let view = g.client()?.epoch_data(epoch).await?;
            if g.json {
                print_json(&view);
                return Ok(());
            }
            let s = &view.summary;
            println!(
                "epoch {epoch}: {} sessions, {} bytes, {} credits used (worth {} uplx); {} uplx burned for {} credits",
                s.sessions, s.bytes, s.credits_used, s.value, s.burned, s.credits_bought
            );
            match &view.pool {
                Some(p) => println!(
                    "data pool: {} uplx of the {} uplx Coverage pool held for hotspots, {} left to coverage; {} paid, {} forfeited",
                    p.held, p.coverage_pool, p.to_coverage, p.paid, p.forfeited
                ),
                None => println!("data pool: none until the epoch ends"),
            }
            let mut hotspots = Table::new(&[
                "hotspot", "owner", "credits", "bytes", "sessions", "claimed",
            ]);
            for h in &view.hotspots {
                hotspots.row([
                    h.device.to_string(),
                    h.owner.to_string(),
                    h.credits.to_string(),
                    h.bytes.to_string(),
                    h.sessions.to_string(),
                    h.claimed.map_or("-".into(), |a| a.to_string()),
                ]);
            }
            hotspots.print();
            let mut carriers = Table::new(&[
                "carrier",
                "burned",
                "credits bought",
                "credits used",
                "bytes",
                "sessions",
            ]);
            for c in &view.carriers {
                carriers.row([
                    c.carrier.to_string(),
                    c.burned.to_string(),
                    c.credits_bought.to_string(),
                    c.credits_used.to_string(),
                    c.bytes.to_string(),
                    c.sessions.to_string(),
                ]);
            }
            carriers.print();
            Ok(())
        }
        WirelessCommand::SignReceipt(a) => sign_receipt(g, a).await,
    }
}

async fn sign_receipt(g: &Globals, a: SignReceipt) -> anyhow::Result<()> {
    let ring = g.keyring();
    let subscriber = ring.secret(&a.subscriber)?;
    let hotspot = match (&a.hotspot, &a.hotspot_key_file) {
        (Some(name), _) => ring.secret(name)?,
        (None, Some(path)) => device_key_file(path)?,
        (None, None) => anyhow::bail!("name the hotspot's key: --hotspot or --hotspot-key-file"),
    };
    let client = g.client()?;
    let status = client.chain_status().await?;
    let epoch = match a.epoch {
        Some(e) => e,
        // Epochs end at multiples of epoch_blocks; the next block belongs to this one.
        None => {
            let chain = client.chain_params().await?;
            status.height / chain.rewards.epoch_blocks.max(1) + 1
        }
    };
    let receipt = DataSession {
        hotspot: hotspot.public_key(),
        subscriber: subscriber.public_key(),
        session: a.session,
        epoch,
        bytes_up: a.bytes_up,
        bytes_down: a.bytes_down,
    }
    .sign(&status.chain_id, &subscriber, &hotspot);
    let text = serde_json::to_string_pretty(&receipt)?;
    match &a.out {
        Some(path) => {
            std::fs::write(path, format!("{text}\n"))
                .with_context(|| format!("writing {}", path.display()))?;
            if !g.json {
                println!("wrote the receipt to {}", path.display());
            }
        }
        None => println!("{text}"),
    }
    Ok(())
}

/// The secret key in a device key file: JSON with the secret key as hex under `secret_key`.
fn device_key_file(path: &std::path::Path) -> anyhow::Result<plexus_types::SecretKey> {
    #[derive(serde::Deserialize)]
    struct KeyFile {
        secret_key: String,
    }
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let file: KeyFile = serde_json::from_str(&text)
        .with_context(|| format!("{} holds no secret_key", path.display()))?;
    let bytes = hex::decode(file.secret_key.trim())
        .with_context(|| format!("the secret_key of {} is not hex", path.display()))?;
    Ok(plexus_types::SecretKey::from_slice(&bytes)?)
}
