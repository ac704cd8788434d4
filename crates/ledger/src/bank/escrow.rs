//! Escrow: tokens a payer locks in a module account for a purpose (storage deals, training
//! budgets, compute orders), later released to payees or refunded, with running totals that
//! account for every locked unit.

use super::BankState;
use crate::codes::TxFailure;
use crate::overlay::StateOverlay;
use plexus_store::StoreError;
use plexus_types::{Address, Amount};
use serde::{Deserialize, Serialize};

/// The module account an escrow holds its tokens in, and the moves in and out of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Escrow {
    account: Address,
    /// Names the escrow in accounting errors.
    name: &'static str,
}

impl Escrow {
    pub(crate) const fn new(account: Address, name: &'static str) -> Escrow {
        Escrow { account, name }
    }

    /// Locks `amount` of `payer`'s tokens. False, and nothing moved, if the payer cannot pay.
    pub(crate) fn lock(
        &self,
        state: &mut StateOverlay<'_>,
        payer: &Address,
        amount: Amount,
    ) -> Result<bool, StoreError> {
        state.move_funds(payer, &self.account, amount)
    }

    /// Pays `amount` out of the escrow to `to` (a payee, a refunded payer, a fee or slash
    /// account). The escrow holding less is a broken invariant: a transaction that would
    /// overdraw it fails, saying `what` went wrong.
    pub(crate) fn pay_out(
        &self,
        state: &mut StateOverlay<'_>,
        to: &Address,
        amount: Amount,
        what: &str,
    ) -> Result<(), TxFailure> {
        if !state.move_funds(&self.account, to, amount)? {
            return Err(TxFailure::broken(format_args!(
                "{} accounting: {what}",
                self.name
            )));
        }
        Ok(())
    }
}

/// Running totals of one escrow: `escrowed = paid + refunded + held`, where `held` is what
/// the escrow account holds.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct EscrowTotals {
    pub escrowed: Amount,
    pub paid: Amount,
    pub refunded: Amount,
}

impl EscrowTotals {
    /// Records `amount` locked; `None` if the total would overflow.
    pub(crate) fn locked(&mut self, amount: Amount) -> Option<()> {
        self.escrowed = self.escrowed.checked_add(amount)?;
        Some(())
    }

    /// Records `amount` released to payees; `None` if the total would overflow.
    pub(crate) fn released(&mut self, amount: Amount) -> Option<()> {
        self.paid = self.paid.checked_add(amount)?;
        Some(())
    }

    /// Records `amount` refunded to payers; `None` if the total would overflow.
    pub(crate) fn refunded(&mut self, amount: Amount) -> Option<()> {
        self.refunded = self.refunded.checked_add(amount)?;
        Some(())
    }
}

/// Escrow totals and the escrow account's balance, as queries report them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EscrowAccounting {
    #[serde(flatten)]
    pub totals: EscrowTotals,
    pub held: Amount,
}

impl EscrowAccounting {
    /// Whether every escrowed unit is accounted for: `escrowed = paid + refunded + held`.
    pub fn balances(&self) -> bool {
        let t = &self.totals;
        [t.paid, t.refunded, self.held]
            .iter()
            .try_fold(0u128, |acc, a| acc.checked_add(a.0))
            == Some(t.escrowed.0)
    }
}
