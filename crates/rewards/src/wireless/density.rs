//! Hex density scaling (HIP-17, with HIP-104's parameters): a transmitter in a crowded area
//! earns less per beacon, so that coverage spreads out.
//!
//! For each resolution from the finest (10) to the coarsest (4):
//! - a hex's unclipped density is the number of interactive hotspots in it at resolution 10,
//!   and at coarser ones the sum of its children's clipped densities;
//! - n is the number of hexes among it and its 6 neighbours whose unclipped density is at least
//!   the target;
//! - its limit is min(target × max(n − N + 1, 1), max), and its clipped density is
//!   min(unclipped, limit).
//!
//! A hotspot's transmit scale is the product, over the resolutions, of clipped / unclipped of
//! its hex. Hex topology comes from h3o's integer cell arithmetic (parents and neighbours), not
//! from coordinates, so no floating point takes part.

use super::fixed::Fixed;
use h3o::{CellIndex, Resolution};
use std::collections::BTreeMap;

/// One resolution's parameters: N, the target and the maximum density.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DensityParams {
    pub resolution: u8,
    pub n: u64,
    pub target: u64,
    pub max: u64,
}

/// HIP-104's parameters, finest resolution first: res 4: 2/500/1000, 5: 4/100/200,
/// 6: 4/25/50, 7: 4/5/10, 8–10: 2/1/1.
pub const HIP_104: [DensityParams; 7] = [
    DensityParams {
        resolution: 10,
        n: 2,
        target: 1,
        max: 1,
    },
    DensityParams {
        resolution: 9,
        n: 2,
        target: 1,
        max: 1,
    },
    DensityParams {
        resolution: 8,
        n: 2,
        target: 1,
        max: 1,
    },
    DensityParams {
        resolution: 7,
        n: 4,
        target: 5,
        max: 10,
    },
    DensityParams {
        resolution: 6,
        n: 4,
        target: 25,
        max: 50,
    },
    DensityParams {
        resolution: 5,
        n: 4,
        target: 100,
        max: 200,
    },
    DensityParams {
        resolution: 4,
        n: 2,
        target: 500,
        max: 1000,
    },
];

/// Why densities could not be computed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DensityError {
    #[error("{0:#x} is not an H3 cell")]
    NotACell(u64),
    #[error("cell {cell:#x} is coarser than resolution {finest}")]
    TooCoarse { cell: u64, finest: u8 },
    #[error("density parameters must go from finer to coarser resolutions, with target ≥ 1")]
    BadParams,
}

/// HIP-17's density limit for a hex with `occupied` neighbours (itself included) at or above
/// the target.
pub fn density_limit(p: &DensityParams, occupied: u64) -> u64 {
    let steps = (occupied + 1).saturating_sub(p.n).max(1);
    p.target.saturating_mul(steps).min(p.max)
}

/// One hex: its unclipped and clipped density.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HexDensity {
    pub unclipped: u64,
    pub clipped: u64,
}

/// The densities of every occupied hex at each resolution of `params` (finest first), given
/// the cells of the interactive hotspots (one entry per hotspot, at the finest resolution or
/// finer).
pub fn hex_densities(
    params: &[DensityParams],
    hotspot_cells: &[u64],
) -> Result<Vec<BTreeMap<u64, HexDensity>>, DensityError> {
    let resolutions = checked_resolutions(params)?;
    let Some(&finest) = resolutions.first() else {
        return Ok(Vec::new());
    };
    let mut unclipped: BTreeMap<u64, u64> = BTreeMap::new();
    for &raw in hotspot_cells {
        let hex = parent_at(raw, finest)?;
        *unclipped.entry(hex).or_default() += 1;
    }
    let mut levels = Vec::with_capacity(params.len());
    for (i, p) in params.iter().enumerate() {
        let mut level = BTreeMap::new();
        let mut next: BTreeMap<u64, u64> = BTreeMap::new();
        for (&hex, &count) in &unclipped {
            let cell = CellIndex::try_from(hex).map_err(|_| DensityError::NotACell(hex))?;
            let occupied = cell
                .grid_disk::<Vec<CellIndex>>(1)
                .into_iter()
                .filter(|c| {
                    unclipped
                        .get(&u64::from(*c))
                        .is_some_and(|d| *d >= p.target)
                })
                .count() as u64;
            let clipped = count.min(density_limit(p, occupied));
            level.insert(
                hex,
                HexDensity {
                    unclipped: count,
                    clipped,
                },
            );
            if let Some(coarser) = resolutions.get(i + 1) {
                let parent = cell.parent(*coarser).ok_or(DensityError::BadParams)?;
                *next.entry(u64::from(parent)).or_default() += clipped;
            }
        }
        levels.push(level);
        unclipped = next;
    }
    Ok(levels)
}

/// The product of clipped / unclipped over the given pairs, finest first, each step rounded
/// down: HIP-17's transmit scale.
pub fn scale_product(pairs: impl IntoIterator<Item = HexDensity>) -> Fixed {
    pairs.into_iter().fold(Fixed::ONE, |scale, d| {
        if d.unclipped == 0 {
            scale
        } else {
            scale.mul_floor(Fixed::ratio(d.clipped, d.unclipped))
        }
    })
}

/// Each hotspot's transmit scale, in the order of `hotspot_cells` (HIP-17).
pub fn transmit_scales(
    params: &[DensityParams],
    hotspot_cells: &[u64],
) -> Result<Vec<Fixed>, DensityError> {
    let levels = hex_densities(params, hotspot_cells)?;
    let resolutions = checked_resolutions(params)?;
    hotspot_cells
        .iter()
        .map(|&raw| {
            let mut pairs = Vec::with_capacity(levels.len());
            for (level, res) in levels.iter().zip(&resolutions) {
                let hex = parent_at(raw, *res)?;
                pairs.push(level[&hex]);
            }
            Ok(scale_product(pairs))
        })
        .collect()
}

fn checked_resolutions(params: &[DensityParams]) -> Result<Vec<Resolution>, DensityError> {
    let mut out: Vec<Resolution> = Vec::with_capacity(params.len());
    for p in params {
        let res = Resolution::try_from(p.resolution).map_err(|_| DensityError::BadParams)?;
        if p.target == 0 || out.last().is_some_and(|prev| *prev <= res) {
            return Err(DensityError::BadParams);
        }
        out.push(res);
    }
    Ok(out)
}

fn parent_at(raw: u64, res: Resolution) -> Result<u64, DensityError> {
    let cell = CellIndex::try_from(raw).map_err(|_| DensityError::NotACell(raw))?;
    cell.parent(res)
        .map(u64::from)
        .ok_or(DensityError::TooCoarse {
            cell: raw,
            finest: u8::from(res),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    const HIP_17_EXAMPLE: DensityParams = DensityParams {
        resolution: 8,
        n: 2,
        target: 1,
        max: 4,
    };

    #[test]
    fn limits_reproduce_the_hip_17_threshold_table() {
        // HIP-17, "Example thresholds for N=2, Density_tgt = 1": n = 0..7 gives
        // 100, 100, 100, 200, 300, 400, 400, 400 % of the target (max 4).
        let percent: Vec<u64> = (0..=7)
            .map(|n| density_limit(&HIP_17_EXAMPLE, n) * 100 / HIP_17_EXAMPLE.target)
            .collect();
        assert_eq!(percent, [100, 100, 100, 200, 300, 400, 400, 400]);
        // HIP-104 at resolution 4: 500 per step of n above N − 1, up to 1000.
        let res4 = HIP_104[6];
        assert_eq!(
            (
                density_limit(&res4, 1),
                density_limit(&res4, 3),
                density_limit(&res4, 7)
            ),
            (500, 1000, 1000)
        );
    }

    /// A resolution-8 hex and its six neighbours, the centre first.
    fn ring() -> Vec<u64> {
        let centre = CellIndex::try_from(0x8828308281fffff).unwrap();
        let mut cells: Vec<u64> = vec![u64::from(centre)];
        cells.extend(
            centre
                .grid_disk::<Vec<CellIndex>>(1)
                .into_iter()
                .filter(|c| *c != centre)
                .map(u64::from),
        );
        cells
    }

    fn centre_density(occupied_neighbours: usize) -> HexDensity {
        let cells = ring();
        let mut hotspots = vec![cells[0]; 5];
        hotspots.extend(&cells[1..=occupied_neighbours]);
        let levels = hex_densities(&[HIP_17_EXAMPLE], &hotspots).unwrap();
        levels[0][&cells[0]]
    }

    #[test]
    fn the_hip_17_example_topologies_clip_the_centre_hex() {
        // HIP-17's examples 1–4 at resolution 8 (N = 2, target 1, max 4), the centre hex
        // holding 5 hotspots: alone, clipped to 1; with 1 occupied neighbour (2 hexes), 1;
        // with 2 (3 hexes), 2; with all 6 (7 hexes), 4.
        assert_eq!(
            centre_density(0),
            HexDensity {
                unclipped: 5,
                clipped: 1
            }
        );
        assert_eq!(centre_density(1).clipped, 1);
        assert_eq!(centre_density(2).clipped, 2);
        assert_eq!(centre_density(6).clipped, 4);
    }

    #[test]
    fn the_scale_is_the_product_of_the_hip_17_worked_example() {
        // HIP-17's worked example for hotspot 8828361563fffff: 4/61 at res 8 (scale 0.066),
        // 27/27, 49/106 at res 6 (0.030), the rest 1.
        let pairs = [
            (4, 61),
            (27, 27),
            (49, 106),
            (62, 62),
            (117, 117),
            (136, 136),
            (504, 504),
        ]
        .map(|(clipped, unclipped)| HexDensity { unclipped, clipped });
        let after_res8 = scale_product(pairs[..1].iter().copied());
        assert_eq!(after_res8.0 / 1_000_000, 65, "0.0656 prints as 0.066");
        let scale = scale_product(pairs);
        assert_eq!((scale.0 + 500_000) / 1_000_000, 30);
    }

    #[test]
    fn hotspots_crowded_in_one_hex_share_one_hotspots_scale() {
        let base = CellIndex::try_from(0x8c2830828b5b1ff).unwrap();
        let lone = CellIndex::try_from(0x8c2a1072b59a5ff).unwrap();
        let cells = [u64::from(base); 3]
            .into_iter()
            .chain([u64::from(lone)])
            .collect::<Vec<_>>();
        let scales = transmit_scales(&HIP_104, &cells).unwrap();
        // Three in one res-10 hex with no occupied neighbour: clipped to 1 of 3.
        assert_eq!(scales[0], Fixed::ratio(1, 3));
        assert_eq!(scales[0], scales[2]);
        assert_eq!(scales[3], Fixed::ONE, "a lone hotspot keeps its full scale");
        assert!(matches!(
            transmit_scales(&HIP_104, &[7]),
            Err(DensityError::NotACell(7))
        ));
    }
}
