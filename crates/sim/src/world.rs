//! The world a simulation runs in: one chain on a temporary store, its node's API served on an
//! in-process network, keys derived from the seed, and a clock that moves only as the
//! simulation says.

use anyhow::Context;
use axum::body::Body;
use axum::http::{Method, Request, Response};
use plexus_chain::{Chain, MempoolConfig};
use plexus_client::{
    Clock, ManualClock, NodeClient, OracleClient, Routers, Transport, TransportError,
};
use plexus_ledger::{Genesis, GenesisAccount, OracleSet, RewardParams};
use plexus_oracle::Oracle;
use plexus_transport::BoxFuture;
use plexus_types::{Address, Amount, Hash, SecretKey};
use std::sync::Arc;
use std::time::Duration;

/// The simulated network's chain id.
pub const CHAIN_ID: &str = "plexus-sim";
/// When the simulated chain starts (a fixed instant, so runs are comparable).
pub const GENESIS_TIME_MS: u64 = 1_767_225_600_000;
/// The node's address on the in-process network.
pub const NODE: &str = "node.sim:1";
/// The oracle's address on the in-process network.
pub const ORACLE: &str = "oracle.sim:1";
/// Simulated time between blocks.
pub const BLOCK_MS: u64 = 1_000;

/// Who holds a key in a simulation: a name, and what genesis gives it.
pub struct Actor {
    pub name: String,
    pub key: SecretKey,
    pub balance: Amount,
}

impl Actor {
    pub fn address(&self) -> Address {
        Address::from_public_key(&self.key.public_key())
    }
}

/// The key named `name` in the simulation seeded `seed`: the same pair always gives the same key.
pub fn key_of(seed: u64, name: &str) -> SecretKey {
    let mut h = blake3::Hasher::new_derive_key("plexus simulation key v1");
    h.update(&seed.to_le_bytes());
    h.update(name.as_bytes());
    SecretKey::from_seed(*h.finalize().as_bytes())
}

/// A chain, its node on an in-process network, and simulated time.
pub struct World {
    pub seed: u64,
    pub dir: tempfile::TempDir,
    pub chain: Arc<Chain>,
    pub clock: ManualClock,
    pub routers: Routers,
    pub net: Arc<SimNet>,
    proposer: Address,
}

impl World {
    /// Starts a chain from a genesis that funds `actors` and makes `oracle` the only oracle,
    /// with epochs of `epoch_blocks` blocks.
    pub fn new(
        seed: u64,
        actors: &[Actor],
        oracle: Address,
        epoch_blocks: u64,
    ) -> anyhow::Result<World> {
        let dir = tempfile::tempdir().context("a temporary directory for the simulation")?;
        let accounts = actors
            .iter()
            .map(|a| GenesisAccount {
                address: a.address(),
                balance: a.balance,
            })
            .collect();
        let mut genesis = Genesis::new(CHAIN_ID, GENESIS_TIME_MS, accounts);
        genesis.rewards = RewardParams {
            epoch_blocks,
            intervals_per_epoch: 4,
            initial_epoch_emission: Amount::plx(10_000),
            ..RewardParams::default()
        };
        genesis.oracles = OracleSet {
            members: vec![oracle],
            threshold: 1,
        };
        genesis.validate()?;
        let chain = Arc::new(Chain::open(
            &dir.path().join("chain"),
            Some(&genesis),
            MempoolConfig::default(),
        )?);
        let blobs = plexus_blobs::BlobStore::open(dir.path().join("blobs"))?;
        // Every wait in the simulation (a sender polling for its commit, a duty's pause) moves
        // time on instead of blocking the one task the simulation runs in.
        let clock = ManualClock::skipping(Duration::from_millis(GENESIS_TIME_MS));
        let routers = Routers::new();
        let node_clock = clock.clone();
        let uploads = plexus_node::upload_gate(
            chain.clone(),
            &plexus_node::UploadSettings::default(),
            Arc::new(move || node_clock.now_ms()),
        );
        routers.serve(
            NODE,
            plexus_node::router(plexus_node::ApiState {
                chain: chain.clone(),
                blobs: Arc::new(blobs),
                uploads,
                console: plexus_node::ConsoleState::follow(&chain),
            }),
        );
        let net = Arc::new(SimNet {
            routers: routers.clone(),
            chain: chain.clone(),
            clock: clock.clone(),
            proposer: key_of(seed, "validator").public_key(),
        });
        Ok(World {
            seed,
            dir,
            chain,
            clock,
            routers,
            net,
            proposer: Address::from_public_key(&key_of(seed, "validator").public_key()),
        })
    }

    /// A client of the node that reaches it over the in-process network.
    pub fn node_client(&self) -> NodeClient {
        NodeClient::with_transport(&format!("http://{NODE}"), self.net.clone())
            .expect("the simulated node's URL is valid")
    }

    /// A blob client over the in-process network whose uploads `key` signs on the world's
    /// clock, as the node requires.
    pub fn blob_client(&self, key: &SecretKey) -> plexus_blobs::client::BlobClient {
        use plexus_blobs::upload_auth::{KeySigner, SigningTransport};
        let clock = self.clock.clone();
        let signer = KeySigner::with_clock(
            key.clone(),
            self.chain.status().chain_id,
            Arc::new(move || clock.now_ms()),
        );
        plexus_blobs::client::BlobClient::with_transport(Arc::new(SigningTransport::new(
            self.net.clone(),
            Arc::new(signer),
        )))
    }

    /// Opens the oracle keyed `key` on the world's clock and network, and serves its API at
    /// [`ORACLE`].
    pub async fn start_oracle(&self, key: SecretKey) -> anyhow::Result<Arc<Oracle>> {
        let oracle = Oracle::open(
            &self.dir.path().join("oracle"),
            key,
            self.node_client(),
            Arc::new(self.clock.clone()),
            self.net.clone(),
        )
        .await?;
        self.routers.serve(ORACLE, oracle.router());
        Ok(Arc::new(oracle))
    }

    /// A client of the oracle over the in-process network.
    pub fn oracle_client(&self) -> OracleClient {
        OracleClient::with_transport(&format!("http://{ORACLE}"), self.net.clone())
            .expect("the simulated oracle's URL is valid")
    }

    /// Moves time one block on and commits a block of whatever the mempool holds.
    pub fn next_block(&self) -> anyhow::Result<u64> {
        self.net.produce()?;
        let _ = self.proposer;
        Ok(self.chain.status().height)
    }

    /// Runs blocks until the chain is at `height`.
    pub fn run_to(&self, height: u64) -> anyhow::Result<()> {
        while self.chain.status().height < height {
            self.next_block()?;
        }
        Ok(())
    }
}

/// The simulation's network: requests go to in-process routers, and a client that looks up a
/// transaction still in the mempool moves time one block on first, so that a program waiting
/// for its commit sees the next block instead of waiting for time nobody moves.
pub struct SimNet {
    routers: Routers,
    chain: Arc<Chain>,
    clock: ManualClock,
    proposer: plexus_types::PublicKey,
}

impl SimNet {
    fn produce(&self) -> anyhow::Result<()> {
        self.clock.advance(Duration::from_millis(BLOCK_MS));
        let time_ms = plexus_client::Clock::now_ms(&self.clock);
        self.chain
            .produce_block_at(Address::from_public_key(&self.proposer), time_ms)?;
        Ok(())
    }

    fn pending_lookup(&self, request: &Request<Body>) -> Option<Hash> {
        if request.method() != Method::GET
            || request.uri().authority().map(|a| a.as_str()) != Some(NODE)
        {
            return None;
        }
        let hash = request.uri().path().strip_prefix("/v1/txs/")?;
        let hash = Hash::from_hex(hash).ok()?;
        self.chain.is_pending(&hash).then_some(hash)
    }
}

impl Transport for SimNet {
    fn call(
        &self,
        request: Request<Body>,
    ) -> BoxFuture<'_, Result<Response<Body>, TransportError>> {
        Box::pin(async move {
            if self.pending_lookup(&request).is_some() {
                self.produce().map_err(|e| TransportError::Unreachable {
                    url: request.uri().to_string(),
                    reason: format!("the simulated chain cannot make a block: {e:#}"),
                })?;
            }
            self.routers.call(request).await
        })
    }
}
