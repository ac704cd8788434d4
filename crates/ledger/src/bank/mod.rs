//! The bank: accounts and their fixed binary encoding, the module accounts, the supply, and
//! the one action that only moves tokens (a transfer).
//!
//! Every component moves tokens through [`BankState`], so that what is minted, moved and held
//! is written in one place.

mod actions;
mod escrow;
pub mod query;
pub mod state_key;

pub(crate) use actions::transfer;
pub(crate) use escrow::Escrow;
pub use escrow::{EscrowAccounting, EscrowTotals};

use crate::overlay::StateOverlay;
use plexus_store::StoreError;
use plexus_types::{Address, Amount};

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
    /// Training tasks' budgets and participants' join bonds not yet paid out or returned.
    pub fn training_escrow() -> Address {
        Address::module("training_escrow")
    }
    /// Compute orders' escrow and providers' bid bonds not yet paid out, returned or slashed.
    pub fn market_escrow() -> Address {
        Address::module("market_escrow")
    }

    /// Fees burned: taken out of circulation for good, and kept here so that the supply
    /// still adds up to every balance.
    pub fn burned() -> Address {
        Address::module("burned")
    }

    /// Stake bonded to validators and oracles, and stake unbonding from them.
    pub fn staking() -> Address {
        Address::module("staking")
    }
    /// Validators' and delegators' staking rewards and commissions not yet withdrawn.
    pub fn staking_rewards() -> Address {
        Address::module("staking_rewards")
    }

    /// What the data market's sales took and the devices that measured have not yet been paid.
    pub fn data_market() -> Address {
        Address::module("data_market")
    }

    /// How many module accounts there are.
    pub const COUNT: usize = 13;

    /// Every module account.
    pub fn all() -> [Address; COUNT] {
        [
            fee_pool(),
            stake(),
            rewards(),
            dust(),
            slashed(),
            unclaimed(),
            storage_escrow(),
            training_escrow(),
            market_escrow(),
            staking(),
            staking_rewards(),
            data_market(),
            burned(),
        ]
    }

    /// Whether `address` is a module account. The addresses are derived once: every transfer
    /// asks.
    pub fn is_module(address: &Address) -> bool {
        static ALL: std::sync::LazyLock<[Address; COUNT]> = std::sync::LazyLock::new(all);
        ALL.contains(address)
    }
}

/// The stored supply (16 bytes, big-endian); zero before genesis.
pub(crate) fn decode_supply(bytes: Option<Vec<u8>>) -> Amount {
    bytes
        .and_then(|b| {
            b.try_into()
                .ok()
                .map(|a: [u8; 16]| Amount(u128::from_be_bytes(a)))
        })
        .unwrap_or_default()
}

/// Accounts, transfers and minting on the state a block is building.
pub(crate) trait BankState {
    /// An account (a never-seen address is an empty account).
    fn account(&self, address: &Address) -> Result<Account, StoreError>;
    fn set_account(&mut self, address: &Address, account: Account);
    /// Moves `amount` from one account to another; false (and nothing moved) if `from` holds
    /// too little or `to` would overflow.
    fn move_funds(
        &mut self,
        from: &Address,
        to: &Address,
        amount: Amount,
    ) -> Result<bool, StoreError>;
    /// Creates `amount` new tokens in `to`, raising the supply.
    fn mint(&mut self, to: &Address, amount: Amount) -> Result<(), StoreError>;
    /// Total tokens in existence.
    fn supply(&self) -> Result<Amount, StoreError>;
}

impl BankState for StateOverlay<'_> {
    fn account(&self, address: &Address) -> Result<Account, StoreError> {
        Ok(self
            .get(&state_key::account(address))?
            .and_then(|b| Account::decode(&b))
            .unwrap_or_default())
    }

    fn set_account(&mut self, address: &Address, account: Account) {
        self.set(state_key::account(address), account.encode());
    }

    fn move_funds(
        &mut self,
        from: &Address,
        to: &Address,
        amount: Amount,
    ) -> Result<bool, StoreError> {
        let mut source = self.account(from)?;
        let Some(left) = source.balance.checked_sub(amount) else {
            return Ok(false);
        };
        source.balance = left;
        self.set_account(from, source);
        let mut dest = self.account(to)?;
        match dest.balance.checked_add(amount) {
            Some(b) => {
                dest.balance = b;
                self.set_account(to, dest);
                Ok(true)
            }
            None => {
                source.balance = source.balance.checked_add(amount).unwrap_or(source.balance);
                self.set_account(from, source);
                Ok(false)
            }
        }
    }

    fn mint(&mut self, to: &Address, amount: Amount) -> Result<(), StoreError> {
        let supply = self.supply()?;
        let new_supply = supply
            .checked_add(amount)
            .ok_or_else(|| StoreError::Corrupt("supply would overflow".into()))?;
        let mut dest = self.account(to)?;
        dest.balance = dest
            .balance
            .checked_add(amount)
            .ok_or_else(|| StoreError::Corrupt("balance would overflow".into()))?;
        self.set_account(to, dest);
        self.set(state_key::supply(), new_supply.0.to_be_bytes().to_vec());
        Ok(())
    }

    fn supply(&self) -> Result<Amount, StoreError> {
        Ok(decode_supply(self.get(&state_key::supply())?))
    }
}
