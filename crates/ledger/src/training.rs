//! Federated training tasks: a sponsor escrows a budget, participants join, and the task's
//! coordinator submits each round's result, which pays that round's share of the budget by
//! score.
//!
//! Rules (each is implemented by the function named beside it):
//! - Escrow rule (`create_task`): the sponsor deposits the whole budget into the training
//!   escrow account when the task is made; the task is refused whole if it cannot.
//! - Join rule (`join`): any account may join a task that has not ended, once, while it has
//!   fewer than the most participants a task may have. A participant joining after round
//!   `r` was submitted takes part from round `r + 1`.
//! - Round rule (`submit_round`): only the task's coordinator submits rounds, in order from
//!   1, each scoring only accounts that joined. Round `r` pays `budget / rounds` (the last
//!   round also `budget % rounds`) split by score: participant `i` gets
//!   `floor(pot × score_i / Σ score)`; the rounding remainder, and the whole pot of a round
//!   where every score is zero, stay in escrow.
//! - Refund rule (`submit_round`, `cancel`): when the last round is submitted, or when the
//!   sponsor cancels the task, what the escrow still holds for it is refunded to the sponsor,
//!   so that `budget = paid + refunded` for every ended task, exactly.

use crate::bank::module_account;
use crate::codes::{TxCode, TxFailure};
use crate::overlay::StateOverlay;
use crate::state_key;
use plexus_store::StoreError;
use plexus_types::tx::MAX_TRAINING_PARTICIPANTS;
use plexus_types::{Address, Amount, Hash, TrainingRound, TrainingTaskTerms};
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
}

/// A training task as the chain keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrainingTask {
    pub id: u64,
    pub sponsor: Address,
    pub terms: TrainingTaskTerms,
    pub participants: Vec<Participant>,
    pub rounds: Vec<RoundResult>,
    pub paid: Amount,
    pub refunded: Amount,
    pub status: TaskStatus,
    pub created_height: u64,
}

impl TrainingTask {
    /// Rounds submitted so far.
    pub fn rounds_done(&self) -> u32 {
        self.rounds.len() as u32
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
        let rounds = self.terms.rounds as u128;
        let base = self.terms.budget.0 / rounds;
        if round == self.terms.rounds {
            Amount(base + self.terms.budget.0 % rounds)
        } else {
            Amount(base)
        }
    }

    pub fn is_open(&self) -> bool {
        self.status == TaskStatus::Open
    }
}

/// Running totals of training escrow: `escrowed = paid + refunded + held`, where `held` is
/// the training escrow account's balance.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct TrainingTotals {
    pub escrowed: Amount,
    pub paid: Amount,
    pub refunded: Amount,
}

fn corrupt(what: &str) -> StoreError {
    StoreError::Corrupt(format!("training accounting: {what}"))
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

fn update_totals(
    state: &mut StateOverlay<'_>,
    f: impl FnOnce(&mut TrainingTotals) -> Option<()>,
) -> Result<(), StoreError> {
    let mut t: TrainingTotals = state
        .get_json(&state_key::training_totals())?
        .unwrap_or_default();
    f(&mut t).ok_or_else(|| corrupt("totals overflow"))?;
    state.set_json(state_key::training_totals(), &t);
    Ok(())
}

/// Escrow rule: makes a task for `sponsor`.
pub(crate) fn create_task(
    state: &mut StateOverlay<'_>,
    height: u64,
    sponsor: &Address,
    terms: &TrainingTaskTerms,
) -> Result<(), TxFailure> {
    if !state.move_funds(sponsor, &module_account::training_escrow(), terms.budget)? {
        return fail(
            TxCode::InsufficientFunds,
            format!("sponsor cannot deposit a budget of {} uplx", terms.budget),
        );
    }
    let id = state.get_u64(&state_key::training_task_count())?;
    let task = TrainingTask {
        id,
        sponsor: *sponsor,
        terms: terms.clone(),
        participants: Vec::new(),
        rounds: Vec::new(),
        paid: Amount::ZERO,
        refunded: Amount::ZERO,
        status: TaskStatus::Open,
        created_height: height,
    };
    save(state, &task);
    state.set_u64(state_key::training_task_count(), id + 1);
    update_totals(state, |t| {
        t.escrowed = t.escrowed.checked_add(terms.budget)?;
        Some(())
    })?;
    Ok(())
}

/// Join rule.
pub(crate) fn join(
    state: &mut StateOverlay<'_>,
    account: &Address,
    id: u64,
) -> Result<(), TxFailure> {
    let mut task = load(state, id)?;
    if !task.is_open() {
        return fail(TxCode::TaskEnded, format!("training task {id} has ended"));
    }
    if task.participants.iter().any(|p| p.account == *account) {
        return fail(
            TxCode::AlreadyJoined,
            format!("{account} already takes part in training task {id}"),
        );
    }
    if task.participants.len() >= MAX_TRAINING_PARTICIPANTS as usize {
        return fail(
            TxCode::TaskFull,
            format!("training task {id} has {MAX_TRAINING_PARTICIPANTS} participants"),
        );
    }
    task.participants.push(Participant {
        account: *account,
        from_round: task.rounds_done() + 1,
        earned: Amount::ZERO,
    });
    save(state, &task);
    Ok(())
}

/// Round rule, and the refund rule after the last round.
pub(crate) fn submit_round(
    state: &mut StateOverlay<'_>,
    height: u64,
    sender: &Address,
    result: &TrainingRound,
) -> Result<(), TxFailure> {
    let mut task = load(state, result.task)?;
    if task.terms.coordinator != *sender {
        return fail(
            TxCode::Unauthorized,
            format!(
                "only training task {}'s coordinator submits rounds",
                task.id
            ),
        );
    }
    if !task.is_open() {
        return fail(
            TxCode::TaskEnded,
            format!("training task {} has ended", task.id),
        );
    }
    let expected = task.rounds_done() + 1;
    if result.round != expected {
        return fail(
            TxCode::WrongRound,
            format!(
                "training task {} expects round {expected}, not {}",
                task.id, result.round
            ),
        );
    }
    for s in &result.scores {
        let joined = task
            .participants
            .iter()
            .any(|p| p.account == s.participant && p.from_round <= result.round);
        if !joined {
            return fail(
                TxCode::NotAParticipant,
                format!(
                    "{} does not take part in round {} of training task {}",
                    s.participant, result.round, task.id
                ),
            );
        }
    }
    let pot = task.pot(result.round);
    let total: u128 = result.scores.iter().map(|s| s.score as u128).sum();
    let mut shares = Vec::with_capacity(result.scores.len());
    let mut paid = Amount::ZERO;
    for s in &result.scores {
        let Some(product) = pot.0.checked_mul(s.score as u128) else {
            return fail(
                TxCode::Overflow,
                "round pot × score exceeds the largest amount".into(),
            );
        };
        // Every score zero: the round pays nothing and its pot waits for the refund.
        let amount = Amount(product.checked_div(total).unwrap_or(0));
        if amount > Amount::ZERO
            && !state.move_funds(&module_account::training_escrow(), &s.participant, amount)?
        {
            return Err(corrupt("escrow cannot pay a round").into());
        }
        paid = paid
            .checked_add(amount)
            .ok_or_else(|| corrupt("paid overflows"))?;
        if let Some(p) = task
            .participants
            .iter_mut()
            .find(|p| p.account == s.participant)
        {
            p.earned = p
                .earned
                .checked_add(amount)
                .ok_or_else(|| corrupt("earned overflows"))?;
        }
        shares.push(crate::training::RoundShare {
            participant: s.participant,
            score: s.score,
            paid: amount,
        });
    }
    task.paid = task
        .paid
        .checked_add(paid)
        .ok_or_else(|| corrupt("task paid overflows"))?;
    task.rounds.push(RoundResult {
        round: result.round,
        model: result.model,
        record: result.record,
        accuracy_ppm: result.accuracy_ppm,
        loss_micro: result.loss_micro,
        pot,
        paid,
        shares,
        height,
    });
    update_totals(state, |t| {
        t.paid = t.paid.checked_add(paid)?;
        Some(())
    })?;
    if result.round == task.terms.rounds {
        refund(state, &mut task, TaskStatus::Finished { height })?;
    }
    save(state, &task);
    Ok(())
}

/// Refund rule, on the sponsor's request.
pub(crate) fn cancel(
    state: &mut StateOverlay<'_>,
    height: u64,
    sender: &Address,
    id: u64,
) -> Result<(), TxFailure> {
    let mut task = load(state, id)?;
    if task.sponsor != *sender {
        return fail(
            TxCode::Unauthorized,
            format!("only training task {id}'s sponsor cancels it"),
        );
    }
    if !task.is_open() {
        return fail(TxCode::TaskEnded, format!("training task {id} has ended"));
    }
    refund(state, &mut task, TaskStatus::Cancelled { height })?;
    save(state, &task);
    Ok(())
}

fn refund(
    state: &mut StateOverlay<'_>,
    task: &mut TrainingTask,
    status: TaskStatus,
) -> Result<(), StoreError> {
    let rest = task.held().ok_or_else(|| corrupt("paid exceeds budget"))?;
    if rest > Amount::ZERO
        && !state.move_funds(&module_account::training_escrow(), &task.sponsor, rest)?
    {
        return Err(corrupt("escrow cannot refund a task"));
    }
    task.refunded = rest;
    task.status = status;
    update_totals(state, |t| {
        t.refunded = t.refunded.checked_add(rest)?;
        Some(())
    })
}
