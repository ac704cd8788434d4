//! Starting and stopping a node: the chain, its block producer thread and the HTTP server.

use crate::api::{router, ApiState, ConsoleState};
use crate::config::{NodeConfig, NodeFiles};
use anyhow::Context;
use plexus_chain::{Chain, ChainError, MempoolConfig, SoloConfig};
use plexus_types::Address;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::oneshot;

/// A node that is running: its chain, where its API listens, and how to stop it.
pub struct RunningNode {
    pub chain: Arc<Chain>,
    pub api_addr: SocketAddr,
    /// The console's block events and settings (tell it where the oracles are).
    pub console: Arc<ConsoleState>,
    stop: Arc<AtomicBool>,
    producer: Option<std::thread::JoinHandle<Result<(), ChainError>>>,
    producer_done: Option<oneshot::Receiver<()>>,
    http_stop: Option<oneshot::Sender<()>>,
    http: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
    /// Ends once every copy of the API's router (one per open connection) is dropped: only
    /// then has the API let go of the chain, and its store can be opened again.
    api_gone: Option<tokio::sync::mpsc::Receiver<()>>,
    sweeper: tokio::task::JoinHandle<()>,
}

/// The longest a stopping node waits for its API's connections to let go of the chain.
const API_RELEASE_LIMIT: Duration = Duration::from_secs(10);

/// Carried by every copy of the API's router; see [`RunningNode`]'s `api_gone`.
#[derive(Clone)]
struct ApiAlive(#[allow(dead_code)] tokio::sync::mpsc::Sender<()>);

/// Opens the chain in `files.home`, replaying logged blocks, then starts the block producer
/// and the HTTP API.
pub async fn run_node(files: &NodeFiles, config: NodeConfig) -> anyhow::Result<RunningNode> {
    // Install the recorder before anything records, so no early metric is lost.
    crate::metrics_recorder::handle();
    let genesis = files.load_genesis().with_context(|| {
        format!(
            "{} is not an initialized node home (run `plexus node init --home {}`)",
            files.home.display(),
            files.home.display()
        )
    })?;
    let node_key = files.load_node_key()?;
    let proposer = Address::from_public_key(&node_key.public_key());
    let genesis_validators = genesis.validators.clone();
    let reveals = files.load_beacon_chain(&genesis)?;
    let data = files.data_dir();
    let chain = tokio::task::spawn_blocking(move || {
        Chain::open(&data, Some(&genesis), MempoolConfig::default())
    })
    .await?
    .context("opening the chain")?;
    if let Some(reveals) = reveals {
        chain
            .set_reveal_chain(reveals)
            .with_context(|| files.beacon_chain_path().display().to_string())?;
    }
    chain
        .store()
        .set_retain_versions(std::num::NonZeroU64::new(config.retain_versions));
    // The block log keeps the heights whose state is kept.
    chain.set_retain_blocks(std::num::NonZeroU64::new(config.retain_versions));
    let chain = Arc::new(chain);
    let listener = tokio::net::TcpListener::bind(config.api)
        .await
        .with_context(|| format!("cannot listen on {} (is another node running?)", config.api))?;
    let api_addr = listener.local_addr()?;

    let stop = Arc::new(AtomicBool::new(false));
    let (done_tx, done_rx) = oneshot::channel();
    let producer = spawn_producer(
        files,
        genesis_validators,
        &chain,
        &stop,
        &config,
        proposer,
        done_tx,
    )?;

    let (http_stop, http_stop_rx) = oneshot::channel::<()>();
    let blob_dir = files.blobs_dir();
    let blobs = tokio::task::spawn_blocking(move || plexus_blobs::BlobStore::open(blob_dir))
        .await?
        .context("opening the blob store")?;
    let blobs = Arc::new(blobs);
    let uploads = crate::uploads::upload_gate(
        chain.clone(),
        &config.uploads,
        Arc::new(plexus_blobs::upload_auth::system_millis),
    );
    let sweeper = crate::uploads::spawn_partial_sweeper(
        blobs.clone(),
        Duration::from_secs(config.uploads.partial_ttl_secs),
    );
    let console = ConsoleState::follow(&chain);
    if !config.oracles.is_empty() {
        console.set_oracles(config.oracles.clone());
    }
    let (api_alive, api_gone) = tokio::sync::mpsc::channel(1);
    let app = router(ApiState {
        chain: chain.clone(),
        blobs,
        uploads,
        console: console.clone(),
    })
    .layer(axum::Extension(ApiAlive(api_alive)));
    let http = tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = http_stop_rx.await;
            })
            .await
    });
    let status = chain.status();
    tracing::info!(
        chain_id = %status.chain_id,
        height = status.height,
        api = %api_addr,
        "node started"
    );
    Ok(RunningNode {
        chain,
        api_addr,
        console,
        stop,
        producer: Some(producer),
        producer_done: Some(done_rx),
        http_stop: Some(http_stop),
        http: Some(http),
        api_gone: Some(api_gone),
        sweeper,
    })
}

/// Starts the thread that makes blocks: a validator under consensus when the genesis lists
/// validators, else the solo producer. It sends on `done` when it stops.
#[allow(clippy::too_many_arguments)]
fn spawn_producer(
    files: &NodeFiles,
    genesis_validators: Vec<plexus_ledger::GenesisValidator>,
    chain: &Arc<Chain>,
    stop: &Arc<AtomicBool>,
    config: &NodeConfig,
    proposer: Address,
    done_tx: oneshot::Sender<()>,
) -> anyhow::Result<std::thread::JoinHandle<Result<(), plexus_chain::ChainError>>> {
    let handle = if !genesis_validators.is_empty() {
        let key_path = files.consensus_key_path();
        let text = std::fs::read_to_string(&key_path).with_context(|| {
            format!(
                "the genesis lists validators, but this home has no consensus key at {}",
                key_path.display()
            )
        })?;
        let key = plexus_chain::commonware::consensus_key_from_hex(&text)
            .map_err(|e| anyhow::anyhow!("{}: {e}", key_path.display()))?;
        let threshold = files.load_threshold_key(&files.load_genesis()?)?;
        let process = plexus_chain::commonware::ValidatorProcess {
            chain: chain.clone(),
            key,
            threshold,
            validators: genesis_validators,
            storage_dir: files.data_dir().join("consensus"),
            stop: stop.clone(),
            min_block_ms: config.min_block_ms,
        };
        std::thread::Builder::new()
            .name("validator".into())
            .spawn(move || {
                let result = process.run();
                if let Err(e) = &result {
                    tracing::error!(error = %e, "validator stopped");
                }
                let _ = done_tx.send(());
                result
            })?
    } else {
        let chain = chain.clone();
        let stop = stop.clone();
        let solo = SoloConfig {
            block_ms: config.block_ms,
            min_block_ms: config.min_block_ms,
            proposer,
        };
        std::thread::Builder::new()
            .name("block-producer".into())
            .spawn(move || {
                let result = chain.run_solo(&solo, &stop);
                if let Err(e) = &result {
                    tracing::error!(error = %e, "block producer stopped");
                }
                let _ = done_tx.send(());
                result
            })?
    };
    Ok(handle)
}

impl RunningNode {
    /// Runs until `signal` completes or the block producer fails, then shuts down cleanly:
    /// the API stops taking requests, the producer finishes its current block, the store closes.
    pub async fn run_until(
        mut self,
        signal: impl std::future::Future<Output = ()>,
    ) -> anyhow::Result<()> {
        let done = self.producer_done.take().expect("run_until is called once");
        tokio::select! {
            _ = signal => {
                tracing::info!("shutting down");
            }
            _ = done => {
                tracing::error!("block producer exited; shutting down");
            }
        }
        self.shutdown().await
    }

    /// Stops the API and the block producer and waits for both.
    pub async fn shutdown(mut self) -> anyhow::Result<()> {
        // Open event streams would otherwise hold the graceful shutdown forever.
        self.console.close();
        if let Some(tx) = self.http_stop.take() {
            let _ = tx.send(());
        }
        if let Some(http) = self.http.take() {
            http.await?.context("HTTP server")?;
        }
        // The server has returned, but a connection's task may still hold its copy of the
        // router (and so the chain) a moment longer: wait for the last one to go, so that a
        // node restarted in the same process finds its store free.
        if let Some(mut gone) = self.api_gone.take() {
            let _ = tokio::time::timeout(API_RELEASE_LIMIT, gone.recv()).await;
        }
        self.sweeper.abort();
        self.stop.store(true, Ordering::SeqCst);
        self.chain.wake();
        if let Some(producer) = self.producer.take() {
            let result = tokio::task::spawn_blocking(move || producer.join())
                .await?
                .map_err(|_| anyhow::anyhow!("block producer panicked"))?;
            result.context("block producer")?;
        }
        Ok(())
    }
}

/// Completes on SIGTERM or Ctrl-C.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = term => {}
    }
}
