//! `plexus tx transfer`.

use crate::{print_json, Globals};
use anyhow::{bail, Context};
use clap::Subcommand;
use plexus_types::{Address, Amount, Body, UnsignedTx};
use serde_json::Value;
use std::time::Duration;

#[derive(Subcommand)]
pub enum TxCommand {
    /// Send tokens from a key in the keyring to an address.
    Transfer {
        /// Name of the sending key.
        #[arg(long)]
        from: String,
        /// Recipient address (plx1…) or the name of a key in the keyring.
        #[arg(long)]
        to: String,
        /// Amount, for example 2.5plx or 2500000uplx.
        #[arg(long)]
        amount: String,
        /// Fee (default: the chain's minimum fee).
        #[arg(long)]
        fee: Option<String>,
        /// Nonce to use (default: the account's next nonce).
        #[arg(long)]
        nonce: Option<u64>,
        /// Wait until the transaction is committed and report its result.
        #[arg(long)]
        wait: bool,
        /// How long --wait waits.
        #[arg(long, default_value = "60s", value_parser = humantime::parse_duration)]
        timeout: Duration,
    },
}

/// An address, or the name of a key in either keyring.
pub fn resolve_address(g: &Globals, text: &str) -> anyhow::Result<Address> {
    if let Ok(a) = text.parse::<Address>() {
        return Ok(a);
    }
    if text.starts_with("plx1") {
        // Looks like an address: report why it is not one.
        return Err(text.parse::<Address>().unwrap_err().into());
    }
    for backend in [
        g.backend,
        crate::keyring::Backend::Test,
        crate::keyring::Backend::File,
    ] {
        let ring = crate::keyring::Keyring::open(&g.home, backend, g.passphrase.clone());
        if let Ok(info) = ring.show(text) {
            return Ok(info.address);
        }
    }
    bail!(
        "{text:?} is neither a plx1… address nor the name of a key in {}",
        g.home.display()
    )
}

/// Signs `body` with `key` at the account's next nonce and the chain's minimum fee, submits
/// it and waits until it is committed. A transaction that commits with a failure code is an
/// error that names the code and says why.
pub async fn send_and_wait(
    g: &Globals,
    key: &plexus_types::SecretKey,
    body: Body,
    timeout: Duration,
) -> anyhow::Result<Value> {
    send_and_wait_on(&g.client()?, key, body, timeout).await
}

/// [`send_and_wait`] through a given node.
pub async fn send_and_wait_on(
    client: &plexus_client::NodeClient,
    key: &plexus_types::SecretKey,
    body: Body,
    timeout: Duration,
) -> anyhow::Result<Value> {
    let status = client.status().await?;
    let chain_id = status["chain_id"]
        .as_str()
        .context("the node did not report its chain id")?
        .to_string();
    let fee = Amount::from_base_units(status["min_fee"].as_str().unwrap_or("1000"))?;
    let sender = Address::from_public_key(&key.public_key());
    let nonce = client.account(&sender, None).await?["nonce"]
        .as_u64()
        .context("the node did not report a nonce")?;
    let tx = UnsignedTx {
        chain_id,
        nonce,
        fee,
        body,
    }
    .sign(key);
    let hash = client.submit(&tx.bytes).await?;
    let result: Value = client.wait_committed(&hash, timeout).await?;
    if result["code"].as_str() != Some("ok") {
        bail!(
            "transaction {hash} failed: {} ({})",
            result["log"].as_str().unwrap_or(""),
            result["code"].as_str().unwrap_or("?")
        );
    }
    Ok(result)
}

pub async fn run(g: &Globals, cmd: TxCommand) -> anyhow::Result<()> {
    match cmd {
        TxCommand::Transfer {
            from,
            to,
            amount,
            fee,
            nonce,
            wait,
            timeout,
        } => {
            let key = g.keyring().secret(&from)?;
            let to = resolve_address(g, &to)?;
            let amount = Amount::parse_human(&amount)?;
            let client = g.client()?;
            let status = client.status().await?;
            let chain_id = status["chain_id"]
                .as_str()
                .context("the node did not report its chain id")?
                .to_string();
            let fee = match fee {
                Some(f) => Amount::parse_human(&f)?,
                None => Amount::from_base_units(status["min_fee"].as_str().unwrap_or("1000"))?,
            };
            let sender = Address::from_public_key(&key.public_key());
            let nonce = match nonce {
                Some(n) => n,
                None => client.account(&sender, None).await?["nonce"]
                    .as_u64()
                    .context("the node did not report a nonce")?,
            };
            let tx = UnsignedTx {
                chain_id,
                nonce,
                fee,
                body: Body::Transfer { to, amount },
            }
            .sign(&key);
            let hash = client.submit(&tx.bytes).await?;
            if !wait {
                if g.json {
                    print_json(&serde_json::json!({"hash": hash, "status": "pending"}));
                } else {
                    println!("submitted {hash}");
                }
                return Ok(());
            }
            let result: Value = client.wait_committed(&hash, timeout).await?;
            if g.json {
                print_json(&result);
            } else {
                println!(
                    "committed {hash} at height {} · {}",
                    result["height"],
                    result["code"].as_str().unwrap_or("?")
                );
            }
            if result["code"].as_str() != Some("ok") {
                bail!(
                    "transaction {hash} failed: {} ({})",
                    result["log"].as_str().unwrap_or(""),
                    result["code"].as_str().unwrap_or("?")
                );
            }
            Ok(())
        }
    }
}
