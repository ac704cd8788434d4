//! The devnet's job consumer: first a job whose escrow cannot pay a block and the hostile
//! modules, then a stream of WASM and inference jobs, one every `--job-every`; it watches each
//! order for the moment a lease runs it and the moment it ends.

use super::specs::{digit_rows, inference_spec, wasm_spec, HOSTILE};
use crate::host::Client;
use plexus_client::NodeClient;
use plexus_types::{Amount, Hash, SecretKey};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// What the consumer submitted.
#[derive(Debug, Clone)]
pub struct Submitted {
    pub id: u64,
    pub kind: &'static str,
    pub spec: String,
    pub submitted: Instant,
    /// When the consumer first saw a lease running it, and its order ended.
    pub dispatched: Option<Instant>,
    pub ended: Option<Instant>,
}

/// Who submits, where, and what: the blobs the jobs name are on the node already.
pub struct Consumer<C> {
    pub client: Arc<C>,
    pub node: NodeClient,
    pub key: SecretKey,
    pub scratch: PathBuf,
    pub module_id: Hash,
    pub model_id: Hash,
    pub every: Duration,
}

/// The jobs before the stream: the underfunded one, then the hostile modules.
fn opening_jobs(module_id: &Hash) -> Vec<(&'static str, String, Option<Amount>)> {
    let mut plan: Vec<(&'static str, String, Option<Amount>)> = Vec::new();
    // A job whose escrow cannot pay one block: it closes with insufficient_funds.
    plan.push((
        "underfunded",
        wasm_spec(module_id, "1 2 3", plexus_runtime::fixtures::DEMO_FUEL),
        Some(Amount(1)),
    ));
    for (kind, wat) in HOSTILE {
        plan.push((
            kind,
            wasm_spec(&Hash::of(wat.as_bytes()), "0", 5_000_000),
            None,
        ));
    }
    plan
}

impl<C: Client> Consumer<C> {
    /// Submits jobs until `stop` changes; returns what it submitted.
    pub async fn run(
        self,
        mut stop: tokio::sync::watch::Receiver<bool>,
    ) -> anyhow::Result<Vec<Submitted>> {
        let mut submitted: Vec<Submitted> = Vec::new();
        let mut plan = opening_jobs(&self.module_id);
        let mut n = 0usize;
        let mut tick = tokio::time::interval(self.every);
        let mut poll = tokio::time::interval(Duration::from_millis(100));
        loop {
            tokio::select! {
                _ = stop.changed() => break,
                _ = tick.tick() => {
                    let (kind, spec, deposit) = if plan.is_empty() {
                        n += 1;
                        self.stream_job(n)
                    } else {
                        plan.remove(0)
                    };
                    match self.client.submit_job(&self.node, &self.key, &spec, deposit, &self.scratch).await {
                        Ok(id) => {
                            tracing::info!(job = id, kind, "job submitted");
                            submitted.push(Submitted { id, kind, spec, submitted: Instant::now(), dispatched: None, ended: None });
                        }
                        Err(e) => tracing::warn!(kind, error = %format!("{e:#}"), "job not submitted"),
                    }
                }
                _ = poll.tick() => self.watch(&mut submitted).await,
            }
        }
        Ok(submitted)
    }

    /// The stream's job number `n`: WASM on odd numbers, inference on even ones.
    fn stream_job(&self, n: usize) -> (&'static str, String, Option<Amount>) {
        if n % 2 == 1 {
            let stdin: Vec<String> = (0..24)
                .map(|k| ((n * 7919 + k * 104_729) % 100_000).to_string())
                .collect();
            (
                "wasm",
                wasm_spec(
                    &self.module_id,
                    &stdin.join(" "),
                    plexus_runtime::fixtures::DEMO_FUEL,
                ),
                None,
            )
        } else {
            (
                "inference",
                inference_spec(&self.model_id, &digit_rows(n * 16, 16)),
                None,
            )
        }
    }

    /// Wall-clock dispatch and completion times, as the consumer sees them.
    async fn watch(&self, submitted: &mut [Submitted]) {
        let open: Vec<usize> = (0..submitted.len())
            .filter(|i| submitted[*i].ended.is_none())
            .collect();
        for i in open {
            let Ok(progress) = self
                .client
                .order_progress(&self.node, submitted[i].id)
                .await
            else {
                continue;
            };
            let now = Instant::now();
            if submitted[i].dispatched.is_none() && progress.leased {
                submitted[i].dispatched = Some(now);
            }
            if progress.closed {
                submitted[i].ended = Some(now);
            }
        }
    }
}
