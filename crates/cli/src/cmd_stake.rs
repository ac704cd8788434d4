//! `plexus tx create-validator|edit-validator|stake|unstake|redelegate|withdraw-rewards|unjail`
//! and `plexus query validators|delegations`: staking from the command line. Each transaction
//! is signed with a key of the keyring, sent, and waited for; one that commits with a failure
//! code is an error naming the code.

use crate::cmd_tx::{resolve_address, send_and_wait};
use crate::output::{cell, Table};
use crate::{print_json, Globals};
use anyhow::Context;
use plexus_types::{Amount, Body, PublicKey};
use serde_json::{json, Value};
use std::time::Duration;

/// The staking transactions of `plexus tx`.
#[derive(clap::Subcommand)]
pub enum StakeCommand {
    /// Become a validator operator, bonding a self-stake.
    CreateValidator(CreateValidator),
    /// Change your validator's commission (a bounded step, once per epoch).
    EditValidator(EditValidator),
    /// Bond stake to a validator or oracle operator.
    Stake(StakeAmount),
    /// Start unbonding stake; it is paid back after the unbonding period.
    Unstake(StakeAmount),
    /// Move bonded stake from one operator to another at once.
    Redelegate(Redelegate),
    /// Withdraw staking rewards (and your commission, as the operator).
    WithdrawRewards(WithdrawRewards),
    /// Bring your jailed validator back once its jail period has passed.
    Unjail(Signer),
}

pub async fn run(g: &Globals, cmd: StakeCommand) -> anyhow::Result<()> {
    match cmd {
        StakeCommand::CreateValidator(a) => create_validator(g, a).await,
        StakeCommand::EditValidator(a) => edit_validator(g, a).await,
        StakeCommand::Stake(a) => stake(g, a, true).await,
        StakeCommand::Unstake(a) => stake(g, a, false).await,
        StakeCommand::Redelegate(a) => redelegate(g, a).await,
        StakeCommand::WithdrawRewards(a) => withdraw_rewards(g, a).await,
        StakeCommand::Unjail(a) => send(g, &a, Body::Unjail).await,
    }
}

/// Who signs, and how long to wait for the commit.
#[derive(clap::Args)]
pub struct Signer {
    /// Name of the signing key.
    #[arg(long)]
    from: String,
    /// How long to wait for the transaction to commit.
    #[arg(long, default_value = "60s", value_parser = humantime::parse_duration)]
    timeout: Duration,
}

#[derive(clap::Args)]
pub struct CreateValidator {
    #[command(flatten)]
    signer: Signer,
    /// The validator's consensus public key, 64 hex digits.
    #[arg(long)]
    consensus_key: String,
    /// Commission in basis points (at most 10000).
    #[arg(long, default_value_t = 500)]
    commission_bps: u32,
    /// Where peers reach the validator (host:port).
    #[arg(long)]
    p2p_address: String,
    /// The operator's own stake, for example 1000plx.
    #[arg(long)]
    self_stake: String,
}

#[derive(clap::Args)]
pub struct EditValidator {
    #[command(flatten)]
    signer: Signer,
    /// The new commission in basis points.
    #[arg(long)]
    commission_bps: u32,
}

#[derive(clap::Args)]
pub struct StakeAmount {
    #[command(flatten)]
    signer: Signer,
    /// The validator or oracle operator: an address (plx1…) or a key's name.
    #[arg(long)]
    validator: String,
    /// Amount, for example 2.5plx or 2500000uplx.
    #[arg(long)]
    amount: String,
}

#[derive(clap::Args)]
pub struct Redelegate {
    #[command(flatten)]
    signer: Signer,
    /// The operator the stake leaves.
    #[arg(long = "src")]
    source: String,
    /// The operator the stake joins.
    #[arg(long = "dst")]
    destination: String,
    #[arg(long)]
    amount: String,
}

#[derive(clap::Args)]
pub struct WithdrawRewards {
    #[command(flatten)]
    signer: Signer,
    /// The operator whose rewards (and, for its operator, commission) are withdrawn.
    #[arg(long)]
    validator: String,
}

/// Signs `body` with `signer`'s key, sends it and prints the committed result.
async fn send(g: &Globals, signer: &Signer, body: Body) -> anyhow::Result<()> {
    let key = g.keyring().secret(&signer.from)?;
    let result = send_and_wait(g, &key, body, signer.timeout).await?;
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

async fn create_validator(g: &Globals, a: CreateValidator) -> anyhow::Result<()> {
    let consensus_key: PublicKey = a
        .consensus_key
        .parse()
        .context("--consensus-key is not 64 hex digits of an Ed25519 public key")?;
    let body = Body::CreateValidator {
        consensus_key,
        commission_bps: a.commission_bps,
        p2p_address: a.p2p_address,
        self_stake: Amount::parse_human(&a.self_stake)?,
    };
    send(g, &a.signer, body).await
}

async fn edit_validator(g: &Globals, a: EditValidator) -> anyhow::Result<()> {
    let body = Body::EditValidator {
        commission_bps: a.commission_bps,
    };
    send(g, &a.signer, body).await
}

async fn stake(g: &Globals, a: StakeAmount, bond: bool) -> anyhow::Result<()> {
    let validator = resolve_address(g, &a.validator)?;
    let amount = Amount::parse_human(&a.amount)?;
    let body = if bond {
        Body::Stake { validator, amount }
    } else {
        Body::Unstake { validator, amount }
    };
    send(g, &a.signer, body).await
}

async fn redelegate(g: &Globals, a: Redelegate) -> anyhow::Result<()> {
    let body = Body::Redelegate {
        from: resolve_address(g, &a.source)?,
        to: resolve_address(g, &a.destination)?,
        amount: Amount::parse_human(&a.amount)?,
    };
    send(g, &a.signer, body).await
}

async fn withdraw_rewards(g: &Globals, a: WithdrawRewards) -> anyhow::Result<()> {
    let body = Body::WithdrawStakingRewards {
        validator: resolve_address(g, &a.validator)?,
    };
    send(g, &a.signer, body).await
}

fn plx(v: &Value) -> String {
    Amount::from_base_units(v.as_str().unwrap_or("0"))
        .map(|a| a.to_plx_string())
        .unwrap_or_else(|_| "?".into())
}

/// `plexus query validators`: every operator, and the latest validator set.
pub async fn query_validators(g: &Globals) -> anyhow::Result<()> {
    let client = g.client()?;
    let operators: Vec<Value> = client.list("/v1/validators", "operators").await?;
    let set: Value = client.get("/v1/validators/set").await?;
    if g.json {
        print_json(&json!({ "operators": operators, "set": set }));
        return Ok(());
    }
    let members: Vec<&str> = set["validators"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|m| m["operator"].as_str())
        .collect();
    println!(
        "validator set of epoch {} (from height {}): {} validators",
        set["epoch"],
        set["from_height"],
        members.len()
    );
    let mut table = Table::new(&[
        "ADDRESS",
        "KIND",
        "IN SET",
        "STAKE",
        "COMMISSION BPS",
        "JAILED UNTIL",
    ]);
    for op in &operators {
        let address = op["address"].as_str().unwrap_or("?");
        table.row([
            address.to_string(),
            cell(&op["kind"]),
            if members.contains(&address) {
                "yes"
            } else {
                "no"
            }
            .to_string(),
            plx(&op["tokens"]),
            cell(&op["commission_bps"]),
            op["jailed_until"]
                .as_u64()
                .map_or("-".to_string(), |h| h.to_string()),
        ]);
    }
    table.right(3).right(4).print_or("no operators");
    Ok(())
}

/// `plexus query delegations <address>`: a delegator's stake and its unbondings.
pub async fn query_delegations(g: &Globals, address: &str) -> anyhow::Result<()> {
    let client = g.client()?;
    let who = resolve_address(g, address)?;
    let delegations: Vec<Value> = client
        .list(&format!("/v1/delegations/{who}"), "delegations")
        .await?;
    let unbondings: Vec<Value> = client
        .list(&format!("/v1/unbondings/{who}"), "unbondings")
        .await?;
    if g.json {
        print_json(&json!({ "delegations": delegations, "unbondings": unbondings }));
        return Ok(());
    }
    let mut table = Table::new(&[
        "OPERATOR",
        "STAKE",
        "REWARDS",
        "UNBONDING",
        "PAID AT HEIGHT",
    ]);
    for d in &delegations {
        table.row([
            cell(&d["operator"]),
            plx(&d["stake"]),
            plx(&d["withdrawable_rewards"]),
            "-".to_string(),
            "-".to_string(),
        ]);
    }
    for u in &unbondings {
        table.row([
            cell(&u["operator"]),
            "-".to_string(),
            "-".to_string(),
            plx(&u["amount"]),
            cell(&u["matures_at"]),
        ]);
    }
    table
        .right(1)
        .right(2)
        .right(3)
        .print_or(&format!("{who} has no stake"));
    Ok(())
}
