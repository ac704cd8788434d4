//! The simulated fleet: which device classes it holds, how each device behaves, and the
//! evidence an oracle would gather about it in an epoch. Every draw is a pure function of
//! (seed, device, epoch, purpose), so a run is reproducible and its devices can be examined in
//! any order or in chunks.

use plexus_ledger::DeviceClass;
use plexus_rewards::{ChallengeOutcome, DeviceInfo, EvidenceRecord};
use plexus_types::{Address, Hash, PublicKey};

/// The fleet's mix: relative weight of each device class the chain defines at genesis, per 20
/// devices. Every class appears in every 20 consecutive devices (smooth weighted round robin),
/// so even a small fleet holds all of them.
pub const MIX: [(&str, u32); 6] = [
    ("cpu-small", 6),
    ("cpu-medium", 4),
    ("cpu-large", 2),
    ("gpu-a100", 1),
    ("storage-small", 3),
    ("bw-home", 4),
];

/// Compute challenges an oracle issues to a compute device in an epoch.
pub const CHALLENGES_PER_EPOCH: u64 = 3;

/// How reliably a device runs: drawn once per device from the seed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Temper {
    /// 80 % of devices: online in 97 % of intervals, passes 98 % of challenges.
    Steady,
    /// 15 %: online in 60 % of intervals, passes 85 % of challenges.
    Flaky,
    /// 5 %: online in 25 % of intervals, passes 50 % of challenges.
    MostlyOff,
}

impl Temper {
    /// (Per mille of intervals online, per mille of challenges passed.)
    fn odds(self) -> (u64, u64) {
        match self {
            Temper::Steady => (970, 980),
            Temper::Flaky => (600, 850),
            Temper::MostlyOff => (250, 500),
        }
    }
}

/// When a device's owner claims an epoch's reward.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Claiming {
    /// 85 %: in the epoch after it ends.
    Prompt,
    /// 10 %: in the last epoch of the claim window.
    Late,
    /// 5 %: never, so the reward expires.
    Never,
}

/// A signed answer to a challenge that is provably wrong: one challenge in 2 000.
const WRONG_PER_MILLE_OF_MILLE: u64 = 500;

/// One simulated device.
#[derive(Debug, Clone)]
pub struct SimDevice {
    pub info: DeviceInfo,
    /// Index into the fleet's classes.
    pub class: usize,
    pub temper: Temper,
    pub claiming: Claiming,
    /// Download and upload in kbps and latency in ms that a bandwidth device's tests centre on.
    speeds: (u64, u64, u64),
}

/// Draw `purpose` for device `device` in epoch `epoch`: splitmix64 over the four words.
pub fn draw(seed: u64, device: u64, epoch: u64, purpose: u64) -> u64 {
    let mut x = seed;
    for word in [device, epoch, purpose] {
        x = mix(x ^ mix(word.wrapping_add(0x9E37_79B9_7F4A_7C15)));
    }
    x
}

fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Whether a draw falls within `per_mille` of a thousand.
fn chance(x: u64, per_mille: u64) -> bool {
    x % 1_000 < per_mille
}

/// The class of each of `count` devices by smooth weighted round robin over `weights`.
pub fn class_sequence(weights: &[u32], count: usize) -> Vec<usize> {
    let total: i64 = weights.iter().map(|w| i64::from(*w)).sum();
    let mut current = vec![0i64; weights.len()];
    (0..count)
        .map(|_| {
            for (c, w) in current.iter_mut().zip(weights) {
                *c += i64::from(*w);
            }
            let best = (0..weights.len())
                .max_by_key(|i| (current[*i], std::cmp::Reverse(*i)))
                .expect("the mix is not empty");
            current[best] -= total;
            best
        })
        .collect()
}

/// The weights of `classes` in [`MIX`]; a class the mix does not name is an error, so a new
/// class on chain cannot silently drop out of the simulation.
pub fn mix_weights(classes: &[DeviceClass]) -> Result<Vec<u32>, String> {
    classes
        .iter()
        .map(|c| {
            MIX.iter()
                .find(|(name, _)| *name == c.name)
                .map(|(_, w)| *w)
                .ok_or_else(|| format!("device class {:?} has no place in the fleet mix", c.name))
        })
        .collect()
}

/// The fleet: `count` devices of `classes`, drawn from `seed`.
pub fn fleet(seed: u64, classes: &[DeviceClass], weights: &[u32], count: usize) -> Vec<SimDevice> {
    class_sequence(weights, count)
        .into_iter()
        .enumerate()
        .map(|(i, class)| {
            let i = i as u64;
            let key = blake3::hash(&[&seed.to_le_bytes()[..], &i.to_le_bytes()].concat());
            let device = PublicKey::from_slice(key.as_bytes()).expect("32 bytes");
            let temper = match draw(seed, i, 0, 1) % 100 {
                0..80 => Temper::Steady,
                80..95 => Temper::Flaky,
                _ => Temper::MostlyOff,
            };
            let claiming = match draw(seed, i, 0, 2) % 100 {
                0..85 => Claiming::Prompt,
                85..95 => Claiming::Late,
                _ => Claiming::Never,
            };
            let speeds = (
                40_000 + draw(seed, i, 0, 3) % 110_000,
                3_000 + draw(seed, i, 0, 4) % 17_000,
                20 + draw(seed, i, 0, 5) % 70,
            );
            SimDevice {
                info: DeviceInfo {
                    device,
                    owner: Address::from_public_key(&device),
                    class: classes[class].name.clone(),
                    capacity_units: classes[class].capacity_units,
                    site: None,
                    sensor: None,
                },
                class,
                temper,
                claiming,
                speeds,
            }
        })
        .collect()
}

/// What an oracle gathers about device `index` in `epoch`: a heartbeat for every interval it
/// was online, and, by what it sells, challenges (compute) or a speed test per interval
/// online (bandwidth).
pub fn evidence(
    seed: u64,
    index: u64,
    d: &SimDevice,
    resource: plexus_ledger::ResourceClass,
    epoch: u64,
    intervals: u32,
    out: &mut Vec<EvidenceRecord>,
) {
    use plexus_ledger::ResourceClass;
    let (online, passes) = d.temper.odds();
    let device = d.info.device;
    for interval in 0..intervals {
        if !chance(draw(seed, index, epoch, 100 + u64::from(interval)), online) {
            continue;
        }
        out.push(EvidenceRecord::Heartbeat {
            device,
            epoch,
            interval,
        });
        if resource == ResourceClass::Bandwidth {
            let noise = |v: u64, k: u64| {
                let x = draw(seed, index, epoch, 10_000 + 4 * u64::from(interval) + k) % 21;
                v * (90 + x) / 100
            };
            out.push(EvidenceRecord::SpeedTest {
                device,
                epoch,
                interval,
                download_kbps: noise(d.speeds.0, 0),
                upload_kbps: noise(d.speeds.1, 1),
                latency_ms: noise(d.speeds.2, 2),
                host: format!("sim-{index}"),
            });
        }
    }
    if resource != ResourceClass::Compute {
        return;
    }
    for c in 0..CHALLENGES_PER_EPOCH {
        let x = draw(seed, index, epoch, 1_000 + c);
        let outcome = if (x / 1_000) % 1_000_000 < WRONG_PER_MILLE_OF_MILLE {
            ChallengeOutcome::Wrong
        } else if chance(x, passes) {
            ChallengeOutcome::Passed
        } else {
            ChallengeOutcome::Missed
        };
        let id = blake3::hash(
            &[
                &device.as_bytes()[..],
                &epoch.to_le_bytes(),
                &c.to_le_bytes(),
            ]
            .concat(),
        );
        out.push(EvidenceRecord::Challenge {
            device,
            epoch,
            challenge_id: Hash::from_slice(id.as_bytes()).expect("32 bytes"),
            outcome,
        });
    }
}
