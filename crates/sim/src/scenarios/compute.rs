//! A device that commits to wrong compute answers: the oracle opens a row of its commitment,
//! finds it wrong, sends the signed commitment and the row to the chain as a fraud proof,
//! and the ledger slashes the device's stake. The honest device beside it is paid.

use crate::story::Story;
use crate::world::{key_of, Actor, World};
use plexus_agent::Behaviour;
use plexus_client::views::DeviceStatusView;
use plexus_client::NodeApi;
use plexus_types::Amount;

/// Blocks an epoch lasts in this scenario.
const EPOCH_BLOCKS: u64 = 8;
/// Blocks the scenario runs at most.
const MAX_BLOCKS: u64 = 6 * EPOCH_BLOCKS;

pub async fn wrong_compute(seed: u64) -> anyhow::Result<Story> {
    let mut story = Story::new("wrong-compute", seed);
    let actors: Vec<Actor> = ["oracle", "honest owner", "cheat owner"]
        .iter()
        .map(|name| Actor {
            name: name.to_string(),
            key: key_of(seed, name),
            balance: Amount::plx(10_000),
        })
        .collect();
    let world = World::new(seed, &actors, actors[0].address(), EPOCH_BLOCKS)?;
    let oracle = world.start_oracle(actors[0].key.clone()).await?;
    let stake = Amount::plx(100);
    let providers = [
        world.provider(
            "honest",
            &actors[1].key,
            "cpu-small",
            stake,
            Behaviour::Honest,
        )?,
        world.provider(
            "cheat",
            &actors[2].key,
            "cpu-small",
            stake,
            Behaviour::WrongCompute,
        )?,
    ];
    let node = world.node_client();
    let mut slashed_at = None;
    for _ in 0..MAX_BLOCKS {
        let height = world.next_block()?;
        oracle.follow_once().await?;
        for p in &providers {
            for failure in p.compute_round().await {
                story.tell(height, failure);
            }
        }
        let cheat = node.device(&providers[1].device()).await?;
        if let (None, Some(d)) = (slashed_at, cheat) {
            if let DeviceStatusView::Slashed { at_epoch } = d.status {
                slashed_at = Some(height);
                story.tell(
                    height,
                    format!(
                        "cheat (wrong-compute) slashed in epoch {at_epoch}: stake {} left",
                        d.stake
                    ),
                );
            }
        }
        let paid = node.account_of(&actors[1].address()).await?.balance;
        let start = Amount::plx(10_000)
            .checked_sub(stake)
            .expect("the stake is below the start balance");
        if paid > start && slashed_at.is_some() {
            let earned = paid.checked_sub(start).unwrap_or(Amount::ZERO);
            story.tell(
                height,
                format!("honest owner claimed rewards: {earned} earned"),
            );
            break;
        }
    }
    let honest = node.device(&providers[0].device()).await?;
    story.tell(
        world.chain.status().height,
        format!(
            "honest device: {}",
            match honest.map(|d| d.status) {
                Some(DeviceStatusView::Active) => "active".to_string(),
                other => format!("{other:?}"),
            }
        ),
    );
    let status = world.chain.status();
    story.tell(
        status.height,
        format!("app hash {}", status.app_hash.to_hex()),
    );
    Ok(story)
}
