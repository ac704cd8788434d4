//! Modeled coverage of Wi-Fi radios (as Helium Mobile's HIP-74/HIP-93 rules): each radio
//! claims the resolution-12 hexes its modeled coverage reaches, with a signal level; a hex pays
//! points by radio kind and level, the strongest radios in a hex first.
//!
//! - C1 (points): indoor Wi-Fi High 400, Low 100; outdoor Wi-Fi High 120, Medium 60, Low 0.
//!   The level comes with the modeled coverage (the planner's estimate of signal power in the
//!   hex), as in Helium's coverage-point calculator, which takes the level as given.
//! - C2 (rank): within a hex, indoor and outdoor radios are ranked apart, by signal power
//!   (strongest first), then seniority (earliest assertion height), then key bytes; outdoor
//!   ranks 1, 2, 3 earn ×1, ×0.5, ×0.25 of their points, indoor rank 1 only.
//! - C3 (shares): a radio's shares are Σ points × rank multiplier, times its speed-test
//!   multiplier ([`tier_quarters`] / 4; none for a radio that is not speed-tested) and its
//!   location trust (HIP-119).

use super::fixed::Fixed;
use crate::speed::{tier_quarters, Speeds};
use plexus_types::PublicKey;
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RadioKind {
    IndoorWifi,
    OutdoorWifi,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SignalLevel {
    High,
    Medium,
    Low,
    None,
}

/// Why coverage could not be scored.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CoverageError {
    #[error("an indoor radio has no {0:?} signal level (only high and low)")]
    InvalidSignalLevel(SignalLevel),
    #[error("radio {0} claims coverage but is not registered")]
    UnknownRadio(PublicKey),
}

/// Rule C1: points of one res-12 hex.
pub fn hex_points(kind: RadioKind, level: SignalLevel) -> Result<u64, CoverageError> {
    match (kind, level) {
        (RadioKind::IndoorWifi, SignalLevel::High) => Ok(400),
        (RadioKind::IndoorWifi, SignalLevel::Low) => Ok(100),
        (RadioKind::IndoorWifi, other) => Err(CoverageError::InvalidSignalLevel(other)),
        (RadioKind::OutdoorWifi, SignalLevel::High) => Ok(120),
        (RadioKind::OutdoorWifi, SignalLevel::Medium) => Ok(60),
        (RadioKind::OutdoorWifi, SignalLevel::Low | SignalLevel::None) => Ok(0),
    }
}

/// Rule C2: the multiplier of the radio ranked `rank` (1 = first) in a hex.
pub fn rank_multiplier(kind: RadioKind, rank: usize) -> Fixed {
    match (kind, rank) {
        (_, 1) => Fixed::ONE,
        (RadioKind::OutdoorWifi, 2) => Fixed::ratio(1, 2),
        (RadioKind::OutdoorWifi, 3) => Fixed::ratio(1, 4),
        _ => Fixed::ZERO,
    }
}

/// One hex of a radio's modeled coverage.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CoverageClaim {
    pub radio: PublicKey,
    /// The res-12 H3 cell.
    pub hex: u64,
    pub level: SignalLevel,
    /// Modeled signal power in hundredths of a dBm.
    pub signal_cdbm: i32,
}

/// A radio and what multiplies its points.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Radio {
    pub key: PublicKey,
    pub kind: RadioKind,
    /// Height of its location assertion: the earlier, the more senior.
    pub asserted_height: u64,
    /// Means of its latest speed tests, or `None` when it is not speed-tested (then no speed
    /// multiplier applies).
    pub speeds: Option<Speeds>,
    /// Its HIP-119 multiplier (see `location_trust`).
    pub location_trust: Fixed,
}

/// What one radio earned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RadioShares {
    /// Σ points × rank multiplier.
    pub ranked_points: Fixed,
    pub shares: Fixed,
}

/// Rules C1–C3 over every claim of an epoch; the result does not depend on the claims' order.
pub fn radio_shares(
    radios: &[Radio],
    claims: &[CoverageClaim],
) -> Result<BTreeMap<PublicKey, RadioShares>, CoverageError> {
    let registry: BTreeMap<PublicKey, &Radio> = radios.iter().map(|r| (r.key, r)).collect();
    // (hex, kind) → the claims there.
    let mut hexes: BTreeMap<(u64, RadioKind), Vec<(&CoverageClaim, &Radio)>> = BTreeMap::new();
    for c in claims {
        let radio = registry
            .get(&c.radio)
            .ok_or(CoverageError::UnknownRadio(c.radio))?;
        hexes
            .entry((c.hex, radio.kind))
            .or_default()
            .push((c, radio));
    }
    let mut out: BTreeMap<PublicKey, RadioShares> = BTreeMap::new();
    for ((_, kind), mut here) in hexes {
        here.sort_by(|(a, ra), (b, rb)| {
            b.signal_cdbm
                .cmp(&a.signal_cdbm)
                .then(ra.asserted_height.cmp(&rb.asserted_height))
                .then(a.radio.cmp(&b.radio))
        });
        // A radio claiming one hex twice is ranked once, at its strongest.
        let mut seen = std::collections::BTreeSet::new();
        here.retain(|(c, _)| seen.insert(c.radio));
        for (i, (claim, _)) in here.iter().enumerate() {
            let points = hex_points(kind, claim.level)?;
            let earned = Fixed::whole(points).mul_floor(rank_multiplier(kind, i + 1));
            let e = out.entry(claim.radio).or_default();
            e.ranked_points = e.ranked_points.plus(earned);
        }
    }
    for (key, e) in out.iter_mut() {
        let r = registry[key];
        let speed = r
            .speeds
            .as_ref()
            .map_or(Fixed::ONE, |s| Fixed::ratio(u64::from(tier_quarters(s)), 4));
        e.shares = e.ranked_points.mul_floor(speed).mul_floor(r.location_trust);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use plexus_types::SecretKey;

    const FAST: Speeds = Speeds {
        download_kbps: 300_000,
        upload_kbps: 40_000,
        latency_ms: 20,
    };

    fn key(n: u8) -> PublicKey {
        SecretKey::from_seed([n; 32]).public_key()
    }

    fn radio(n: u8, kind: RadioKind, height: u64) -> Radio {
        Radio {
            key: key(n),
            kind,
            asserted_height: height,
            speeds: Some(FAST),
            location_trust: Fixed::ONE,
        }
    }

    fn claim(n: u8, hex: u64, level: SignalLevel, signal_cdbm: i32) -> CoverageClaim {
        CoverageClaim {
            radio: key(n),
            hex,
            level,
            signal_cdbm,
        }
    }

    #[test]
    fn points_follow_the_coverage_table() {
        // The table of the wireless rules (issue 20): indoor Wi-Fi 400 / 100, outdoor Wi-Fi
        // 120 / 60 / 0.
        use RadioKind::*;
        use SignalLevel::*;
        assert_eq!(hex_points(IndoorWifi, High), Ok(400));
        assert_eq!(hex_points(IndoorWifi, Low), Ok(100));
        assert_eq!(
            hex_points(IndoorWifi, Medium),
            Err(CoverageError::InvalidSignalLevel(Medium))
        );
        assert_eq!(hex_points(OutdoorWifi, High), Ok(120));
        assert_eq!(hex_points(OutdoorWifi, Medium), Ok(60));
        assert_eq!(hex_points(OutdoorWifi, Low), Ok(0));
        let outdoor: Vec<Fixed> = (1..=4).map(|r| rank_multiplier(OutdoorWifi, r)).collect();
        assert_eq!(
            outdoor,
            [
                Fixed::ONE,
                Fixed(500_000_000),
                Fixed(250_000_000),
                Fixed::ZERO
            ]
        );
        assert_eq!(rank_multiplier(IndoorWifi, 2), Fixed::ZERO);
    }

    #[test]
    fn a_shared_hex_pays_by_rank_then_seniority_then_key() {
        use RadioKind::*;
        use SignalLevel::*;
        // Four outdoor radios and two indoor ones in hex 1. Radios 2 and 3 tie on signal;
        // 3 asserted first. Indoor 6 and 7 tie on signal and seniority; the lower key wins.
        let radios = [
            radio(1, OutdoorWifi, 50),
            radio(2, OutdoorWifi, 40),
            radio(3, OutdoorWifi, 30),
            radio(4, OutdoorWifi, 10),
            radio(6, IndoorWifi, 5),
            radio(7, IndoorWifi, 5),
        ];
        let claims = [
            claim(4, 1, High, -9_000),
            claim(2, 1, High, -7_000),
            claim(1, 1, High, -6_000),
            claim(3, 1, High, -7_000),
            claim(6, 1, High, -5_000),
            claim(7, 1, High, -5_000),
            claim(4, 2, Medium, -8_000),
        ];
        let shares = radio_shares(&radios, &claims).unwrap();
        let pts = |n: u8| {
            shares
                .get(&key(n))
                .map_or(0, |s| s.ranked_points.0 / Fixed::SCALE)
        };
        assert_eq!(pts(1), 120, "rank 1");
        assert_eq!(pts(3), 60, "rank 2: senior of the tie");
        assert_eq!(pts(2), 30, "rank 3");
        assert_eq!(
            pts(4),
            60,
            "rank 4 in hex 1 earns nothing; alone in hex 2, 60"
        );
        let (first, second) = if key(6) < key(7) { (6, 7) } else { (7, 6) };
        assert_eq!(pts(first), 400);
        assert_eq!(pts(second), 0);

        let mut reversed = claims;
        reversed.reverse();
        assert_eq!(radio_shares(&radios, &reversed).unwrap(), shares);
    }

    #[test]
    fn shares_multiply_points_by_speed_tier_and_location_trust() {
        use RadioKind::*;
        let mut slow = radio(1, IndoorWifi, 1);
        slow.speeds = Some(Speeds {
            download_kbps: 60_000,
            ..FAST
        });
        let mut moved = radio(2, IndoorWifi, 1);
        moved.location_trust = Fixed::ZERO;
        let mut partly = radio(3, IndoorWifi, 1);
        partly.location_trust = Fixed::ratio(1, 4);
        let claims = [
            claim(1, 1, SignalLevel::High, -5_000),
            claim(2, 2, SignalLevel::High, -5_000),
            claim(3, 3, SignalLevel::Low, -5_000),
        ];
        let shares = radio_shares(&[slow, moved, partly], &claims).unwrap();
        assert_eq!(
            shares[&key(1)].shares,
            Fixed::whole(200),
            "400 × 0.5 (the 50 Mbps tier)"
        );
        assert_eq!(
            shares[&key(2)].shares,
            Fixed::ZERO,
            "a radio reporting from elsewhere"
        );
        assert_eq!(shares[&key(3)].shares, Fixed::whole(25), "100 × 0.25 trust");
        assert_eq!(
            radio_shares(&[slow], &[claim(9, 1, SignalLevel::High, 0)]),
            Err(CoverageError::UnknownRadio(key(9)))
        );
    }
}
