//! The devnet's summary, as JSON or as the lines a person reads.

use super::Summary;

/// Prints the summary: pretty JSON with `json`, else a line per section.
pub fn print(s: &Summary, json: bool) {
    if json {
        crate::print_json(s);
        return;
    }
    println!(
        "stopped at height {} · app hash {} · {} txs committed ({} this run)",
        s.height, s.app_hash, s.txs_committed, s.txs_committed_this_run
    );
    if s.oracles > 1 {
        let finals = s.oracle_epochs.iter().filter(|e| e.is_final).count();
        println!(
            "oracles: {} (threshold {}) · {} of {} closed epochs final · {}",
            s.oracles,
            s.oracle_threshold,
            finals,
            s.oracle_epochs.len(),
            if s.oracles_agree {
                "every epoch's roots identical"
            } else {
                "THE ORACLES DISAGREE"
            }
        );
    }
    if let Some(s) = &s.storage {
        println!(
            "storage: blob {} · escrow {} = paid {} + refunded {} + held {} ({})",
            s.blob,
            s.accounting.totals.escrowed.to_plx_string(),
            s.accounting.totals.paid.to_plx_string(),
            s.accounting.totals.refunded.to_plx_string(),
            s.accounting.held.to_plx_string(),
            crate::balance_word(s.accounting_balanced)
        );
        for d in &s.devices {
            println!(
                "  {}  {:<14} {} · failed challenges in epochs {:?}",
                &d.device.to_string()[..16],
                d.behaviour,
                if d.keeps_replica {
                    "keeps a replica"
                } else {
                    "keeps no replica"
                },
                d.failed_epochs
            );
        }
    }
    for d in &s.bandwidth {
        let tiers: Vec<String> = d
            .epochs
            .iter()
            .map(|(e, b)| {
                format!(
                    "e{e}: {} tests, {:.0}/{:.0} Mbps, {} ms, tier {}",
                    b.tests, b.download_mbps, b.upload_mbps, b.latency_ms, b.tier
                )
            })
            .collect();
        println!(
            "bandwidth {} {:<9} earned {:>14} · {}",
            &d.device.to_string()[..16],
            d.behaviour,
            d.rewards.to_plx_string(),
            tiers.join(" · ")
        );
    }
    if let Some(w) = &s.wireless {
        crate::wireless::print(w);
    }
    crate::sensors::print_sections(s.sensors.as_ref(), s.data_market.as_ref());
    if let Some(t) = &s.training {
        crate::training::print(t);
    }
    if let Some(j) = &s.jobs {
        crate::jobs::print(j);
    }
    if let Some(h) = &s.honest {
        crate::cheaters::print(&s.adversaries, h);
    }
    if s.validators.len() > 1 {
        for (i, v) in s.validators.iter().enumerate() {
            println!(
                "  validator {i}: height {} · app hash {} · {}",
                v.height,
                v.app_hash,
                if v.agrees {
                    "agrees with validator 0"
                } else {
                    "DISAGREES with validator 0"
                }
            );
        }
    }
    if !s.devices.is_empty() {
        println!(
            "{} epochs finalized · minted {} = paid {} + unclaimed {} + dust {} + slashed {}",
            s.epochs_finalized,
            s.minted.to_plx_string(),
            s.paid.to_plx_string(),
            s.unclaimed.to_plx_string(),
            s.dust.to_plx_string(),
            s.slashed.to_plx_string()
        );
        for d in &s.devices {
            println!(
                "  {}  {:<10} {:<24} earned {:>14} · claimed {:>14} · {}",
                &d.id.to_string()[..16],
                d.class,
                d.behaviour,
                d.rewards.to_plx_string(),
                d.claimed.to_plx_string(),
                d.status
            );
        }
    }
}
