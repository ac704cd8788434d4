//! Signs planned transactions: each signer's next nonce as the block would use it, unless the
//! plan makes the transaction hostile, and which transactions the ledger must refuse.

use super::super::plan::{Hostile, TxPlan};
use super::super::{addr, CHAIN, FEE};
use plexus_ledger::PlexusLedger;
use plexus_types::{Address, Amount, Body, SecretKey, UnsignedTx};
use std::collections::BTreeMap;

/// Signs planned transactions with each signer's next nonce as this block would use them.
pub(super) struct Signer<'a> {
    pub(super) ledger: &'a PlexusLedger,
    pub(super) nonces: BTreeMap<Address, u64>,
    pub(super) keys: Vec<SecretKey>,
}

impl Signer<'_> {
    /// The transaction's bytes, and whether the ledger must refuse it without charging.
    pub(super) fn sign(&mut self, plan: &TxPlan, key: &SecretKey, body: Body) -> (Vec<u8>, bool) {
        let a = addr(key);
        let committed = self.ledger.account(&a).expect("account").nonce;
        // What this block will expect, if every earlier transaction of the signer planned as
        // valid is charged (one may not be, when its fee is more than the signer holds).
        let next = self.nonces.get(&a).copied().unwrap_or(committed);
        let (nonce, fee, chain_id) = match &plan.hostile {
            // Used before this block (or, on a fresh account, wrapped to the largest nonce).
            Some(Hostile::UsedNonce) => (committed.wrapping_sub(1), FEE, CHAIN),
            Some(Hostile::FutureNonce) => (next.wrapping_add(2), FEE, CHAIN),
            Some(Hostile::MaxNonce) => (u64::MAX, FEE, CHAIN),
            Some(Hostile::FeeBelowMinimum) => (next, FEE - 1, CHAIN),
            Some(Hostile::Fee(a)) => (next, a.value(), CHAIN),
            Some(Hostile::OtherChain) => (next, FEE, "plexus-other"),
            _ => (next, FEE, CHAIN),
        };
        let mut bytes = UnsignedTx {
            chain_id: chain_id.into(),
            nonce,
            fee: Amount(fee),
            body,
        }
        .sign(key)
        .bytes;
        let refused = match &plan.hostile {
            None => false,
            Some(Hostile::Fee(a)) => a.value() < FEE,
            Some(Hostile::MaxNonce) => next != u64::MAX,
            Some(Hostile::BadSignature) => {
                // The signature is the envelope's last field.
                *bytes.last_mut().expect("a signed transaction has bytes") ^= 0x01;
                true
            }
            Some(Hostile::Truncated(n)) => {
                bytes.truncate(bytes.len().saturating_sub((*n).max(1) as usize));
                true
            }
            Some(Hostile::Garbage(g)) => {
                bytes = g.clone();
                true
            }
            Some(_) => true,
        };
        if !refused {
            self.nonces.insert(a, next.wrapping_add(1));
        }
        (bytes, refused)
    }
}
