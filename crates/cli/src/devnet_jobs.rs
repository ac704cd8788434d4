//! The devnet's compute marketplace: a consumer submits a stream of WASM and inference jobs
//! (and, first, one job whose escrow cannot pay a block and the four hostile modules every
//! provider must survive); the compute agents bid, run and check them; at the end every
//! accepted output is compared with a local re-execution of its job.

use crate::cmd_job;
use anyhow::Context;
use plexus_client::NodeClient;
use plexus_ledger::market::{Check, LeaseRole, Order, OrderCloseReason, OrderState};
use plexus_ledger::query;
use plexus_market::spec::JobSpec;
use plexus_types::{Address, Amount, Hash, SecretKey};
use serde::Serialize;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The account that pays for the devnet's jobs.
pub const CONSUMER: &str = "job-client";

#[derive(clap::Args, Clone)]
pub struct JobsArgs {
    /// With compute agents: submit a job this often (for example 2s); 0s submits none.
    #[arg(long, default_value = "2s", value_parser = humantime::parse_duration)]
    pub job_every: Duration,
}

/// What the consumer submitted.
#[derive(Debug, Clone)]
struct Submitted {
    id: u64,
    kind: &'static str,
    spec: String,
    submitted: Instant,
    /// When the consumer first saw a lease running it, and its order ended.
    dispatched: Option<Instant>,
    ended: Option<Instant>,
}

pub struct JobsRun {
    task: tokio::task::JoinHandle<anyhow::Result<Vec<Submitted>>>,
    stop: tokio::sync::watch::Sender<bool>,
    node: String,
    blobs: BTreeMap<Hash, Vec<u8>>,
}

/// Kinds of the jobs submitted before the stream: the hostile modules, in this order.
const HOSTILE: [(&str, &str); 4] = [
    ("endless-loop", plexus_runtime::fixtures::ENDLESS_LOOP),
    ("memory-bomb", plexus_runtime::fixtures::MEMORY_BOMB),
    ("trap", plexus_runtime::fixtures::TRAP),
    ("output-flood", plexus_runtime::fixtures::OUTPUT_FLOOD),
];

/// Price cap per block, duration and sample rate of every devnet job.
const MAX_PRICE: &str = "0.01plx";
const DURATION_BLOCKS: u64 = 120;
const SAMPLE_PER_MILLE: u32 = 250;

fn wasm_spec(module: &Hash, stdin: &str, fuel: u64) -> String {
    format!(
        r#"runtime = "wasm"
max_price_per_block = "{MAX_PRICE}"
duration_blocks = {DURATION_BLOCKS}

[wasm]
module = "{module}"
fuel = {fuel}
memory_mb = 16
max_output_bytes = 4096

[[inputs]]
name = "numbers.txt"
text = "{stdin}"

[resources]
cpu_cores = 1
memory_mb = 256

[verification]
sample_per_mille = {SAMPLE_PER_MILLE}
"#
    )
}

fn inference_spec(model: &Hash, rows: &str) -> String {
    format!(
        r#"runtime = "inference"
max_price_per_block = "{MAX_PRICE}"
duration_blocks = {DURATION_BLOCKS}

[inference]
model = "{model}"
architecture = {{ kind = "mlp", inputs = 64, hidden = 32, classes = 10 }}
batch = 8

[[inputs]]
name = "rows.csv"
text = """
{rows}"""

[resources]
cpu_cores = 1
memory_mb = 512

[verification]
sample_per_mille = {SAMPLE_PER_MILLE}
tolerance_ppm = 100
"#
    )
}

/// Rows `from..from + n` of the shipped digits, features only, as CSV.
fn digit_rows(from: usize, n: usize) -> String {
    let data = plexus_learn::data::Dataset::digits();
    let mut out = String::new();
    for i in 0..n {
        let row = data.example((from + i) % data.len());
        let line: Vec<String> = row.iter().map(|x| format!("{x}")).collect();
        out.push_str(&line.join(","));
        out.push('\n');
    }
    out
}

/// Puts the module and the model on the node and starts the consumer.
pub async fn start(
    home: &Path,
    consumer: SecretKey,
    args: &JobsArgs,
    api: SocketAddr,
) -> anyhow::Result<Option<JobsRun>> {
    if args.job_every.is_zero() {
        return Ok(None);
    }
    let url = format!("http://{api}");
    let node = NodeClient::new(&url)?;
    let scratch = home.join("jobs");
    let mut blobs = BTreeMap::new();
    let module = plexus_runtime::fixtures::DEMO_WORKLOAD.as_bytes().to_vec();
    let model = plexus_learn::model::Model::new(
        plexus_learn::model::Architecture::Mlp { hidden: 32 },
        64,
        10,
        7,
    )?;
    let params = plexus_learn::task::params_to_bytes(&model.params()?);
    let mut pieces = vec![module, params];
    pieces.extend(HOSTILE.iter().map(|(_, wat)| wat.as_bytes().to_vec()));
    for bytes in pieces {
        let id = cmd_job::put_blob(&url, &scratch, &bytes)
            .await
            .context("putting the devnet's job blobs on the node")?;
        blobs.insert(id, bytes);
    }
    let module_id = Hash::of(plexus_runtime::fixtures::DEMO_WORKLOAD.as_bytes());
    let model_id = Hash::of(&plexus_learn::task::params_to_bytes(&model.params()?));
    let every = args.job_every;
    let (stop, mut stop_rx) = tokio::sync::watch::channel(false);
    let task = tokio::spawn(async move {
        let mut submitted: Vec<Submitted> = Vec::new();
        let mut plan: Vec<(&'static str, String, Option<Amount>)> = Vec::new();
        // A job whose escrow cannot pay one block: it closes with insufficient_funds.
        plan.push((
            "underfunded",
            wasm_spec(&module_id, "1 2 3", plexus_runtime::fixtures::DEMO_FUEL),
            Some(Amount(1)),
        ));
        for (kind, wat) in HOSTILE {
            plan.push((
                kind,
                wasm_spec(&Hash::of(wat.as_bytes()), "0", 5_000_000),
                None,
            ));
        }
        let mut n = 0usize;
        let mut tick = tokio::time::interval(every);
        let mut poll = tokio::time::interval(Duration::from_millis(100));
        loop {
            tokio::select! {
                _ = stop_rx.changed() => break,
                _ = tick.tick() => {
                    let (kind, spec, deposit) = if plan.is_empty() {
                        n += 1;
                        if n % 2 == 1 {
                            let stdin: Vec<String> =
                                (0..24).map(|k| ((n * 7919 + k * 104_729) % 100_000).to_string()).collect();
                            ("wasm", wasm_spec(&module_id, &stdin.join(" "), plexus_runtime::fixtures::DEMO_FUEL), None)
                        } else {
                            ("inference", inference_spec(&model_id, &digit_rows(n * 16, 16)), None)
                        }
                    } else {
                        plan.remove(0)
                    };
                    match cmd_job::submit(&node, &consumer, &spec, deposit, &scratch).await {
                        Ok(id) => {
                            tracing::info!(job = id, kind, "job submitted");
                            submitted.push(Submitted { id, kind, spec, submitted: Instant::now(), dispatched: None, ended: None });
                        }
                        Err(e) => tracing::warn!(kind, error = %format!("{e:#}"), "job not submitted"),
                    }
                }
                _ = poll.tick() => {
                    // Wall-clock dispatch and completion times, as the consumer sees them.
                    let open: Vec<usize> = (0..submitted.len()).filter(|i| submitted[*i].ended.is_none()).collect();
                    for i in open {
                        let Ok(view) = cmd_job::order(&node, submitted[i].id).await else { continue };
                        let now = Instant::now();
                        if submitted[i].dispatched.is_none() && !view.leases.is_empty() {
                            submitted[i].dispatched = Some(now);
                        }
                        if view.order.is_closed() {
                            submitted[i].ended = Some(now);
                        }
                    }
                }
            }
        }
        Ok(submitted)
    });
    Ok(Some(JobsRun {
        task,
        stop,
        node: url,
        blobs,
    }))
}

/// What became of one job.
#[derive(Debug, Clone, Serialize)]
pub struct JobLine {
    pub id: u64,
    pub kind: String,
    pub state: String,
    /// For a completed job: whether its accepted output equals (inference: agrees within the
    /// tolerance with) a local re-execution.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub correct: Option<bool>,
    /// The first line of the accepted output of a hostile job (its report).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub report: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct CheaterLine {
    pub provider: Address,
    pub behaviour: String,
    pub wrong_results: u32,
    pub barred: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct JobsSummary {
    pub submitted: usize,
    /// Completed with every replica's output accepted.
    pub completed: usize,
    /// Completed stream jobs whose accepted output a local re-execution reproduced.
    pub correct: usize,
    /// Accepted outputs a local re-execution did not reproduce.
    pub wrong_results_accepted: usize,
    /// Orders by how they ended (or `running`).
    pub by_state: BTreeMap<String, usize>,
    /// Re-executions run (verifier and referee leases with a result).
    pub re_executions: usize,
    pub referee_runs: usize,
    /// Results shown wrong by a re-execution (bonds slashed).
    pub wrong_results_caught: u64,
    pub bonds_slashed: Amount,
    pub cheaters_caught: Vec<CheaterLine>,
    /// Cheating providers never caught.
    pub cheaters_not_caught: Vec<Address>,
    /// Consumer's escrow: deposited = paid to providers + fees + refunded + still held.
    pub escrowed: Amount,
    pub paid: Amount,
    pub fees: Amount,
    pub refunded: Amount,
    pub held: Amount,
    pub accounting_balanced: bool,
    /// Milliseconds from submission until a provider's lease ran the job, and until the order
    /// ended, as the consumer saw them (median and 90th percentile).
    pub dispatch_ms: Percentiles,
    pub completion_ms: Percentiles,
    /// This run's mean block interval, and the bid window in those blocks: the least a job
    /// waits before it can run (the baseline for `dispatch_ms`).
    pub block_ms: u64,
    pub bid_window_ms: u64,
    pub jobs: Vec<JobLine>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Percentiles {
    pub count: usize,
    pub median: u64,
    pub p90: u64,
}

fn percentiles(mut xs: Vec<u64>) -> Percentiles {
    xs.sort_unstable();
    if xs.is_empty() {
        return Percentiles::default();
    }
    Percentiles {
        count: xs.len(),
        median: xs[xs.len() / 2],
        p90: xs[(xs.len() * 9 / 10).min(xs.len() - 1)],
    }
}

fn state_of(order: &Order) -> String {
    match order.state {
        OrderState::Open | OrderState::Matched => "running".into(),
        OrderState::Closed { reason, .. } => serde_json::to_value(reason)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default(),
    }
}

/// Re-executes a job locally with the devnet's blobs and the inline inputs.
fn local_output(spec: &JobSpec, blobs: &BTreeMap<Hash, Vec<u8>>) -> Vec<u8> {
    plexus_runtime::job::run_job(spec, &|id: &Hash| {
        blobs
            .get(id)
            .cloned()
            .ok_or_else(|| format!("blob {id} is not one the devnet made"))
    })
    .output
}

impl JobsRun {
    /// Stops submitting, and checks every accepted output against a local re-execution (the
    /// node still runs; the agents have stopped).
    pub async fn finish(
        self,
        store: &plexus_store::Store,
        providers: &[(Address, String)],
        home: &Path,
    ) -> anyhow::Result<JobsSummary> {
        let _ = self.stop.send(true);
        let submitted = self.task.await??;
        let dir: PathBuf = home.join("jobs").join("outputs");
        std::fs::create_dir_all(&dir)?;
        let client = plexus_blobs::client::BlobClient::new();
        let mut lines = Vec::new();
        let mut by_state: BTreeMap<String, usize> = BTreeMap::new();
        let (mut completed, mut correct, mut wrong) = (0, 0, 0);
        let (mut re_executions, mut referee_runs) = (0, 0);
        let (mut escrowed, mut paid, mut fees, mut refunded, mut held) =
            (0u128, 0u128, 0u128, 0u128, 0u128);
        for s in &submitted {
            let Some(order) = query::market_order(store, s.id)? else {
                continue;
            };
            escrowed += order.terms.deposit.0;
            paid += order.paid.0;
            fees += order.fees.0;
            refunded += order.refunded.0;
            held += order.escrow.0;
            for id in &order.leases {
                if let Some(l) = query::market_lease(store, *id)? {
                    if !l.released && l.check != Check::Wrong {
                        held += l.accrued.0;
                    }
                    if l.output.is_some() && l.role != LeaseRole::Run {
                        re_executions += 1;
                        if matches!(l.role, LeaseRole::Referee { .. }) {
                            referee_runs += 1;
                        }
                    }
                }
            }
            let state = state_of(&order);
            *by_state.entry(state.clone()).or_default() += 1;
            let mut line = JobLine {
                id: s.id,
                kind: s.kind.to_string(),
                state: state.clone(),
                correct: None,
                report: None,
            };
            if matches!(
                order.state,
                OrderState::Closed {
                    reason: OrderCloseReason::Completed,
                    ..
                }
            ) && !order.results.is_empty()
            {
                completed += 1;
                let spec = JobSpec::from_toml(&s.spec)?;
                // The sandbox blocks (WASI's host calls run their own executor): off the
                // async runtime.
                let (run_spec, blobs) = (spec.clone(), self.blobs.clone());
                let expected =
                    tokio::task::spawn_blocking(move || local_output(&run_spec, &blobs)).await?;
                let mut all_right = true;
                for (_, output) in &order.results {
                    let path = dir.join(output.to_string());
                    client
                        .get(
                            std::slice::from_ref(&self.node),
                            plexus_blobs::BlobId(output.0),
                            &path,
                        )
                        .await
                        .with_context(|| format!("fetching job {}'s output {output}", s.id))?;
                    let got = std::fs::read(&path)?;
                    all_right &= plexus_runtime::job::outputs_agree(&spec, &got, &expected);
                    if HOSTILE.iter().any(|(k, _)| *k == s.kind) {
                        line.report = Some(
                            String::from_utf8_lossy(
                                got.split(|b| *b == b'\n').next().unwrap_or(&[]),
                            )
                            .into_owned(),
                        );
                    }
                }
                line.correct = Some(all_right);
                if all_right {
                    correct += 1;
                } else {
                    wrong += 1;
                }
            }
            lines.push(line);
        }
        let totals = query::market_totals(store)?;
        let mut caught = Vec::new();
        let mut not_caught = Vec::new();
        for (provider, behaviour) in providers {
            let rec = query::market_provider(store, provider)?;
            if rec.wrong > 0 {
                caught.push(CheaterLine {
                    provider: *provider,
                    behaviour: behaviour.clone(),
                    wrong_results: rec.wrong,
                    barred: rec.banned(),
                });
            } else if behaviour == "wrong-results" {
                not_caught.push(*provider);
            }
        }
        let ms = |a: Instant, b: Option<Instant>| b.map(|b| b.duration_since(a).as_millis() as u64);
        Ok(JobsSummary {
            submitted: submitted.len(),
            completed,
            correct,
            wrong_results_accepted: wrong,
            by_state,
            re_executions,
            referee_runs,
            wrong_results_caught: totals.totals.wrong_results,
            bonds_slashed: totals.totals.bonds_slashed,
            cheaters_caught: caught,
            cheaters_not_caught: not_caught,
            escrowed: Amount(escrowed),
            paid: Amount(paid),
            fees: Amount(fees),
            refunded: Amount(refunded),
            held: Amount(held),
            accounting_balanced: escrowed == paid + fees + refunded + held && totals.balances(),
            dispatch_ms: percentiles(
                submitted
                    .iter()
                    .filter_map(|s| ms(s.submitted, s.dispatched))
                    .collect(),
            ),
            completion_ms: percentiles(
                submitted
                    .iter()
                    .filter_map(|s| ms(s.submitted, s.ended))
                    .collect(),
            ),
            block_ms: 0,
            bid_window_ms: 0,
            jobs: lines,
        })
    }
}

pub fn print(s: &JobsSummary) {
    println!(
        "jobs: {} submitted · {} completed · {} correct (checked against local re-execution) · {} wrong results accepted",
        s.submitted, s.completed, s.correct, s.wrong_results_accepted
    );
    let states: Vec<String> = s.by_state.iter().map(|(k, v)| format!("{k} {v}")).collect();
    println!("  orders: {}", states.join(" · "));
    println!(
        "  {} re-executions ({} by a referee) · {} wrong results caught · bonds slashed {}",
        s.re_executions,
        s.referee_runs,
        s.wrong_results_caught,
        s.bonds_slashed.to_plx_string()
    );
    for c in &s.cheaters_caught {
        println!(
            "  caught {} ({}) with {} wrong result(s){}",
            c.provider,
            c.behaviour,
            c.wrong_results,
            if c.barred {
                ", barred from bidding"
            } else {
                ""
            }
        );
    }
    for p in &s.cheaters_not_caught {
        println!("  NOT caught: {p}");
    }
    for j in s
        .jobs
        .iter()
        .filter(|j| j.report.is_some() || j.kind == "underfunded")
    {
        println!(
            "  job {} ({}): {}{}",
            j.id,
            j.kind,
            j.state,
            j.report
                .as_ref()
                .map(|r| format!(" · reported {r}"))
                .unwrap_or_default()
        );
    }
    println!(
        "  escrow {} = paid {} + fees {} + refunded {} + held {} ({})",
        s.escrowed.to_plx_string(),
        s.paid.to_plx_string(),
        s.fees.to_plx_string(),
        s.refunded.to_plx_string(),
        s.held.to_plx_string(),
        if s.accounting_balanced {
            "balanced"
        } else {
            "NOT BALANCED"
        }
    );
    println!(
        "  dispatch (submitted → running) median {} ms, p90 {} ms · completion median {} ms, p90 {} ms\n  \
         baseline: the bid window, {} blocks of {} ms = {} ms",
        s.dispatch_ms.median,
        s.dispatch_ms.p90,
        s.completion_ms.median,
        s.completion_ms.p90,
        plexus_ledger::market::BID_WINDOW_BLOCKS,
        s.block_ms,
        s.bid_window_ms
    );
}
