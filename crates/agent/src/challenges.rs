//! The challenge duty: answers the oracles' compute challenges. For each open challenge the
//! device computes the product, signs and sends a commitment to it, then opens the rows the
//! oracle names.

use crate::context::DeviceContext;
use crate::error::AgentError;
use plexus_client::{ChallengeFetch, ChallengeId, ChallengeOutcome, OpenChallenge, OracleApi};
use plexus_proofs::compute::{prove, ComputeChallenge, ComputeProof};
use plexus_types::{proto, statements};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::OnceCell;

/// What the device commits to for a challenge, and how soon.
///
/// `prove` runs the prover and is called off the async runtime. The commitment is sent no
/// sooner than `commit_delay(n)` after the challenge was received; an honest prover commits
/// as soon as its answer is ready.
pub trait ComputeProver: Send + Sync {
    fn prove(&self, challenge: &ComputeChallenge) -> ComputeProof;
    fn commit_delay(&self, _n: u32) -> Duration {
        Duration::ZERO
    }
}

/// Computes the true product and commits at once.
#[derive(Debug, Clone, Copy, Default)]
pub struct HonestProver;

impl ComputeProver for HonestProver {
    fn prove(&self, challenge: &ComputeChallenge) -> ComputeProof {
        prove(challenge)
    }
}

/// One challenge answered to the end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChallengeAnswer {
    pub oracle: String,
    pub id: ChallengeId,
    pub n: u32,
    pub outcome: ChallengeOutcome,
    /// From receiving the challenge to the commitment being accepted.
    pub commit_latency: Duration,
}

/// The challenge duty of one device.
#[derive(Clone)]
pub struct Challenges {
    prover: Arc<dyn ComputeProver>,
    /// The threads its proofs run on.
    pool: Arc<rayon::ThreadPool>,
    /// The time of the last signed fetch: each fetch names a later one, as oracles require.
    last_fetch_ms: Arc<std::sync::Mutex<u64>>,
    /// Oracles that did not answer the last listing, so that one that stays down is reported
    /// when it goes down and when it is back, not at every period.
    unreachable: Arc<std::sync::Mutex<std::collections::BTreeSet<String>>>,
}

impl Challenges {
    pub fn new(prover: Arc<dyn ComputeProver>) -> Challenges {
        Challenges {
            prover,
            pool: challenge_pool(),
            last_fetch_ms: Default::default(),
            unreachable: Default::default(),
        }
    }

    /// The device's signed request for its challenges, at its clock's time (or just after
    /// its last request, if the clock has not moved on since).
    async fn fetch(&self, ctx: &DeviceContext) -> Result<ChallengeFetch, AgentError> {
        let chain_id = ctx.chain().await?.chain_id.clone();
        let at_ms = {
            let mut last = self.last_fetch_ms.lock().expect("fetch time lock");
            *last = ctx.clock().now_ms().max(last.saturating_add(1));
            *last
        };
        let device = ctx.device.public_key();
        let statement = statements::challenge_fetch(&chain_id, &device, at_ms);
        Ok(ChallengeFetch {
            at_ms,
            signature: ctx.device.secret_key().sign(&statement),
        })
    }

    /// How long after receiving an n-sized challenge the device commits at the earliest.
    pub fn commit_delay(&self, n: u32) -> Duration {
        self.prover.commit_delay(n)
    }

    /// Records whether `oracle` answered a listing; logs the change when it went down or
    /// came back.
    fn note_reached(&self, oracle: &str, result: Result<(), &dyn std::fmt::Display>) {
        let mut down = self.unreachable.lock().expect("unreachable set");
        match result {
            Ok(()) => {
                if down.remove(oracle) {
                    tracing::info!(oracle, "the oracle answers again");
                }
            }
            Err(e) if down.insert(oracle.to_string()) => {
                tracing::warn!(oracle, error = %e, "cannot list challenges; said once until it answers again");
            }
            Err(e) => tracing::debug!(oracle, error = %e, "cannot list challenges"),
        }
    }

    /// Answers every open challenge of every oracle. The oracles are asked side by side, so
    /// a slow or unreachable oracle delays none of the others, and each challenge is proved
    /// once however many oracles list it (they draw the same challenges from the chain's
    /// beacon). Returns the challenges answered to the end; failures are logged, and reported
    /// only when nothing was answered and either no oracle could be reached or an answer
    /// failed (one oracle down does not fail the duty while the others are heard).
    pub async fn once(&self, ctx: &DeviceContext) -> Result<Vec<ChallengeAnswer>, AgentError> {
        let mut fetches = Vec::with_capacity(ctx.ports.oracles.len());
        for _ in &ctx.ports.oracles {
            fetches.push(self.fetch(ctx).await?);
        }
        let proofs = ProofCache::new(self.prover.clone(), self.pool.clone());
        let rounds = ctx
            .ports
            .oracles
            .iter()
            .zip(fetches)
            .map(|(oracle, fetch)| self.answer_oracle(ctx, oracle.as_ref(), fetch, &proofs));
        let rounds = futures_util::future::join_all(rounds).await;
        let mut answers = Vec::new();
        let mut first_error = None;
        let mut listing_error = None;
        let mut reached = 0;
        for round in rounds {
            match round.listed {
                Ok(()) => reached += 1,
                Err(e) => {
                    listing_error.get_or_insert(e);
                }
            }
            answers.extend(round.answers);
            if let Some(e) = round.first_error {
                first_error.get_or_insert(e);
            }
        }
        if reached == 0 {
            first_error = first_error.or(listing_error);
        }
        match first_error {
            Some(e) if answers.is_empty() => Err(e),
            _ => Ok(answers),
        }
    }

    /// Lists `oracle`'s open challenges and answers each one.
    async fn answer_oracle(
        &self,
        ctx: &DeviceContext,
        oracle: &dyn OracleApi,
        fetch: ChallengeFetch,
        proofs: &ProofCache,
    ) -> OracleRound {
        let mut round = OracleRound {
            listed: Ok(()),
            answers: Vec::new(),
            first_error: None,
        };
        let asked = ctx.clock().now();
        let open = match oracle.challenges(&ctx.device.public_key(), &fetch).await {
            Ok(open) => {
                self.note_reached(oracle.name(), Ok(()));
                if !open.is_empty() {
                    let took = ctx.clock().now().saturating_sub(asked);
                    tracing::debug!(
                        oracle = oracle.name(),
                        open = open.len(),
                        ?took,
                        "challenges listed"
                    );
                }
                open
            }
            Err(e) => {
                self.note_reached(oracle.name(), Err(&e));
                round.listed = Err(AgentError::from(e));
                return round;
            }
        };
        for challenge in open {
            let received = ctx.clock().now();
            // An oracle lists a challenge only while it has no answer to it, so a listed
            // challenge is answered again even if this agent answered it before: the oracle
            // may have restarted and lost an answer it had not yet recorded.
            match self.answer(ctx, oracle, &challenge, received, proofs).await {
                Ok(answer) => {
                    tracing::info!(oracle = oracle.name(), id = %answer.id, n = answer.n, outcome = ?answer.outcome, latency = ?answer.commit_latency, "challenge answered");
                    round.answers.push(answer);
                }
                Err(e) => {
                    tracing::warn!(oracle = oracle.name(), id = %challenge.id, error = %e, "challenge not answered");
                    round.first_error.get_or_insert(e);
                }
            }
        }
        round
    }

    async fn answer(
        &self,
        ctx: &DeviceContext,
        oracle: &dyn OracleApi,
        open: &OpenChallenge,
        received: Duration,
        proofs: &ProofCache,
    ) -> Result<ChallengeAnswer, AgentError> {
        let bad = |source| AgentError::BadChallenge {
            oracle: oracle.name().to_string(),
            id: open.id.clone(),
            source,
        };
        let challenge = ComputeChallenge::new(open.seed.0, open.n).map_err(bad)?;
        let chain_id = ctx.chain().await?.chain_id.clone();
        let proof = proofs.prove(challenge).await?;
        let since = |now: Duration| now.saturating_sub(received);
        let hold = self.prover.commit_delay(challenge.n());
        if let Some(rest) = hold.checked_sub(since(ctx.clock().now())) {
            ctx.clock().sleep(rest).await;
        }
        let root = proof.root();
        let statement =
            statements::compute_commitment(&chain_id, challenge.seed(), challenge.n(), &root);
        let device = ctx.device.public_key();
        let commit = proto::ChallengeCommit {
            device: device.as_bytes().to_vec(),
            seed: challenge.seed().to_vec(),
            n: challenge.n(),
            root: root.0.to_vec(),
            signature: ctx.device.secret_key().sign(&statement).to_bytes().to_vec(),
        };
        let rows = oracle.commit(&open.id, &commit).await?;
        let commit_latency = since(ctx.clock().now());
        let openings = rows
            .iter()
            .map(|&i| {
                proof.open(i).map(|o| proto::RowOpening {
                    index: o.index,
                    row: o.row,
                    leaf_count: o.proof.leaf_count,
                    siblings: o.proof.siblings.iter().map(|h| h.0.to_vec()).collect(),
                })
            })
            .collect::<Result<Vec<_>, _>>()
            .map_err(bad)?;
        let openings = proto::ChallengeOpenings {
            device: device.as_bytes().to_vec(),
            seed: challenge.seed().to_vec(),
            openings,
        };
        let outcome = oracle.open(&open.id, &openings).await?;
        Ok(ChallengeAnswer {
            oracle: oracle.name().to_string(),
            id: open.id.clone(),
            n: challenge.n(),
            outcome,
            commit_latency,
        })
    }
}

/// What asking one oracle in a round came to.
struct OracleRound {
    /// Whether its open challenges could be listed.
    listed: Result<(), AgentError>,
    answers: Vec<ChallengeAnswer>,
    first_error: Option<AgentError>,
}

/// One challenge's proof, computed by whichever answer asks first.
type ProofCell = Arc<OnceCell<Arc<ComputeProof>>>;

/// The proofs of one round, shared by the oracles' answers: each distinct challenge (seed and
/// size) is proved once, by the first answer that needs it, while the others wait for it.
/// It lives for one round, so it holds no more proofs than the round has open challenges.
struct ProofCache {
    prover: Arc<dyn ComputeProver>,
    pool: Arc<rayon::ThreadPool>,
    proofs: std::sync::Mutex<BTreeMap<([u8; 32], u32), ProofCell>>,
}

impl ProofCache {
    fn new(prover: Arc<dyn ComputeProver>, pool: Arc<rayon::ThreadPool>) -> ProofCache {
        ProofCache {
            prover,
            pool,
            proofs: Default::default(),
        }
    }

    /// The proof of `challenge`, computed off the async runtime the first time it is asked
    /// for.
    async fn prove(&self, challenge: ComputeChallenge) -> Result<Arc<ComputeProof>, AgentError> {
        let cell = self
            .proofs
            .lock()
            .expect("proof cache lock")
            .entry((*challenge.seed(), challenge.n()))
            .or_default()
            .clone();
        cell.get_or_try_init(|| async {
            let (prover, pool) = (self.prover.clone(), self.pool.clone());
            tokio::task::spawn_blocking(move || pool.install(|| prover.prove(&challenge)))
                .await
                .map(Arc::new)
                .map_err(|e| AgentError::ProverStopped(e.to_string()))
        })
        .await
        .cloned()
    }
}

/// Threads of a device's own for its challenge proofs, apart from every other parallel task of
/// the process (a job the device runs, a training round, a node's signature batches, all on
/// rayon's global pool) and from other devices' proofs where one process runs several agents:
/// a proof must not wait behind work that takes seconds when its deadline is tens of
/// milliseconds.
fn challenge_pool() -> Arc<rayon::ThreadPool> {
    Arc::new(
        rayon::ThreadPoolBuilder::new()
            .thread_name(|i| format!("plexus-challenge-{i}"))
            .build()
            .expect("the challenge proof threads start"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    struct Counting(AtomicUsize);

    impl ComputeProver for Counting {
        fn prove(&self, challenge: &ComputeChallenge) -> ComputeProof {
            self.0.fetch_add(1, Ordering::SeqCst);
            prove(challenge)
        }
    }

    #[tokio::test]
    async fn a_proof_does_not_wait_behind_the_global_pool() {
        // Every thread of rayon's global pool is held until the proof is done: a proof run on
        // the global pool would wait for ever.
        let (done_tx, done_rx) = std::sync::mpsc::channel::<()>();
        let done_rx = Arc::new(std::sync::Mutex::new(done_rx));
        let threads = rayon::current_num_threads();
        let (held_tx, held_rx) = std::sync::mpsc::channel();
        for _ in 0..threads {
            let (rx, held) = (done_rx.clone(), held_tx.clone());
            rayon::spawn(move || {
                held.send(()).unwrap();
                let _ = rx.lock().unwrap().recv();
            });
        }
        for _ in 0..threads {
            held_rx.recv().unwrap();
        }
        let cache = ProofCache::new(Arc::new(HonestProver), challenge_pool());
        let proof = tokio::time::timeout(
            Duration::from_secs(30),
            cache.prove(ComputeChallenge::new([5; 32], 64).unwrap()),
        )
        .await;
        drop(done_tx);
        assert!(proof.expect("the proof ran on its own threads").is_ok());
    }

    #[tokio::test]
    async fn a_challenge_listed_by_several_oracles_is_proved_once() {
        let counting = Arc::new(Counting(AtomicUsize::new(0)));
        let cache = ProofCache::new(counting.clone(), challenge_pool());
        let a = ComputeChallenge::new([1; 32], 16).unwrap();
        let b = ComputeChallenge::new([2; 32], 16).unwrap();
        let (p1, p2, p3) = tokio::join!(cache.prove(a), cache.prove(a), cache.prove(b));
        let (p1, p2, p3) = (p1.unwrap(), p2.unwrap(), p3.unwrap());
        assert_eq!(counting.0.load(Ordering::SeqCst), 2);
        assert_eq!(p1.root(), p2.root());
        assert_ne!(p1.root(), p3.root());
    }
}
