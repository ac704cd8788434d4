//! Training's actions: a sponsor's task, joining it, a coordinator's round, and cancelling.

use super::{
    corrupt, escrow_account, fail, load, save, state_key, update_totals, Participant, RoundResult,
    RoundShare, TaskStatus, TrainingTask,
};
use crate::bank::module_account;
use crate::codes::{TxCode, TxFailure};
use crate::overlay::StateOverlay;
use plexus_rewards::training::split_by_score;
use plexus_types::tx::{MAX_TRAINING_PARTICIPANTS, TRAINING_JOIN_BOND};
use plexus_types::{Address, Amount, TrainingRound, TrainingTaskTerms};

/// Escrow rule: makes a task for `sponsor`.
pub(crate) fn create_task(
    state: &mut StateOverlay<'_>,
    height: u64,
    sponsor: &Address,
    terms: &TrainingTaskTerms,
) -> Result<(), TxFailure> {
    if !escrow_account().lock(state, sponsor, terms.budget)? {
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
        rounds_done: 0,
        paid: Amount::ZERO,
        refunded: Amount::ZERO,
        status: TaskStatus::Open,
        created_height: height,
    };
    save(state, &task);
    let next = id
        .checked_add(1)
        .ok_or_else(|| TxFailure::overflow("the training task count"))?;
    state.set_u64(state_key::training_task_count(), next);
    update_totals(state, |t| t.locked(terms.budget))?;
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
    if !escrow_account().lock(state, account, TRAINING_JOIN_BOND)? {
        return fail(
            TxCode::InsufficientFunds,
            format!(
                "{account} cannot lock the join bond of {TRAINING_JOIN_BOND} uplx for training task {id}"
            ),
        );
    }
    update_totals(state, |t| t.locked(TRAINING_JOIN_BOND))?;
    task.participants.push(Participant {
        account: *account,
        from_round: task.rounds_done() + 1,
        earned: Amount::ZERO,
        bond: TRAINING_JOIN_BOND,
        bond_forfeit: false,
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
    let scores: Vec<u64> = result.scores.iter().map(|s| s.score).collect();
    // Every score zero: the round pays nothing and its pot waits for the refund.
    let Some(amounts) = split_by_score(pot.0, &scores) else {
        return fail(
            TxCode::Overflow,
            "round pot × score exceeds the largest amount".into(),
        );
    };
    let mut shares = Vec::with_capacity(result.scores.len());
    let mut paid = Amount::ZERO;
    for (s, amount) in result.scores.iter().zip(amounts) {
        let amount = Amount(amount);
        if amount > Amount::ZERO {
            escrow_account().pay_out(state, &s.participant, amount, "escrow cannot pay a round")?;
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
        shares.push(RoundShare {
            participant: s.participant,
            score: s.score,
            paid: amount,
        });
    }
    task.paid = task
        .paid
        .checked_add(paid)
        .ok_or_else(|| corrupt("task paid overflows"))?;
    task.rounds_done = result.round;
    let round = RoundResult {
        round: result.round,
        model: result.model,
        record: result.record,
        accuracy_ppm: result.accuracy_ppm,
        loss_micro: result.loss_micro,
        pot,
        paid,
        shares,
        height,
    };
    state.set_json(state_key::training_round(task.id, round.round), &round);
    update_totals(state, |t| t.released(paid))?;
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
) -> Result<(), TxFailure> {
    let rest = task.held().ok_or_else(|| corrupt("paid exceeds budget"))?;
    if rest > Amount::ZERO {
        escrow_account().pay_out(state, &task.sponsor, rest, "escrow cannot refund a task")?;
    }
    task.refunded = rest;
    task.status = status;
    update_totals(state, |t| t.refunded(rest))?;
    settle_bonds(state, task)
}

/// Bond rule: returns or forfeits each participant's bond as its task ends.
fn settle_bonds(state: &mut StateOverlay<'_>, task: &mut TrainingTask) -> Result<(), TxFailure> {
    let rounds_done = task.rounds_done();
    let (mut returned, mut forfeit) = (Amount::ZERO, Amount::ZERO);
    for p in &mut task.participants {
        if p.bond == Amount::ZERO {
            continue;
        }
        let never_due = p.from_round > rounds_done;
        let (to, total) = if p.earned > Amount::ZERO || never_due {
            (p.account, &mut returned)
        } else {
            p.bond_forfeit = true;
            (module_account::fee_pool(), &mut forfeit)
        };
        escrow_account().pay_out(state, &to, p.bond, "escrow cannot settle a join bond")?;
        *total = total
            .checked_add(p.bond)
            .ok_or_else(|| corrupt("bonds overflow"))?;
    }
    update_totals(state, |t| {
        t.refunded(returned)?;
        t.released(forfeit)
    })
}
