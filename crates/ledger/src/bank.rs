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

/// Accounts that no key controls, each holding tokens for one purpose.
pub mod module_account {
    use plexus_types::Address;

    /// Transaction fees.
    pub fn fee_pool() -> Address {
        Address::module("fee_pool")
    }
    /// Devices' bonded stake.
    pub fn stake() -> Address {
        Address::module("stake")
    }
    /// Minted rewards not yet claimed.
    pub fn rewards() -> Address {
        Address::module("rewards")
    }
    /// Rounding remainders of emission splits and of payouts.
    pub fn dust() -> Address {
        Address::module("dust")
    }
    /// Slashed stake and forfeited rewards.
    pub fn slashed() -> Address {
        Address::module("slashed")
    }
    /// Rewards whose claim window closed unclaimed.
    pub fn unclaimed() -> Address {
        Address::module("unclaimed")
    }
    /// Storage deals' escrow not yet paid to providers or refunded.
    pub fn storage_escrow() -> Address {
        Address::module("storage_escrow")
    }
    /// Training tasks' budgets not yet paid to participants or refunded.
    pub fn training_escrow() -> Address {
        Address::module("training_escrow")
    }
    /// Compute orders' escrow and providers' bid bonds not yet paid out, returned or slashed.
    pub fn market_escrow() -> Address {
        Address::module("market_escrow")
    }
}
