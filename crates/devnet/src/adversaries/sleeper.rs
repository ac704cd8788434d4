//! The sleeper-jobs adversary: a consumer that orders, in turn and again and again, jobs
//! written to freeze the provider that runs them: a module that sleeps for as long as WASI can
//! say (an hour and more of `poll_oneoff`), one that asks for an input far larger than its job
//! may read, one whose output exceeds its limit and keeps writing, and one that asks WASI for
//! random bytes without end. Each must end within seconds of its lease, with the report every
//! provider gives alike, and the providers go on serving.

use super::{Adversary, AdversaryReport, Stage};
use crate::host::Client;
use plexus_client::NodeClient;
use plexus_ledger::market::{LeaseCloseReason, LeaseRole, LeaseState, OrderState};
use plexus_ledger::query;
use plexus_runtime::fixtures::{OUTPUT_FLOOD, RANDOM_SPINNER, SLEEP_FOREVER};
use plexus_types::Hash;
use std::sync::Arc;
use std::time::Duration;

/// How often it orders the next hostile job.
const EVERY: Duration = Duration::from_secs(8);
/// The huge input: more than the job's memory, so more than it may read.
const HUGE_INPUT_BYTES: usize = 3 << 20;
/// Blocks a lease may take from its start to its result before the provider counts as frozen:
/// far more than a job bounded to seconds needs at the devnet's block pace.
const FROZEN_AFTER_BLOCKS: u64 = 60;

/// A hostile job: `module` (with an input blob `input`, if any) on a spec with `memory_mb` of
/// memory, so the job may read at most that many MiB.
fn spec(module: &Hash, input: Option<&Hash>, fuel: u64, memory_mb: u32) -> String {
    let input = match input {
        Some(blob) => format!("blob = \"{blob}\""),
        None => "text = \"0\"".to_string(),
    };
    let wasm_memory_mb = memory_mb.min(16);
    format!(
        r#"runtime = "wasm"
max_price_per_block = "0.01plx"
duration_blocks = 120

[wasm]
module = "{module}"
fuel = {fuel}
memory_mb = {wasm_memory_mb}
max_output_bytes = 4096

[[inputs]]
name = "input"
{input}

[resources]
cpu_cores = 1
memory_mb = {memory_mb}

[verification]
sample_per_mille = 250
"#
    )
}

/// One hostile job it orders: what it is, and its spec.
struct Hostile {
    name: &'static str,
    spec: String,
}

async fn prepare<C: Client>(stage: &Stage<C>) -> anyhow::Result<Vec<Hostile>> {
    let scratch = stage.home.join("attacker");
    let huge: Vec<u8> = (0..HUGE_INPUT_BYTES).map(|i| (i % 251) as u8).collect();
    let mut ids = Vec::new();
    for bytes in [
        SLEEP_FOREVER.as_bytes(),
        OUTPUT_FLOOD.as_bytes(),
        RANDOM_SPINNER.as_bytes(),
        &huge,
    ] {
        let id = stage
            .client
            .put_blob(&stage.node, &stage.attacker, &scratch, bytes)
            .await?;
        ids.push(id);
    }
    let [sleeper, flood, spinner, huge] = [ids[0], ids[1], ids[2], ids[3]];
    let fuel = plexus_runtime::fixtures::DEMO_FUEL;
    Ok(vec![
        Hostile {
            name: "sleeps for as long as WASI can say",
            spec: spec(&sleeper, None, fuel, 64),
        },
        Hostile {
            name: "asks for an input of 3 MiB where it may read 1 MiB",
            spec: spec(&sleeper, Some(&huge), fuel, 1),
        },
        Hostile {
            name: "writes past its 4 KiB output limit without end",
            spec: spec(&flood, None, plexus_market::spec::MAX_WASM_FUEL, 64),
        },
        Hostile {
            name: "asks for random bytes without end",
            spec: spec(&spinner, None, 1_000_000, 64),
        },
    ])
}

/// Orders the hostile jobs in turn until stopped, then reads what became of them.
pub async fn run<C: Client>(
    stage: Arc<Stage<C>>,
    mut stop: tokio::sync::watch::Receiver<bool>,
) -> anyhow::Result<AdversaryReport> {
    let hostile = prepare(&stage).await?;
    let node = NodeClient::new(&stage.node)?;
    let scratch = stage.home.join("attacker");
    let mut ordered: Vec<(u64, &'static str)> = Vec::new();
    let mut refused: Vec<String> = Vec::new();
    let mut tick = tokio::time::interval(EVERY);
    for job in hostile.iter().cycle() {
        tokio::select! {
            _ = stop.wait_for(|s| *s) => break,
            _ = tick.tick() => {}
        }
        match stage
            .client
            .submit_job(&node, &stage.attacker, &job.spec, None, &scratch)
            .await
        {
            Ok(id) => ordered.push((id, job.name)),
            Err(e) => refused.push(format!("{}: refused, {e:#}", job.name)),
        }
    }
    let mut report = report(&stage, &ordered).await?;
    refused.dedup();
    report.outcome.extend(refused);
    Ok(report)
}

/// The first line of a job's output (its report), fetched from the node.
async fn first_line<C>(stage: &Stage<C>, output: &Hash) -> anyhow::Result<String> {
    let dir = stage.home.join("attacker").join("outputs");
    std::fs::create_dir_all(&dir)?;
    let path = dir.join(output.to_string());
    plexus_blobs::client::BlobClient::new()
        .get(
            std::slice::from_ref(&stage.node),
            plexus_blobs::BlobId(output.0),
            &path,
        )
        .await?;
    let bytes = std::fs::read(&path)?;
    let line = bytes.split(|b| *b == b'\n').next().unwrap_or(&[]);
    Ok(String::from_utf8_lossy(line).into_owned())
}

/// For each hostile job: whether a provider ran it to a result, how many blocks that took,
/// and the report the result gives.
async fn report<C>(
    stage: &Stage<C>,
    ordered: &[(u64, &'static str)],
) -> anyhow::Result<AdversaryReport> {
    let store = stage.chain.store();
    let tip = stage.chain.status().height;
    let mut outcome = Vec::new();
    let (mut answered, mut frozen, mut longest) = (0usize, 0usize, 0u64);
    for (id, name) in ordered {
        let Some(order) = query::market_order(store, *id)? else {
            continue;
        };
        let mut line = format!("order {id} ({name}): ");
        let mut leased = false;
        for lid in &order.leases {
            let Some(l) = query::market_lease(store, *lid)? else {
                continue;
            };
            if l.role != LeaseRole::Run {
                continue;
            }
            leased = true;
            match l.state {
                LeaseState::Closed {
                    reason: LeaseCloseReason::Completed,
                    height,
                } => {
                    let took = height.saturating_sub(l.started);
                    longest = longest.max(took);
                    answered += 1;
                    let said = match &l.output {
                        Some(output) => first_line(stage, output).await?,
                        None => String::new(),
                    };
                    line.push_str(&format!("result in {took} blocks, {said}; "));
                }
                LeaseState::Closed { reason, .. } => {
                    frozen += usize::from(reason == LeaseCloseReason::Timeout);
                    line.push_str(&format!("lease closed: {reason:?}; "));
                }
                LeaseState::Active if tip.saturating_sub(l.started) > FROZEN_AFTER_BLOCKS => {
                    frozen += 1;
                    line.push_str(&format!("STILL RUNNING after {} blocks; ", tip - l.started));
                }
                LeaseState::Active => line.push_str("running at the stop; "),
            }
        }
        if !leased {
            line.push_str("not leased by the stop; ");
        }
        line.push_str(match order.state {
            OrderState::Closed { .. } => "order ended",
            _ => "order open",
        });
        outcome.push(line);
    }
    outcome.insert(
        0,
        format!(
            "{} hostile jobs ordered, {answered} runs answered, the longest {longest} blocks from lease to result; providers frozen: {frozen}",
            ordered.len()
        ),
    );
    Ok(AdversaryReport {
        kind: Adversary::SleeperJobs,
        tried: "orders, in turn, jobs that sleep for as long as WASI can say, ask for a huge input, write past their output limit, or ask for random bytes without end".into(),
        outcome,
        held: frozen == 0,
    })
}
