//! The cheats the network must catch, each as a strategy a duty is given in place of the
//! honest one. They exist so that devnets, tests and simulations can show each cheat being
//! caught; each is the cheapest version of its kind of fraud that a real cheater would try.

use crate::bandwidth::LinkRate;
use crate::challenges::ComputeProver;
use crate::heartbeat::HeartbeatSource;
use crate::jobs::JobResults;
use crate::learning::UpdatePolicy;
use crate::storage::{ReplicaKeeper, ReplicaPolicy, StorageError, SyncReport};
use plexus_market::spec::JobSpec;
use plexus_proofs::compute::{
    class_by_n, prove, ComputeChallenge, ComputeClass, ComputeProof, DEADLINE_SLACK, P,
};
use plexus_types::heartbeat::{Heartbeat, SignedHeartbeat};
use plexus_types::{PublicKey, SecretKey};
use std::sync::Mutex;
use std::time::Duration;

/// The rate of a throttled bandwidth device: 1 MB/s, 8 Mbps, below the lowest download tier.
pub const THROTTLE_BYTES_PER_SEC: u64 = 1_000_000;

/// Commits to a wrong product: one element of every row is off by one, so whichever row the
/// oracle opens is wrong. It signs the commitment like an honest device, which makes the
/// opened row a fraud proof that slashes its stake.
#[derive(Debug, Clone, Copy, Default)]
pub struct WrongProduct;

impl ComputeProver for WrongProduct {
    fn prove(&self, challenge: &ComputeChallenge) -> ComputeProof {
        let honest = prove(challenge);
        let n = challenge.n() as usize;
        let mut product = honest.product().to_vec();
        for row in product.chunks_exact_mut(n) {
            row[0] = (row[0] + 1) % P;
        }
        ComputeProof::commit(challenge, product)
            .expect("a product of the challenge's own size is accepted")
    }
}

/// A device registered under a larger class than it is, with only the throughput of
/// `real_class`.
///
/// Simulated host-independently from the class table: the device's throughput is that of
/// `real_class`'s reference device, which proves its own n_r-sized challenge in
/// `deadline_r / DEADLINE_SLACK`. An n-sized challenge then takes
/// `(n / n_r)³ · deadline_r / DEADLINE_SLACK`. Its commitment is held back until that much
/// time has passed since the challenge was received, or longer if this machine is slower
/// still. Since every class demands more than `DEADLINE_SLACK` times the throughput of the one
/// below it, the commitment always misses the declared class's deadline.
///
/// The answer is correct (this cheat is slow, not wrong) whenever the commitment could still
/// be on time. When the simulated time is past the class's [`ComputeClass::commit_limit`],
/// the commitment is refused before any row is opened, so the product is not computed: on a
/// devnet, where every device shares the host's cores, it would take the CPU that the honest
/// devices need to meet their own deadlines (a real slower device spends its own hardware's
/// time, not theirs).
#[derive(Debug, Clone, Copy)]
pub struct SlowerClass {
    pub real_class: &'static ComputeClass,
}

impl ComputeProver for SlowerClass {
    fn prove(&self, challenge: &ComputeChallenge) -> ComputeProof {
        let n = challenge.n();
        let refused_unopened =
            class_by_n(n).is_some_and(|c| self.commit_delay(n) > c.commit_limit());
        if !refused_unopened {
            return prove(challenge);
        }
        let n = n as usize;
        ComputeProof::commit(challenge, vec![0; n * n])
            .expect("a product of the challenge's own size is accepted")
    }

    fn commit_delay(&self, n: u32) -> Duration {
        simulated_proving_time(n, self.real_class)
    }
}

/// The time `real`'s reference device takes for an n-sized challenge:
/// `(n / n_r)³ · deadline_r / DEADLINE_SLACK`.
pub fn simulated_proving_time(n: u32, real: &ComputeClass) -> Duration {
    let work = u128::from(n).pow(3);
    let real_work = u128::from(real.n).pow(3);
    let nanos =
        work * u128::from(real.deadline_ms) * 1_000_000 / (u128::from(DEADLINE_SLACK) * real_work);
    Duration::from_nanos(u64::try_from(nanos).unwrap_or(u64::MAX))
}

/// Heartbeats honestly in its first interval, then re-sends that first signed heartbeat in
/// every later interval instead of making fresh ones: the laziest way to look alive.
#[derive(Debug, Default)]
pub struct ReplayedHeartbeats {
    first: Mutex<Option<SignedHeartbeat>>,
}

impl HeartbeatSource for ReplayedHeartbeats {
    fn heartbeat(&self, fresh: Heartbeat, device: &SecretKey) -> SignedHeartbeat {
        let mut first = self.first.lock().expect("replayed heartbeat lock");
        first.get_or_insert_with(|| fresh.sign(device)).clone()
    }
}

/// A storage device that fetches its assigned replicas, then deletes them and keeps
/// answering as if it held them: its retrievability challenges fail.
#[derive(Debug, Clone, Copy, Default)]
pub struct DroppedReplicas;

impl ReplicaPolicy for DroppedReplicas {
    fn after_sync(&self, keeper: &ReplicaKeeper, report: &SyncReport) -> Result<(), StorageError> {
        for id in &report.assigned {
            keeper.drop_replica(*id)?;
        }
        Ok(())
    }
}

/// A compute device that answers its challenges honestly but returns a corrupted output for
/// every job it wins (its own corruption, so two such providers never agree), and says it
/// disagrees with everyone it checks: caught when its results are re-executed.
#[derive(Debug, Clone, Copy, Default)]
pub struct WrongOutputs;

impl JobResults for WrongOutputs {
    fn output(&self, real: Vec<u8>, device: &PublicKey, _: bool) -> Vec<u8> {
        let mut output = real;
        corrupt(&mut output, device);
        output
    }

    fn agrees(&self, _: &JobSpec, _: &[u8], _: &[u8]) -> bool {
        false
    }
}

/// A sybil out to capture checks: it runs the jobs it wins honestly (and so looks like any
/// provider), but drawn to re-execute another's result it publishes a corrupted output and
/// agrees with no one, so that an honest run loses its bond if a referee sides with it.
#[derive(Debug, Clone, Copy, Default)]
pub struct LyingChecker;

impl JobResults for LyingChecker {
    fn output(&self, real: Vec<u8>, device: &PublicKey, checking: bool) -> Vec<u8> {
        if checking {
            WrongOutputs.output(real, device, checking)
        } else {
            real
        }
    }

    fn agrees(&self, _: &JobSpec, _: &[u8], _: &[u8]) -> bool {
        false
    }
}

/// Results a provider returns honestly before it cheats: those of its probation, which are
/// always checked.
pub const HONEST_RUNS_FIRST: u32 = 3;

/// A provider that dodges the sample: after [`HONEST_RUNS_FIRST`] honest runs it corrupts the
/// output of every job it wins, and holds each result back while the draw it can compute from
/// the chain's tip ([`predicted_sampled`]) says the result would be checked. Where the draw is
/// made from a block after the result's, the prediction is worth nothing and it is checked at
/// the order's sample rate like anyone. It seals its wrong results, and hides each from a
/// check once its verifier has sealed, revealing only those the draw left unchecked.
#[derive(Debug, Default)]
pub struct LateSubmitter {
    runs: std::sync::atomic::AtomicU32,
    /// The wrong outputs it published, by hash: those it hides from a check.
    wrong: std::sync::Mutex<std::collections::BTreeSet<plexus_types::Hash>>,
}

impl JobResults for LateSubmitter {
    fn output(&self, real: Vec<u8>, device: &PublicKey, checking: bool) -> Vec<u8> {
        let ordinal = if checking {
            0
        } else {
            self.runs.fetch_add(1, std::sync::atomic::Ordering::SeqCst)
        };
        if checking || ordinal < HONEST_RUNS_FIRST {
            return real;
        }
        let wrong = WrongOutputs.output(real, device, checking);
        self.wrong
            .lock()
            .expect("wrong outputs lock")
            .insert(plexus_types::Hash::of(&wrong));
        wrong
    }

    fn hides(&self, output: &plexus_types::Hash) -> bool {
        self.wrong
            .lock()
            .expect("wrong outputs lock")
            .contains(output)
    }

    fn agrees(&self, spec: &JobSpec, mine: &[u8], theirs: &[u8]) -> bool {
        plexus_runtime::job::outputs_agree(spec, mine, theirs)
    }

    fn hold(&self, lease: u64, sample_per_mille: u32, tip: &plexus_types::Hash) -> bool {
        self.runs.load(std::sync::atomic::Ordering::SeqCst) > HONEST_RUNS_FIRST
            && predicted_sampled(tip, lease, sample_per_mille)
    }

    fn times_results(&self) -> bool {
        true
    }
}

/// The sample draw a provider could compute before submitting when the draw was taken from the
/// app hash it builds on: `blake3(tip ‖ lease)` in `0..1000`, under the order's rate.
pub fn predicted_sampled(tip: &plexus_types::Hash, lease: u64, sample_per_mille: u32) -> bool {
    let mut bytes = tip.0.to_vec();
    bytes.extend_from_slice(&lease.to_be_bytes());
    let draw = plexus_types::Hash::of(&bytes).0;
    let value = u64::from_be_bytes(draw[..8].try_into().expect("8 bytes"));
    value % 1000 < u64::from(sample_per_mille)
}

/// A cheat's output: the real one with bytes changed by its device key, so no two cheats
/// agree with each other or with anyone honest.
fn corrupt(output: &mut Vec<u8>, device: &PublicKey) {
    let key = device.as_bytes();
    if output.is_empty() {
        output.extend_from_slice(&key[..8]);
        return;
    }
    for (i, b) in output.iter_mut().rev().take(8).enumerate() {
        *b ^= key[i] | 1;
    }
}

/// A bandwidth device whose speed test service moves at most [`THROTTLE_BYTES_PER_SEC`]
/// (8 Mbps), as a device declaring a home link while sitting on a slow one would.
#[derive(Debug, Clone, Copy, Default)]
pub struct ThrottledLink;

impl LinkRate for ThrottledLink {
    fn bytes_per_sec(&self) -> Option<u64> {
        Some(THROTTLE_BYTES_PER_SEC)
    }
}

/// Sends its honest update negated and scaled by 4: a model-poisoning attack.
#[derive(Debug, Clone, Copy, Default)]
pub struct FlippedUpdates;

impl UpdatePolicy for FlippedUpdates {
    fn update(&self, trained: Vec<f32>, _: u64) -> Vec<f32> {
        trained.iter().map(|d| -4.0 * d).collect()
    }
}

/// Sends noise 4 times the norm of its honest update.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoiseUpdates;

impl UpdatePolicy for NoiseUpdates {
    fn update(&self, trained: Vec<f32>, seed: u64) -> Vec<f32> {
        let norm = plexus_learn::aggregate::norm(&trained) as f32;
        let mut state = seed;
        let noise: Vec<f32> = (0..trained.len())
            .map(|_| {
                state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
                let mut z = state;
                z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
                z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
                ((z ^ (z >> 31)) >> 11) as f32 / (1u64 << 53) as f32 * 2.0 - 1.0
            })
            .collect();
        let n = plexus_learn::aggregate::norm(&noise) as f32;
        noise
            .iter()
            .map(|x| x * 4.0 * norm / n.max(f32::MIN_POSITIVE))
            .collect()
    }
}

/// Takes part until round `after`, then goes silent in the middle of the next round.
#[derive(Debug, Clone, Copy)]
pub struct DropsOut {
    pub after: u32,
}

impl UpdatePolicy for DropsOut {
    fn takes_part(&self, round: u32) -> bool {
        round <= self.after
    }

    fn update(&self, trained: Vec<f32>, _: u64) -> Vec<f32> {
        trained
    }
}
