//! A compute provider that returns wrong job results: a consumer submits WASM jobs one after
//! another; three providers bid for them with the agent's market duty, one of them undercutting
//! the others and corrupting every output it publishes. The market re-executes the results of
//! every provider still on probation, so the cheat's first result goes to a verifier, then to a
//! referee, is shown wrong, and costs the cheat its bond and its right to bid. The honest
//! providers' results are confirmed and paid, and the consumer's outputs match a local
//! re-execution of each job.

use crate::providers::Provider;
use crate::story::Story;
use crate::world::{key_of, Actor, World, NODE};
use anyhow::Context;
use plexus_agent::jobs::{Bidding, JobRunner};
use plexus_agent::Behaviour;
use plexus_blobs::client::{BlobClient, PreparedBlob};
use plexus_blobs::BlobId;
use plexus_client::views::{CheckView, OrderState, OrderView, RoleView};
use plexus_client::{ManualClock, NodeClient, TxSender};
use plexus_market::bid::BidPolicy;
use plexus_market::spec::{JobSpec, RuntimeKind};
use plexus_types::{Address, Amount, Body, Hash, JobRuntime, OrderTerms, SecretKey};
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

/// Blocks a rewards epoch lasts (the market does not depend on it).
const EPOCH_BLOCKS: u64 = 8;
/// Jobs the consumer submits, one after the other ends.
const ORDERS: usize = 3;
/// Rounds the scenario runs at most; each round is a block and every transaction sent in it.
const MAX_ROUNDS: usize = 120;
/// Numbers each job's input holds.
const NUMBERS: usize = 24;

pub async fn wrong_results(seed: u64) -> anyhow::Result<Story> {
    let mut story = Story::new("wrong-results", seed);
    let providers_of = [
        ("cheat", Behaviour::WrongResults),
        ("honest-1", Behaviour::Honest),
        ("honest-2", Behaviour::Honest),
    ];
    let MarketWorld {
        world,
        actors,
        mut providers,
        who,
    } = market_world(seed, &providers_of)?;
    let mut consumer = Consumer::new(&world, actors[0].key.clone())?;
    let module = consumer
        .put(plexus_runtime::fixtures::DEMO_WORKLOAD.as_bytes())
        .await?;
    story.tell(
        world.chain.status().height,
        format!("consumer put the demo workload on the node as blob {module}"),
    );
    let mut told = Told::default();
    let mut submitted = 0;
    let mut settled = false;
    for _ in 0..MAX_ROUNDS {
        let orders = consumer.orders().await?;
        if orders.iter().all(|o| o.order.is_closed()) {
            if submitted == ORDERS && all_withdrawn(&orders) {
                settled = true;
                break;
            }
            if submitted < ORDERS {
                submitted += 1;
                let (id, height) = consumer.submit(&module, submitted).await?;
                story.tell(
                    height,
                    format!(
                        "consumer submitted order {id}: the demo workload over {NUMBERS} numbers"
                    ),
                );
            }
        }
        for (provider, runner) in &mut providers {
            for failure in provider.jobs_round(runner).await {
                story.tell(world.chain.status().height, failure);
            }
        }
        let height = world.next_block()?;
        let orders = consumer.orders().await?;
        told.tell_new(&mut story, height, &orders, &who, &consumer)
            .await?;
    }
    let orders = consumer.orders().await?;
    let height = world.chain.status().height;
    if !settled {
        story.tell(
            height,
            format!("the market had not settled every order after {MAX_ROUNDS} rounds"),
        );
    }
    for actor in &actors[1..] {
        story.tell(height, payment_line(&actor.name, &actor.address(), &orders));
    }
    let market: serde_json::Value = consumer.node.get("/v1/market").await?;
    story.tell(
        height,
        format!("market escrow balanced: {}", market["balanced"]),
    );
    let status = world.chain.status();
    story.tell(
        status.height,
        format!("app hash {}", status.app_hash.to_hex()),
    );
    Ok(story)
}

/// A world with a consumer (the first actor) and bidding compute providers named and behaving
/// as `providers_of`, each with its job runner, and who each provider's address is.
pub(super) struct MarketWorld {
    pub world: World,
    pub actors: Vec<Actor>,
    pub providers: Vec<(Provider, JobRunner)>,
    pub who: BTreeMap<Address, String>,
}

pub(super) fn market_world(
    seed: u64,
    providers_of: &[(&str, Behaviour)],
) -> anyhow::Result<MarketWorld> {
    let actors: Vec<Actor> = std::iter::once("consumer")
        .chain(providers_of.iter().map(|(name, _)| *name))
        .map(|name| Actor {
            name: name.to_string(),
            key: key_of(seed, name),
            balance: Amount::plx(10_000),
        })
        .collect();
    let oracle = Address::from_public_key(&key_of(seed, "oracle").public_key());
    let world = World::new(seed, &actors, oracle, EPOCH_BLOCKS)?;
    let mut providers = Vec::new();
    for (i, (actor, (_, behaviour))) in actors[1..].iter().zip(providers_of).enumerate() {
        let provider = world.bidding_provider(
            &actor.name,
            &actor.key,
            "cpu-small",
            Amount::plx(100),
            *behaviour,
            bidding(*behaviour, i),
        )?;
        let runner = provider
            .agent
            .job_runner()
            .context("a bidding provider has a market duty")?;
        providers.push((provider, runner));
    }
    let who = actors[1..]
        .iter()
        .map(|a| (a.address(), a.name.clone()))
        .collect();
    Ok(MarketWorld {
        world,
        actors,
        providers,
        who,
    })
}

/// The prices of the `i`th provider: the cheat undercuts everyone, to win the jobs it does
/// not really run; honest providers ask more the later they come in the list.
pub(super) fn bidding(behaviour: Behaviour, i: usize) -> Bidding {
    let per_cpu_core = if behaviour == Behaviour::WrongResults {
        800
    } else {
        1_000 + 150 * i as u128
    };
    Bidding {
        policy: BidPolicy {
            runtimes: vec![RuntimeKind::Wasm],
            per_cpu_core: Amount(per_cpu_core),
            per_memory_gib: Amount(200),
            per_gpu: Amount(10_000),
            min_per_block: Amount(100),
        },
        deposit: Amount::plx(1),
    }
}

/// Job `n`'s spec: the demo workload over numbers drawn from `n`.
fn job_spec(module: &Hash, n: usize) -> String {
    let numbers: Vec<String> = (0..NUMBERS)
        .map(|k| ((n * 7_919 + k * 104_729) % 100_000).to_string())
        .collect();
    plexus_runtime::fixtures::wasm_job_spec(
        module,
        &numbers.join(" "),
        plexus_runtime::fixtures::DEMO_FUEL,
        60,
    )
}

/// Whether every lease's released earnings have been withdrawn.
fn all_withdrawn(orders: &[OrderView]) -> bool {
    orders
        .iter()
        .flat_map(|o| &o.leases)
        .all(|l| !l.released || l.withdrawn >= l.releasable)
}

/// What the market paid `address` across the consumer's orders.
fn payment_line(name: &str, address: &Address, orders: &[OrderView]) -> String {
    let leases: Vec<_> = orders
        .iter()
        .flat_map(|o| &o.leases)
        .filter(|l| l.provider == *address)
        .collect();
    let accepted = leases
        .iter()
        .filter(|l| matches!(l.check, CheckView::Confirmed | CheckView::Unchecked))
        .count();
    let wrong = leases
        .iter()
        .filter(|l| l.check == CheckView::Wrong)
        .count();
    let withdrawn = Amount(leases.iter().map(|l| l.withdrawn.0).sum());
    format!(
        "{name}: {} leases, {accepted} results accepted, {wrong} shown wrong, withdrew {}",
        leases.len(),
        withdrawn.to_plx_string()
    )
}

/// The account that pays for the jobs: puts their blobs on the node, opens orders through
/// the world's node client, and re-executes each job locally to check what it got back.
pub(super) struct Consumer {
    pub(super) node: NodeClient,
    address: Address,
    sender: TxSender<NodeClient, ManualClock>,
    blobs: BlobClient,
    scratch: PathBuf,
    /// Every blob the consumer put on the node, by id.
    local: BTreeMap<Hash, Vec<u8>>,
    /// The spec of every order it opened.
    specs: BTreeMap<u64, JobSpec>,
}

impl Consumer {
    pub(super) fn new(world: &World, key: SecretKey) -> anyhow::Result<Consumer> {
        Ok(Consumer {
            node: world.node_client(),
            address: Address::from_public_key(&key.public_key()),
            blobs: world.blob_client(&key),
            sender: TxSender::with_clock(world.node_client(), key, world.clock.clone()),
            scratch: world.dir.path().join("consumer"),
            local: BTreeMap::new(),
            specs: BTreeMap::new(),
        })
    }

    /// Puts `bytes` on the node's blob service; answers the blob's id.
    pub(super) async fn put(&mut self, bytes: &[u8]) -> anyhow::Result<Hash> {
        let id = Hash::of(bytes);
        std::fs::create_dir_all(&self.scratch)?;
        let path = self.scratch.join(id.to_string());
        std::fs::write(&path, bytes)?;
        let prepared = PreparedBlob::prepare(&path)?;
        self.blobs
            .put(&format!("http://{NODE}"), &prepared)
            .await
            .with_context(|| format!("putting blob {id} on the node"))?;
        self.local.insert(id, bytes.to_vec());
        Ok(id)
    }

    /// Puts job `n`'s spec on the node and opens its order, with three times its most cost in
    /// escrow so that its re-executions are paid; answers the order's id and height.
    async fn submit(&mut self, module: &Hash, n: usize) -> anyhow::Result<(u64, u64)> {
        self.submit_spec(&job_spec(module, n)).await
    }

    /// Puts the job spec `text` on the node and opens its order, as [`Consumer::submit`].
    pub(super) async fn submit_spec(&mut self, text: &str) -> anyhow::Result<(u64, u64)> {
        let spec = JobSpec::from_toml(text)?;
        let spec_id = self.put(text.as_bytes()).await?;
        let deposit = spec
            .max_escrow()
            .and_then(|a| a.0.checked_mul(3))
            .map(Amount)
            .context("the job's escrow overflows")?;
        let terms = OrderTerms {
            spec: spec_id,
            runtime: JobRuntime::Wasm,
            resources: plexus_agent::jobs::spec_resources(&spec),
            max_price_per_block: spec.max_price_per_block,
            duration_blocks: spec.duration_blocks,
            replicas: spec.replicas,
            sample_per_mille: spec.verification.sample_per_mille as u32,
            deposit,
        };
        let done = self.sender.send_ok(Body::CreateOrder(terms)).await?;
        let id = self
            .orders()
            .await?
            .iter()
            .map(|o| &o.order)
            .find(|o| o.terms.spec == spec_id && o.created_height == done.height)
            .map(|o| o.id)
            .context("the node lists no order for the committed transaction")?;
        self.specs.insert(id, spec);
        Ok((id, done.height))
    }

    /// Every order the consumer opened, oldest first.
    pub(super) async fn orders(&self) -> anyhow::Result<Vec<OrderView>> {
        self.node
            .list(
                &format!("/v1/market/orders?owner={}", self.address),
                "orders",
            )
            .await
    }

    /// Downloads the output `id` from the node and compares it with the job's output run
    /// here: `Ok(Some(text))` when they are the same bytes.
    pub(super) async fn check_output(
        &self,
        order: u64,
        id: &Hash,
    ) -> anyhow::Result<Option<String>> {
        let spec = self
            .specs
            .get(&order)
            .with_context(|| format!("order {order} is not one the consumer opened"))?;
        let path = self.scratch.join(format!("output-{order}"));
        self.blobs
            .get(&[format!("http://{NODE}")], BlobId(id.0), &path)
            .await
            .with_context(|| format!("fetching order {order}'s output {id}"))?;
        let got = std::fs::read(&path)?;
        // WASI runs a job on a runtime of its own, which must not be this task's thread.
        let (spec, blobs) = (spec.clone(), self.local.clone());
        let local = tokio::task::spawn_blocking(move || {
            plexus_runtime::job::run_job(&spec, &|blob: &Hash, _limit| {
                blobs
                    .get(blob)
                    .cloned()
                    .ok_or_else(|| format!("blob {blob} is not one the consumer put"))
            })
        })
        .await?;
        Ok((got == local.output).then(|| String::from_utf8_lossy(&got).trim().to_string()))
    }
}

/// What the story has told of the market, so that each event is told once.
#[derive(Default)]
struct Told {
    leases: BTreeSet<u64>,
    checked: BTreeSet<u64>,
    barred: BTreeSet<Address>,
    closed: BTreeSet<u64>,
}

impl Told {
    /// Tells what changed in `orders` since the last look: leases won or given to check,
    /// checks decided, providers barred, orders ended and what they delivered.
    async fn tell_new(
        &mut self,
        story: &mut Story,
        height: u64,
        orders: &[OrderView],
        who: &BTreeMap<Address, String>,
        consumer: &Consumer,
    ) -> anyhow::Result<()> {
        let name = |a: &Address| who.get(a).cloned().unwrap_or_else(|| a.to_string());
        for view in orders {
            let o = view.order.id;
            for l in view.leases.iter().filter(|l| self.leases.insert(l.id)) {
                let role = match l.role {
                    RoleView::Run => format!("won at {} uplx per block", l.price_per_block),
                    RoleView::Verifier { of } => format!("re-executes lease {of} as verifier"),
                    RoleView::Referee { of, verifier } => {
                        format!("referees lease {of} against verifier lease {verifier}")
                    }
                };
                let provider = name(&l.provider);
                story.tell(
                    height,
                    format!("order {o}: {provider} {role} (lease {})", l.id),
                );
            }
            for l in view.leases.iter().filter(|l| l.role == RoleView::Run) {
                let verdict = match l.check {
                    CheckView::Confirmed => "confirmed".to_string(),
                    CheckView::Wrong => {
                        format!("wrong: bond of {} slashed", l.deposit.to_plx_string())
                    }
                    _ => continue,
                };
                if self.checked.insert(l.id) {
                    let provider = name(&l.provider);
                    story.tell(
                        height,
                        format!(
                            "order {o}: re-execution found lease {} of {provider} {verdict}",
                            l.id
                        ),
                    );
                }
            }
            for l in view.leases.iter().filter(|l| l.check == CheckView::Wrong) {
                if self.barred.contains(&l.provider) {
                    continue;
                }
                let record: serde_json::Value = consumer
                    .node
                    .get(&format!("/v1/market/providers/{}", l.provider))
                    .await?;
                if record["banned"] == true {
                    self.barred.insert(l.provider);
                    story.tell(
                        height,
                        format!(
                            "{} barred from bidding (results shown wrong: {}, confirmed: {})",
                            name(&l.provider),
                            record["wrong"],
                            record["confirmed"]
                        ),
                    );
                }
            }
            if view.order.is_closed() && self.closed.insert(o) {
                let bidders: Vec<String> = view.bids.iter().map(|b| name(&b.provider)).collect();
                story.tell(
                    height,
                    format!("order {o} took bids from {}", bidders.join(", ")),
                );
                self.tell_closed(story, height, view, consumer).await?;
            }
        }
        Ok(())
    }

    /// Tells how an order ended and whether each output it accepted is what the job gives
    /// when the consumer runs it.
    async fn tell_closed(
        &self,
        story: &mut Story,
        height: u64,
        view: &OrderView,
        consumer: &Consumer,
    ) -> anyhow::Result<()> {
        let o = view.order.id;
        if let OrderState::Closed { reason, .. } = view.order.state {
            let reason = format!("{reason:?}").to_lowercase();
            story.tell(height, format!("order {o} closed: {reason}"));
        }
        // One accepted output per replica: a refereed run's slot holds the output the
        // referee agreed with, not necessarily the run's own.
        for (_, output) in &view.order.results {
            let line = match consumer.check_output(o, output).await? {
                Some(text) => {
                    format!("order {o}: consumer's output {text:?} matches a local re-execution")
                }
                None => format!("order {o}: consumer's output differs from a local re-execution"),
            };
            story.tell(height, line);
        }
        Ok(())
    }
}
