//! The client's views are the node's answers: every view reads what the node writes and
//! writes it back unchanged, and the client's sender gets a transaction committed.

use plexus_client::views::{
    AccountView, BeaconView, BlockView, ChainView, DealsView, DelegationsView, DevicesView,
    OperatorsView, OrdersView, RewardsView, StakingView, StatusView, TasksView, TxStatusView,
    UnbondingsView, ValidatorSetView,
};
use plexus_client::{NodeApi, NodeClient, TxSender};
use plexus_ledger::Params;
use plexus_types::{Address, Amount, Body, SecretKey};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

mod common;

async fn get(base: &str, path: &str) -> Value {
    reqwest::get(format!("{base}{path}"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// Reads `answer` as `T` and writes it back: the same JSON, or the view drops or adds a field.
fn round_trip<T: DeserializeOwned + Serialize>(path: &str, answer: Value) {
    let view: T = serde_json::from_value(answer.clone())
        .unwrap_or_else(|e| panic!("{path} does not read as its view: {e}\n{answer}"));
    assert_eq!(
        serde_json::to_value(&view).unwrap(),
        answer,
        "{path} written back differs"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_view_writes_back_the_json_the_node_answered() {
    let dir = tempfile::tempdir().unwrap();
    let alice = SecretKey::from_seed([1; 32]);
    let node = common::start(dir.path(), "plexus-views-test", &alice).await;
    let base = format!("http://{}", node.api_addr);

    let sender = TxSender::new(NodeClient::new(&base).unwrap(), alice.clone());
    let committed = sender
        .send_ok(Body::Transfer {
            to: Address([3; 20]),
            amount: Amount(5),
        })
        .await
        .unwrap();
    assert_eq!(committed.view.fee, Some(Params::default().min_fee));
    assert_eq!(
        sender
            .node()
            .account_of(&sender.address())
            .await
            .unwrap()
            .nonce,
        1
    );

    // Alice runs a validator and starts unbonding part of its stake, so that the staking
    // views have records to show.
    let consensus = SecretKey::from_seed([2; 32]);
    let create = Body::CreateValidator {
        consensus_key: consensus.public_key(),
        commission_bps: 500,
        p2p_address: "127.0.0.1:26656".into(),
        self_stake: Amount::plx(200),
    };
    sender.send_ok(create).await.unwrap();
    let who = Address::from_public_key(&alice.public_key());
    let unstake = Body::Unstake {
        validator: who,
        amount: Amount::plx(1),
    };
    sender.send_ok(unstake).await.unwrap();
    let node_client = NodeClient::new(&base).unwrap();
    assert_eq!(
        node_client.delegations_of(&who).await.unwrap()[0].stake,
        Amount::plx(199)
    );
    assert_eq!(
        node_client.unbondings_of(&who).await.unwrap()[0].amount,
        Amount::plx(1)
    );
    let operator = node_client.operator(&who).await.unwrap().unwrap();
    assert_eq!(operator.commission_bps, 500);
    let hash = committed.hash;
    round_trip::<StatusView>("/v1/status", get(&base, "/v1/status").await);
    round_trip::<ChainView>("/v1/chain", get(&base, "/v1/chain").await);
    round_trip::<AccountView>(
        "/v1/accounts",
        get(&base, &format!("/v1/accounts/{who}")).await,
    );
    round_trip::<TxStatusView>("/v1/txs", get(&base, &format!("/v1/txs/{hash}")).await);
    round_trip::<BlockView>("/v1/blocks", get(&base, "/v1/blocks/1").await);
    round_trip::<BeaconView>("/v1/beacon", get(&base, "/v1/beacon?height=1").await);
    round_trip::<DevicesView>("/v1/devices", get(&base, "/v1/devices").await);
    round_trip::<DealsView>("/v1/storage/deals", get(&base, "/v1/storage/deals").await);
    round_trip::<TasksView>("/v1/learn/tasks", get(&base, "/v1/learn/tasks").await);
    round_trip::<OrdersView>("/v1/market/orders", get(&base, "/v1/market/orders").await);
    round_trip::<RewardsView>("/v1/rewards", get(&base, "/v1/rewards").await);
    round_trip::<StakingView>("/v1/staking", get(&base, "/v1/staking").await);
    round_trip::<OperatorsView>("/v1/validators", get(&base, "/v1/validators").await);
    round_trip::<ValidatorSetView>("/v1/validators/set", get(&base, "/v1/validators/set").await);
    round_trip::<DelegationsView>(
        "/v1/delegations",
        get(&base, &format!("/v1/delegations/{who}")).await,
    );
    round_trip::<UnbondingsView>(
        "/v1/unbondings",
        get(&base, &format!("/v1/unbondings/{who}")).await,
    );
    node.shutdown().await.unwrap();
}
