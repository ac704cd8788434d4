//! The bank's action: a transfer.

use super::BankState;
use crate::codes::{TxCode, TxFailure};
use crate::overlay::StateOverlay;
use plexus_types::{Address, Amount};

/// Moves `amount` from the sender (after its fee) to `to`.
pub(crate) fn transfer(
    state: &mut StateOverlay<'_>,
    sender: &Address,
    to: &Address,
    amount: Amount,
) -> Result<(), TxFailure> {
    let balance = state.account(sender)?.balance;
    if balance < amount {
        return Err(TxFailure::new(
            TxCode::InsufficientFunds,
            format!("balance {balance} after fee, transfer of {amount}"),
        ));
    }
    if !state.move_funds(sender, to, amount)? {
        return Err(TxFailure::new(
            TxCode::Overflow,
            format!("balance of {to} overflows"),
        ));
    }
    Ok(())
}
