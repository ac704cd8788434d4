//! The agent's duties driven through in-process ports on a clock moved by hand: no sockets,
//! no wall-clock waits for the duties' periods.

use plexus_agent::heartbeat::Heartbeats;
use plexus_agent::node::{
    AccountState, ChainParams, CommittedTx, DeviceClass, DeviceState, EpochState, NodeStatus,
    RewardParams,
};
use plexus_agent::oracle::{
    ChallengeId, ChallengeOutcome, ClaimProof, HeartbeatReceipt, OpenChallenge, OracleStatus,
};
use plexus_agent::ports::{PortFuture, TxStatus};
use plexus_agent::views::learn::TaskView;
use plexus_agent::views::market::{LeaseView, OrderView};
use plexus_agent::{
    Agent, AgentConfig, Behaviour, ClientError, HardwareProbe, ManualClock, NodeApi, OracleApi,
    Ports, Timings,
};
use plexus_blobs::BlobId;
use plexus_types::heartbeat::SignedHeartbeat;
use plexus_types::{proto, Address, Amount, Hash, PublicKey, SecretKey, SignedTx};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const CHAIN_ID: &str = "plexus-ports-test";

fn owner() -> SecretKey {
    SecretKey::from_seed([9; 32])
}

/// A node on which every device asked about is already registered to [`owner`].
struct FakeNode;

fn refused(what: &str) -> ClientError {
    ClientError::Refused {
        service: "node",
        url: what.to_string(),
        status: 404,
        code: "not_in_this_fake".into(),
        message: format!("the fake node has no {what}"),
    }
}

impl NodeApi for FakeNode {
    fn name(&self) -> &str {
        "fake node"
    }
    fn status(&self) -> PortFuture<'_, Result<NodeStatus, ClientError>> {
        Box::pin(async {
            Ok(NodeStatus {
                chain_id: CHAIN_ID.into(),
                height: 1,
                app_hash: Hash::ZERO,
                min_fee: Amount(10),
            })
        })
    }
    fn chain_params(&self) -> PortFuture<'_, Result<ChainParams, ClientError>> {
        Box::pin(async {
            Ok(ChainParams {
                chain_id: CHAIN_ID.into(),
                rewards: RewardParams {
                    epoch_blocks: 100,
                    intervals_per_epoch: 10,
                    claim_epochs: 4,
                },
                device_classes: vec![DeviceClass {
                    name: "cpu-small".into(),
                    resource: "compute".into(),
                    min_stake: Amount(1),
                }],
            })
        })
    }
    fn account(&self, _: Address) -> PortFuture<'_, Result<AccountState, ClientError>> {
        Box::pin(async {
            Ok(AccountState {
                balance: Amount(1_000_000),
                nonce: 0,
            })
        })
    }
    fn device(&self, key: PublicKey) -> PortFuture<'_, Result<Option<DeviceState>, ClientError>> {
        Box::pin(async move {
            Ok(Some(DeviceState {
                key,
                owner: Address::from_public_key(&owner().public_key()),
                class: "cpu-small".into(),
                status: "active".into(),
                capabilities: Default::default(),
                h3_cell: 0,
            }))
        })
    }
    fn epoch(&self, _: u64) -> PortFuture<'_, Result<Option<EpochState>, ClientError>> {
        Box::pin(async { Ok(None) })
    }
    fn training_tasks(&self) -> PortFuture<'_, Result<Vec<TaskView>, ClientError>> {
        Box::pin(async { Ok(vec![]) })
    }
    fn live_orders(&self) -> PortFuture<'_, Result<Vec<OrderView>, ClientError>> {
        Box::pin(async { Ok(vec![]) })
    }
    fn lease(&self, _: u64) -> PortFuture<'_, Result<Option<LeaseView>, ClientError>> {
        Box::pin(async { Ok(None) })
    }
    fn assigned_blobs(&self, _: PublicKey) -> PortFuture<'_, Result<Vec<BlobId>, ClientError>> {
        Box::pin(async { Ok(vec![]) })
    }
    fn submit(&self, _: SignedTx) -> PortFuture<'_, Result<Hash, ClientError>> {
        Box::pin(async { Err(refused("mempool")) })
    }
    fn tx_status(&self, hash: Hash) -> PortFuture<'_, Result<TxStatus, ClientError>> {
        Box::pin(async move {
            Ok(TxStatus::Committed(CommittedTx {
                hash,
                height: 1,
                code: "ok".into(),
                log: String::new(),
            }))
        })
    }
}

/// An oracle that takes every heartbeat and issues no challenge; its interval is set by the
/// test.
#[derive(Default)]
struct FakeOracle {
    interval: Mutex<(u64, u32)>,
    heartbeats: Mutex<Vec<SignedHeartbeat>>,
}

impl FakeOracle {
    fn heartbeats(&self) -> Vec<SignedHeartbeat> {
        self.heartbeats.lock().unwrap().clone()
    }
}

impl OracleApi for FakeOracle {
    fn name(&self) -> &str {
        "fake oracle"
    }
    fn status(&self) -> PortFuture<'_, Result<OracleStatus, ClientError>> {
        let (epoch, interval) = *self.interval.lock().unwrap();
        Box::pin(async move {
            Ok(OracleStatus {
                chain_id: CHAIN_ID.into(),
                height: 0,
                epoch,
                interval,
                beacon: Hash([interval as u8; 32]),
                epoch_blocks: 100,
                intervals_per_epoch: 10,
            })
        })
    }
    fn send_heartbeat(
        &self,
        heartbeat: SignedHeartbeat,
    ) -> PortFuture<'_, Result<HeartbeatReceipt, ClientError>> {
        self.heartbeats.lock().unwrap().push(heartbeat);
        Box::pin(async { Ok(HeartbeatReceipt::Accepted) })
    }
    fn challenges(&self, _: PublicKey) -> PortFuture<'_, Result<Vec<OpenChallenge>, ClientError>> {
        Box::pin(async { Ok(vec![]) })
    }
    fn commit(
        &self,
        _: ChallengeId,
        _: proto::ChallengeCommit,
    ) -> PortFuture<'_, Result<Vec<u32>, ClientError>> {
        Box::pin(async { Err(refused("challenge")) })
    }
    fn open(
        &self,
        _: ChallengeId,
        _: proto::ChallengeOpenings,
    ) -> PortFuture<'_, Result<ChallengeOutcome, ClientError>> {
        Box::pin(async { Err(refused("challenge")) })
    }
    fn claim_proof(
        &self,
        _: u64,
        _: String,
        _: PublicKey,
    ) -> PortFuture<'_, Result<Option<ClaimProof>, ClientError>> {
        Box::pin(async { Ok(None) })
    }
}

fn config(dir: &std::path::Path) -> AgentConfig {
    AgentConfig::parse(&format!(
        "node = \"http://127.0.0.1:9\"\noracles = [\"http://127.0.0.1:9\"]\ndata_dir = \"{}\"\nclass = \"cpu-small\"\nh3_cell = \"8c2a100d2c0a5ff\"\nstake = \"5plx\"\n",
        dir.display()
    ))
    .expect("the test config parses")
}

fn agent_on(
    dir: &std::path::Path,
    behaviour: Behaviour,
    oracle: Arc<FakeOracle>,
    clock: &ManualClock,
) -> Agent {
    let ports = Ports {
        node: Arc::new(FakeNode),
        oracles: vec![oracle],
        clock: Arc::new(clock.clone()),
    };
    let hardware = HardwareProbe {
        cpu_cores: 4,
        memory_mb: 8192,
        gpus: vec![],
    };
    Agent::with_ports(config(dir), owner(), behaviour, hardware, ports).expect("the agent sets up")
}

/// Waits (in real time, briefly) until `done` holds.
async fn eventually(done: impl Fn() -> bool) {
    for _ in 0..500 {
        if done() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("the condition did not come to hold");
}

#[tokio::test]
async fn a_replaying_device_sends_its_first_heartbeat_in_every_later_interval() {
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::new();
    let oracle = Arc::new(FakeOracle::default());
    let agent = agent_on(
        dir.path(),
        Behaviour::ReplayHeartbeats,
        oracle.clone(),
        &clock,
    );
    agent.heartbeat_once().await.unwrap();
    *oracle.interval.lock().unwrap() = (0, 1);
    agent.heartbeat_once().await.unwrap();
    let sent = oracle.heartbeats();
    assert_eq!(sent.len(), 2);
    assert_eq!(sent[0].bytes, sent[1].bytes);
    assert_eq!(sent[1].heartbeat.interval, 0);
}

#[tokio::test]
async fn an_honest_device_heartbeats_the_interval_the_oracle_names() {
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::new();
    let oracle = Arc::new(FakeOracle::default());
    let ports = Ports {
        node: Arc::new(FakeNode),
        oracles: vec![oracle.clone()],
        clock: Arc::new(clock.clone()),
    };
    let device = plexus_agent::DeviceIdentity::load_or_create(dir.path()).unwrap();
    let sender = plexus_agent::sender::TxSender::new(
        owner(),
        ports.node.clone(),
        ports.clock.clone(),
        Default::default(),
    );
    let ctx = plexus_agent::context::DeviceContext::new(ports, device.clone(), sender);
    let duty = Heartbeats::new(Behaviour::Honest.strategies().heartbeats);
    *oracle.interval.lock().unwrap() = (3, 7);
    assert_eq!(
        duty.once(&ctx).await.unwrap(),
        vec![HeartbeatReceipt::Accepted]
    );
    let sent = oracle.heartbeats();
    assert_eq!(sent[0].heartbeat.device, device.public_key());
    assert_eq!(
        (sent[0].heartbeat.epoch, sent[0].heartbeat.interval),
        (3, 7)
    );
    assert_eq!(sent[0].heartbeat.beacon, Hash([7; 32]));
}

#[tokio::test]
async fn a_running_agent_heartbeats_once_per_period_of_the_clock_it_is_given() {
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::new();
    let oracle = Arc::new(FakeOracle::default());
    let agent =
        agent_on(dir.path(), Behaviour::Honest, oracle.clone(), &clock).with_timings(Timings {
            heartbeat: Duration::from_secs(60),
            ..Timings::default()
        });
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let running = tokio::spawn(async move {
        agent
            .run(async {
                let _ = stopped.await;
            })
            .await
    });
    eventually(|| oracle.heartbeats().len() == 1).await;
    for sent in 2..=4 {
        // Time that does not reach the next period sends nothing more.
        clock.advance(Duration::from_secs(59));
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert_eq!(oracle.heartbeats().len(), sent - 1);
        clock.advance(Duration::from_secs(1));
        eventually(|| oracle.heartbeats().len() == sent).await;
    }
    stop.send(()).unwrap();
    running.await.unwrap().unwrap();
}
