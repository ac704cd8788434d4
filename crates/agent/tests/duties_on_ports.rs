//! The agent's duties driven through in-process ports on a clock moved by hand: no sockets,
//! no wall-clock waits for the duties' periods.

use plexus_agent::heartbeat::Heartbeats;
use plexus_agent::{Agent, AgentConfig, Behaviour, HardwareProbe, Ports, TcpServices, Timings};
use plexus_client::views::{
    AccountView, BlockView, ChainView, DealView, DeviceClassView, DeviceStatusView, DeviceView,
    EpochView, LeaseView, OracleSetView, OrderView, ParamsView, ResourceClass, RewardParamsView,
    RewardsView, RoundResultView, StatusView, TaskView, TxStatusView,
};
use plexus_client::{
    ApiFuture, ChallengeId, ChallengeOutcome, ClaimProof, ClientError, HeartbeatReceipt,
    ManualClock, NodeApi, OpenChallenge, OracleApi, OracleStatus, Routers, TxSender,
};
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

fn not_in_this_fake<T: Send + 'static>(
    what: &'static str,
) -> ApiFuture<'static, Result<T, ClientError>> {
    Box::pin(async move { Err(refused(what)) })
}

impl NodeApi for FakeNode {
    fn name(&self) -> &str {
        "fake node"
    }
    fn chain_status(&self) -> ApiFuture<'_, Result<StatusView, ClientError>> {
        Box::pin(async {
            Ok(StatusView {
                chain_id: CHAIN_ID.into(),
                height: 1,
                app_hash: Hash::ZERO,
                last_block_time_ms: 0,
                txs_committed: 0,
                mempool_size: 0,
                min_fee: Amount(10),
                devices: 1,
                version: "fake".into(),
            })
        })
    }
    fn chain_params(&self) -> ApiFuture<'_, Result<ChainView, ClientError>> {
        Box::pin(async {
            Ok(ChainView {
                chain_id: CHAIN_ID.into(),
                genesis_time_ms: 0,
                params: ParamsView {
                    min_fee: Amount(10),
                    max_tx_bytes: 1 << 16,
                    max_block_bytes: 1 << 20,
                },
                rewards: RewardParamsView {
                    epoch_blocks: 100,
                    intervals_per_epoch: 10,
                    initial_epoch_emission: Amount(1_000),
                    halving_epochs: 100,
                    pool_weights: [(ResourceClass::Compute, 1)].into_iter().collect(),
                    claim_epochs: 4,
                    unbonding_epochs: 2,
                    min_uptime_percent: 50,
                },
                oracles: OracleSetView {
                    members: vec![],
                    threshold: 1,
                },
                device_classes: vec![DeviceClassView {
                    name: "cpu-small".into(),
                    resource: ResourceClass::Compute,
                    min_stake: Amount(1),
                    capacity_units: 1,
                }],
                beacon: None,
                staking: Default::default(),
            })
        })
    }
    fn account_of<'a>(
        &'a self,
        address: &'a Address,
    ) -> ApiFuture<'a, Result<AccountView, ClientError>> {
        Box::pin(async move {
            Ok(AccountView {
                address: *address,
                balance: Amount(1_000_000),
                nonce: 0,
                pending_nonce: 0,
                exists: true,
                height: 1,
                app_hash: Hash::ZERO,
                proof: String::new(),
            })
        })
    }
    fn block(&self, _: u64) -> ApiFuture<'_, Result<BlockView, ClientError>> {
        not_in_this_fake("block")
    }
    fn devices(&self) -> ApiFuture<'_, Result<Vec<DeviceView>, ClientError>> {
        not_in_this_fake("device list")
    }
    fn device_changes(
        &self,
        _after: u64,
    ) -> ApiFuture<'_, Result<plexus_client::views::DeviceChangesView, ClientError>> {
        not_in_this_fake("device changes")
    }
    fn device<'a>(
        &'a self,
        key: &'a PublicKey,
    ) -> ApiFuture<'a, Result<Option<DeviceView>, ClientError>> {
        Box::pin(async move {
            Ok(Some(DeviceView {
                key: *key,
                owner: Address::from_public_key(&owner().public_key()),
                class: "cpu-small".into(),
                capabilities: Default::default(),
                h3_cell: 0,
                stake: Amount(5),
                status: DeviceStatusView::Active,
                registered_epoch: 0,
                registered_height: 1,
            }))
        })
    }
    fn epoch(&self, _: u64) -> ApiFuture<'_, Result<Option<EpochView>, ClientError>> {
        Box::pin(async { Ok(None) })
    }
    fn rewards(&self) -> ApiFuture<'_, Result<RewardsView, ClientError>> {
        not_in_this_fake("rewards")
    }
    fn open_deals(&self) -> ApiFuture<'_, Result<Vec<DealView>, ClientError>> {
        Box::pin(async { Ok(vec![]) })
    }
    fn deals_of<'a>(
        &'a self,
        _: &'a PublicKey,
    ) -> ApiFuture<'a, Result<Vec<DealView>, ClientError>> {
        Box::pin(async { Ok(vec![]) })
    }
    fn training_tasks(&self) -> ApiFuture<'_, Result<Vec<TaskView>, ClientError>> {
        Box::pin(async { Ok(vec![]) })
    }
    fn training_rounds(&self, _: u64) -> ApiFuture<'_, Result<Vec<RoundResultView>, ClientError>> {
        Box::pin(async { Ok(vec![]) })
    }
    fn live_orders(&self) -> ApiFuture<'_, Result<Vec<OrderView>, ClientError>> {
        Box::pin(async { Ok(vec![]) })
    }
    fn lease(&self, _: u64) -> ApiFuture<'_, Result<Option<LeaseView>, ClientError>> {
        Box::pin(async { Ok(None) })
    }
    fn submit_tx<'a>(&'a self, _: &'a SignedTx) -> ApiFuture<'a, Result<Hash, ClientError>> {
        not_in_this_fake("mempool")
    }
    fn tx_status<'a>(&'a self, hash: &'a Hash) -> ApiFuture<'a, Result<TxStatusView, ClientError>> {
        Box::pin(async move {
            Ok(TxStatusView {
                hash: *hash,
                status: "committed".into(),
                height: Some(1),
                index: Some(0),
                code: Some("ok".into()),
                log: Some(String::new()),
                fee: Some(Amount(10)),
            })
        })
    }
}

/// An oracle that takes every heartbeat and issues no challenge; its interval is set by the
/// test.
#[derive(Default)]
struct FakeOracle {
    interval: Mutex<(u64, u32)>,
    heartbeats: Mutex<Vec<SignedHeartbeat>>,
    /// How many heartbeats have come, for tests that wait for the next one.
    received: tokio::sync::watch::Sender<usize>,
}

impl FakeOracle {
    fn heartbeats(&self) -> Vec<SignedHeartbeat> {
        self.heartbeats.lock().unwrap().clone()
    }

    /// Waits until `count` heartbeats have come (failing the test after 10 s of wall time,
    /// which only a hung agent takes).
    async fn wait_for_heartbeats(&self, count: usize) {
        let mut received = self.received.subscribe();
        tokio::time::timeout(Duration::from_secs(10), received.wait_for(|n| *n >= count))
            .await
            .expect("the agent sends the heartbeat")
            .expect("the fake oracle lives as long as the test");
    }
}

impl OracleApi for FakeOracle {
    fn name(&self) -> &str {
        "fake oracle"
    }
    fn status(&self) -> ApiFuture<'_, Result<OracleStatus, ClientError>> {
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
    fn send_heartbeat<'a>(
        &'a self,
        heartbeat: &'a SignedHeartbeat,
    ) -> ApiFuture<'a, Result<HeartbeatReceipt, ClientError>> {
        self.heartbeats.lock().unwrap().push(heartbeat.clone());
        self.received.send_modify(|n| *n += 1);
        Box::pin(async { Ok(HeartbeatReceipt::Accepted) })
    }
    fn challenges<'a>(
        &'a self,
        _: &'a PublicKey,
        _: &'a plexus_client::ChallengeFetch,
    ) -> ApiFuture<'a, Result<Vec<OpenChallenge>, ClientError>> {
        Box::pin(async { Ok(vec![]) })
    }
    fn commit<'a>(
        &'a self,
        _: &'a ChallengeId,
        _: &'a proto::ChallengeCommit,
    ) -> ApiFuture<'a, Result<Vec<u32>, ClientError>> {
        not_in_this_fake("challenge")
    }
    fn open<'a>(
        &'a self,
        _: &'a ChallengeId,
        _: &'a proto::ChallengeOpenings,
    ) -> ApiFuture<'a, Result<ChallengeOutcome, ClientError>> {
        not_in_this_fake("challenge")
    }
    fn claim_proof<'a>(
        &'a self,
        _: u64,
        _: &'a str,
        _: &'a PublicKey,
    ) -> ApiFuture<'a, Result<Option<ClaimProof>, ClientError>> {
        Box::pin(async { Ok(None) })
    }
    fn evidence(&self, _: u64) -> ApiFuture<'_, Result<String, ClientError>> {
        not_in_this_fake("evidence")
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
        transport: Arc::new(Routers::new()),
        services: Arc::new(TcpServices::new(([127, 0, 0, 1], 0).into(), dir)),
    };
    let hardware = HardwareProbe {
        cpu_cores: 4,
        memory_mb: 8192,
        gpus: vec![],
    };
    Agent::with_ports(config(dir), owner(), behaviour, hardware, ports).expect("the agent sets up")
}

#[tokio::test]
async fn a_replaying_device_sends_its_first_heartbeat_in_every_later_interval() {
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::new(Duration::from_secs(1_000));
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
    let clock = ManualClock::new(Duration::from_secs(1_000));
    let oracle = Arc::new(FakeOracle::default());
    let ports = Ports {
        node: Arc::new(FakeNode),
        oracles: vec![oracle.clone()],
        clock: Arc::new(clock.clone()),
        transport: Arc::new(Routers::new()),
        services: Arc::new(TcpServices::new(([127, 0, 0, 1], 0).into(), dir.path())),
    };
    let device = plexus_agent::DeviceIdentity::load_or_create(dir.path()).unwrap();
    let sender = Arc::new(TxSender::with_clock(
        ports.node.clone(),
        owner(),
        ports.clock.clone(),
    ));
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
    let clock = ManualClock::new(Duration::from_secs(1_000));
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
    oracle.wait_for_heartbeats(1).await;
    for sent in 2..=4 {
        // Each period of the clock makes one heartbeat; the exact count once the agent has
        // stopped shows that none came in between.
        clock.advance(Duration::from_secs(60));
        oracle.wait_for_heartbeats(sent).await;
    }
    stop.send(()).unwrap();
    running.await.unwrap().unwrap();
    assert_eq!(
        oracle.heartbeats().len(),
        4,
        "one heartbeat at start and one per period of the clock"
    );
}

#[tokio::test]
async fn a_compute_device_serves_nothing_and_has_no_replicas_to_keep() {
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::new(Duration::from_secs(1_000));
    let agent = agent_on(
        dir.path(),
        Behaviour::Honest,
        Arc::new(FakeOracle::default()),
        &clock,
    );
    agent.start_service().await.unwrap();
    assert_eq!(agent.endpoint(), None);
    assert!(matches!(
        agent.keep_replicas_once().await,
        Err(plexus_agent::AgentError::NoReplicas { .. })
    ));
}
