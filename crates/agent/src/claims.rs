//! The claims duty: claims the device's rewards of every ended epoch whose manifest is final,
//! once each, recording what was settled so a restart never pays for a claim twice.

use crate::context::DeviceContext;
use crate::error::AgentError;
use plexus_client::{ClaimProof, OracleApi};
use plexus_types::epoch_clock::EpochClock;
use plexus_types::{Body, RewardClaim};
use tokio::sync::Mutex;

pub use crate::claim_book::{ClaimBook, ClaimBookError, ClaimOutcome, ClaimRecord, CLAIMS_FILE};

/// One claim the agent settled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettledClaim {
    pub epoch: u64,
    pub resource: String,
    pub outcome: ClaimOutcome,
}

/// The claims duty of one device of class `class`.
pub struct Claims {
    class: String,
    book: Mutex<ClaimBook>,
}

impl Claims {
    pub fn new(class: String, book: ClaimBook) -> Claims {
        Claims {
            class,
            book: Mutex::new(book),
        }
    }

    /// Claims the device's rewards of every ended epoch, still within the claim window,
    /// whose manifest for the device's pool is final and whose claim is not yet settled.
    ///
    /// A claim is settled, and recorded in `claims.json`, once a claim transaction for it has
    /// been committed (paid or failed) or once the manifest is known to hold nothing for the
    /// device; a restart never pays for the same claim twice.
    pub async fn once(&self, ctx: &DeviceContext) -> Result<Vec<SettledClaim>, AgentError> {
        let chain = ctx.chain().await?;
        let pool = chain
            .device_class(&self.class)
            .map(|c| c.resource)
            .ok_or_else(|| AgentError::ClassNotOnChain {
                class: self.class.clone(),
                chain_id: chain.chain_id.clone(),
            })?;
        let resource = pool.as_str().to_string();
        let clock = EpochClock::new(
            chain.rewards.epoch_blocks,
            chain.rewards.intervals_per_epoch,
        )?;
        let height = ctx.ports.node.chain_status().await?.height;
        let last_ended = clock.last_ended_epoch(height);
        let first = last_ended.saturating_sub(chain.rewards.claim_epochs).max(1);
        let mut settled = Vec::new();
        for epoch in first..=last_ended {
            if self.book.lock().await.is_settled(&resource, epoch) {
                continue;
            }
            let Some(state) = ctx.ports.node.epoch(epoch).await? else {
                continue;
            };
            if !state.has_final_manifest(pool) {
                continue;
            }
            let Some(outcome) = claim(ctx, epoch, &resource).await? else {
                continue;
            };
            self.book.lock().await.record(ClaimRecord {
                epoch,
                resource: resource.clone(),
                outcome: outcome.clone(),
            })?;
            tracing::info!(epoch, resource = %resource, ?outcome, "reward claim settled");
            settled.push(SettledClaim {
                epoch,
                resource: resource.clone(),
                outcome,
            });
        }
        Ok(settled)
    }
}

/// Claims one epoch; `None` when it cannot be settled yet.
async fn claim(
    ctx: &DeviceContext,
    epoch: u64,
    resource: &str,
) -> Result<Option<ClaimOutcome>, AgentError> {
    let device = ctx.device.public_key();
    let owner = ctx.owner();
    let mut proof: Option<(ClaimProof, &dyn OracleApi)> = None;
    let mut every_oracle_answered = true;
    for oracle in &ctx.ports.oracles {
        match oracle.claim_proof(epoch, resource, &device).await {
            Ok(Some(p)) => {
                proof = Some((p, oracle.as_ref()));
                break;
            }
            Ok(None) => {}
            Err(e) => {
                tracing::warn!(oracle = oracle.name(), epoch, error = %e, "cannot fetch a claim proof");
                every_oracle_answered = false;
            }
        }
    }
    let Some((proof, oracle)) = proof else {
        // Only when every oracle says so is the device known to be absent from the
        // manifest; an oracle that did not answer may hold it.
        return Ok(every_oracle_answered.then_some(ClaimOutcome::NothingEarned));
    };
    if proof.leaf.device != device || proof.leaf.owner != owner {
        return Err(AgentError::ForeignClaim {
            oracle: oracle.name().to_string(),
            epoch,
            device: proof.leaf.device,
            owner: proof.leaf.owner,
        });
    }
    if proof.leaf.units == 0 {
        return Ok(Some(ClaimOutcome::NothingEarned));
    }
    let body = Body::ClaimReward(RewardClaim {
        epoch,
        resource: resource.to_string(),
        device,
        owner,
        units: proof.leaf.units,
        proof: proof.proof,
    });
    match ctx.send_tx(body).await {
        Ok(committed) => Ok(Some(ClaimOutcome::Claimed {
            tx: committed.hash,
            units: proof.leaf.units,
        })),
        Err(AgentError::TxFailed { hash, code, log })
            if !crate::error::is_transient_code(&code) =>
        {
            tracing::warn!(epoch, %code, %log, "the claim was committed but failed");
            Ok(Some(ClaimOutcome::Failed { tx: hash, code }))
        }
        Err(e) => Err(e),
    }
}
