//! Which sensor devices are paid, and how much: at most so many per H3 cell, the best first.
//!
//! - C1 (eligibility): a device is rewardable when its quality reaches the class's threshold
//!   and its proof of location is above 0 (a device that relocated has 0 for a while: its
//!   registry entry says until when).
//! - C2 (capacity): in each cell, at most `capacity` rewardable devices are paid, ranked by
//!   quality (higher first), then seniority (an earlier `since`, the height of its last
//!   location assertion, first), then key. Relocating resets `since`, so a device that moves
//!   goes to the back of its new cell's queue (WeatherXM: at most 10 stations per res-7 cell).
//! - C3 (units): a paid device's units are quality × proof of location / 10⁶, so the pool
//!   is shared pro rata by both, with rules P1–P3 (payout) deciding the split.

use super::PPM;
use crate::manifest::ManifestLeaf;
use plexus_types::{Address, PublicKey};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct CellParams {
    pub capacity: usize,
    pub min_quality_ppm: u32,
}

/// WeatherXM's 10 stations per cell; a quality of at least one half.
pub const CELL_PARAMS: CellParams = CellParams {
    capacity: 10,
    min_quality_ppm: PPM / 2,
};

/// A device scored for the epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Candidate {
    pub device: PublicKey,
    pub owner: Address,
    /// The H3 cell the device is counted in.
    pub cell: u64,
    pub quality_ppm: u32,
    pub location_ppm: u32,
    /// The height of its last location assertion.
    pub since: u64,
}

/// Why a candidate was or was not paid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Selection {
    Paid,
    BelowQuality,
    NoLocation,
    CellFull,
}

/// Rules C1–C3: each candidate's selection, in the order given, and the manifest's leaves
/// (sorted by device, units > 0). Fails on a device listed twice.
pub fn select(
    params: &CellParams,
    candidates: &[Candidate],
) -> Result<(Vec<Selection>, Vec<ManifestLeaf>), PublicKey> {
    let mut order: Vec<usize> = (0..candidates.len()).collect();
    order.sort_by(|&a, &b| {
        let (a, b) = (&candidates[a], &candidates[b]);
        (a.cell, std::cmp::Reverse(a.quality_ppm), a.since, a.device).cmp(&(
            b.cell,
            std::cmp::Reverse(b.quality_ppm),
            b.since,
            b.device,
        ))
    });
    let mut selection = vec![Selection::BelowQuality; candidates.len()];
    let mut leaves = Vec::new();
    let mut cell: Option<(u64, usize)> = None;
    for &i in &order {
        let c = &candidates[i];
        if c.quality_ppm < params.min_quality_ppm || c.quality_ppm == 0 {
            continue;
        }
        if c.location_ppm == 0 {
            selection[i] = Selection::NoLocation;
            continue;
        }
        let paid_here = match cell {
            Some((id, n)) if id == c.cell => n,
            _ => 0,
        };
        if paid_here >= params.capacity {
            selection[i] = Selection::CellFull;
            continue;
        }
        cell = Some((c.cell, paid_here + 1));
        selection[i] = Selection::Paid;
        let units =
            u128::from(c.quality_ppm) * u128::from(c.location_ppm.min(PPM)) / u128::from(PPM);
        if units > 0 {
            leaves.push(ManifestLeaf {
                device: c.device,
                owner: c.owner,
                units,
            });
        }
    }
    leaves.sort_by_key(|l| l.device);
    if let Some(pair) = leaves.windows(2).find(|p| p[0].device == p[1].device) {
        return Err(pair[0].device);
    }
    Ok((selection, leaves))
}
