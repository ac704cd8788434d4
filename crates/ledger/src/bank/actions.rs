//! The bank's action: a transfer.

use super::{module_account, BankState};
use crate::codes::{TxCode, TxFailure};
use crate::overlay::StateOverlay;
use plexus_types::{Address, Amount};

/// Moves `amount` from the sender (after its fee) to `to`. A module account takes funds only
/// through its component's rules, which book every unit; a transfer into one would sit
/// outside those books and leave them unbalanced, so it is refused.
pub(crate) fn transfer(
    state: &mut StateOverlay<'_>,
    sender: &Address,
    to: &Address,
    amount: Amount,
) -> Result<(), TxFailure> {
    if module_account::is_module(to) {
        return Err(TxFailure::new(
            TxCode::Unauthorized,
            format!("{to} is a module account: it takes funds only through its component's rules"),
        ));
    }
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
