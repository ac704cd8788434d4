//! How the wireless workload talks to the chain: accounts that sign at their next nonce and
//! submit to the embedded chain, and waiting for what they sent to commit.

use anyhow::Context;
use plexus_chain::Chain;
use plexus_ledger::{query, Reject, TxCode};
use plexus_types::{Address, Body, Hash, SecretKey, UnsignedTx};
use std::time::Duration;

/// How often the workload looks at the chain's tip.
const POLL: Duration = Duration::from_millis(100);

/// What became of a transaction: refused when submitted, or committed with a code.
pub type Sent = Result<Hash, Reject>;

/// An account the workload signs for, with the nonce of its next transaction.
pub struct Account {
    key: SecretKey,
    pub address: Address,
    nonce: u64,
}

impl Account {
    pub fn open(chain: &Chain, key: SecretKey) -> anyhow::Result<Account> {
        let address = Address::from_public_key(&key.public_key());
        let nonce = query::account(chain.store(), &address)?.nonce;
        Ok(Account {
            key,
            address,
            nonce,
        })
    }

    /// Signs `body` at the account's next nonce and the least fee the chain takes for it, and
    /// submits it; a refusal uses no nonce.
    pub fn send(&mut self, chain: &Chain, body: Body) -> anyhow::Result<Sent> {
        let fee = body.min_fee(chain.checker().params().min_fee);
        let tx = UnsignedTx {
            chain_id: chain.checker().chain_id().to_string(),
            nonce: self.nonce,
            fee,
            body,
        }
        .sign(&self.key);
        Ok(match chain.submit(tx.bytes) {
            Ok(meta) => {
                self.nonce += 1;
                Ok(meta.hash)
            }
            Err(reject) => Err(reject),
        })
    }
}

/// Waits for every transaction of `sent` that was admitted to commit, and returns each one's
/// outcome: `Ok` for code `ok`, else the refusal (at submission or by the ledger). Returns
/// early once `stop` is set: a transaction not committed by then has no outcome (`None`).
pub async fn committed_all(
    chain: &Chain,
    sent: &[Sent],
    stop: &mut tokio::sync::watch::Receiver<bool>,
) -> anyhow::Result<Vec<Option<Result<(), Reject>>>> {
    let mut outcomes: Vec<Option<Result<(), Reject>>> = sent
        .iter()
        .map(|s| s.as_ref().err().map(|r| Err(r.clone())))
        .collect();
    loop {
        for (outcome, s) in outcomes.iter_mut().zip(sent) {
            let (None, Ok(hash)) = (&outcome, s) else {
                continue;
            };
            if let Some(committed) = query::committed_tx(chain.store(), hash)
                .context("reading a committed transaction")?
            {
                let result = committed.result;
                *outcome = Some(match result.code {
                    TxCode::Ok => Ok(()),
                    code => Err(Reject::new(code, result.log)),
                });
            }
        }
        if outcomes.iter().all(Option::is_some) {
            break;
        }
        if next_block(chain, stop).await {
            break;
        }
    }
    Ok(outcomes)
}

/// Waits one poll for the chain to move on; true once `stop` is set.
pub async fn next_block(chain: &Chain, stop: &mut tokio::sync::watch::Receiver<bool>) -> bool {
    let height = chain.status().height;
    loop {
        if *stop.borrow() {
            return true;
        }
        tokio::select! {
            _ = tokio::time::sleep(POLL) => {}
            changed = stop.changed() => {
                if changed.is_err() {
                    return true;
                }
            }
        }
        if chain.status().height > height {
            return false;
        }
    }
}
