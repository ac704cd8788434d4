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
                    location: Default::default(),
                }],
                beacon: None,
                staking: Default::default(),
                wireless: Default::default(),
                data_credits: Default::default(),
                data_market: Default::default(),
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
                location: None,
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

/// An oracle that lists one challenge and takes a commitment to it only once every oracle
/// of the test has received one: an agent that answered oracles one after another would wait
/// on the first for ever.
struct ChallengingOracle {
    name: String,
    challenge: OpenChallenge,
    all_committed: Arc<tokio::sync::Barrier>,
    roots: Mutex<Vec<Vec<u8>>>,
}

impl ChallengingOracle {
    fn new(name: &str, all_committed: Arc<tokio::sync::Barrier>) -> ChallengingOracle {
        let challenge = plexus_proofs::compute::ComputeChallenge::new([7; 32], 16).unwrap();
        ChallengingOracle {
            name: name.into(),
            challenge: serde_json::from_value(serde_json::json!({
                "id": "c1",
                "seed": Hash(*challenge.seed()),
                "n": challenge.n(),
                "class": "cpu-small",
                "deadline_ms": 50,
                "issued_height": 1,
            }))
            .unwrap(),
            all_committed,
            roots: Mutex::new(Vec::new()),
        }
    }
}

impl OracleApi for ChallengingOracle {
    fn name(&self) -> &str {
        &self.name
    }
    fn status(&self) -> ApiFuture<'_, Result<OracleStatus, ClientError>> {
        not_in_this_fake("status")
    }
    fn send_heartbeat<'a>(
        &'a self,
        _: &'a SignedHeartbeat,
    ) -> ApiFuture<'a, Result<HeartbeatReceipt, ClientError>> {
        not_in_this_fake("heartbeat")
    }
    fn challenges<'a>(
        &'a self,
        _: &'a PublicKey,
        _: &'a plexus_client::ChallengeFetch,
    ) -> ApiFuture<'a, Result<Vec<OpenChallenge>, ClientError>> {
        let open = vec![self.challenge.clone()];
        Box::pin(async move { Ok(open) })
    }
    fn commit<'a>(
        &'a self,
        _: &'a ChallengeId,
        commit: &'a proto::ChallengeCommit,
    ) -> ApiFuture<'a, Result<Vec<u32>, ClientError>> {
        self.roots.lock().unwrap().push(commit.root.clone());
        Box::pin(async move {
            self.all_committed.wait().await;
            Ok(vec![0, 3])
        })
    }
    fn open<'a>(
        &'a self,
        _: &'a ChallengeId,
        openings: &'a proto::ChallengeOpenings,
    ) -> ApiFuture<'a, Result<ChallengeOutcome, ClientError>> {
        let rows: Vec<u32> = openings.openings.iter().map(|o| o.index).collect();
        Box::pin(async move {
            assert_eq!(rows, vec![0, 3], "the rows asked for are opened");
            Ok(ChallengeOutcome::Passed)
        })
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
    agent_with_oracles(dir, behaviour, vec![oracle], clock)
}

fn agent_with_oracles(
    dir: &std::path::Path,
    behaviour: Behaviour,
    oracles: Vec<Arc<dyn OracleApi>>,
    clock: &ManualClock,
) -> Agent {
    let ports = Ports {
        node: Arc::new(FakeNode),
        oracles,
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

#[tokio::test]
async fn a_device_answers_every_oracle_side_by_side_so_a_slow_one_delays_no_other() {
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::new(Duration::from_secs(1_000));
    let all_committed = Arc::new(tokio::sync::Barrier::new(3));
    let oracles: Vec<Arc<ChallengingOracle>> = ["a", "b", "c"]
        .iter()
        .map(|n| Arc::new(ChallengingOracle::new(n, all_committed.clone())))
        .collect();
    let ports: Vec<Arc<dyn OracleApi>> = oracles
        .iter()
        .map(|o| o.clone() as Arc<dyn OracleApi>)
        .collect();
    let agent = agent_with_oracles(dir.path(), Behaviour::Honest, ports, &clock);
    // Each oracle takes the commitment only once all three have it: answered one after
    // another, the first would wait for ever. 10 s of wall time is only reached by that hang.
    let answers = tokio::time::timeout(Duration::from_secs(10), agent.answer_challenges_once())
        .await
        .expect("every oracle was answered without waiting for another")
        .unwrap();
    let mut answered: Vec<&str> = answers.iter().map(|a| a.oracle.as_str()).collect();
    answered.sort();
    assert_eq!(answered, ["a", "b", "c"]);
    assert!(answers
        .iter()
        .all(|a| a.outcome == ChallengeOutcome::Passed));
    // All three got the same commitment: one proof of the one challenge.
    let roots: Vec<Vec<u8>> = oracles
        .iter()
        .flat_map(|o| o.roots.lock().unwrap().clone())
        .collect();
    assert_eq!(roots.len(), 3);
    assert!(roots.iter().all(|r| *r == roots[0]));
}
