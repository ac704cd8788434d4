//! The simulated world itself: a sender's transaction commits without anyone waiting on wall
//! time, the oracle follows the chain in process, and one seed always gives one chain.

use plexus_client::{NodeApi, TxSender};
use plexus_sim::{key_of, Actor, World};
use plexus_types::{Address, Amount, Body};

fn actors(seed: u64) -> Vec<Actor> {
    ["alice", "oracle"]
        .iter()
        .map(|name| Actor {
            name: name.to_string(),
            key: key_of(seed, name),
            balance: Amount::plx(1_000),
        })
        .collect()
}

async fn run(seed: u64) -> (u64, String, Amount) {
    let actors = actors(seed);
    let world = World::new(seed, &actors, actors[1].address(), 8).expect("a world");
    let oracle = world
        .start_oracle(actors[1].key.clone())
        .await
        .expect("the oracle opens");
    let bob = Address::from_public_key(&key_of(seed, "bob").public_key());
    let sender = TxSender::with_clock(
        world.node_client(),
        actors[0].key.clone(),
        world.clock.clone(),
    );
    let committed = sender
        .send_ok(Body::Transfer {
            to: bob,
            amount: Amount::plx(7),
        })
        .await
        .expect("the transfer commits");
    assert!(committed.height >= 1);
    for _ in 0..20 {
        world.next_block().expect("a block");
        oracle.follow_once().await.expect("the oracle follows");
    }
    let status = world.chain.status();
    let bob_balance = world
        .node_client()
        .account_of(&bob)
        .await
        .expect("bob's account")
        .balance;
    (status.height, status.app_hash.to_hex(), bob_balance)
}

#[tokio::test(flavor = "current_thread")]
async fn a_transfer_commits_and_the_same_seed_gives_the_same_chain() {
    let first = run(7).await;
    assert_eq!(first.2, Amount::plx(7), "bob holds what alice sent");
    assert!(first.0 >= 21, "the world made its blocks: {first:?}");
    let again = run(7).await;
    assert_eq!(first, again, "one seed, one chain");
    let other = run(8).await;
    assert_ne!(first.1, other.1, "another seed, other keys, another chain");
}
