//! What became of the devnet's jobs: each order's end, every accepted output checked against
//! a local re-execution, the cheaters caught, the consumer's escrow accounted for, and the
//! dispatch and completion times the consumer saw.

use super::consumer::Submitted;
use super::specs::{local_output, HOSTILE};
use super::JobsRun;
use anyhow::Context;
use plexus_ledger::market::{Check, LeaseRole, Order, OrderCloseReason, OrderState};
use plexus_ledger::query;
use plexus_market::spec::JobSpec;
use plexus_types::{Address, Amount};
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

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
    /// Sealed results never revealed (bonds forfeited).
    pub results_forfeited: usize,
    /// Of this run's jobs, results shown wrong that a local re-execution rechecked, and how
    /// many of them it found differing (as it must: a slash rests on outputs anyone can
    /// rerun).
    pub slashed_rechecked: usize,
    pub slashed_differ: usize,
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

/// Sums over the consumer's orders, as they stand on chain.
#[derive(Default)]
struct Tally {
    lines: Vec<JobLine>,
    by_state: BTreeMap<String, usize>,
    completed: usize,
    correct: usize,
    wrong: usize,
    re_executions: usize,
    referee_runs: usize,
    forfeited: usize,
    slashed_rechecked: usize,
    slashed_differ: usize,
    escrowed: u128,
    paid: u128,
    fees: u128,
    refunded: u128,
    held: u128,
}

impl Tally {
    /// Adds an order's escrow and its leases' re-executions and unreleased earnings.
    fn add_accounts(&mut self, store: &plexus_store::Store, order: &Order) -> anyhow::Result<()> {
        self.escrowed += order.terms.deposit.0;
        self.paid += order.paid.0;
        self.fees += order.fees.0;
        self.refunded += order.refunded.0;
        self.held += order.escrow.0;
        for id in &order.leases {
            if let Some(l) = query::market_lease(store, *id)? {
                if !l.released && l.check != Check::Wrong {
                    self.held += l.accrued.0;
                }
                if l.check == Check::Forfeited {
                    self.forfeited += 1;
                }
                if l.output.is_some() && l.role != LeaseRole::Run {
                    self.re_executions += 1;
                    if matches!(l.role, LeaseRole::Referee { .. }) {
                        self.referee_runs += 1;
                    }
                }
            }
        }
        Ok(())
    }
}

/// The providers whose results were shown wrong, and the cheats never caught.
fn cheaters(
    store: &plexus_store::Store,
    providers: &[(Address, String)],
) -> anyhow::Result<(Vec<CheaterLine>, Vec<Address>)> {
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
    Ok((caught, not_caught))
}

fn is_completed(order: &Order) -> bool {
    matches!(
        order.state,
        OrderState::Closed {
            reason: OrderCloseReason::Completed,
            ..
        }
    ) && !order.results.is_empty()
}

/// Where the accepted outputs come from and what the jobs' blobs were.
struct OutputCheck<'a> {
    client: plexus_blobs::client::BlobClient,
    node: &'a str,
    blobs: &'a BTreeMap<plexus_types::Hash, Vec<u8>>,
    dir: PathBuf,
}

impl OutputCheck<'_> {
    /// Fetches `output` from the node, verified.
    async fn fetch(&self, output: &plexus_types::Hash) -> anyhow::Result<Vec<u8>> {
        let path = self.dir.join(output.to_string());
        self.client
            .get(
                &[self.node.to_string()],
                plexus_blobs::BlobId(output.0),
                &path,
            )
            .await
            .with_context(|| format!("fetching output {output}"))?;
        Ok(std::fs::read(&path)?)
    }

    /// Rechecks every result of `order` shown wrong against a local re-execution; returns how
    /// many there were and how many of them differ from it.
    async fn recheck_slashed(
        &self,
        store: &plexus_store::Store,
        s: &Submitted,
        order: &Order,
    ) -> anyhow::Result<(usize, usize)> {
        let mut slashed = Vec::new();
        for id in &order.leases {
            if let Some(l) = query::market_lease(store, *id)? {
                if let (Check::Wrong, Some(output)) = (l.check, l.output) {
                    slashed.push(output);
                }
            }
        }
        if slashed.is_empty() {
            return Ok((0, 0));
        }
        let spec = JobSpec::from_toml(&s.spec)?;
        let (run_spec, blobs) = (spec.clone(), self.blobs.clone());
        let expected = tokio::task::spawn_blocking(move || local_output(&run_spec, &blobs)).await?;
        let mut differ = 0;
        for output in &slashed {
            let got = self.fetch(output).await?;
            if !plexus_runtime::job::outputs_agree(&spec, &got, &expected) {
                differ += 1;
            }
        }
        Ok((slashed.len(), differ))
    }

    /// Fetches every accepted output of a completed job and compares it with a local
    /// re-execution; notes a hostile job's report. Returns whether all agreed.
    async fn check(
        &self,
        s: &Submitted,
        order: &Order,
        line: &mut JobLine,
    ) -> anyhow::Result<bool> {
        let spec = JobSpec::from_toml(&s.spec)?;
        // The sandbox blocks (WASI's host calls run their own executor): off the async
        // runtime.
        let (run_spec, blobs) = (spec.clone(), self.blobs.clone());
        let expected = tokio::task::spawn_blocking(move || local_output(&run_spec, &blobs)).await?;
        let mut all_right = true;
        for (_, output) in &order.results {
            let got = self
                .fetch(output)
                .await
                .with_context(|| format!("job {}", s.id))?;
            all_right &= plexus_runtime::job::outputs_agree(&spec, &got, &expected);
            if HOSTILE.iter().any(|(k, _)| *k == s.kind) {
                line.report = Some(
                    String::from_utf8_lossy(got.split(|b| *b == b'\n').next().unwrap_or(&[]))
                        .into_owned(),
                );
            }
        }
        Ok(all_right)
    }
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
        let outputs = OutputCheck {
            client: plexus_blobs::client::BlobClient::new(),
            node: &self.node,
            blobs: &self.blobs,
            dir: home.join("jobs").join("outputs"),
        };
        std::fs::create_dir_all(&outputs.dir)?;
        let mut tally = Tally::default();
        for s in &submitted {
            let Some(order) = query::market_order(store, s.id)? else {
                continue;
            };
            tally.add_accounts(store, &order)?;
            let state = state_of(&order);
            *tally.by_state.entry(state.clone()).or_default() += 1;
            let mut line = JobLine {
                id: s.id,
                kind: s.kind.to_string(),
                state: state.clone(),
                correct: None,
                report: None,
            };
            let (rechecked, differ) = outputs.recheck_slashed(store, s, &order).await?;
            tally.slashed_rechecked += rechecked;
            tally.slashed_differ += differ;
            if is_completed(&order) {
                tally.completed += 1;
                let all_right = outputs.check(s, &order, &mut line).await?;
                line.correct = Some(all_right);
                if all_right {
                    tally.correct += 1;
                } else {
                    tally.wrong += 1;
                }
            }
            tally.lines.push(line);
        }
        let totals = query::market_totals(store)?;
        let (caught, not_caught) = cheaters(store, providers)?;
        let ms = |a: Instant, b: Option<Instant>| b.map(|b| b.duration_since(a).as_millis() as u64);
        let t = tally;
        Ok(JobsSummary {
            submitted: submitted.len(),
            completed: t.completed,
            correct: t.correct,
            wrong_results_accepted: t.wrong,
            by_state: t.by_state,
            re_executions: t.re_executions,
            referee_runs: t.referee_runs,
            wrong_results_caught: totals.totals.wrong_results,
            results_forfeited: t.forfeited,
            slashed_rechecked: t.slashed_rechecked,
            slashed_differ: t.slashed_differ,
            bonds_slashed: totals.totals.bonds_slashed,
            cheaters_caught: caught,
            cheaters_not_caught: not_caught,
            escrowed: Amount(t.escrowed),
            paid: Amount(t.paid),
            fees: Amount(t.fees),
            refunded: Amount(t.refunded),
            held: Amount(t.held),
            accounting_balanced: t.escrowed == t.paid + t.fees + t.refunded + t.held
                && totals.balances(),
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
            jobs: t.lines,
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
        "  {} re-executions ({} by a referee) · {} wrong results caught · {} sealed results never revealed · bonds slashed or forfeited {} · of the slashed results, {} rechecked against a local run: {} differ from it",
        s.re_executions,
        s.referee_runs,
        s.wrong_results_caught,
        s.results_forfeited,
        s.bonds_slashed.to_plx_string(),
        s.slashed_rechecked,
        s.slashed_differ
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
        crate::balance_word(s.accounting_balanced)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_taken_from_the_sorted_times_and_empty_is_all_zero() {
        let p = percentiles(vec![50, 10, 40, 20, 30, 60, 70, 80, 90, 100]);
        assert_eq!((p.count, p.median, p.p90), (10, 60, 100));
        let one = percentiles(vec![7]);
        assert_eq!((one.count, one.median, one.p90), (1, 7, 7));
        let none = percentiles(Vec::new());
        assert_eq!((none.count, none.median, none.p90), (0, 0, 0));
    }
}
