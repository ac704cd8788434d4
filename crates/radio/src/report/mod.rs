//! A run of the simulator: a city, its epochs of evidence scored one by one, and the totals
//! per hotspot and per behaviour, as a table for people and as serde values for JSON.

use crate::cheats::Behaviour;
use crate::city::{City, CityConfig, ConfigError, HotspotKind};
use crate::evidence::epoch_evidence;
use crate::score::{score_epoch, HotspotEpoch, ScoreError};
use plexus_rewards::wireless::{Fixed, InvalidReason};
use plexus_types::PublicKey;
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// The most epochs one run may simulate.
pub const MAX_EPOCHS: u64 = 1_000;

/// Why a run could not be made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SimError {
    Config(ConfigError),
    Epochs(u64),
    Score(ScoreError),
}

impl std::fmt::Display for SimError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SimError::Config(e) => write!(f, "{e}"),
            SimError::Epochs(n) => write!(f, "epochs must be 1 to {MAX_EPOCHS}, not {n}"),
            SimError::Score(e) => write!(f, "scoring: {e}"),
        }
    }
}

impl std::error::Error for SimError {}

/// One hotspot over the whole run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HotspotTotals {
    pub index: usize,
    pub key: PublicKey,
    pub kind: HotspotKind,
    pub behaviour: Behaviour,
    /// Mean of its epochs' location trust (billionths).
    pub location_trust: Fixed,
    pub coverage_shares: Fixed,
    pub poc_shares: Fixed,
    pub witnesses_valid: u64,
    pub witnesses_invalid: BTreeMap<InvalidReason, u64>,
    pub bytes_carried: u64,
    pub bytes_self_paid: u64,
    /// Epochs in which it earned coverage or PoC shares.
    pub epochs_earning: u64,
}

/// All hotspots of one behaviour over the run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BehaviourTotals {
    pub behaviour: Behaviour,
    pub hotspots: usize,
    pub coverage_shares: Fixed,
    pub poc_shares: Fixed,
    pub witnesses_valid: u64,
    pub witnesses_invalid: u64,
    pub bytes_carried: u64,
    pub bytes_self_paid: u64,
}

/// A whole run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SimReport {
    pub seed: u64,
    pub hotspots: usize,
    pub cheaters: usize,
    pub subscribers: usize,
    pub epochs: u64,
    /// Per epoch, per hotspot.
    pub per_epoch: Vec<Vec<HotspotEpoch>>,
    pub totals: Vec<HotspotTotals>,
    pub by_behaviour: Vec<BehaviourTotals>,
    /// Witness reports rejected over the run, by reason.
    pub rejected: BTreeMap<InvalidReason, u64>,
}

/// Builds the city of `config` and runs it for `epochs`; `progress(done, epochs)` is called
/// after each epoch.
pub fn simulate(
    config: CityConfig,
    epochs: u64,
    progress: impl FnMut(u64, u64),
) -> Result<SimReport, SimError> {
    let city = City::generate(config).map_err(SimError::Config)?;
    run_city(city, epochs, progress)
}

/// Runs an already built city for `epochs`.
pub fn run_city(
    mut city: City,
    epochs: u64,
    mut progress: impl FnMut(u64, u64),
) -> Result<SimReport, SimError> {
    if !(1..=MAX_EPOCHS).contains(&epochs) {
        return Err(SimError::Epochs(epochs));
    }
    let mut per_epoch = Vec::new();
    for epoch in 0..epochs {
        let evidence = epoch_evidence(&mut city, epoch);
        per_epoch.push(score_epoch(&city, &evidence).map_err(SimError::Score)?);
        progress(epoch + 1, epochs);
    }
    let totals = totals_of(&city, &per_epoch, epochs);
    let mut rejected: BTreeMap<InvalidReason, u64> = BTreeMap::new();
    for t in &totals {
        for (r, n) in &t.witnesses_invalid {
            *rejected.entry(*r).or_default() += n;
        }
    }
    let by_behaviour = Behaviour::ALL
        .into_iter()
        .filter_map(|b| {
            let of: Vec<&HotspotTotals> = totals.iter().filter(|t| t.behaviour == b).collect();
            (!of.is_empty()).then(|| BehaviourTotals {
                behaviour: b,
                hotspots: of.len(),
                coverage_shares: of
                    .iter()
                    .fold(Fixed::ZERO, |a, t| a.plus(t.coverage_shares)),
                poc_shares: of.iter().fold(Fixed::ZERO, |a, t| a.plus(t.poc_shares)),
                witnesses_valid: of.iter().map(|t| t.witnesses_valid).sum(),
                witnesses_invalid: of
                    .iter()
                    .map(|t| t.witnesses_invalid.values().sum::<u64>())
                    .sum(),
                bytes_carried: of.iter().map(|t| t.bytes_carried).sum(),
                bytes_self_paid: of.iter().map(|t| t.bytes_self_paid).sum(),
            })
        })
        .collect();
    Ok(SimReport {
        seed: city.config.seed,
        hotspots: city.config.hotspots,
        cheaters: city.config.cheaters,
        subscribers: city.config.subscribers,
        epochs,
        per_epoch,
        totals,
        by_behaviour,
        rejected,
    })
}

fn totals_of(city: &City, per_epoch: &[Vec<HotspotEpoch>], epochs: u64) -> Vec<HotspotTotals> {
    city.hotspots
        .iter()
        .map(|h| {
            let mut t = HotspotTotals {
                index: h.index,
                key: h.public,
                kind: h.kind,
                behaviour: h.behaviour,
                location_trust: Fixed::ZERO,
                coverage_shares: Fixed::ZERO,
                poc_shares: Fixed::ZERO,
                witnesses_valid: 0,
                witnesses_invalid: BTreeMap::new(),
                bytes_carried: 0,
                bytes_self_paid: 0,
                epochs_earning: 0,
            };
            for e in per_epoch.iter().map(|e| &e[h.index]) {
                t.location_trust = t.location_trust.plus(e.location_trust);
                t.coverage_shares = t.coverage_shares.plus(e.coverage_shares);
                t.poc_shares = t.poc_shares.plus(e.poc_shares);
                t.witnesses_valid += e.witnesses_valid;
                for (r, n) in &e.witnesses_invalid {
                    *t.witnesses_invalid.entry(*r).or_default() += n;
                }
                t.bytes_carried += e.bytes_carried;
                t.bytes_self_paid += e.bytes_self_paid;
                t.epochs_earning += u64::from(e.earned());
            }
            t.location_trust = t.location_trust.div_floor(epochs.max(1));
            t
        })
        .collect()
}

/// A fixed-point figure with two decimals.
fn two(f: Fixed) -> String {
    let hundredths = f.0 / (Fixed::SCALE / 100);
    format!("{}.{:02}", hundredths / 100, hundredths % 100)
}

fn reasons(r: &BTreeMap<InvalidReason, u64>) -> String {
    let parts: Vec<String> = r.iter().map(|(k, n)| format!("{k:?} {n}")).collect();
    if parts.is_empty() {
        "-".into()
    } else {
        parts.join(", ")
    }
}

impl SimReport {
    /// The summary by behaviour, then one line per hotspot.
    pub fn table(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "wireless simulation: {} hotspots ({} cheating), {} subscribers, {} epochs, seed {}",
            self.hotspots, self.cheaters, self.subscribers, self.epochs, self.seed
        );
        let _ = writeln!(
            out,
            "\n{:<13} {:>8} {:>14} {:>10} {:>10} {:>10} {:>12} {:>12}",
            "behaviour",
            "hotspots",
            "coverage",
            "poc",
            "wit. ok",
            "wit. bad",
            "GB carried",
            "GB self-paid"
        );
        for b in &self.by_behaviour {
            let _ = writeln!(
                out,
                "{:<13} {:>8} {:>14} {:>10} {:>10} {:>10} {:>12.2} {:>12.2}",
                b.behaviour.name(),
                b.hotspots,
                two(b.coverage_shares),
                two(b.poc_shares),
                b.witnesses_valid,
                b.witnesses_invalid,
                b.bytes_carried as f64 / 1e9,
                b.bytes_self_paid as f64 / 1e9
            );
        }
        let _ = writeln!(
            out,
            "\n{:>3} {:<12} {:<13} {:>5} {:>11} {:>8} {:>7} {:>7}  invalid witness reports",
            "#", "kind", "behaviour", "trust", "coverage", "poc", "earning", "GB"
        );
        for t in &self.totals {
            let _ = writeln!(
                out,
                "{:>3} {:<12} {:<13} {:>5} {:>11} {:>8} {:>7} {:>7.2}  {}",
                t.index,
                t.kind.name(),
                t.behaviour.name(),
                two(t.location_trust),
                two(t.coverage_shares),
                two(t.poc_shares),
                format!("{}/{}", t.epochs_earning, self.epochs),
                t.bytes_carried as f64 / 1e9,
                reasons(&t.witnesses_invalid)
            );
        }
        let _ = writeln!(
            out,
            "\nrejected witness reports: {}",
            reasons(&self.rejected)
        );
        out
    }
}
