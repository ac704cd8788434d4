//! One epoch of the city as an oracle would receive it: signed location reports, signed LoRa
//! beacons and witness reports, and data sessions (the coverage of each Wi-Fi hotspot is
//! modeled from its asserted cell by the scoring itself). What a device reports comes from the true
//! world (propagation with shadowing) and from its behaviour; the oracle sees only this.

use crate::cheats::Behaviour;
use crate::city::{City, HotspotKind, Point, SimHotspot};
use crate::propagation::{path_loss_db, shadowing_db, standard_normal};
use plexus_rewards::wireless::{
    Beacon, LocationReport, SignedBeacon, SignedLocationReport, SignedWitnessReport, WitnessReport,
};
use plexus_types::{Hash, PublicKey};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;

/// An epoch lasts a day; a LoRa hotspot beacons once in it.
pub const EPOCH_MS: u64 = 24 * 3_600_000;
/// The first epoch starts at 2026-01-01T00:00:00Z.
pub const GENESIS_MS: u64 = 1_767_225_600_000;
/// Location reports a hotspot sends per epoch (with its heartbeats).
pub const HEARTBEATS_PER_EPOCH: u64 = 4;
/// Times per epoch that subscribers move and open a data session.
pub const TICKS_PER_EPOCH: u64 = 6;
/// LoRa transmit power: 27 dBm.
pub const LORA_TX_POWER_CDBM: i32 = 2_700;
/// Noise floor of a LoRa receiver on a 125 kHz channel, in dBm.
const LORA_NOISE_FLOOR_DBM: f64 = -120.0;
/// GPS error (one standard deviation per axis) outdoors and indoors, in metres.
const GPS_SIGMA_OUTDOOR_M: f64 = 5.0;
const GPS_SIGMA_INDOOR_M: f64 = 15.0;
/// A subscriber's step between ticks (one standard deviation per axis), in metres.
const WALK_SIGMA_M: f64 = 150.0;
/// What a self-dealer's own phone pushes through it each tick: 4 GB down.
const SELF_DEALT_BYTES: u64 = 4_000_000_000;
/// Shadowing links of subscribers are numbered after the hotspots'.
const SUBSCRIBER_LINK_BASE: u64 = 1 << 32;

/// Bytes a subscriber moved through a hotspot. The devnet signs these as data-transfer
/// receipts; the simulator keeps the plain figures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct DataSession {
    pub subscriber: PublicKey,
    /// Who pays for the data (a self-dealer's owner pays for its own phone).
    pub payer: PublicKey,
    pub hotspot: PublicKey,
    pub bytes_up: u64,
    pub bytes_down: u64,
    pub at_ms: u64,
}

/// What the oracle receives in one epoch.
#[derive(Debug, Clone, PartialEq)]
pub struct EpochEvidence {
    pub epoch: u64,
    pub location_reports: Vec<SignedLocationReport>,
    pub beacons: Vec<SignedBeacon>,
    pub witnesses: Vec<SignedWitnessReport>,
    pub sessions: Vec<DataSession>,
}

/// The start of `epoch` in milliseconds since the Unix epoch.
pub fn epoch_start_ms(epoch: u64) -> u64 {
    GENESIS_MS + epoch * EPOCH_MS
}

fn epoch_rng(seed: u64, epoch: u64) -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(seed ^ (epoch + 1).wrapping_mul(0x9e37_79b9_7f4a_7c15))
}

fn gps_fix(rng: &mut ChaCha8Rng, at: Point, indoor: bool) -> Point {
    let sigma = if indoor {
        GPS_SIGMA_INDOOR_M
    } else {
        GPS_SIGMA_OUTDOOR_M
    };
    Point {
        east: at.east + sigma * standard_normal(rng),
        north: at.north + sigma * standard_normal(rng),
    }
}

/// Where a hotspot's positioning says it is: its true fix, or for a ring member, a fix
/// spoofed to its assertion.
fn reported_position(
    city: &City,
    rng: &mut ChaCha8Rng,
    h: &SimHotspot,
) -> plexus_rewards::wireless::Position {
    if h.behaviour == Behaviour::WitnessRing {
        return h.asserted;
    }
    let fix = gps_fix(rng, h.true_at, h.kind == HotspotKind::WifiIndoor);
    city.position_of(fix)
}

/// When an epoch's evidence is stamped: from `start_ms`, over `span_ms`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timing {
    pub start_ms: u64,
    pub span_ms: u64,
}

impl Timing {
    /// The simulator's own calendar: a day per epoch from [`GENESIS_MS`].
    pub fn simulated(epoch: u64) -> Timing {
        Timing {
            start_ms: epoch_start_ms(epoch),
            span_ms: EPOCH_MS,
        }
    }
}

/// Produces the evidence of `epoch` on the simulator's calendar and moves the subscribers on.
pub fn epoch_evidence(city: &mut City, epoch: u64) -> EpochEvidence {
    epoch_evidence_at(city, epoch, Timing::simulated(epoch))
}

/// Produces the evidence of `epoch`, stamped within `timing` (a devnet's wall clock), and
/// moves the subscribers on. The same city, epoch and seed give the same evidence whatever
/// the timing, but for the stamps.
pub fn epoch_evidence_at(city: &mut City, epoch: u64, timing: Timing) -> EpochEvidence {
    let mut rng = epoch_rng(city.config.seed, epoch);
    let Timing {
        start_ms: start,
        span_ms: span,
    } = timing;
    let mut location_reports = Vec::new();
    for h in city
        .hotspots
        .iter()
        .filter(|h| h.behaviour != Behaviour::Silent)
    {
        for beat in 0..HEARTBEATS_PER_EPOCH {
            let report = LocationReport {
                radio: h.public,
                at_ms: start + beat * span / HEARTBEATS_PER_EPOCH,
                position: reported_position(city, &mut rng, h),
            };
            location_reports.push(report.sign(&h.key));
        }
    }
    let (beacons, witnesses) = lora_round(city, &mut rng, epoch, timing);
    let sessions = data_sessions(city, &mut rng, epoch, timing);
    EpochEvidence {
        epoch,
        location_reports,
        beacons,
        witnesses,
        sessions,
    }
}

/// Every LoRa hotspot that is not silent beacons once; those that really hear a beacon (in the
/// true world) witness it, except ring members, which witness only each other.
fn lora_round(
    city: &City,
    rng: &mut ChaCha8Rng,
    epoch: u64,
    timing: Timing,
) -> (Vec<SignedBeacon>, Vec<SignedWitnessReport>) {
    let env = city.config.env;
    let start = timing.start_ms;
    let lora: Vec<&SimHotspot> = city
        .hotspots
        .iter()
        .filter(|h| h.kind == HotspotKind::Lora && h.behaviour != Behaviour::Silent)
        .collect();
    let mut beacons = Vec::new();
    let mut witnesses = Vec::new();
    for tx in &lora {
        let beacon = Beacon {
            id: Hash::of(&[tx.public.as_bytes().as_slice(), &epoch.to_le_bytes()].concat()),
            beaconer: tx.public,
            frequency_hz: env.lora_frequency_hz,
            tx_power_cdbm: LORA_TX_POWER_CDBM,
            sent_at_ms: start + rng.gen_range(0..timing.span_ms.saturating_sub(60_000).max(1)),
        };
        for rx in lora.iter().filter(|rx| rx.index != tx.index) {
            let ring_pair = rx.behaviour == Behaviour::WitnessRing;
            if ring_pair && tx.behaviour != Behaviour::WitnessRing {
                continue;
            }
            let shadow = shadowing_db(
                &env,
                city.config.seed,
                epoch,
                tx.index as u64,
                rx.index as u64,
            );
            let loss = path_loss_db(
                env.lora_frequency_hz,
                tx.true_at.distance(rx.true_at),
                env.lora_exponent,
                shadow,
            );
            let rssi_dbm =
                f64::from(LORA_TX_POWER_CDBM + tx.antenna.gain_cdbi + rx.antenna.gain_cdbi) / 100.0
                    - loss;
            if !ring_pair && rssi_dbm < env.lora_sensitivity_dbm {
                continue;
            }
            let report = WitnessReport {
                witness: rx.public,
                beacon: beacon.id,
                received_at_ms: beacon.sent_at_ms + rng.gen_range(20..400),
                frequency_hz: beacon.frequency_hz + rng.gen_range(0..20_000),
                rssi_cdbm: (rssi_dbm * 100.0).round() as i32,
                snr_cdb: ((rssi_dbm - LORA_NOISE_FLOOR_DBM) * 100.0).round() as i32,
                reported: reported_position(city, rng, rx),
            };
            witnesses.push(report.sign(&rx.key));
        }
        beacons.push(beacon.sign(&tx.key));
    }
    (beacons, witnesses)
}

/// Subscribers walk (inside the city) and, each tick, use data through the Wi-Fi hotspot they
/// hear best, if any is loud enough; a self-dealer's phone uses only its owner's hotspot.
fn data_sessions(
    city: &mut City,
    rng: &mut ChaCha8Rng,
    epoch: u64,
    timing: Timing,
) -> Vec<DataSession> {
    let env = city.config.env;
    let radius = city.config.radius_m;
    let mut sessions = Vec::new();
    for tick in 0..TICKS_PER_EPOCH {
        let at_ms = timing.start_ms + tick * timing.span_ms / TICKS_PER_EPOCH;
        let link_epoch = epoch * TICKS_PER_EPOCH + tick;
        for s in city.subscribers.iter_mut() {
            if let Some(h) = s.pinned_to {
                let h = &city.hotspots[h];
                sessions.push(DataSession {
                    subscriber: s.public,
                    payer: s.payer,
                    hotspot: h.public,
                    bytes_up: SELF_DEALT_BYTES / 8,
                    bytes_down: SELF_DEALT_BYTES,
                    at_ms,
                });
                continue;
            }
            let mut next = Point {
                east: s.at.east + WALK_SIGMA_M * standard_normal(rng),
                north: s.at.north + WALK_SIGMA_M * standard_normal(rng),
            };
            let r = next.distance(Point::default());
            if r > radius {
                next = Point {
                    east: next.east * radius / r,
                    north: next.north * radius / r,
                };
            }
            s.at = next;
            let best = city
                .hotspots
                .iter()
                .filter(|h| h.kind != HotspotKind::Lora && h.behaviour != Behaviour::Silent)
                .map(|h| {
                    let (tx, n) = if h.kind == HotspotKind::WifiIndoor {
                        (20.0, env.indoor_exponent)
                    } else {
                        (27.0, env.outdoor_exponent)
                    };
                    let shadow = shadowing_db(
                        &env,
                        city.config.seed,
                        link_epoch,
                        h.index as u64,
                        SUBSCRIBER_LINK_BASE + s.index as u64,
                    );
                    let d =
                        s.at.distance(h.true_at)
                            .hypot(f64::from(h.antenna.elevation_m));
                    let rssi = tx + f64::from(h.antenna.gain_cdbi) / 100.0
                        - path_loss_db(env.wifi_frequency_hz, d, n, shadow);
                    (rssi, h)
                })
                .filter(|(rssi, _)| *rssi >= env.wifi_attach_dbm)
                .max_by(|a, b| a.0.total_cmp(&b.0));
            if let Some((_, h)) = best {
                let down: u64 = rng.gen_range(5_000_000..200_000_000);
                sessions.push(DataSession {
                    subscriber: s.public,
                    payer: s.payer,
                    hotspot: h.public,
                    bytes_up: down / 8,
                    bytes_down: down,
                    at_ms,
                });
            }
        }
    }
    sessions
}
