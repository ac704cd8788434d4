//! The challenge duty: answers the oracles' compute challenges. For each open challenge the
//! device computes the product, signs and sends a commitment to it, then opens the rows the
//! oracle names.

use crate::context::DeviceContext;
use crate::error::AgentError;
use plexus_client::{ChallengeFetch, ChallengeId, ChallengeOutcome, OpenChallenge, OracleApi};
use plexus_proofs::compute::{prove, ComputeChallenge, ComputeProof};
use plexus_types::{proto, statements};
use std::sync::Arc;
use std::time::Duration;

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

    /// Answers every open challenge of every oracle. Returns the challenges answered to the
    /// end; failures are logged, and reported only when nothing was answered and either no
    /// oracle could be reached or an answer failed (one oracle down does not fail the duty
    /// while the others are heard).
    pub async fn once(&self, ctx: &DeviceContext) -> Result<Vec<ChallengeAnswer>, AgentError> {
        let mut answers = Vec::new();
        let mut first_error = None;
        let mut listing_error = None;
        let mut reached = 0;
        for oracle in &ctx.ports.oracles {
            let fetch = self.fetch(ctx).await?;
            let open = match oracle.challenges(&ctx.device.public_key(), &fetch).await {
                Ok(open) => {
                    self.note_reached(oracle.name(), Ok(()));
                    reached += 1;
                    open
                }
                Err(e) => {
                    self.note_reached(oracle.name(), Err(&e));
                    listing_error.get_or_insert(AgentError::from(e));
                    continue;
                }
            };
            for challenge in open {
                let received = ctx.clock().now();
                // An oracle lists a challenge only while it has no answer to it, so a listed
                // challenge is answered again even if this agent answered it before: the
                // oracle may have restarted and lost an answer it had not yet recorded.
                match self
                    .answer(ctx, oracle.as_ref(), &challenge, received)
                    .await
                {
                    Ok(answer) => {
                        tracing::info!(oracle = oracle.name(), id = %answer.id, n = answer.n, outcome = ?answer.outcome, latency = ?answer.commit_latency, "challenge answered");
                        answers.push(answer);
                    }
                    Err(e) => {
                        tracing::warn!(oracle = oracle.name(), id = %challenge.id, error = %e, "challenge not answered");
                        first_error.get_or_insert(e);
                    }
                }
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

    async fn answer(
        &self,
        ctx: &DeviceContext,
        oracle: &dyn OracleApi,
        open: &OpenChallenge,
        received: Duration,
    ) -> Result<ChallengeAnswer, AgentError> {
        let bad = |source| AgentError::BadChallenge {
            oracle: oracle.name().to_string(),
            id: open.id.clone(),
            source,
        };
        let challenge = ComputeChallenge::new(open.seed.0, open.n).map_err(bad)?;
        let chain_id = ctx.chain().await?.chain_id.clone();
        let prover = self.prover.clone();
        let proof: ComputeProof = tokio::task::spawn_blocking(move || prover.prove(&challenge))
            .await
            .map_err(|e| AgentError::ProverStopped(e.to_string()))?;
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
