//! One lease's job, run in a task of its own while the job runner goes on following the chain:
//! fetch the blobs the job reads (each refused before download when it is larger than the spec
//! allows), run it in `plexus-runtime`'s sandbox on a blocking thread, stop waiting once its
//! wall-clock bound has passed and publish the output. The result goes back to the job runner,
//! which alone submits transactions; once the chain has the outputs a check compares, the
//! runner asks [`LeaseRunner::agreement`] which agree.

use super::{JobError, JobResults};
use plexus_blobs::client::{BlobClient, PreparedBlob};
use plexus_blobs::{BlobId, BlobState};
use plexus_client::views::{LeaseView, OrderView, RoleView};
use plexus_market::spec::JobSpec;
use plexus_runtime::job::{blobs_read, max_output_len, too_large, wall_bound};
use plexus_runtime::JobStatus;
use plexus_types::{Hash, PublicKey};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// How much longer than its wall-clock bound the runner waits for a job: the bound starts once
/// the module is compiled, and the blocking pool may be busy.
pub const WAIT_BEYOND_BOUND: Duration = Duration::from_secs(30);

/// What a lease task needs, shared by all of them.
pub struct LeaseRunner {
    pub device: PublicKey,
    pub blobs: BlobClient,
    pub blob_service: String,
    pub work_dir: PathBuf,
    pub results: Arc<dyn JobResults>,
}

/// How a lease's task ended.
pub enum Finished {
    /// The job ran (to an output or a canonical report), the output is published: its result
    /// is ready to submit.
    Ran {
        lease: u64,
        order: u64,
        role: RoleView,
        status: JobStatus,
        output: Hash,
        /// The order's sample rate, per mille.
        sample_per_mille: u32,
    },
    /// The job outran its wall-clock bound (and [`WAIT_BEYOND_BOUND`]); nothing is submitted
    /// and the lease is not run again by this process. Its thread keeps the capacity it took
    /// until it ends.
    GaveUp { lease: u64, waited: Duration },
    /// Something outside the job failed (a download, the node): run it again later.
    Failed { lease: u64, error: JobError },
}

impl Finished {
    /// The lease whose job ended.
    pub fn lease(&self) -> u64 {
        match self {
            Finished::Ran { lease, .. }
            | Finished::GaveUp { lease, .. }
            | Finished::Failed { lease, .. } => *lease,
        }
    }
}

/// Held while a job computes: what it took of the device's declared capacity.
pub type Permit = (
    tokio::sync::OwnedSemaphorePermit,
    tokio::sync::OwnedSemaphorePermit,
);

impl LeaseRunner {
    /// Runs `lease` of `order`, whose spec is `spec`; `permit` is released when the job's
    /// computation ends, even if this task stopped waiting for it.
    pub async fn run(
        self: Arc<Self>,
        spec: JobSpec,
        order: OrderView,
        lease: LeaseView,
        permit: Permit,
    ) -> Finished {
        match self.run_inner(spec, &order, &lease, permit).await {
            Ok(finished) => finished,
            Err(error) => Finished::Failed {
                lease: lease.id,
                error,
            },
        }
    }

    async fn run_inner(
        &self,
        spec: JobSpec,
        order: &OrderView,
        lease: &LeaseView,
        permit: Permit,
    ) -> Result<Finished, JobError> {
        // A blob larger than the spec allows is refused alike on every provider: the job
        // stops with bad input. Any other failure to fetch is retried.
        let mut inputs: BTreeMap<Hash, Result<Vec<u8>, String>> = BTreeMap::new();
        for (id, limit) in blobs_read(&spec) {
            inputs.insert(id, self.fetch(&id, limit).await?);
        }
        let bound = wall_bound(&spec).saturating_add(WAIT_BEYOND_BOUND);
        let run_spec = spec.clone();
        let job = tokio::task::spawn_blocking(move || {
            let _permit = permit;
            plexus_runtime::job::run_job(&run_spec, &|id: &Hash, _limit| {
                inputs
                    .get(id)
                    .cloned()
                    .unwrap_or_else(|| Err(format!("blob {id} was not fetched")))
            })
        });
        let out = match tokio::time::timeout(bound, job).await {
            Ok(joined) => joined.map_err(|e| JobError::Local(e.to_string()))?,
            Err(_) => {
                return Ok(Finished::GaveUp {
                    lease: lease.id,
                    waited: bound,
                })
            }
        };
        let checking = lease.role != RoleView::Run;
        let output = self.results.output(out.output, &self.device, checking);
        let id = self.publish(&output).await?;
        Ok(Finished::Ran {
            lease: lease.id,
            order: order.order.id,
            role: lease.role,
            status: out.status,
            output: id,
            sample_per_mille: order.order.terms.sample_per_mille,
        })
    }

    /// Which of the outputs a check compares (its run's, and a referee's verifier's) agree
    /// with its own output `mine`, ascending, as the chain now has them.
    pub async fn agreement(
        &self,
        spec: &JobSpec,
        order: &OrderView,
        role: RoleView,
        mine: &Hash,
    ) -> Result<Vec<u64>, JobError> {
        let compared: Vec<u64> = match role {
            RoleView::Verifier { of } => vec![of],
            RoleView::Referee { of, verifier } => vec![verifier, of],
            RoleView::Run => return Ok(Vec::new()),
        };
        let limit = max_output_len(spec);
        let mine = self
            .fetch(mine, limit)
            .await?
            .map_err(|e| JobError::Blob(format!("this provider's own output: {e}")))?;
        let mut agrees_with = Vec::new();
        for other in compared {
            let Some(theirs) = order
                .leases
                .iter()
                .find(|l| l.id == other)
                .and_then(|l| l.output)
            else {
                continue;
            };
            // An output longer than any this job can have agrees with nothing.
            if let Ok(their_bytes) = self.fetch(&theirs, limit).await? {
                if self.results.agrees(spec, &mine, &their_bytes) {
                    agrees_with.push(other);
                }
            }
        }
        agrees_with.sort_unstable();
        Ok(agrees_with)
    }

    /// Blob `id` from the node, verified, if it holds at most `limit` bytes (an inner error
    /// says it holds more); see [`fetch_bounded`].
    pub async fn fetch(&self, id: &Hash, limit: u64) -> Result<Result<Vec<u8>, String>, JobError> {
        fetch_bounded(
            &self.blobs,
            &self.blob_service,
            &self.work_dir.join("blobs"),
            id,
            limit,
        )
        .await
    }

    /// Uploads `bytes` to the node's blob service; returns its id.
    async fn publish(&self, bytes: &[u8]) -> Result<Hash, JobError> {
        let id = Hash::of(bytes);
        let dir = self.work_dir.join("outputs");
        std::fs::create_dir_all(&dir).map_err(|e| JobError::Local(e.to_string()))?;
        let path = dir.join(id.to_string());
        std::fs::write(&path, bytes).map_err(|e| JobError::Local(e.to_string()))?;
        let prepared = tokio::task::spawn_blocking(move || PreparedBlob::prepare(&path))
            .await
            .map_err(|e| JobError::Local(e.to_string()))?
            .map_err(|e| JobError::Blob(e.to_string()))?;
        self.blobs
            .put(&self.blob_service, &prepared)
            .await
            .map_err(|e| JobError::Blob(e.to_string()))?;
        Ok(id)
    }
}

/// Blob `id` from `service`, downloaded verified into `dir` (or found there from before), if
/// it holds at most `limit` bytes. Its size is asked of the service first, and a blob that is
/// larger is refused without downloading or reading it: the inner error says so. An outer
/// error is a failure worth trying again (the blob is not there yet, the service is down).
pub async fn fetch_bounded(
    blobs: &BlobClient,
    service: &str,
    dir: &Path,
    id: &Hash,
    limit: u64,
) -> Result<Result<Vec<u8>, String>, JobError> {
    std::fs::create_dir_all(dir).map_err(|e| JobError::Local(e.to_string()))?;
    let path = dir.join(id.to_string());
    if let Some(kept) = read_kept(&path, id, limit)? {
        return Ok(kept);
    }
    let status = blobs
        .status(service, BlobId(id.0))
        .await
        .map_err(|e| JobError::Blob(e.to_string()))?;
    match status.size {
        Some(size) if status.state == BlobState::Complete => {
            if size > limit {
                return Ok(Err(too_large(id, size, limit)));
            }
        }
        _ => {
            return Err(JobError::Blob(format!(
                "blob {id} is not complete on {service}"
            )))
        }
    }
    blobs
        .get(
            std::slice::from_ref(&service.to_string()),
            BlobId(id.0),
            &path,
        )
        .await
        .map_err(|e| JobError::Blob(e.to_string()))?;
    // The download verified the blob against its id, whose hash commits to its size; a
    // source that announced a small size and served a large blob fails that check.
    read_kept(&path, id, limit)?
        .ok_or_else(|| JobError::Blob(format!("blob {id} did not verify after its download")))
}

/// The blob kept at `path`, when it is there and is `id`; refused unread when it is larger
/// than `limit`.
fn read_kept(
    path: &Path,
    id: &Hash,
    limit: u64,
) -> Result<Option<Result<Vec<u8>, String>>, JobError> {
    let Ok(meta) = std::fs::metadata(path) else {
        return Ok(None);
    };
    if meta.len() > limit {
        return Ok(Some(Err(too_large(id, meta.len(), limit))));
    }
    let bytes = std::fs::read(path).map_err(|e| JobError::Local(e.to_string()))?;
    Ok((Hash::of(&bytes) == *id).then_some(Ok(bytes)))
}
