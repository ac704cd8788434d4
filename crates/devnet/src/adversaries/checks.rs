//! What became of the adversaries that attack re-execution from inside the market: the sybil
//! checkers (drawn to check honest runs, they lie) and the late submitter (it times wrong
//! results to a draw it cannot know), read from the chain's orders and leases.

use super::{Adversary, AdversaryReport};
use crate::agents::AgentDevice;
use plexus_ledger::market::{Check, Lease, LeaseRole, MIN_BID_DEPOSIT};
use plexus_ledger::query;
use plexus_store::Store;
use plexus_types::Address;
use std::collections::BTreeSet;

/// Every lease of every order on chain.
pub(super) fn all_leases(store: &Store) -> anyhow::Result<Vec<Lease>> {
    let mut leases = Vec::new();
    let count = query::market_order_count(store)?;
    let mut from = 0;
    while from < count {
        let page = query::market_orders(store, from, 256)?;
        if page.is_empty() {
            break;
        }
        for order in &page {
            for id in &order.leases {
                leases.extend(query::market_lease(store, *id)?);
            }
        }
        from = page.last().map_or(count, |o| o.id + 1);
    }
    Ok(leases)
}

/// The owners of the devices that play `role`.
pub(super) fn owners_of(
    store: &Store,
    devices: &[AgentDevice],
    role: &str,
) -> anyhow::Result<BTreeSet<Address>> {
    let mut owners = BTreeSet::new();
    for (key, r) in devices {
        if r == role {
            if let Some(d) = query::device(store, key)? {
                owners.insert(d.owner);
            }
        }
    }
    Ok(owners)
}

fn checks_of(lease: &Lease) -> Option<u64> {
    match lease.role {
        LeaseRole::Verifier { of } | LeaseRole::Referee { of, .. } => Some(of),
        LeaseRole::Run => None,
    }
}

/// The sybil checkers: how often the draw made them checkers, how their lies ended, and
/// whether any honest run lost its bond to them.
pub fn sybil_report(store: &Store, devices: &[AgentDevice]) -> anyhow::Result<AdversaryReport> {
    let kind = Adversary::SybilCheckers;
    let sybils = owners_of(store, devices, kind.name())?;
    let leases = all_leases(store)?;
    let checked = leases.iter().filter(|l| checks_of(l).is_some()).count();
    let drawn: Vec<&Lease> = leases
        .iter()
        .filter(|l| sybils.contains(&l.provider) && checks_of(l).is_some())
        .collect();
    let lied = drawn.iter().filter(|l| l.output.is_some()).count();
    let lies_slashed = drawn.iter().filter(|l| l.check == Check::Wrong).count();
    // An honest run shown wrong with a sybil on its chain of checks: a captured check.
    let captured = leases
        .iter()
        .filter(|run| {
            run.role == LeaseRole::Run
                && run.check == Check::Wrong
                && !sybils.contains(&run.provider)
                && drawn.iter().any(|c| checks_of(c) == Some(run.id))
        })
        .count();
    let runs_won = leases
        .iter()
        .filter(|l| sybils.contains(&l.provider) && l.role == LeaseRole::Run)
        .count();
    let barred = sybils
        .iter()
        .map(|a| query::market_provider(store, a))
        .collect::<Result<Vec<_>, _>>()?
        .iter()
        .filter(|r| r.banned())
        .count();
    Ok(AdversaryReport {
        kind,
        tried: format!(
            "{} addresses bid for every order bonding the least a bid may ({}), against {} per honest bid, and lie about every result they are drawn to check",
            sybils.len(),
            MIN_BID_DEPOSIT.to_plx_string(),
            crate::agents::HONEST_BID_DEPOSIT.to_plx_string()
        ),
        outcome: vec![
            format!(
                "drawn for {} of {checked} checks; {lied} lies published, {lies_slashed} overturned by a referee (bond slashed); {barred} of its addresses barred; {runs_won} runs won",
                drawn.len()
            ),
            format!("honest runs shown wrong through a captured check: {captured}"),
        ],
        held: captured == 0,
    })
}

/// The late submitter: its runs, how many of its results past probation the later block's
/// draw sampled although it sealed each when its prediction said no check, how many it hid
/// from their checks (bonds forfeited), and how many of its wrong results were accepted.
pub fn late_report(
    store: &Store,
    devices: &[AgentDevice],
    wrong_orders: &[u64],
) -> anyhow::Result<AdversaryReport> {
    let kind = Adversary::LateSubmitter;
    let owners = owners_of(store, devices, kind.name())?;
    let leases = all_leases(store)?;
    let runs: Vec<&Lease> = leases
        .iter()
        .filter(|l| owners.contains(&l.provider) && l.role == LeaseRole::Run)
        .filter(|l| l.sealed.is_some())
        .collect();
    let count = |check: Check| runs.iter().filter(|l| l.check == check).count();
    let wrong_accepted = runs
        .iter()
        .filter(|l| l.check == Check::Unchecked && wrong_orders.contains(&l.order))
        .count();
    let barred = owners
        .iter()
        .map(|a| query::market_provider(store, a))
        .collect::<Result<Vec<_>, _>>()?
        .iter()
        .filter(|r| r.banned())
        .count();
    let caught = count(Check::Wrong);
    let hidden = count(Check::Forfeited);
    Ok(AdversaryReport {
        kind,
        tried: format!(
            "after {} honest runs, returns wrong outputs, seals each only when the sample draw it predicts from the chain's tip says \"not checked\", and hides each from a check that seals",
            plexus_agent::HONEST_RUNS_FIRST
        ),
        outcome: vec![
            format!(
                "{} results: {} confirmed, {caught} shown wrong (bond slashed), {hidden} hidden from a check (bond forfeited), {} accepted unchecked, {} undecided; barred: {}",
                runs.len(),
                count(Check::Confirmed),
                count(Check::Unchecked),
                count(Check::Pending) + count(Check::Drawing) + count(Check::Revealing),
                if barred > 0 { "yes" } else { "no" }
            ),
            format!(
                "wrong results accepted unchecked before it was caught: {wrong_accepted} (each paid for by its lost bond of {})",
                crate::agents::HONEST_BID_DEPOSIT.to_plx_string()
            ),
        ],
        held: caught + hidden > 0 || wrong_accepted == 0,
    })
}
