//! A storage device that drops the replicas it is assigned: a client puts a blob on the node
//! and pays a deal for three replicas; four storage devices run, one of them dropping every
//! replica it fetches. The oracle audits the replicas each epoch, the dropper fails, goes
//! unpaid for that epoch and is removed from the deal, and the spare honest device takes its
//! place, so three honest devices keep the blob and are paid, and the storage escrow balances.

use crate::providers::Provider;
use crate::story::Story;
use crate::world::{key_of, Actor, World, NODE};
use anyhow::{bail, Context};
use plexus_agent::Behaviour;
use plexus_blobs::client::{BlobClient, PreparedBlob};
use plexus_blobs::{BlobId, BlobState};
use plexus_client::views::DeviceStatusView;
use plexus_client::{NodeApi, TxSender};
use plexus_ledger::storage::StorageDeal;
use plexus_types::{Amount, Body, Hash, PublicKey, StorageDealTerms};

/// Blocks an epoch lasts in this scenario.
const EPOCH_BLOCKS: u64 = 8;
/// Blocks the scenario runs at most.
const MAX_BLOCKS: u64 = 9 * EPOCH_BLOCKS;
/// The blob's size: small, so every fetch and audit is quick.
const BLOB_BYTES: usize = 64 << 10;
/// Replicas the deal asks for.
const REPLICAS: u32 = 3;
/// Epochs the deal pays for: more than the scenario runs, so it stays open.
const DEAL_EPOCHS: u64 = 20;
/// What the deal pays each replica for each epoch it is kept, in PLX.
const PRICE_PLX: u64 = 1;
/// The storage devices: the last drops its replicas.
const DEVICES: [(&str, Behaviour); 4] = [
    ("honest-1", Behaviour::Honest),
    ("honest-2", Behaviour::Honest),
    ("honest-3", Behaviour::Honest),
    ("dropper", Behaviour::DropReplicas),
];

pub async fn replica_dropper(seed: u64) -> anyhow::Result<Story> {
    let mut story = Story::new("replica-dropper", seed);
    let mut names = vec!["oracle".to_string(), "client".to_string()];
    names.extend(DEVICES.iter().map(|(name, _)| format!("owner-of-{name}")));
    let actors: Vec<Actor> = names
        .iter()
        .map(|name| Actor {
            name: name.clone(),
            key: key_of(seed, name),
            balance: Amount::plx(10_000),
        })
        .collect();
    let world = World::new(seed, &actors, actors[0].address(), EPOCH_BLOCKS)?;
    let oracle = world.start_oracle(actors[0].key.clone()).await?;
    let providers = DEVICES
        .iter()
        .zip(&actors[2..])
        .map(|((name, behaviour), owner)| {
            world.provider(
                name,
                &owner.key,
                "storage-small",
                Amount::plx(100),
                *behaviour,
            )
        })
        .collect::<anyhow::Result<Vec<Provider>>>()?;
    let keys: Vec<PublicKey> = providers.iter().map(Provider::device).collect();
    let name_of = |key: &PublicKey| -> String {
        providers
            .iter()
            .find(|p| p.device() == *key)
            .map_or_else(|| key.to_string(), |p| p.name.clone())
    };
    let dropper = keys[3];

    let blob = put_blob(&world, &keys, &dropper).await?;
    story.tell(
        world.chain.status().height,
        format!(
            "client put blob {} ({} bytes) on the node",
            blob.id, blob.size
        ),
    );

    let node = world.node_client();
    let client = TxSender::with_clock(node.clone(), actors[1].key.clone(), world.clock.clone());
    let mut deal: Option<StorageDeal> = None;
    // What each owner held once its device was active and before the deal paid anything.
    let mut before_pay: Vec<Amount> = Vec::new();
    // The spare that took the dropper's place (its handover is forgotten once it serves),
    // and whether it has shown a verified copy yet.
    let mut replacement: Option<usize> = None;
    let mut replacement_keeps = false;
    for _ in 0..MAX_BLOCKS {
        let height = world.next_block()?;
        oracle.follow_once().await?;
        for p in &providers {
            for failure in p.storage_round().await {
                story.tell(height, failure);
            }
        }
        let Some(previous) = deal.clone() else {
            if !all_active(&node, &keys).await? {
                continue;
            }
            for owner in &actors[2..] {
                before_pay.push(node.account_of(&owner.address()).await?.balance);
            }
            let made = make_deal(&world, &client, &blob).await?;
            story.tell(
                world.chain.status().height,
                format!(
                    "client made deal {} for blob {}: {} replicas for epochs {}..={}, escrow {}",
                    made.id,
                    blob.id,
                    made.replicas,
                    made.first_epoch,
                    made.last_epoch,
                    made.escrow.to_plx_string()
                ),
            );
            story.tell(
                world.chain.status().height,
                format!("assigned: {}", names_of(&made.providers, name_of)),
            );
            deal = Some(made);
            continue;
        };
        let now = current_deal(&world, previous.id)?;
        let height = world.chain.status().height;
        for failed in now.failed.iter().skip(previous.failed.len()) {
            story.tell(
                height,
                format!(
                    "{} failed the oracle's audit of epoch {}: unpaid for it and removed from deal {}",
                    name_of(&failed.device),
                    failed.epoch,
                    now.id
                ),
            );
        }
        for h in now
            .handovers
            .iter()
            .filter(|h| !previous.handovers.contains(h))
        {
            replacement = keys.iter().position(|k| *k == h.device);
            story.tell(
                height,
                format!(
                    "{} takes the freed replica: fetches the blob, serves from epoch {}",
                    name_of(&h.device),
                    h.first_epoch
                ),
            );
        }
        if now.paid != previous.paid {
            story.tell(
                height,
                format!("deal {} has paid {}", now.id, now.paid.to_plx_string()),
            );
        }
        if let (false, Some(r)) = (replacement_keeps, replacement) {
            let p = &providers[r];
            if keeps_blob(&world, p, blob.id).await? {
                replacement_keeps = true;
                story.tell(
                    height,
                    format!("{} keeps a verified copy of the blob", p.name),
                );
            }
        }
        deal = Some(now);
        if let Some(i) = replacement {
            let balance = node.account_of(&actors[2 + i].address()).await?.balance;
            if balance > before_pay[i] {
                story.tell(
                    height,
                    format!("{} is paid for its replica", providers[i].name),
                );
                break;
            }
        }
    }
    let Some(deal) = deal else {
        bail!("the storage devices never all became active");
    };
    tell_outcome(
        &mut story,
        &world,
        &providers,
        &actors[2..],
        &before_pay,
        &deal,
    )
    .await?;
    Ok(story)
}

/// Makes the blob, puts it on the node through the world's network, and returns it prepared.
async fn put_blob(
    world: &World,
    devices: &[PublicKey],
    dropper: &PublicKey,
) -> anyhow::Result<PreparedBlob> {
    let path = world.dir.path().join("client-blob.bin");
    std::fs::write(&path, blob_bytes(world.seed, devices, dropper)?)?;
    let prepared = PreparedBlob::prepare(&path)?;
    BlobClient::with_transport(world.net.clone())
        .put(&format!("http://{NODE}"), &prepared)
        .await
        .context("putting the blob on the node")?;
    Ok(prepared)
}

/// The blob's bytes, drawn from the seed, with a counter in the first eight bytes chosen so
/// that the chain's assignment rule puts `dropper` among the first [`REPLICAS`] of `devices`
/// (as the devnet's demo blob is chosen): the scenario then shows a dropper caught rather
/// than, by chance, left as the idle spare.
fn blob_bytes(seed: u64, devices: &[PublicKey], dropper: &PublicKey) -> anyhow::Result<Vec<u8>> {
    let mut bytes = vec![0u8; BLOB_BYTES];
    let mut draw = blake3::Hasher::new_derive_key("plexus simulation blob v1");
    draw.update(&seed.to_le_bytes());
    draw.finalize_xof().fill(&mut bytes);
    // Each counter assigns the dropper with probability 3/4: 64 tries all missing is not a
    // thing that happens, but it is an error rather than a loop.
    for counter in 0u64..64 {
        bytes[..8].copy_from_slice(&counter.to_le_bytes());
        let blob = Hash(*blake3::hash(&bytes).as_bytes());
        let mut ranked = devices.to_vec();
        ranked.sort_by_key(|d| plexus_ledger::storage::rank(&blob, d));
        if ranked[..REPLICAS as usize].contains(dropper) {
            return Ok(bytes);
        }
    }
    bail!("no blob of 64 tried assigns the dropper")
}

/// Whether every device in `keys` is registered and active.
async fn all_active(node: &impl NodeApi, keys: &[PublicKey]) -> anyhow::Result<bool> {
    for key in keys {
        match node.device(key).await? {
            Some(d) if matches!(d.status, DeviceStatusView::Active) => {}
            _ => return Ok(false),
        }
    }
    Ok(true)
}

/// Sends the client's deal for `blob` and returns it as the chain made it.
async fn make_deal(
    world: &World,
    client: &TxSender<plexus_client::NodeClient, plexus_client::ManualClock>,
    blob: &PreparedBlob,
) -> anyhow::Result<StorageDeal> {
    let terms = StorageDealTerms {
        blob: Hash(blob.id.0),
        size: blob.size,
        replicas: REPLICAS,
        epochs: DEAL_EPOCHS,
        price_per_replica_epoch: Amount::plx(PRICE_PLX),
    };
    let committed = client.send(Body::StorageDeal(terms)).await?;
    if !committed.succeeded() {
        bail!(
            "the storage deal failed: {} ({})",
            committed.log,
            committed.code
        );
    }
    let deals = plexus_ledger::query::storage_deals_of_blob(world.chain.store(), &Hash(blob.id.0))?;
    deals
        .into_iter()
        .last()
        .context("the committed deal is on chain")
}

fn current_deal(world: &World, id: u64) -> anyhow::Result<StorageDeal> {
    plexus_ledger::query::storage_deal(world.chain.store(), id)?
        .with_context(|| format!("deal {id} is on chain"))
}

/// Whether `provider`'s blob service holds a complete, verified copy of `blob`, as anyone
/// asking it over the network sees.
async fn keeps_blob(world: &World, provider: &Provider, blob: BlobId) -> anyhow::Result<bool> {
    let endpoint = provider
        .agent
        .endpoint()
        .with_context(|| format!("{} serves its blobs", provider.name))?;
    let status = BlobClient::with_transport(world.net.clone())
        .status(endpoint, blob)
        .await?;
    Ok(status.state == BlobState::Complete)
}

fn names_of(keys: &[PublicKey], name_of: impl Fn(&PublicKey) -> String) -> String {
    keys.iter().map(name_of).collect::<Vec<_>>().join(", ")
}

/// The closing lines: what each owner was paid, who keeps the blob, the escrow's accounting
/// and the chain's app hash.
async fn tell_outcome(
    story: &mut Story,
    world: &World,
    providers: &[Provider],
    owners: &[Actor],
    before_pay: &[Amount],
    deal: &StorageDeal,
) -> anyhow::Result<()> {
    let node = world.node_client();
    let height = world.chain.status().height;
    let mut paid = Vec::new();
    let mut keepers = Vec::new();
    for ((p, owner), before) in providers.iter().zip(owners).zip(before_pay) {
        let now = node.account_of(&owner.address()).await?.balance;
        let earned = now.checked_sub(*before).unwrap_or(Amount::ZERO);
        paid.push(format!("{} {}", p.name, earned.to_plx_string()));
        if keeps_blob(world, p, BlobId(deal.blob.0)).await? {
            keepers.push(p.name.clone());
        }
    }
    story.tell(height, format!("paid: {}", paid.join(", ")));
    story.tell(
        height,
        format!(
            "deal {} providers: {}",
            deal.id,
            names_of(&deal.providers, |k| providers
                .iter()
                .find(|p| p.device() == *k)
                .map_or_else(|| k.to_string(), |p| p.name.clone()))
        ),
    );
    story.tell(height, format!("blob kept by: {}", keepers.join(", ")));
    let acct = plexus_ledger::query::storage_totals(world.chain.store())?;
    story.tell(
        height,
        format!(
            "storage escrow {}: escrowed {} = paid {} + refunded {} + held {}",
            if acct.balances() {
                "balanced"
            } else {
                "NOT BALANCED"
            },
            acct.totals.escrowed.to_plx_string(),
            acct.totals.paid.to_plx_string(),
            acct.totals.refunded.to_plx_string(),
            acct.held.to_plx_string()
        ),
    );
    let status = world.chain.status();
    story.tell(
        status.height,
        format!("app hash {}", status.app_hash.to_hex()),
    );
    Ok(())
}
