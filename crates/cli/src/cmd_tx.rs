//! `plexus tx transfer`.

use crate::{print_json, Globals};
use anyhow::{anyhow, bail};
use clap::Subcommand;
use plexus_client::{ClientError, NodeClient, Overrides, SendError, TxSender};
use plexus_types::{Address, Amount, Body};
use serde_json::Value;
use std::time::Duration;

#[derive(Subcommand)]
pub enum TxCommand {
    /// Send tokens from a key in the keyring to an address.
    Transfer(Transfer),
}

#[derive(clap::Args)]
pub struct Transfer {
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
    client: &NodeClient,
    key: &plexus_types::SecretKey,
    body: Body,
    timeout: Duration,
) -> anyhow::Result<Value> {
    let sender = TxSender::new(client.clone(), key.clone()).commit_timeout(timeout);
    let committed = sender
        .send_ok(body)
        .await
        .map_err(|e| as_cli_error(client, e))?;
    Ok(serde_json::to_value(committed.view)?)
}

/// A sender's error in the words the CLI has always used for it.
pub fn as_cli_error(client: &NodeClient, e: SendError) -> anyhow::Error {
    match e {
        SendError::Client(ClientError::Unreachable { .. }) => anyhow!(
            "cannot reach a node at {} (is `plexus node start` or `plexus devnet` running? see --node)",
            client.base_url()
        ),
        SendError::Client(ClientError::Refused { code, message, .. }) => {
            anyhow!("{message} ({code})")
        }
        SendError::Client(ClientError::Status { status, body, .. }) => {
            anyhow!("the node answered {status}: {body}")
        }
        e => e.into(),
    }
}

/// `plexus tx transfer`: signs at the given or the account's nonce and fee, submits, and
/// waits if asked.
async fn transfer(g: &Globals, args: Transfer) -> anyhow::Result<()> {
    let key = g.keyring().secret(&args.from)?;
    let to = resolve_address(g, &args.to)?;
    let amount = Amount::parse_human(&args.amount)?;
    let client = g.client()?;
    let overrides = Overrides {
        nonce: args.nonce,
        fee: args.fee.as_deref().map(Amount::parse_human).transpose()?,
    };
    let sender = TxSender::new(client.clone(), key);
    let hash = sender
        .submit(Body::Transfer { to, amount }, &overrides)
        .await
        .map_err(|e| as_cli_error(&client, e))?;
    if !args.wait {
        if g.json {
            print_json(&serde_json::json!({"hash": hash, "status": "pending"}));
        } else {
            println!("submitted {hash}");
        }
        return Ok(());
    }
    let committed = sender
        .wait_committed(&hash, args.timeout)
        .await
        .map_err(|e| as_cli_error(&client, e))?;
    if g.json {
        print_json(&serde_json::to_value(&committed.view)?);
    } else {
        println!(
            "committed {hash} at height {} · {}",
            committed.height, committed.code
        );
    }
    if !committed.succeeded() {
        bail!(
            "transaction {hash} failed: {} ({})",
            committed.log,
            committed.code
        );
    }
    Ok(())
}

pub async fn run(g: &Globals, cmd: TxCommand) -> anyhow::Result<()> {
    match cmd {
        TxCommand::Transfer(args) => transfer(g, args).await,
    }
}
