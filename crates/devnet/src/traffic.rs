//! The devnet's steady flow of demo transfers between the demo accounts, and its progress
//! line every five seconds.

use plexus_chain::Chain;
use plexus_ledger::{query, TxCode};
use plexus_types::{Address, Amount, Body, SecretKey, UnsignedTx};
use rand::Rng;
use std::sync::Arc;
use std::time::Duration;

/// Sends demo transfers between the demo accounts until `stop` is set.
pub async fn demo_traffic(
    chain: Arc<Chain>,
    keys: Vec<SecretKey>,
    tps: f64,
    stop: Arc<std::sync::atomic::AtomicBool>,
) {
    use std::sync::atomic::Ordering;
    if tps <= 0.0 || keys.len() < 2 {
        return;
    }
    let chain_id = chain.status().chain_id;
    let min_fee = chain.checker().params().min_fee;
    let addrs: Vec<Address> = keys
        .iter()
        .map(|k| Address::from_public_key(&k.public_key()))
        .collect();
    let mut nonces: Vec<u64> = addrs
        .iter()
        .map(|a| {
            query::account(chain.store(), a)
                .map(|x| x.nonce)
                .unwrap_or(0)
        })
        .collect();
    let mut ticker = tokio::time::interval(Duration::from_secs_f64(1.0 / tps));
    let mut i = 0usize;
    while !stop.load(Ordering::SeqCst) {
        ticker.tick().await;
        let from = i % keys.len();
        i += 1;
        let (to, amount) = {
            let mut rng = rand::thread_rng();
            let to = (from + rng.gen_range(1..keys.len())) % keys.len();
            (to, Amount(rng.gen_range(1_000..10_000_000)))
        };
        let tx = UnsignedTx {
            chain_id: chain_id.clone(),
            nonce: nonces[from],
            fee: min_fee,
            body: Body::Transfer {
                to: addrs[to],
                amount,
            },
        }
        .sign(&keys[from]);
        let c = chain.clone();
        let result = tokio::task::spawn_blocking(move || c.submit(tx.bytes)).await;
        match result {
            Ok(Ok(_)) => nonces[from] += 1,
            Ok(Err(r)) if r.code == TxCode::Duplicate => nonces[from] += 1,
            Ok(Err(r)) if r.code == TxCode::NonceTooLow => {
                nonces[from] = query::account(chain.store(), &addrs[from])
                    .map(|a| a.nonce)
                    .unwrap_or(nonces[from]);
            }
            Ok(Err(r)) => tracing::warn!(reason = %r, "demo transfer refused"),
            Err(e) => tracing::warn!(error = %e, "demo transfer task failed"),
        }
    }
}

/// Prints the height, last ended epoch, committed and pending transactions and app hash every
/// five seconds (nothing when `quiet`), until aborted.
pub fn spawn_progress(chain: Arc<Chain>, quiet: bool) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(5));
        tick.tick().await;
        loop {
            tick.tick().await;
            if !quiet {
                let s = chain.status();
                let epoch = query::last_epoch(chain.store()).unwrap_or(0);
                println!(
                    "height {:>6} · epoch {:>3} ended · {:>7} txs committed · {:>4} pending · app hash {}",
                    s.height,
                    epoch,
                    s.txs_committed,
                    s.mempool_size,
                    &s.app_hash.to_hex()[..16]
                );
            }
        }
    })
}
