//! Federated training tasks: a sponsor escrows a budget, participants join, and the task's
//! coordinator submits each round's result, which pays that round's share of the budget by
//! score.
//!
//! Rules (each is implemented by the function named beside it):
//! - Escrow rule (`create_task`): the sponsor deposits the whole budget into the training
//!   escrow account when the task is made; the task is refused whole if it cannot.
//! - Join rule (`join`): any account may join a task that has not ended, once, while it has
//!   fewer than the most participants a task may have, by locking the join bond
//!   (`TRAINING_JOIN_BOND`) in the training escrow. A participant joining after round `r`
//!   was submitted takes part from round `r + 1`.
//! - Round rule (`submit_round`): only the task's coordinator submits rounds, in order from
//!   1, each scoring only accounts that joined. Round `r` pays `budget / rounds` (the last
//!   round also `budget % rounds`) split by score: participant `i` gets
//!   `floor(pot × score_i / Σ score)`; the rounding remainder, and the whole pot of a round
//!   where every score is zero, stay in escrow. The arithmetic is `plexus_rewards::training`'s
//!   T1 and T2.
//! - Refund rule (`submit_round`, `cancel`): when the last round is submitted, or when the
//!   sponsor cancels the task, what the escrow still holds for it is refunded to the sponsor,
//!   so that `budget = paid + refunded` for every ended task, exactly.
//! - Bond rule (`settle_bonds`, when a task ends either way): a participant's bond is
//!   returned if it earned from the task, or if no round it was due in was submitted; it is
//!   forfeit to the fee pool otherwise (it took a slot and was paid nothing: it sent no update
//!   the coordinator would score). The fee pool, not the sponsor, takes it, so that no party
//!   of the task gains by scoring a participant zero. The training totals count bonds as
//!   escrowed when locked, refunded when returned and paid when forfeit.

mod actions;
pub mod query;
pub mod state_key;

pub(crate) use actions::{cancel, create_task, join, submit_round};

use crate::bank::{module_account, Escrow, EscrowTotals};
use crate::codes::{TxCode, TxFailure};
use crate::overlay::StateOverlay;
use plexus_rewards::training::round_pot;
use plexus_types::{Address, Amount, Hash, TrainingTaskTerms};
use serde::{Deserialize, Serialize};

/// Where a task stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "state")]
pub enum TaskStatus {
    /// Taking participants and rounds.
    Open,
    /// Every round was submitted; the rest of the budget was refunded.
    Finished { height: u64 },
    /// The sponsor ended it early; the rest of the budget was refunded.
    Cancelled { height: u64 },
}

/// One participant's share of a round.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoundShare {
    pub participant: Address,
    pub score: u64,
    pub paid: Amount,
}

/// A submitted round, as the chain keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoundResult {
    pub round: u32,
    pub model: Hash,
    pub record: Hash,
    pub accuracy_ppm: u32,
    pub loss_micro: u64,
    pub pot: Amount,
    pub paid: Amount,
    pub shares: Vec<RoundShare>,
    pub height: u64,
}

/// A participant and what it has been paid over the task.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Participant {
    pub account: Address,
    /// The first round it takes part in.
    pub from_round: u32,
    pub earned: Amount,
    /// The bond it locked to join.
    #[serde(default)]
    pub bond: Amount,
    /// Whether its bond went to the fee pool when the task ended.
    #[serde(default)]
    pub bond_forfeit: bool,
}

/// A training task as the chain keeps it. Its rounds are entries of their own
/// ([`state_key::training_round`]); the task keeps only how many there are.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrainingTask {
    pub id: u64,
    pub sponsor: Address,
    pub terms: TrainingTaskTerms,
    /// At most `MAX_TRAINING_PARTICIPANTS`.
    pub participants: Vec<Participant>,
    /// Rounds submitted so far.
    pub rounds_done: u32,
    pub paid: Amount,
    pub refunded: Amount,
    pub status: TaskStatus,
    pub created_height: u64,
}

impl TrainingTask {
    /// Rounds submitted so far.
    pub fn rounds_done(&self) -> u32 {
        self.rounds_done
    }

    /// Escrow not yet paid out or refunded.
    pub fn held(&self) -> Option<Amount> {
        self.terms
            .budget
            .checked_sub(self.paid.checked_add(self.refunded)?)
    }

    /// What round `round` (1-based) pays in all (budget / rounds, plus the remainder in the
    /// last round).
    pub fn pot(&self, round: u32) -> Amount {
        Amount(round_pot(self.terms.budget.0, self.terms.rounds, round))
    }

    pub fn is_open(&self) -> bool {
        self.status == TaskStatus::Open
    }
}

/// Running totals of training escrow, budgets and join bonds together: `escrowed = paid +
/// refunded + held`, where `held` is the training escrow account's balance. A forfeit bond
/// counts as paid (to the fee pool), a returned one as refunded.
pub type TrainingTotals = EscrowTotals;

/// Where tasks' budgets are held.
fn escrow_account() -> Escrow {
    Escrow::new(module_account::training_escrow(), "training")
}

fn corrupt(what: &str) -> TxFailure {
    TxFailure::broken(format_args!("training accounting: {what}"))
}

fn fail<T>(code: TxCode, log: String) -> Result<T, TxFailure> {
    Err(TxFailure::new(code, log))
}

fn load(state: &StateOverlay<'_>, id: u64) -> Result<TrainingTask, TxFailure> {
    match state.get_json(&state_key::training_task(id))? {
        Some(t) => Ok(t),
        None => fail(TxCode::UnknownTask, format!("no training task {id}")),
    }
}

fn save(state: &mut StateOverlay<'_>, task: &TrainingTask) {
    state.set_json(state_key::training_task(task.id), task);
}

/// Applies `f` to the running totals; a total that would overflow fails the transaction.
fn update_totals(
    state: &mut StateOverlay<'_>,
    f: impl FnOnce(&mut TrainingTotals) -> Option<()>,
) -> Result<(), TxFailure> {
    let mut t: TrainingTotals = state
        .get_json(&state_key::training_totals())?
        .unwrap_or_default();
    f(&mut t).ok_or_else(|| TxFailure::overflow("the training escrow's running total"))?;
    state.set_json(state_key::training_totals(), &t);
    Ok(())
}

#[cfg(test)]
mod tests;
