//! A provider whose agent stops between sealing a job's result and revealing it. The chain
//! asks for the output only after a later block's draw; the agent that starts again reads what
//! it sealed from its work directory, derives the seal's salt from its key again, reveals the
//! output, and is paid: a crash at that moment costs the provider nothing.

use super::hostile_jobs::one_provider;
use crate::story::Story;
use plexus_runtime::fixtures::{wasm_job_spec, DEMO_FUEL, DEMO_STDIN, DEMO_WORKLOAD};

/// Rounds the scenario runs at most; each round is a block and every transaction sent in it.
const MAX_ROUNDS: usize = 40;

pub async fn reveal_after_a_restart(seed: u64) -> anyhow::Result<Story> {
    let mut story = Story::new("reveal-after-a-restart", seed);
    let (world, provider, runner, mut consumer) = one_provider(seed).await?;
    let module = consumer.put(DEMO_WORKLOAD.as_bytes()).await?;
    let spec = wasm_job_spec(&module, DEMO_STDIN, DEMO_FUEL, 60);
    let (id, height) = consumer.submit_spec(&spec).await?;
    story.tell(
        height,
        format!("consumer submitted order {id}: the demo workload"),
    );
    let mut runner = Some(runner);
    let mut restarted = false;
    for _ in 0..MAX_ROUNDS {
        if let Some(r) = runner.as_mut() {
            r.once().await?;
        }
        let height = world.next_block()?;
        let orders = consumer.orders().await?;
        let Some(order) = orders.iter().find(|o| o.order.id == id) else {
            continue;
        };
        let Some(lease) = order.leases.first() else {
            continue;
        };
        if !restarted && lease.sealed.is_some() && lease.output.is_none() {
            story.tell(
                height,
                format!(
                    "honest-1 sealed its result for lease {} and its agent stops before the chain asks for it",
                    lease.id
                ),
            );
            drop(runner.take());
            runner = Some(
                provider
                    .agent
                    .job_runner()
                    .ok_or_else(|| anyhow::anyhow!("a bidding provider has a market duty"))?,
            );
            restarted = true;
            story.tell(height, "honest-1's agent starts again".to_string());
        }
        if order.order.is_closed() {
            let output = lease
                .output
                .ok_or_else(|| anyhow::anyhow!("order {id} ended without an output"))?;
            let text = consumer
                .check_output(id, &output)
                .await?
                .unwrap_or_else(|| "an output a local run does not give".into());
            story.tell(
                height,
                format!(
                    "order {id} ended; lease {} revealed {} ({:?}), released {} to honest-1",
                    lease.id,
                    text.trim_end(),
                    lease.check,
                    lease.releasable.to_plx_string()
                ),
            );
            break;
        }
    }
    Ok(story)
}
