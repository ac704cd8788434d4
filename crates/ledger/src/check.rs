//! The checks every transaction passes, in stages, written once and run both at mempool
//! admission ([`TxChecker`], usable from many threads at once without the ledger's lock, so
//! admission never waits for a block to execute) and again when a block executes it:
//!
//! 1. stateless ([`check_format`], then the signature): size, format, chain id;
//! 2. against state ([`check_against_state`]): fee (at least [`Body::min_fee`] of the chain's minimum), nonce
//!    and the balance to pay the fee, where admission lets the nonce run up to [`MAX_NONCE_GAP`] ahead and a block takes only
//!    the account's next nonce;
//! 3. execution, in a block only: the body's own rules, by its component.
//!
//! The same failing check gives the same code and message at both places.

use crate::bank::{state_key, Account};
use crate::codes::{Reject, TxCode};
use crate::genesis::Params;
use crate::sigcache::SigCache;
use plexus_store::{Snapshot, Store};
use plexus_types::{Address, Amount, Body, SignedTx, TxError, TxHash};
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

/// Stage 1, stateless: the transaction's size under the chain's limit, its bytes a well-formed
/// transaction (`decoded`, what [`SignedTx::decode`] made of them), for this chain.
pub(crate) fn check_format(
    params: &Params,
    chain_id: &str,
    len: usize,
    decoded: Result<SignedTx, TxError>,
) -> Result<SignedTx, Reject> {
    if len > params.max_tx_bytes as usize {
        return Err(Reject::new(
            TxCode::Oversize,
            format!(
                "transaction is {len} bytes, larger than the limit of {}",
                params.max_tx_bytes
            ),
        ));
    }
    let tx = decoded?;
    if tx.chain_id != chain_id {
        return Err(Reject::new(
            TxCode::WrongChainId,
            format!(
                "transaction is for chain {:?}, this node runs {:?}",
                tx.chain_id, chain_id
            ),
        ));
    }
    Ok(tx)
}

/// Stage 1, stateless: why a transaction whose signature does not verify is refused.
pub(crate) fn invalid_signature() -> Reject {
    Reject::from(TxError::BadSignature(plexus_types::KeyError::BadSignature))
}

/// Stage 2, against state: the fee at least the chain's minimum for the body
/// ([`Body::min_fee`]), the nonce the account's next one or at most `max_nonce_gap` ahead of
/// it, a next nonce after it, and a balance that pays the fee.
pub(crate) fn check_against_state(
    params: &Params,
    tx: &SignedTx,
    account: &Account,
    max_nonce_gap: u64,
) -> Result<(), Reject> {
    let min_fee = tx.body.min_fee(params.min_fee);
    if tx.fee < min_fee {
        let what = match &tx.body {
            Body::ComputeFraud(f) => format!(" for a fraud proof over an {0}×{0} product", f.n),
            _ => String::new(),
        };
        return Err(Reject::new(
            TxCode::FeeTooLow,
            format!(
                "fee {} uplx is below the minimum of {} uplx{what}",
                tx.fee.0, min_fee.0
            ),
        ));
    }
    if tx.nonce < account.nonce {
        return Err(Reject::new(
            TxCode::NonceTooLow,
            format!(
                "nonce {} already used: account {} expects nonce {}",
                tx.nonce, tx.signer_address, account.nonce
            ),
        ));
    }
    if tx.nonce > account.nonce.saturating_add(max_nonce_gap) {
        return Err(Reject::new(
            TxCode::NonceTooHigh,
            format!(
                "nonce {} is too far ahead: account {} expects nonce {}",
                tx.nonce, tx.signer_address, account.nonce
            ),
        ));
    }
    if account.nonce == u64::MAX {
        return Err(spent_account(tx));
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
    Ok(())
}

/// Stage 2, against state: an account whose nonce can go no higher takes no more
/// transactions.
pub(crate) fn spent_account(tx: &SignedTx) -> Reject {
    Reject::new(
        TxCode::Overflow,
        format!(
            "account {} has used its last nonce, {}",
            tx.signer_address,
            u64::MAX
        ),
    )
}

#[derive(Clone)]
pub struct TxChecker {
    pub(crate) store: Store,
    pub(crate) chain_id: Arc<str>,
    pub(crate) params: Params,
    pub(crate) sigs: Arc<SigCache>,
}

impl TxChecker {
    /// Stage 1: format, size, chain id and signature.
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
                Ok(tx) if bad.contains(&tx.hash) => Err(invalid_signature()),
                other => other,
            })
            .collect()
    }

    fn decode(&self, bytes: &[u8]) -> Result<SignedTx, Reject> {
        check_format(
            &self.params,
            &self.chain_id,
            bytes.len(),
            SignedTx::decode(bytes),
        )
    }

    /// Stage 2: fee and nonce against the committed state.
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
        let account = snapshot
            .get(&state_key::account(&tx.signer_address))
            .map_err(|e| Reject::new(TxCode::Malformed, format!("state unavailable: {e}")))?
            .and_then(|b| Account::decode(&b))
            .unwrap_or_default();
        check_against_state(&self.params, tx, &account, MAX_NONCE_GAP)?;
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

    /// Forgets the cached verdicts of many transactions, taking the cache's lock once.
    pub fn forget_many(&self, hashes: &[TxHash]) {
        self.sigs.remove_many(hashes);
    }

    pub fn chain_id(&self) -> &str {
        &self.chain_id
    }

    pub fn params(&self) -> &Params {
        &self.params
    }
}
