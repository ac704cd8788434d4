//! Mempool admission: the stateless checks and the checks against committed history. Usable
//! from many threads at once, without the ledger's lock, so admission never waits for a block
//! to execute.

use crate::bank::Account;
use crate::codes::{Reject, TxCode};
use crate::genesis::Params;
use crate::sigcache::SigCache;
use crate::state_key;
use plexus_store::{Snapshot, Store};
use plexus_types::{Address, Amount, SignedTx, TxHash};
use std::sync::Arc;

/// How far ahead of the account's next nonce the mempool holds transactions.
pub const MAX_NONCE_GAP: u64 = 1024;

/// What admission learned about a transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TxMeta {
    pub hash: TxHash,
    pub sender: Address,
    pub nonce: u64,
    pub fee: Amount,
    pub size: usize,
    /// The sender's next nonce in committed state when the check ran.
    pub account_nonce: u64,
}

#[derive(Clone)]
pub struct TxChecker {
    pub(crate) store: Store,
    pub(crate) chain_id: Arc<str>,
    pub(crate) params: Params,
    pub(crate) sigs: Arc<SigCache>,
}

impl TxChecker {
    /// Format, size, chain id and signature.
    pub fn check_stateless(&self, bytes: &[u8]) -> Result<SignedTx, Reject> {
        let tx = self.decode(bytes)?;
        if !self.sigs.contains(&tx.hash) {
            tx.verify_signature()?;
            self.sigs.insert(tx.hash);
        }
        Ok(tx)
    }

    /// The stateless checks for many transactions, verifying signatures in batches on every
    /// core. One result per input, in order.
    pub fn check_stateless_many(&self, txs: &[Vec<u8>]) -> Vec<Result<SignedTx, Reject>> {
        use rayon::prelude::*;
        let decoded: Vec<Result<SignedTx, Reject>> =
            txs.par_iter().map(|b| self.decode(b)).collect();
        let to_verify: Vec<&SignedTx> = decoded
            .iter()
            .filter_map(|r| r.as_ref().ok())
            .filter(|t| !self.sigs.contains(&t.hash))
            .collect();
        let verdicts = SignedTx::verify_many(&to_verify);
        let mut bad = std::collections::BTreeSet::new();
        for (tx, verdict) in to_verify.iter().zip(verdicts) {
            match verdict {
                Ok(()) => self.sigs.insert(tx.hash),
                Err(_) => {
                    bad.insert(tx.hash);
                }
            }
        }
        decoded
            .into_iter()
            .map(|r| match r {
                Ok(tx) if bad.contains(&tx.hash) => Err(Reject::new(
                    TxCode::InvalidSignature,
                    "invalid signature: signature does not verify",
                )),
                other => other,
            })
            .collect()
    }

    fn decode(&self, bytes: &[u8]) -> Result<SignedTx, Reject> {
        if bytes.len() > self.params.max_tx_bytes as usize {
            return Err(Reject::new(
                TxCode::Oversize,
                format!(
                    "transaction is {} bytes, larger than the limit of {}",
                    bytes.len(),
                    self.params.max_tx_bytes
                ),
            ));
        }
        let tx = SignedTx::decode(bytes)?;
        if tx.chain_id != *self.chain_id {
            return Err(Reject::new(
                TxCode::WrongChainId,
                format!(
                    "transaction is for chain {:?}, this node runs {:?}",
                    tx.chain_id, &*self.chain_id
                ),
            ));
        }
        Ok(tx)
    }

    /// Nonce and fee against the committed state.
    pub fn check_history(&self, tx: &SignedTx) -> Result<TxMeta, Reject> {
        let snapshot = self.snapshot()?;
        self.check_history_in(&snapshot, tx)
    }

    /// A consistent view of committed state for checking many transactions.
    pub fn snapshot(&self) -> Result<Snapshot, Reject> {
        self.store
            .snapshot()
            .map_err(|e| Reject::new(TxCode::Malformed, format!("state unavailable: {e}")))
    }

    /// [`TxChecker::check_history`] against a given snapshot.
    pub fn check_history_in(&self, snapshot: &Snapshot, tx: &SignedTx) -> Result<TxMeta, Reject> {
        if tx.fee < self.params.min_fee {
            return Err(Reject::new(
                TxCode::FeeTooLow,
                format!(
                    "fee {} uplx is below the minimum of {} uplx",
                    tx.fee, self.params.min_fee
                ),
            ));
        }
        let account = snapshot
            .get(&state_key::account(&tx.signer_address))
            .map_err(|e| Reject::new(TxCode::Malformed, format!("state unavailable: {e}")))?
            .and_then(|b| Account::decode(&b))
            .unwrap_or_default();
        if tx.nonce < account.nonce {
            return Err(Reject::new(
                TxCode::NonceTooLow,
                format!(
                    "nonce {} already used: account {} expects nonce {}",
                    tx.nonce, tx.signer_address, account.nonce
                ),
            ));
        }
        if tx.nonce > account.nonce + MAX_NONCE_GAP {
            return Err(Reject::new(
                TxCode::NonceTooHigh,
                format!(
                    "nonce {} is too far ahead: account {} expects nonce {}",
                    tx.nonce, tx.signer_address, account.nonce
                ),
            ));
        }
        if account.balance < tx.fee {
            return Err(Reject::new(
                TxCode::InsufficientFee,
                format!(
                    "account {} holds {} uplx, less than the fee of {} uplx",
                    tx.signer_address, account.balance, tx.fee
                ),
            ));
        }
        Ok(TxMeta {
            hash: tx.hash,
            sender: tx.signer_address,
            nonce: tx.nonce,
            fee: tx.fee,
            size: tx.size(),
            account_nonce: account.nonce,
        })
    }

    /// All admission checks.
    pub fn check(&self, bytes: &[u8]) -> Result<TxMeta, Reject> {
        let tx = self.check_stateless(bytes)?;
        self.check_history(&tx)
    }

    /// Forgets a cached signature verdict (for transactions dropped from the mempool).
    pub fn forget(&self, hash: &TxHash) {
        self.sigs.remove(hash);
    }

    pub fn chain_id(&self) -> &str {
        &self.chain_id
    }

    pub fn params(&self) -> &Params {
        &self.params
    }
}
