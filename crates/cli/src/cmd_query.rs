//! `plexus query status|account|block|beacon|devices|coverage|epoch|rewards|validators|delegations`.

use crate::output::{cell, Table};
use crate::{print_json, Globals};
use anyhow::{bail, Context};
use clap::Subcommand;
use plexus_ledger::{state_key, Account};
use plexus_store::StateProof;
use plexus_types::{Amount, Hash};
use serde_json::Value;

#[derive(Subcommand)]
pub enum QueryCommand {
    /// The chain's id, height, app hash and counts.
    Status,
    /// An account's balance and nonce, with its Merkle proof checked against the app hash.
    Account {
        /// Address (plx1…) or the name of a key in the keyring.
        address: String,
        /// Read the account as of this height (default: the latest).
        #[arg(long)]
        height: Option<u64>,
    },
    /// A block (default: the latest).
    Block { height: Option<u64> },
    /// The beacon of a block, which the ledger's random draws at that height read.
    Beacon {
        /// Height of the block (default: the latest).
        #[arg(long)]
        height: Option<u64>,
    },
    /// Registered devices: owner, class, location, stake, status.
    Devices,
    /// The hotspots asserted within an H3 hex (resolution 0 to 12): class, asserted cell,
    /// antenna, seniority height, status.
    Coverage {
        /// The hex's H3 index in hex, for example 8c2a100d2c0a5ff.
        #[arg(long)]
        hex: String,
    },
    /// An ended epoch: emission, pools, final manifests and claims.
    Epoch {
        /// Epoch number (default: the last ended).
        epoch: Option<u64>,
    },
    /// Reward accounting: minted = paid + forfeited + dust + expired + to_validators +
    /// claimable.
    Rewards,
    /// Validator and oracle operators, their stake and commission, and the validator set.
    Validators,
    /// A delegator's stake with each operator, its rewards, and its unbondings.
    Delegations {
        /// Address (plx1…) or the name of a key in the keyring.
        address: String,
    },
    /// What a sensor device (a weather station, an energy meter, a vehicle) sent in an epoch,
    /// from an oracle's evidence, every batch's signature checked.
    Readings {
        /// The device's key (64 hex digits).
        #[arg(long)]
        device: plexus_types::PublicKey,
        #[arg(long)]
        epoch: u64,
        /// The oracle to read from.
        #[arg(long, default_value = "http://127.0.0.1:26651")]
        oracle: String,
    },
}

/// Checks the proof in an account answer against the app hash it reports, and that this app
/// hash is the one the chain recorded for that height.
async fn verify_account(client: &plexus_client::NodeClient, v: &Value) -> anyhow::Result<()> {
    let address: plexus_types::Address = v["address"].as_str().context("no address")?.parse()?;
    let app_hash = Hash::from_hex(v["app_hash"].as_str().context("no app_hash")?)?;
    let height = v["height"].as_u64().context("no height")?;
    let proof = StateProof(hex::decode(v["proof"].as_str().context("no proof")?)?);
    let exists = v["exists"].as_bool().context("no exists flag")?;
    let value = if exists {
        Some(
            Account {
                balance: Amount::from_base_units(v["balance"].as_str().context("no balance")?)?,
                nonce: v["nonce"].as_u64().context("no nonce")?,
            }
            .encode(),
        )
    } else {
        None
    };
    proof
        .verify(app_hash, &state_key::account(&address), value.as_deref())
        .context("the node's Merkle proof does not verify")?;
    if height > 0 {
        let block: Value = client.get(&format!("/v1/blocks/{height}")).await?;
        if block["app_hash"].as_str() != Some(app_hash.to_hex().as_str()) {
            bail!("the app hash of the proof differs from the one recorded for block {height}");
        }
    }
    Ok(())
}

/// An amount in base units (a decimal string) as PLX.
fn plx(v: &Value) -> anyhow::Result<String> {
    Ok(Amount::from_base_units(v.as_str().unwrap_or("0"))?.to_plx_string())
}

/// `plexus query readings` for people: how many readings of each kind, over what span.
fn print_readings(v: &Value) {
    let class = v["class"].as_str().unwrap_or("no readings");
    let batches = v["batches"].as_array().map_or(0, Vec::len);
    println!(
        "device {} · epoch {} · {class} · {batches} signed batches",
        v["device"].as_str().unwrap_or("?"),
        v["epoch"]
    );
    for (kind, time) in [
        ("weather", "at_s"),
        ("meter", "hour_start_s"),
        ("vehicle", "at_s"),
    ] {
        let Some(list) = v[kind].as_array().filter(|l| !l.is_empty()) else {
            continue;
        };
        let first = list.first().and_then(|r| r[time].as_u64()).unwrap_or(0);
        let last = list.last().and_then(|r| r[time].as_u64()).unwrap_or(0);
        println!(
            "  {} {kind} readings, from {first} to {last} (Unix seconds)",
            list.len()
        );
    }
}

/// `plexus query devices` for people: one row per device.
fn print_devices(v: &Value) -> anyhow::Result<()> {
    let mut table = Table::new(&["KEY", "CLASS", "OWNER", "STAKE", "STATUS"]);
    for d in v["devices"].as_array().into_iter().flatten() {
        table.row([
            cell(&d["key"]),
            cell(&d["class"]),
            cell(&d["owner"]),
            plx(&d["stake"])?,
            cell(&d["status"]),
        ]);
    }
    table.right(3).print_or("no devices registered");
    Ok(())
}

/// `plexus query epoch` for people: what the epoch minted, then one row per pool.
fn print_epoch(v: &Value) -> anyhow::Result<()> {
    let e = &v["epoch"];
    println!(
        "epoch {} · blocks {}–{} · minted {}",
        e["epoch"],
        e["start_height"],
        e["end_height"],
        plx(&e["emission"])?
    );
    let mut table = Table::new(&["RESOURCE", "POOL", "PAID", "MANIFEST", "UNITS"]);
    for p in v["pools"].as_array().into_iter().flatten() {
        let m = &p["manifest"];
        table.row([
            cell(&p["resource"]),
            plx(&p["amount"])?,
            plx(&p["paid"])?,
            if m.is_null() {
                "none".to_string()
            } else {
                cell(&m["root"])
            },
            if m.is_null() {
                "-".to_string()
            } else {
                cell(&m["total_units"])
            },
        ]);
    }
    table.right(1).right(2).right(4).print_or("no reward pools");
    Ok(())
}

/// `plexus query rewards` for people: one row per share of what was minted.
fn print_rewards(v: &Value) -> anyhow::Result<()> {
    let mut table = Table::new(&["SHARE", "AMOUNT"]);
    for k in [
        "minted",
        "paid",
        "forfeited",
        "dust",
        "expired",
        "to_validators",
        "claimable",
        "slashed_stake",
    ] {
        table.row([k.to_string(), plx(&v[k])?]);
    }
    table.right(1).print();
    println!("balanced: {}", v["balanced"]);
    Ok(())
}

/// `plexus query beacon`: the beacon of a block and where it comes from.
async fn print_beacon(
    g: &Globals,
    client: &plexus_client::NodeClient,
    height: Option<u64>,
) -> anyhow::Result<()> {
    let v = client.beacon(height).await?;
    if g.json {
        print_json(&v);
        return Ok(());
    }
    println!(
        "beacon of block {} · {} · from {}",
        v.height,
        v.value,
        match v.source.as_str() {
            "hash_chain" => "the operator's hash chain, reveal",
            "threshold_vrf" => "the validators' threshold VRF, seed",
            _ => "the block's hash (no commitment: the proposer could grind it)",
        }
    );
    if !v.field.is_empty() {
        println!("{}", v.field);
    }
    Ok(())
}

pub async fn run(g: &Globals, cmd: QueryCommand) -> anyhow::Result<()> {
    let client = g.client()?;
    match cmd {
        QueryCommand::Status => {
            let v = client.status().await?;
            if g.json {
                print_json(&v);
            } else {
                println!(
                    "chain {} · height {} · app hash {} · {} txs committed · {} pending",
                    v["chain_id"].as_str().unwrap_or("?"),
                    v["height"],
                    v["app_hash"].as_str().unwrap_or("?"),
                    v["txs_committed"],
                    v["mempool_size"]
                );
            }
        }
        QueryCommand::Account { address, height } => {
            let address = crate::cmd_tx::resolve_address(g, &address)?;
            let mut v = client.account(&address, height).await?;
            verify_account(&client, &v).await?;
            v["proof_verified"] = Value::Bool(true);
            if g.json {
                print_json(&v);
            } else {
                Table::new(&["ADDRESS", "BALANCE", "NONCE", "HEIGHT", "APP HASH", "PROOF"])
                    .row([
                        address.to_string(),
                        plx(&v["balance"])?,
                        cell(&v["nonce"]),
                        cell(&v["height"]),
                        cell(&v["app_hash"]),
                        "verified".to_string(),
                    ])
                    .right(1)
                    .print();
            }
        }
        QueryCommand::Block { height } => {
            let path = match height {
                Some(h) => format!("/v1/blocks/{h}"),
                None => "/v1/blocks/latest".to_string(),
            };
            let v: Value = client.get(&path).await?;
            if g.json {
                print_json(&v);
            } else {
                Table::new(&["HEIGHT", "TXS", "HASH", "APP HASH"])
                    .row([
                        cell(&v["height"]),
                        v["txs"].as_array().map_or(0, |t| t.len()).to_string(),
                        cell(&v["hash"]),
                        cell(&v["app_hash"]),
                    ])
                    .print();
            }
        }
        QueryCommand::Beacon { height } => print_beacon(g, &client, height).await?,
        QueryCommand::Devices => {
            let devices: Vec<Value> = client.list("/v1/devices", "devices").await?;
            let v = serde_json::json!({ "devices": devices });
            if g.json {
                print_json(&v);
            } else {
                print_devices(&v)?;
            }
        }
        QueryCommand::Coverage { hex } => crate::cmd_hotspot::query_coverage(g, &hex).await?,
        QueryCommand::Epoch { epoch } => {
            let path = match epoch {
                Some(n) => format!("/v1/epochs/{n}"),
                None => "/v1/epochs/latest".to_string(),
            };
            let v: Value = client.get(&path).await?;
            if g.json {
                print_json(&v);
            } else {
                print_epoch(&v)?;
            }
        }
        QueryCommand::Rewards => {
            let v: Value = client.get("/v1/rewards").await?;
            if g.json {
                print_json(&v);
            } else {
                print_rewards(&v)?;
            }
        }
        QueryCommand::Validators => crate::cmd_stake::query_validators(g).await?,
        QueryCommand::Delegations { address } => {
            crate::cmd_stake::query_delegations(g, &address).await?
        }
        QueryCommand::Readings {
            device,
            epoch,
            oracle,
        } => {
            let v = plexus_client::OracleClient::new(&oracle)?
                .device_readings(epoch, &device)
                .await?;
            if g.json {
                crate::print_json(&v);
            } else {
                print_readings(&v);
            }
        }
    }
    Ok(())
}
