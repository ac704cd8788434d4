//! Accounts and their fixed binary encoding.

use plexus_types::Amount;

/// An account's balance (uplx) and the nonce its next transaction must carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Account {
    pub balance: Amount,
    pub nonce: u64,
}

impl Account {
    pub const ENCODED_LEN: usize = 24;

    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(Self::ENCODED_LEN);
        out.extend_from_slice(&self.balance.0.to_be_bytes());
        out.extend_from_slice(&self.nonce.to_be_bytes());
        out
    }

    pub fn decode(bytes: &[u8]) -> Option<Account> {
        if bytes.len() != Self::ENCODED_LEN {
            return None;
        }
        Some(Account {
            balance: Amount(u128::from_be_bytes(bytes[..16].try_into().ok()?)),
            nonce: u64::from_be_bytes(bytes[16..].try_into().ok()?),
        })
    }
}
