//! The link sharer: two bandwidth devices of two owners on one link (one address, a speed test
//! server each), out to be paid for the link twice. Devices tested at one address are one link
//! (rule B8), so in no epoch do both earn.

use super::{Adversary, AdversaryReport};
use crate::summary::Summary;
use plexus_types::Amount;

pub fn link_report(summary: &Summary) -> AdversaryReport {
    let kind = Adversary::LinkSharer;
    let sharers: Vec<_> = summary
        .bandwidth
        .iter()
        .filter(|d| d.behaviour == kind.name())
        .collect();
    let honest: Vec<_> = summary
        .bandwidth
        .iter()
        .filter(|d| d.behaviour == "honest")
        .collect();
    let epochs: std::collections::BTreeSet<u64> = sharers
        .iter()
        .flat_map(|d| d.epochs.keys().copied())
        .collect();
    let paid_twice = epochs
        .iter()
        .filter(|e| {
            sharers
                .iter()
                .filter(|d| d.epochs.get(e).is_some_and(|b| b.earned > Amount::ZERO))
                .count()
                > 1
        })
        .count();
    let earned: Vec<String> = sharers
        .iter()
        .map(|d| {
            format!(
                "{} earned {}",
                &d.device.to_string()[..16],
                d.rewards.to_plx_string()
            )
        })
        .collect();
    let best_honest = honest
        .iter()
        .map(|d| d.rewards)
        .max()
        .unwrap_or(Amount::ZERO);
    AdversaryReport {
        kind,
        tried: format!(
            "{} bandwidth devices of {} owners on one address, each with a speed test server of its own",
            sharers.len(),
            sharers.len()
        ),
        outcome: vec![
            format!(
                "{} (an honest link earned {}); epochs in which more than one of them earned: {paid_twice} of {}",
                earned.join(", "),
                best_honest.to_plx_string(),
                epochs.len()
            ),
        ],
        held: paid_twice == 0,
    }
}
