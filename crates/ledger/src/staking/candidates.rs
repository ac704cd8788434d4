//! The candidates of the validator set: at most [`MAX_VALIDATOR_CANDIDATES`] validators with
//! bonded stake, so that an epoch's end reads a bounded number of records. When the list is
//! full, a validator that bonds more than the smallest candidate takes its place; the one
//! left out keeps its stake and comes back by outweighing the smallest in turn. So filling
//! the list with small validators keeps no larger one out.

use super::{load_operator, state_key, Operator, OperatorKind, MAX_VALIDATOR_CANDIDATES};
use crate::codes::{TxCode, TxFailure};
use crate::id_set::IdSet;
use crate::overlay::StateOverlay;
use plexus_types::{Address, Amount};

pub(crate) fn candidates() -> IdSet {
    IdSet(state_key::candidates())
}

/// Makes `op` (just saved, its stake just raised) a candidate if it is a validator with
/// stake, taking the place of the smallest candidate when the list is full and `op` outweighs
/// it. Refuses the bond when `op` outweighs none.
pub(crate) fn join_candidates(
    state: &mut StateOverlay<'_>,
    op: &Operator,
) -> Result<(), TxFailure> {
    let set = candidates();
    if op.kind != OperatorKind::Validator
        || op.tokens == Amount::ZERO
        || set.contains(state, op.id)?
    {
        return Ok(());
    }
    if set.len(state)? >= MAX_VALIDATOR_CANDIDATES as u64 {
        let (smallest, tokens, _) = smallest(state)?;
        if op.tokens <= tokens {
            return Err(TxFailure::new(
                TxCode::TooManyValidators,
                format!(
                    "{MAX_VALIDATOR_CANDIDATES} validators hold stake, the smallest {tokens}: \
                     a new one must bond more"
                ),
            ));
        }
        set.remove(state, smallest)?;
    }
    set.insert(state, op.id)?;
    Ok(())
}

/// Takes `op` off the candidates once it holds no stake.
pub(crate) fn leave_candidates_if_empty(
    state: &mut StateOverlay<'_>,
    op: &Operator,
) -> Result<(), TxFailure> {
    if op.tokens == Amount::ZERO {
        candidates().remove(state, op.id)?;
    }
    Ok(())
}

/// The candidate the set would rank last: the least stake, then the greatest address.
fn smallest(state: &StateOverlay<'_>) -> Result<(u64, Amount, Address), TxFailure> {
    let set = candidates();
    let mut last: Option<(u64, Amount, Address)> = None;
    for slot in 0..set.len(state)? {
        let id = set.at(state, slot)?;
        let address = state
            .get(&state_key::operator_by_id(id))?
            .and_then(|b| Address::from_slice(&b).ok())
            .ok_or_else(|| TxFailure::broken(format_args!("operator {id} has no address")))?;
        let op = load_operator(state, &address)?
            .ok_or_else(|| TxFailure::broken(format_args!("operator {address} is missing")))?;
        let below = match &last {
            None => true,
            Some((_, tokens, addr)) => {
                (op.tokens, std::cmp::Reverse(address)) < (*tokens, std::cmp::Reverse(*addr))
            }
        };
        if below {
            last = Some((id, op.tokens, address));
        }
    }
    last.ok_or_else(|| TxFailure::broken("a full list of candidates is empty"))
}
