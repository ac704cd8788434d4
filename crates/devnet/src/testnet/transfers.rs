//! The testnet's traffic: transfers from the faucet, each sent to the next validator in turn,
//! and afterwards how many of them committed.

use crate::host::Keys;
use anyhow::Context;
use plexus_client::NodeClient;
use plexus_ledger::Genesis;
use plexus_types::{Address, Amount, Body, Hash, UnsignedTx};
use std::time::{Duration, Instant};

/// Transfers sent, each with the validator it went to, until `run_for` has passed (or Ctrl-C).
pub async fn send(
    keys: &impl Keys,
    genesis: &Genesis,
    clients: &[NodeClient],
    run_for: Option<Duration>,
) -> anyhow::Result<Vec<(usize, Hash)>> {
    let n = clients.len();
    let faucet = keys.secret("faucet")?;
    let faucet_addr = Address::from_public_key(&faucet.public_key());
    let sink = Address::from_public_key(&plexus_types::SecretKey::from_seed([42; 32]).public_key());
    let account = clients[0].account(&faucet_addr, None).await?;
    let mut nonce = account
        .get("nonce")
        .and_then(|v| v.as_u64())
        .context("the node's account answer has no nonce")?;
    let started = Instant::now();
    let mut sent = Vec::new();
    let ctrl_c = tokio::signal::ctrl_c();
    tokio::pin!(ctrl_c);
    loop {
        if run_for.is_some_and(|d| started.elapsed() >= d) {
            break;
        }
        let tx = UnsignedTx {
            chain_id: genesis.chain_id.clone(),
            nonce,
            fee: genesis.params.min_fee,
            body: Body::Transfer {
                to: sink,
                amount: Amount(1),
            },
        }
        .sign(&faucet);
        let to = (nonce as usize) % n;
        match clients[to].submit(&tx.bytes).await {
            Ok(hash) => {
                sent.push((to, hash));
                nonce += 1;
            }
            Err(e) => tracing::warn!(validator = to, error = %e, "transfer refused"),
        }
        tokio::select! {
            _ = &mut ctrl_c => break,
            _ = tokio::time::sleep(Duration::from_millis(200)) => {}
        }
    }
    Ok(sent)
}

/// Lets the last transfers commit, then counts those that did, each asked of a validator other
/// than the one it was sent to.
pub async fn count_committed(clients: &[NodeClient], sent: &[(usize, Hash)]) -> usize {
    let n = clients.len();
    let mut committed = 0usize;
    for (to, hash) in sent {
        let c = &clients[(*to + 1) % n];
        if c.wait_committed(hash, Duration::from_secs(10))
            .await
            .is_ok()
        {
            committed += 1;
        }
    }
    committed
}
