//! The table behind the charts: one row per epoch, in uplx, as CSV and JSON, and the summary
//! of a run.

use super::Economics;
use plexus_ledger::ResourceClass;
use serde::Serialize;
use std::fmt::Write as _;

/// A class's spread of per-device reward in one epoch, in uplx: the 10th percentile, the
/// median and the 90th percentile over every device of the class, unpaid ones counting 0.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Spread {
    pub p10: u128,
    pub median: u128,
    pub p90: u128,
}

impl Spread {
    /// The spread of `values` (reordered). Nearest rank: the value at ⌊q × (n − 1)⌋.
    pub fn of(values: &mut [u128]) -> Spread {
        if values.is_empty() {
            return Spread::default();
        }
        values.sort_unstable();
        let at = |per_cent: usize| values[(values.len() - 1) * per_cent / 100];
        Spread {
            p10: at(10),
            median: at(50),
            p90: at(90),
        }
    }
}

/// One epoch of a run. Amounts are uplx; "this epoch" is what happened during the epoch and
/// at its end; the `*_total` columns are running sums since genesis.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct EpochRow {
    pub epoch: u64,
    /// Minted at the end of this epoch.
    pub emission: u128,
    pub to_validators: u128,
    /// Remainder of the pool split.
    pub split_dust: u128,
    /// This epoch's pool of each resource class, in [`ResourceClass::ALL`] order.
    pub pools: Vec<u128>,
    /// Claims paid during this epoch (of the pools of earlier epochs).
    pub paid: u128,
    pub claims: u64,
    /// Settled at this epoch's end: rewards whose claim window closed unclaimed.
    pub expired: u128,
    /// Settled at this epoch's end: rounding the claims left in their pools.
    pub settle_dust: u128,
    /// Claim fees paid during this epoch; all go to the validators at its end.
    pub fees: u128,
    /// Genesis supply plus everything minted so far.
    pub supply: u128,
    /// Supply less bonded stake and what the reward module accounts hold (claimable,
    /// expired, dust).
    pub circulating: u128,
    /// The rewards account after this epoch's end: minted, not yet paid or settled.
    pub claimable: u128,
    /// Devices whose leaf in this epoch's manifests is worth something.
    pub devices_rewarded: u64,
    /// Per device class (in the fleet's class order): the spread of this epoch's reward.
    pub rewards: Vec<Spread>,
    pub minted_total: u128,
    pub paid_total: u128,
    pub dust_total: u128,
    pub expired_total: u128,
    pub to_validators_total: u128,
    pub fees_total: u128,
}

/// The figures of a whole run.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub devices: u64,
    pub epochs: u64,
    pub seed: u64,
    pub genesis_supply: u128,
    pub final_supply: u128,
    pub final_circulating: u128,
    pub minted: u128,
    pub paid: u128,
    pub to_validators: u128,
    pub fees: u128,
    pub expired: u128,
    pub dust: u128,
    pub claimable: u128,
    /// Epochs at whose start the emission halved (the first epoch of each new period).
    pub halvings_at: Vec<u64>,
    /// Devices of each class, in the fleet's class order.
    pub devices_by_class: Vec<(String, u64)>,
}

impl Economics {
    /// The table as CSV: a header line, then one line per epoch.
    pub fn csv(&self) -> String {
        let mut out = String::from(
            "epoch,emission,to_validators,split_dust,paid,claims,expired,settle_dust,fees,\
             supply,circulating,claimable,devices_paid",
        );
        for r in ResourceClass::ALL {
            let _ = write!(out, ",pool_{r}");
        }
        for c in &self.class_names {
            let _ = write!(out, ",p10_{c},median_{c},p90_{c}");
        }
        out.push_str(
            ",minted_total,paid_total,dust_total,expired_total,to_validators_total,fees_total\n",
        );
        for row in &self.rows {
            let r = row;
            let _ = write!(
                out,
                "{},{},{},{},{},{},{},{},{},{},{},{},{}",
                r.epoch,
                r.emission,
                r.to_validators,
                r.split_dust,
                r.paid,
                r.claims,
                r.expired,
                r.settle_dust,
                r.fees,
                r.supply,
                r.circulating,
                r.claimable,
                r.devices_rewarded
            );
            for p in &r.pools {
                let _ = write!(out, ",{p}");
            }
            for s in &r.rewards {
                let _ = write!(out, ",{},{},{}", s.p10, s.median, s.p90);
            }
            let _ = writeln!(
                out,
                ",{},{},{},{},{},{}",
                r.minted_total,
                r.paid_total,
                r.dust_total,
                r.expired_total,
                r.to_validators_total,
                r.fees_total
            );
        }
        out
    }

    /// The table and summary as JSON, amounts as integers in uplx.
    pub fn json(&self) -> String {
        #[derive(Serialize)]
        struct Out<'a> {
            summary: &'a Summary,
            resource_classes: Vec<&'static str>,
            device_classes: &'a [String],
            epochs: &'a [EpochRow],
        }
        let out = Out {
            summary: &self.summary,
            resource_classes: ResourceClass::ALL.iter().map(|r| r.as_str()).collect(),
            device_classes: &self.class_names,
            epochs: &self.rows,
        };
        serde_json::to_string_pretty(&out).expect("rows of integers and strings serialize")
    }

    /// A short table for a terminal.
    pub fn summary_table(&self) -> String {
        let s = &self.summary;
        let plx = |v: u128| plexus_types::Amount(v).to_plx_string();
        let mut out = String::new();
        let _ = writeln!(
            out,
            "economics: {} devices, {} epochs, seed {}",
            s.devices, s.epochs, s.seed
        );
        let lines = [
            ("genesis supply", plx(s.genesis_supply)),
            ("minted", plx(s.minted)),
            ("final supply", plx(s.final_supply)),
            ("final circulating", plx(s.final_circulating)),
            ("paid to owners", plx(s.paid)),
            ("to validators (emission)", plx(s.to_validators)),
            ("fees (to validators)", plx(s.fees)),
            ("expired unclaimed", plx(s.expired)),
            ("dust", plx(s.dust)),
            ("still claimable", plx(s.claimable)),
        ];
        for (what, value) in lines {
            let _ = writeln!(out, "  {what:<26} {value:>28}");
        }
        let halvings: Vec<String> = s.halvings_at.iter().map(u64::to_string).collect();
        let _ = writeln!(
            out,
            "  {:<26} {:>28}",
            "halvings at epochs",
            if halvings.is_empty() {
                "none".into()
            } else {
                halvings.join(", ")
            }
        );
        for (class, n) in &s.devices_by_class {
            let _ = writeln!(out, "  devices {class:<18} {n:>28}");
        }
        out
    }
}
