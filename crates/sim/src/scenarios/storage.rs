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
use plexus_ledger::storage::{Candidate, StorageDeal};
use plexus_oracle::Oracle;
use plexus_types::{Amount, Body, Hash, PublicKey, SecretKey, StorageDealTerms};
use std::sync::Arc;

/// Blocks an epoch lasts in this scenario.
const EPOCH_BLOCKS: u64 = 8;
/// Blocks the scenario follows the deal for at most: its first epoch, the failed audit, the
/// handover and the replacement's first paid epoch take six epochs.
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
/// The dropper's place in [`DEVICES`].
const DROPPER: usize = 3;

pub async fn replica_dropper(seed: u64) -> anyhow::Result<Story> {
    let mut scene = Scene::new(seed).await?;
    let keys: Vec<PublicKey> = scene.providers.iter().map(Provider::device).collect();
    // The provider set as the assignment rule reads it: each device with its owner (the
    // endpoints are declared later, one per device, so they spread nothing apart).
    let candidates: Vec<Candidate> = keys
        .iter()
        .zip(&scene.actors[2..])
        .map(|(key, owner)| Candidate {
            key: *key,
            owner: owner.address(),
            endpoint: String::new(),
        })
        .collect();
    let blob = put_blob(
        &scene.world,
        &scene.actors[1].key,
        &candidates,
        &keys[DROPPER],
    )
    .await?;
    scene.tell(format!(
        "client put blob {} ({} bytes) on the node",
        blob.id, blob.size
    ));
    let (deal, before_pay) = scene.deal_once_all_active(&blob).await?;
    let deal = scene.follow_deal(deal, &before_pay).await?;
    scene.tell_outcome(&before_pay, &deal).await?;
    Ok(scene.story)
}

/// The scenario's world, its actors and the story told so far.
struct Scene {
    world: World,
    oracle: Arc<Oracle>,
    /// The oracle, the client, then the owner of each of [`DEVICES`] in order.
    actors: Vec<Actor>,
    /// One per [`DEVICES`], in order.
    providers: Vec<Provider>,
    story: Story,
}

impl Scene {
    async fn new(seed: u64) -> anyhow::Result<Scene> {
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
                let stake = Amount::plx(100);
                world.provider(name, &owner.key, "storage-small", stake, *behaviour)
            })
            .collect::<anyhow::Result<Vec<Provider>>>()?;
        Ok(Scene {
            world,
            oracle,
            actors,
            providers,
            story: Story::new("replica-dropper", seed),
        })
    }

    /// Tells `line` at the chain's current height.
    fn tell(&mut self, line: impl Into<String>) {
        let height = self.world.chain.status().height;
        self.story.tell(height, line);
    }

    fn name_of(&self, key: &PublicKey) -> String {
        self.providers
            .iter()
            .find(|p| p.device() == *key)
            .map_or_else(|| key.to_string(), |p| p.name.clone())
    }

    fn names_of(&self, keys: &[PublicKey]) -> String {
        let names: Vec<String> = keys.iter().map(|k| self.name_of(k)).collect();
        names.join(", ")
    }

    async fn balance_of_owner(&self, device: usize) -> anyhow::Result<Amount> {
        let owner = self.actors[2 + device].address();
        Ok(self.world.node_client().account_of(&owner).await?.balance)
    }

    /// One block: the chain moves on, the oracle follows it, and every device does one round
    /// of its duties, whose failures are told.
    async fn step(&mut self) -> anyhow::Result<()> {
        let height = self.world.next_block()?;
        self.oracle.follow_once().await?;
        for p in &self.providers {
            for failure in p.storage_round().await {
                self.story.tell(height, failure);
            }
        }
        Ok(())
    }

    /// Runs blocks until every storage device is active, then makes the client's deal for
    /// `blob`. Returns the deal and what each owner held just before it.
    async fn deal_once_all_active(
        &mut self,
        blob: &PreparedBlob,
    ) -> anyhow::Result<(StorageDeal, Vec<Amount>)> {
        let node = self.world.node_client();
        let keys: Vec<PublicKey> = self.providers.iter().map(Provider::device).collect();
        for _ in 0..EPOCH_BLOCKS {
            self.step().await?;
            if !all_active(&node, &keys).await? {
                continue;
            }
            let mut before_pay = Vec::new();
            for i in 0..DEVICES.len() {
                before_pay.push(self.balance_of_owner(i).await?);
            }
            let deal = make_deal(&self.world, &self.actors[1], blob).await?;
            self.tell(format!(
                "client made deal {} for blob {}: {} replicas for epochs {}..={}, escrow {}",
                deal.id,
                blob.id,
                deal.replicas,
                deal.first_epoch,
                deal.last_epoch,
                deal.escrow.to_plx_string()
            ));
            self.tell(format!("assigned: {}", self.names_of(&deal.providers)));
            return Ok((deal, before_pay));
        }
        bail!("the storage devices were not all active within an epoch")
    }

    /// Runs blocks, telling what becomes of `deal` (failed audits, replacements, payments),
    /// until the device that replaced a failed one holds the blob and is paid for it.
    async fn follow_deal(
        &mut self,
        mut deal: StorageDeal,
        before_pay: &[Amount],
    ) -> anyhow::Result<StorageDeal> {
        // The spare that took a failed replica's place (the deal forgets its handover once it
        // serves), and whether it has shown a verified copy yet.
        let mut replacement: Option<usize> = None;
        let mut replacement_keeps = false;
        for _ in 0..MAX_BLOCKS {
            self.step().await?;
            let now = current_deal(&self.world, deal.id)?;
            for failed in now.failed.iter().skip(deal.failed.len()) {
                self.tell(format!(
                    "{} failed the oracle's audit of epoch {}: unpaid for it and removed from deal {}",
                    self.name_of(&failed.device),
                    failed.epoch,
                    now.id
                ));
            }
            for h in now.handovers.iter().filter(|h| !deal.handovers.contains(h)) {
                replacement = self.providers.iter().position(|p| p.device() == h.device);
                self.tell(format!(
                    "{} takes the freed replica: fetches the blob, serves from epoch {}",
                    self.name_of(&h.device),
                    h.first_epoch
                ));
            }
            if now.paid != deal.paid {
                self.tell(format!(
                    "deal {} has paid {}",
                    now.id,
                    now.paid.to_plx_string()
                ));
            }
            deal = now;
            let Some(r) = replacement else { continue };
            if !replacement_keeps
                && keeps_blob(&self.world, &self.providers[r], blob_of(&deal)).await?
            {
                replacement_keeps = true;
                self.tell(format!(
                    "{} keeps a verified copy of the blob",
                    self.providers[r].name
                ));
            }
            if self.balance_of_owner(r).await? > before_pay[r] {
                self.tell(format!(
                    "{} is paid for its replica",
                    self.providers[r].name
                ));
                return Ok(deal);
            }
        }
        bail!("no replacement was paid within {MAX_BLOCKS} blocks")
    }

    /// The closing lines: what each owner was paid since the deal was made, who keeps the
    /// blob, the storage escrow's accounting and the chain's app hash.
    async fn tell_outcome(
        &mut self,
        before_pay: &[Amount],
        deal: &StorageDeal,
    ) -> anyhow::Result<()> {
        let mut paid = Vec::new();
        let mut keepers = Vec::new();
        for (i, p) in self.providers.iter().enumerate() {
            let earned = self
                .balance_of_owner(i)
                .await?
                .checked_sub(before_pay[i])
                .with_context(|| format!("the owner of {} lost money after the deal", p.name))?;
            paid.push(format!("{} {}", p.name, earned.to_plx_string()));
            if keeps_blob(&self.world, p, blob_of(deal)).await? {
                keepers.push(p.name.clone());
            }
        }
        self.tell(format!("paid: {}", paid.join(", ")));
        self.tell(format!(
            "deal {} providers: {}",
            deal.id,
            self.names_of(&deal.providers)
        ));
        self.tell(format!("blob kept by: {}", keepers.join(", ")));
        let acct = plexus_ledger::query::storage_totals(self.world.chain.store())?;
        self.tell(format!(
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
        ));
        let app_hash = self.world.chain.status().app_hash;
        self.tell(format!("app hash {}", app_hash.to_hex()));
        Ok(())
    }
}

/// Makes the blob, puts it on the node through the world's network (signed by `client`), and
/// returns it prepared.
async fn put_blob(
    world: &World,
    client: &SecretKey,
    devices: &[Candidate],
    dropper: &PublicKey,
) -> anyhow::Result<PreparedBlob> {
    let path = world.dir.path().join("client-blob.bin");
    std::fs::write(&path, blob_bytes(world.seed, devices, dropper)?)?;
    let prepared = PreparedBlob::prepare(&path)?;
    world
        .blob_client(client)
        .put(&format!("http://{NODE}"), &prepared)
        .await
        .context("putting the blob on the node")?;
    Ok(prepared)
}

/// The blob's bytes, drawn from the seed, with a counter in the first eight bytes chosen so
/// that the chain's assignment rule puts `dropper` among the first [`REPLICAS`] of `devices`
/// (as the devnet's demo blob is chosen): the scenario then shows a dropper caught rather
/// than, by chance, left as the idle spare.
fn blob_bytes(seed: u64, devices: &[Candidate], dropper: &PublicKey) -> anyhow::Result<Vec<u8>> {
    let mut bytes = vec![0u8; BLOB_BYTES];
    let mut draw = blake3::Hasher::new_derive_key("plexus simulation blob v1");
    draw.update(&seed.to_le_bytes());
    draw.finalize_xof().fill(&mut bytes);
    // Each counter assigns the dropper with probability 3/4: 64 tries all missing is not a
    // thing that happens, but it is an error rather than a loop.
    for counter in 0u64..64 {
        bytes[..8].copy_from_slice(&counter.to_le_bytes());
        let blob = Hash(*blake3::hash(&bytes).as_bytes());
        // `devices` are the provider set in registration order, as the rule reads it.
        let taken = plexus_ledger::storage::assignment(&blob, REPLICAS, devices);
        if taken.contains(dropper) {
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

/// Sends `client`'s deal for `blob` and returns it as the chain made it.
async fn make_deal(
    world: &World,
    client: &Actor,
    blob: &PreparedBlob,
) -> anyhow::Result<StorageDeal> {
    let sender = TxSender::with_clock(world.node_client(), client.key.clone(), world.clock.clone());
    let terms = StorageDealTerms {
        blob: Hash(blob.id.0),
        size: blob.size,
        replicas: REPLICAS,
        epochs: DEAL_EPOCHS,
        price_per_replica_epoch: Amount::plx(PRICE_PLX),
        size_proof: blob.size_proof()?,
    };
    let committed = sender.send(Body::StorageDeal(terms)).await?;
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

fn blob_of(deal: &StorageDeal) -> BlobId {
    BlobId(deal.blob.0)
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
