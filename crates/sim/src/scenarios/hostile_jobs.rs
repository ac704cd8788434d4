//! Jobs written to freeze a provider: a consumer orders, all at once, a module that sleeps for
//! as long as WASI can say, one that asks WASI for random bytes without end, and the honest demo
//! workload. Two honest providers bid with the agent's market duty, run them (and check each
//! other's results), and each job ends within seconds: the sleeper wakes at once on its
//! virtual clock, the spinner runs out of the fuel its bytes cost, and the demo workload's
//! output matches a local run.

use super::jobs::{market_world, Consumer, MarketWorld};
use crate::providers::Provider;
use crate::story::Story;
use crate::world::World;
use plexus_agent::jobs::JobRunner;
use plexus_agent::Behaviour;
use plexus_runtime::fixtures::{
    wasm_job_spec, DEMO_FUEL, DEMO_STDIN, DEMO_WORKLOAD, ENDLESS_LOOP, RANDOM_SPINNER,
    SLEEP_FOREVER,
};
use std::collections::BTreeMap;

/// Rounds the scenario runs at most; each round is a block and every transaction sent in it.
const MAX_ROUNDS: usize = 40;
/// The spinner's fuel: each of its calls asks for more bytes than that.
const SPINNER_FUEL: u64 = 1_000_000;

pub async fn hostile_jobs(seed: u64) -> anyhow::Result<Story> {
    let mut story = Story::new("hostile-jobs", seed);
    let MarketWorld {
        world,
        actors,
        mut providers,
        who,
    } = market_world(
        seed,
        &[
            ("honest-1", Behaviour::Honest),
            ("honest-2", Behaviour::Honest),
        ],
    )?;
    let mut consumer = Consumer::new(&world, actors[0].key.clone())?;
    let jobs = [
        ("sleeps forever", SLEEP_FOREVER, DEMO_FUEL),
        (
            "asks for random bytes without end",
            RANDOM_SPINNER,
            SPINNER_FUEL,
        ),
        ("the demo workload", DEMO_WORKLOAD, DEMO_FUEL),
    ];
    let mut what = BTreeMap::new();
    for (name, module, fuel) in jobs {
        let module = consumer.put(module.as_bytes()).await?;
        let spec = wasm_job_spec(&module, DEMO_STDIN, fuel, 60);
        let (id, height) = consumer.submit_spec(&spec).await?;
        story.tell(height, format!("consumer submitted order {id}: {name}"));
        what.insert(id, name);
    }
    let mut told = BTreeMap::new();
    for _ in 0..MAX_ROUNDS {
        for (provider, runner) in &mut providers {
            for failure in provider.jobs_round(runner).await {
                story.tell(world.chain.status().height, failure);
            }
        }
        let height = world.next_block()?;
        for order in consumer.orders().await? {
            for lease in &order.leases {
                let Some(output) = lease.output else { continue };
                if told.insert(lease.id, ()).is_some() {
                    continue;
                }
                let checked = match consumer.check_output(order.order.id, &output).await? {
                    Some(text) => format!("{}, as a local run", text.trim_end()),
                    None => "an output a local run does not give".to_string(),
                };
                story.tell(
                    height,
                    format!(
                        "order {} ({}): {} returned {checked}",
                        order.order.id,
                        what.get(&order.order.id).copied().unwrap_or("?"),
                        who.get(&lease.provider).map_or("?", String::as_str),
                    ),
                );
            }
        }
        let answered = consumer
            .orders()
            .await?
            .iter()
            .filter(|o| o.leases.iter().any(|l| l.output.is_some()))
            .count();
        if answered == jobs.len() {
            break;
        }
    }
    let status = world.chain.status();
    story.tell(
        status.height,
        format!("app hash {}", status.app_hash.to_hex()),
    );
    Ok(story)
}

/// Fuel for a loop that takes seconds to burn it, ten times the demo workload's.
const LONG_LOOP_FUEL: u64 = 10 * DEMO_FUEL;

/// One provider whose job runner steps as `plexus agent start` runs it, without waiting for
/// the jobs it starts: it leases a long loop (seconds of fuel) and the demo workload, and
/// submits the demo workload's result while the loop still runs.
pub async fn serving_while_a_job_spins(seed: u64) -> anyhow::Result<Story> {
    let mut story = Story::new("serving-while-a-job-spins", seed);
    let (world, _, mut runner, mut consumer) = one_provider(seed).await?;
    let mut orders = BTreeMap::new();
    for (name, module, fuel) in [
        ("loops for seconds", ENDLESS_LOOP, LONG_LOOP_FUEL),
        ("the demo workload", DEMO_WORKLOAD, DEMO_FUEL),
    ] {
        let module = consumer.put(module.as_bytes()).await?;
        let (id, height) = consumer
            .submit_spec(&wasm_job_spec(&module, DEMO_STDIN, fuel, 60))
            .await?;
        story.tell(height, format!("consumer submitted order {id}: {name}"));
        orders.insert(name, id);
    }
    for _ in 0..MAX_ROUNDS {
        if runner.running() == orders.len() {
            break;
        }
        runner.step().await?;
        world.next_block()?;
    }
    story.tell(
        world.chain.status().height,
        format!("honest-1 runs {} jobs at once", runner.running()),
    );
    while runner.finish_next().await? {
        let height = world.next_block()?;
        for order in consumer.orders().await? {
            if order.leases.first().is_none_or(|l| l.sealed.is_none()) {
                continue;
            }
            let line = format!(
                "order {} ({}) has a sealed result",
                order.order.id,
                name_of(&orders, order.order.id)
            );
            if !story.mentions(&line) {
                story.tell(
                    height,
                    format!("{line}, while {} other job runs", runner.running()),
                );
            }
        }
    }
    // The results are revealed as the chain asks for them, and match a local run.
    let mut revealed = BTreeMap::new();
    for _ in 0..MAX_ROUNDS {
        runner.step().await?;
        let height = world.next_block()?;
        for order in consumer.orders().await? {
            let Some(output) = order.leases.first().and_then(|l| l.output) else {
                continue;
            };
            if revealed.insert(order.order.id, output).is_some() {
                continue;
            }
            let text = consumer
                .check_output(order.order.id, &output)
                .await?
                .unwrap_or_else(|| "an output a local run does not give".into());
            let name = name_of(&orders, order.order.id);
            story.tell(
                height,
                format!(
                    "order {} ({name}) revealed {}",
                    order.order.id,
                    text.trim_end()
                ),
            );
        }
        if revealed.len() == orders.len() {
            break;
        }
    }
    Ok(story)
}

/// The name the scenario gave order `id`.
fn name_of(orders: &BTreeMap<&'static str, u64>, id: u64) -> &'static str {
    orders
        .iter()
        .find(|(_, &o)| o == id)
        .map_or("?", |(name, _)| *name)
}

/// A world with one honest provider, `honest-1` (8 cores, 16 GiB), registered, and its job
/// runner; and a consumer.
pub(super) async fn one_provider(
    seed: u64,
) -> anyhow::Result<(World, Provider, JobRunner, Consumer)> {
    let MarketWorld {
        world,
        actors,
        mut providers,
        ..
    } = market_world(seed, &[("honest-1", Behaviour::Honest)])?;
    let (provider, runner) = providers.remove(0);
    provider.agent.register_if_needed().await?;
    let consumer = Consumer::new(&world, actors[0].key.clone())?;
    Ok((world, provider, runner, consumer))
}

/// One provider, stepping without waiting, leases two jobs that each ask for all 8 cores its
/// device declares, a long loop and the demo workload: it runs them one after the other,
/// never both at once, though both are leased while the loop runs.
pub async fn jobs_beyond_the_capacity_wait(seed: u64) -> anyhow::Result<Story> {
    let mut story = Story::new("jobs-beyond-the-capacity-wait", seed);
    let (world, _, mut runner, mut consumer) = one_provider(seed).await?;
    for (name, module, fuel) in [
        ("loops for seconds", ENDLESS_LOOP, LONG_LOOP_FUEL),
        ("the demo workload", DEMO_WORKLOAD, DEMO_FUEL),
    ] {
        let module = consumer.put(module.as_bytes()).await?;
        let spec =
            wasm_job_spec(&module, DEMO_STDIN, fuel, 60).replace("cpu_cores = 1", "cpu_cores = 8");
        let (id, height) = consumer.submit_spec(&spec).await?;
        story.tell(
            height,
            format!("consumer submitted order {id}: {name}, on 8 cores"),
        );
    }
    let mut most = 0;
    for _ in 0..MAX_ROUNDS {
        runner.step().await?;
        most = most.max(runner.running());
        world.next_block()?;
        let orders = consumer.orders().await?;
        if orders.iter().all(|o| !o.leases.is_empty()) {
            story.tell(
                world.chain.status().height,
                "both orders are leased to honest-1",
            );
            break;
        }
    }
    let mut results = 0;
    for _ in 0..MAX_ROUNDS {
        runner.step().await?;
        most = most.max(runner.running());
        if runner.finish_next().await? {
            results += 1;
        }
        world.next_block()?;
        if results == 2 {
            break;
        }
    }
    story.tell(
        world.chain.status().height,
        format!("honest-1 submitted {results} results, running at most {most} job at once"),
    );
    Ok(story)
}
