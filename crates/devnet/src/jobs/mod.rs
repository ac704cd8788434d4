//! The devnet's compute marketplace: a consumer submits a stream of WASM and inference jobs
//! (and, first, one job whose escrow cannot pay a block and the four hostile modules every
//! provider must survive); the compute agents bid, run and check them; at the end every
//! accepted output is compared with a local re-execution of its job.

mod consumer;
mod specs;
mod summary;

pub use summary::{print, JobsSummary};

use crate::host::Client;
use anyhow::Context;
use consumer::{Consumer, Submitted};
use plexus_client::NodeClient;
use plexus_types::{Hash, SecretKey};
use specs::HOSTILE;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

/// The account that pays for the devnet's jobs.
pub const CONSUMER: &str = "job-client";

#[derive(clap::Args, Clone)]
pub struct JobsArgs {
    /// With compute agents: submit a job this often (for example 2s); 0s submits none.
    #[arg(long, default_value = "2s", value_parser = humantime::parse_duration)]
    pub job_every: Duration,
}

pub struct JobsRun {
    task: tokio::task::JoinHandle<anyhow::Result<Vec<Submitted>>>,
    stop: tokio::sync::watch::Sender<bool>,
    node: String,
    blobs: BTreeMap<Hash, Vec<u8>>,
}

/// Puts the module and the model on the node and starts the consumer.
pub async fn start<C: Client>(
    client: &Arc<C>,
    home: &Path,
    consumer: SecretKey,
    args: &JobsArgs,
    api: SocketAddr,
) -> anyhow::Result<Option<JobsRun>> {
    if args.job_every.is_zero() {
        return Ok(None);
    }
    let url = format!("http://{api}");
    let node = NodeClient::new(&url)?;
    let scratch = home.join("jobs");
    let mut blobs = BTreeMap::new();
    let module = plexus_runtime::fixtures::DEMO_WORKLOAD.as_bytes().to_vec();
    let model = plexus_learn::model::Model::new(
        plexus_learn::model::Architecture::Mlp { hidden: 32 },
        64,
        10,
        7,
    )?;
    let params = plexus_learn::task::params_to_bytes(&model.params()?);
    let mut pieces = vec![module, params];
    pieces.extend(HOSTILE.iter().map(|(_, wat)| wat.as_bytes().to_vec()));
    for bytes in pieces {
        let id = client
            .put_blob(&url, &consumer, &scratch, &bytes)
            .await
            .context("putting the devnet's job blobs on the node")?;
        blobs.insert(id, bytes);
    }
    let consumer = Consumer {
        client: client.clone(),
        node,
        key: consumer,
        scratch,
        module_id: Hash::of(plexus_runtime::fixtures::DEMO_WORKLOAD.as_bytes()),
        model_id: Hash::of(&plexus_learn::task::params_to_bytes(&model.params()?)),
        every: args.job_every,
    };
    let (stop, stop_rx) = tokio::sync::watch::channel(false);
    let task = tokio::spawn(consumer.run(stop_rx));
    Ok(Some(JobsRun {
        task,
        stop,
        node: url,
        blobs,
    }))
}
