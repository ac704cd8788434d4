//! The agent's duties end to end, against a fake node and oracle.

mod fake_network;

use fake_network::{beacon, Fakes, CHAIN_ID};
use plexus_agent::{Agent, AgentConfig, AgentError, Behaviour, HardwareProbe, Registration};
use plexus_client::ChallengeOutcome;
use plexus_proofs::compute::{class_by_name, ROWS_OPENED};
use plexus_types::heartbeat::SignedHeartbeat;
use plexus_types::merkle::MerkleTree;
use plexus_types::{statements, Address, Body, Hash, SecretKey};
use serde_json::json;
use std::time::Duration;

fn hardware() -> HardwareProbe {
    HardwareProbe {
        cpu_cores: 4,
        memory_mb: 8192,
        gpus: vec![],
    }
}

fn owner() -> SecretKey {
    SecretKey::from_seed([42; 32])
}

fn agent(config: AgentConfig, behaviour: Behaviour) -> Agent {
    Agent::with_hardware(config, owner(), behaviour, hardware()).expect("the agent sets up")
}

#[tokio::test]
async fn registration_sends_one_register_device_signed_by_the_owner_and_the_device() {
    let fakes = Fakes::start().await;
    let dir = tempfile::tempdir().unwrap();
    let agent = agent(fakes.config(dir.path(), "cpu-small"), Behaviour::Honest);

    let first = agent.register_if_needed().await.unwrap();
    assert!(matches!(first, Registration::Registered(_)));
    let again = agent.register_if_needed().await.unwrap();
    assert!(matches!(again, Registration::AlreadyRegistered(_)));

    let net = fakes.net();
    assert_eq!(
        net.txs.len(),
        1,
        "a registered device is not registered twice"
    );
    let tx = &net.txs[0];
    assert!(tx.verify_signature().is_ok());
    assert_eq!(tx.signer, owner().public_key());
    assert_eq!(tx.chain_id, CHAIN_ID);
    assert_eq!(tx.nonce, 0);
    let Body::RegisterDevice {
        device,
        class,
        capabilities,
        h3_cell,
        stake,
        device_signature,
    } = &tx.body
    else {
        panic!("expected RegisterDevice, got {:?}", tx.body);
    };
    assert_eq!(*device, agent.device_key());
    assert_eq!(class, "cpu-small");
    assert_eq!(*capabilities, hardware().to_capabilities());
    assert_eq!(*h3_cell, 0x8c2a100d2c0a5ff);
    assert_eq!(stake.0, 5_000_000);
    let statement = statements::device_registration(
        CHAIN_ID,
        &Address::from_public_key(&owner().public_key()),
        device,
    );
    assert!(device.verify(&statement, device_signature).is_ok());
}

#[tokio::test]
async fn a_restarted_agent_keeps_its_device_and_does_not_register_again() {
    let fakes = Fakes::start().await;
    let dir = tempfile::tempdir().unwrap();
    let first = agent(fakes.config(dir.path(), "cpu-small"), Behaviour::Honest);
    first.register_if_needed().await.unwrap();
    let restarted = agent(fakes.config(dir.path(), "cpu-small"), Behaviour::Honest);
    assert_eq!(restarted.device_key(), first.device_key());
    assert!(matches!(
        restarted.register_if_needed().await.unwrap(),
        Registration::AlreadyRegistered(_)
    ));
    assert_eq!(fakes.net().txs.len(), 1);
}

#[tokio::test]
async fn a_stake_below_the_class_minimum_is_refused_before_any_fee_is_paid() {
    let fakes = Fakes::start().await;
    fakes.net().min_stake = 10_000_000;
    let dir = tempfile::tempdir().unwrap();
    let agent = agent(fakes.config(dir.path(), "cpu-small"), Behaviour::Honest);
    let err = agent.register_if_needed().await.unwrap_err();
    assert!(matches!(err, AgentError::StakeBelowMinimum { .. }), "{err}");
    assert!(!err.is_transient());
    assert!(fakes.net().txs.is_empty());
}

#[tokio::test]
async fn a_device_registered_to_another_owner_is_reported() {
    let fakes = Fakes::start().await;
    let dir = tempfile::tempdir().unwrap();
    let agent = agent(fakes.config(dir.path(), "cpu-small"), Behaviour::Honest);
    let stranger = Address::from_public_key(&SecretKey::from_seed([7; 32]).public_key());
    fakes.net().devices.insert(
        agent.device_key(),
        json!({ "key": agent.device_key(), "owner": stranger, "class": "cpu-small", "status": "active" }),
    );
    let err = agent.register_if_needed().await.unwrap_err();
    assert!(
        matches!(err, AgentError::DeviceOwnedByOther { .. }),
        "{err}"
    );
}

#[tokio::test]
async fn an_honest_agents_openings_verify_against_its_signed_commitment() {
    let fakes = Fakes::start().await;
    let dir = tempfile::tempdir().unwrap();
    let agent = agent(fakes.config(dir.path(), "cpu-small"), Behaviour::Honest);
    fakes.issue_challenge("c1", 48, [9; 32]);

    let answers = agent.answer_challenges_once().await.unwrap();
    assert_eq!(answers.len(), 1);
    assert_eq!(answers[0].outcome, ChallengeOutcome::Passed);

    let net = fakes.net();
    let issued = &net.challenges["c1"];
    assert_eq!(issued.opened, ROWS_OPENED as usize);
    assert!(
        issued.verdicts.iter().all(|v| v.is_ok()),
        "{:?}",
        issued.verdicts
    );
    assert_eq!(issued.frauds, 0);
}

#[tokio::test]
async fn a_wrong_compute_agents_opened_rows_are_fraud_proofs() {
    let fakes = Fakes::start().await;
    let dir = tempfile::tempdir().unwrap();
    let agent = agent(
        fakes.config(dir.path(), "cpu-small"),
        Behaviour::WrongCompute,
    );
    fakes.issue_challenge("c1", 48, [9; 32]);

    let answers = agent.answer_challenges_once().await.unwrap();
    assert_eq!(answers[0].outcome, ChallengeOutcome::Wrong);

    let net = fakes.net();
    let issued = &net.challenges["c1"];
    assert_eq!(issued.opened, ROWS_OPENED as usize);
    assert_eq!(
        issued.frauds, issued.opened,
        "every opened row of a signed wrong answer is a fraud proof"
    );
}

#[tokio::test]
async fn an_oracles_refusal_reaches_the_caller_with_its_code() {
    let fakes = Fakes::start().await;
    let dir = tempfile::tempdir().unwrap();
    let agent = agent(fakes.config(dir.path(), "cpu-small"), Behaviour::Honest);
    fakes.net().refuse_commits = Some("deadline_missed");
    fakes.issue_challenge("c1", 16, [3; 32]);

    let err = agent.answer_challenges_once().await.unwrap_err();
    assert!(
        matches!(&err, AgentError::Client(e) if e.code() == Some("deadline_missed")),
        "the oracle's code reaches the caller: {err}"
    );
    assert!(err.to_string().contains("deadline_missed"), "{err}");
}

#[tokio::test]
async fn a_challenge_the_oracle_lists_again_is_answered_again() {
    // An oracle lists only challenges it has no answer to; after a restart it may have lost
    // one, and the device must answer again or be marked as missing it.
    let fakes = Fakes::start().await;
    let dir = tempfile::tempdir().unwrap();
    let agent = agent(fakes.config(dir.path(), "cpu-small"), Behaviour::Honest);
    fakes.issue_challenge("c1", 16, [3; 32]);
    assert_eq!(agent.answer_challenges_once().await.unwrap().len(), 1);
    // The oracle restarts and lists the same challenge again.
    fakes.issue_challenge("c1", 16, [3; 32]);
    assert_eq!(agent.answer_challenges_once().await.unwrap().len(), 1);
}

#[tokio::test]
async fn one_oracle_down_does_not_fail_the_challenge_duty_while_another_answers() {
    let fakes = Fakes::start().await;
    let dir = tempfile::tempdir().unwrap();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let mut config = fakes.config(dir.path(), "cpu-small");
    config.oracles.insert(0, dead.clone());
    let two = agent(config, Behaviour::Honest);
    // Nothing open at the live oracle: the duty succeeds with no answer.
    assert!(two.answer_challenges_once().await.unwrap().is_empty());
    fakes.issue_challenge("c1", 16, [3; 32]);
    assert_eq!(two.answer_challenges_once().await.unwrap().len(), 1);

    // With every oracle down, the duty fails and says which oracle it could not reach.
    let dir = tempfile::tempdir().unwrap();
    let mut config = fakes.config(dir.path(), "cpu-small");
    config.oracles = vec![dead.clone()];
    let alone = agent(config, Behaviour::Honest);
    let err = alone.answer_challenges_once().await.unwrap_err();
    assert!(err.to_string().contains(&dead), "{err}");
}

#[tokio::test]
async fn an_over_declaring_agent_commits_no_sooner_than_its_real_class_could() {
    let fakes = Fakes::start().await;
    let dir = tempfile::tempdir().unwrap();
    let real_class = class_by_name("cpu-small").unwrap();
    let behaviour = Behaviour::OverDeclare { real_class };
    let agent = agent(fakes.config(dir.path(), "cpu-medium"), behaviour);
    fakes.issue_challenge("c1", 256, [4; 32]);

    let answers = agent.answer_challenges_once().await.unwrap();
    // 256³ / 512³ · 50 ms / 4 ≈ 1.56 ms: small here, but it scales to a missed deadline at
    // the declared class's size (see the behaviour's own tests).
    assert!(answers[0].commit_latency >= behaviour.commit_delay(256));
    assert_eq!(
        answers[0].outcome,
        ChallengeOutcome::Passed,
        "slow, not wrong"
    );
}

#[tokio::test]
async fn over_declaring_a_class_no_larger_than_the_real_one_is_refused() {
    let fakes = Fakes::start().await;
    let dir = tempfile::tempdir().unwrap();
    let behaviour = Behaviour::OverDeclare {
        real_class: class_by_name("cpu-large").unwrap(),
    };
    let err = Agent::with_hardware(
        fakes.config(dir.path(), "cpu-small"),
        owner(),
        behaviour,
        hardware(),
    )
    .err()
    .expect("refused");
    assert!(matches!(err, AgentError::NotOverDeclaring { .. }), "{err}");
}

fn set_interval(fakes: &Fakes, epoch: u64, interval: u32) {
    let mut net = fakes.net();
    net.oracle_epoch = epoch;
    net.oracle_interval = interval;
}

#[tokio::test]
async fn a_replaying_agent_resends_its_first_heartbeat_byte_for_byte() {
    let fakes = Fakes::start().await;
    let dir = tempfile::tempdir().unwrap();
    let agent = agent(
        fakes.config(dir.path(), "cpu-small"),
        Behaviour::ReplayHeartbeats,
    );

    set_interval(&fakes, 1, 0);
    agent.heartbeat_once().await.unwrap();
    set_interval(&fakes, 1, 1);
    agent.heartbeat_once().await.unwrap();
    set_interval(&fakes, 2, 3);
    agent.heartbeat_once().await.unwrap();

    let net = fakes.net();
    assert_eq!(net.heartbeats.len(), 3);
    assert!(net.heartbeats.iter().all(|b| *b == net.heartbeats[0]));
    let first = SignedHeartbeat::decode(&net.heartbeats[0]).unwrap();
    assert_eq!((first.heartbeat.epoch, first.heartbeat.interval), (1, 0));
}

#[tokio::test]
async fn an_honest_agent_heartbeats_the_current_interval_and_beacon() {
    let fakes = Fakes::start().await;
    let dir = tempfile::tempdir().unwrap();
    let agent = agent(fakes.config(dir.path(), "cpu-small"), Behaviour::Honest);

    set_interval(&fakes, 1, 0);
    agent.heartbeat_once().await.unwrap();
    set_interval(&fakes, 2, 3);
    agent.heartbeat_once().await.unwrap();

    let net = fakes.net();
    let beats: Vec<SignedHeartbeat> = net
        .heartbeats
        .iter()
        .map(|b| SignedHeartbeat::decode(b).unwrap())
        .collect();
    assert_eq!(beats.len(), 2);
    for (beat, (epoch, interval)) in beats.iter().zip([(1, 0), (2, 3)]) {
        assert!(beat.verify().is_ok());
        assert_eq!(beat.heartbeat.device, agent.device_key());
        assert_eq!(beat.heartbeat.chain_id, CHAIN_ID);
        assert_eq!(
            (beat.heartbeat.epoch, beat.heartbeat.interval),
            (epoch, interval)
        );
        assert_eq!(beat.heartbeat.beacon, beacon(epoch, interval));
    }
}

/// Ends epochs 1 and 2 with a final compute manifest holding the device in epoch 2 only.
fn end_two_epochs(fakes: &Fakes, agent: &Agent) {
    let device = agent.device_key();
    let owner = *agent.owner_address();
    let leaves = vec![Hash::of(b"someone else"), Hash::of(b"this device")];
    let proof = MerkleTree::new(leaves).proof(1).unwrap();
    let mut net = fakes.net();
    net.node_height = 2 * fake_network::EPOCH_BLOCKS + 3;
    let manifest = json!({ "root": Hash::ZERO, "total_units": "100", "evidence_root": Hash::ZERO, "finalized_height": 20, "oracles": [] });
    for epoch in [1, 2] {
        net.epochs.insert(
            epoch,
            json!({ "epoch": {}, "last_ended": 2, "pools": [
                { "epoch": epoch, "resource": "storage", "amount": "5", "manifest": null },
                { "epoch": epoch, "resource": "compute", "amount": "40", "manifest": manifest },
            ]}),
        );
    }
    net.claim_proofs.insert(
        2,
        json!({ "leaf": { "device": device, "owner": owner, "units": "70" }, "proof": proof }),
    );
}

#[tokio::test]
async fn rewards_are_claimed_once_and_not_again_after_a_restart() {
    let fakes = Fakes::start().await;
    let dir = tempfile::tempdir().unwrap();
    let first = agent(fakes.config(dir.path(), "cpu-small"), Behaviour::Honest);
    end_two_epochs(&fakes, &first);

    let settled = first.claim_ready_rewards().await.unwrap();
    assert_eq!(
        settled.len(),
        2,
        "epoch 1 settles as nothing earned, epoch 2 as a claim"
    );
    {
        let net = fakes.net();
        assert_eq!(net.txs.len(), 1);
        let Body::ClaimReward(claim) = &net.txs[0].body else {
            panic!("expected ClaimReward, got {:?}", net.txs[0].body);
        };
        assert_eq!(claim.epoch, 2);
        assert_eq!(claim.resource, "compute");
        assert_eq!(claim.device, first.device_key());
        assert_eq!(claim.owner, *first.owner_address());
        assert_eq!(claim.units, 70);
        assert_eq!(claim.proof.index, 1);
        assert_eq!(net.txs[0].signer, owner().public_key());
    }

    assert!(first.claim_ready_rewards().await.unwrap().is_empty());
    let restarted = agent(fakes.config(dir.path(), "cpu-small"), Behaviour::Honest);
    assert!(restarted.claim_ready_rewards().await.unwrap().is_empty());
    assert_eq!(fakes.net().txs.len(), 1, "no claim is paid for twice");
}

#[tokio::test]
async fn a_claim_that_fails_on_chain_is_not_retried() {
    let fakes = Fakes::start().await;
    let dir = tempfile::tempdir().unwrap();
    let agent = agent(fakes.config(dir.path(), "cpu-small"), Behaviour::Honest);
    end_two_epochs(&fakes, &agent);
    fakes.net().tx_code = Some("already_claimed".into());

    agent.claim_ready_rewards().await.unwrap();
    agent.claim_ready_rewards().await.unwrap();
    assert_eq!(fakes.net().txs.len(), 1);
}

#[tokio::test]
async fn run_registers_heartbeats_answers_and_stops_on_shutdown() {
    let fakes = Fakes::start().await;
    let dir = tempfile::tempdir().unwrap();
    let agent = agent(fakes.config(dir.path(), "cpu-small"), Behaviour::Honest).with_timings(
        plexus_agent::Timings {
            heartbeat: Duration::from_millis(50),
            challenges: Duration::from_millis(20),
            ..Default::default()
        },
    );
    fakes.issue_challenge("c1", 16, [1; 32]);

    let stopped = tokio::time::timeout(
        Duration::from_secs(20),
        agent.run(tokio::time::sleep(Duration::from_millis(600))),
    )
    .await;
    assert!(matches!(stopped, Ok(Ok(()))), "the agent stops when told");

    let net = fakes.net();
    assert_eq!(net.devices.len(), 1);
    assert!(
        net.heartbeats.len() >= 2,
        "{} heartbeats",
        net.heartbeats.len()
    );
    assert!(net.challenges["c1"].verdicts.iter().all(|v| v.is_ok()));
    assert_eq!(net.challenges["c1"].opened, ROWS_OPENED as usize);
}

#[tokio::test]
async fn run_keeps_retrying_while_the_node_is_down_and_still_stops_on_shutdown() {
    let dir = tempfile::tempdir().unwrap();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let config = AgentConfig::parse(&format!(
        "node = \"{dead}\"\noracles = [\"{dead}\"]\ndata_dir = \"{}\"\nclass = \"cpu-small\"\nh3_cell = \"8c2a100d2c0a5ff\"\nstake = \"5plx\"\n",
        dir.path().display()
    ))
    .unwrap();
    let agent = agent(config, Behaviour::Honest).with_timings(plexus_agent::Timings {
        retry: Duration::from_millis(20),
        ..Default::default()
    });
    let stopped = tokio::time::timeout(
        Duration::from_secs(10),
        agent.run(tokio::time::sleep(Duration::from_millis(200))),
    )
    .await;
    assert!(matches!(stopped, Ok(Ok(()))));
}

#[tokio::test]
async fn a_device_given_a_blob_endpoint_declares_it_rather_than_where_it_listens() {
    let fakes = Fakes::start().await;
    let dir = tempfile::tempdir().unwrap();
    let mut config = fakes.config(dir.path(), "storage-small");
    config.blob_listen = ([127, 0, 0, 1], 0).into();
    config.blob_endpoint = Some("https://blobs.example.org".into());
    let agent = agent(config, Behaviour::Honest);
    agent.start_service().await.unwrap();
    let listening = agent.endpoint().expect("a storage device serves its blobs");
    agent.register_if_needed().await.unwrap();

    let net = fakes.net();
    let Body::RegisterDevice { capabilities, .. } = &net.txs[0].body else {
        panic!("expected RegisterDevice, got {:?}", net.txs[0].body);
    };
    assert_eq!(capabilities.endpoint, "https://blobs.example.org");
    assert_ne!(capabilities.endpoint, listening);
}
