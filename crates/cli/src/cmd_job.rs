//! `plexus job`: compute jobs on the marketplace — submit a job spec, follow its order, fetch
//! its verified output, read its history.

use crate::output::Table;
use crate::{cmd_tx, print_json, Globals};
use anyhow::{bail, Context};
use plexus_blobs::client::{BlobClient, PreparedBlob};
use plexus_blobs::BlobId;
use plexus_client::views::{LeaseView, OrderHead, OrderState, RoleView, StateView};
use plexus_client::NodeClient;
use plexus_market::spec::JobSpec;
use plexus_types::{Address, Amount, Body, Hash, JobRuntime, OrderTerms, SecretKey};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::time::Duration;

#[derive(clap::Subcommand)]
pub enum JobCommand {
    /// Submit a job spec (TOML; see docs/jobs.md): uploads the spec to the node's blob
    /// service, escrows the deposit and opens an order that providers bid for. The module,
    /// model and blob inputs it names must already be on the node (`plexus blob put`).
    Submit {
        file: PathBuf,
        /// The consumer's key, which pays the deposit and gets the refund.
        #[arg(long)]
        from: String,
        /// Escrow to deposit (for example 5plx). Default: three times the most the job can
        /// cost (price cap × duration × replicas), so re-executions that check it are paid.
        #[arg(long)]
        deposit: Option<String>,
        /// Wait until the order has ended and print how.
        #[arg(long)]
        wait: bool,
    },
    /// An order's state, escrow, leases and accepted outputs.
    Status { id: u64 },
    /// Download a job's accepted output, verified against the hash on chain.
    Result {
        id: u64,
        /// The file to write (`-o`; `--output` chooses how read commands print).
        #[arg(short = 'o', long = "out", value_name = "FILE")]
        out: PathBuf,
        /// Which replica's output (0-based).
        #[arg(long, default_value_t = 0)]
        replica: usize,
    },
    /// A job's history on chain: its bids, every lease with its role, result and how it ended.
    Logs { id: u64 },
    /// Recheck the chain's verdicts on a job: run it here and compare every published output
    /// (run, verifier, referee) with the local one. Fails when a verdict is not borne out.
    Verify { id: u64 },
}

/// An order as the node shows it: the order with its bids and leases.
pub use plexus_client::views::OrderView;

/// The order terms a job spec asks for, with `deposit` in escrow.
pub fn terms_of(spec: &JobSpec, spec_id: Hash, deposit: Amount) -> OrderTerms {
    OrderTerms {
        spec: spec_id,
        runtime: match spec.runtime.kind() {
            plexus_market::spec::RuntimeKind::Wasm => JobRuntime::Wasm,
            plexus_market::spec::RuntimeKind::Inference => JobRuntime::Inference,
        },
        resources: plexus_agent::jobs::spec_resources(spec),
        max_price_per_block: spec.max_price_per_block,
        duration_blocks: spec.duration_blocks,
        replicas: spec.replicas,
        sample_per_mille: spec.verification.sample_per_mille as u32,
        deposit,
    }
}

/// The default deposit: three times the job's most cost, so that its re-executions are paid.
pub fn default_deposit(spec: &JobSpec) -> anyhow::Result<Amount> {
    spec.max_escrow()
        .and_then(|a| a.0.checked_mul(3))
        .map(Amount)
        .context("the job's price cap × duration × replicas overflows")
}

/// Puts `bytes` on the node's blob service (through a file in `dir`), signed by `key`;
/// returns the blob id.
pub async fn put_blob(
    node_url: &str,
    key: &SecretKey,
    dir: &Path,
    bytes: &[u8],
) -> anyhow::Result<Hash> {
    let id = Hash::of(bytes);
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let path = dir.join(id.to_string());
    std::fs::write(&path, bytes).with_context(|| format!("writing {}", path.display()))?;
    let prepared = tokio::task::spawn_blocking(move || PreparedBlob::prepare(&path)).await??;
    crate::cmd_blob::signed_blob_client(node_url, key)
        .await?
        .put(node_url, &prepared)
        .await
        .with_context(|| format!("uploading blob {id} to {node_url}"))?;
    Ok(id)
}

/// Submits a checked job spec: uploads the spec text, opens the order, returns its id.
pub async fn submit(
    node: &NodeClient,
    key: &SecretKey,
    spec_text: &str,
    deposit: Option<Amount>,
    scratch: &Path,
) -> anyhow::Result<u64> {
    let spec = JobSpec::from_toml(spec_text)?;
    let spec_id = put_blob(node.base_url(), key, scratch, spec_text.as_bytes()).await?;
    let deposit = match deposit {
        Some(d) => d,
        None => default_deposit(&spec)?,
    };
    let owner = Address::from_public_key(&key.public_key());
    let done = cmd_tx::send_and_wait_on(
        node,
        key,
        Body::CreateOrder(terms_of(&spec, spec_id, deposit)),
        Duration::from_secs(30),
    )
    .await
    .context("opening the order")?;
    let height = done["height"].as_u64().unwrap_or(0);
    // The consumer's orders: the newest one with this spec made at the transaction's height
    // is the one just opened.
    let orders: Vec<OrderView> = node
        .list(&format!("/v1/market/orders?owner={owner}"), "orders")
        .await?;
    let found = orders
        .iter()
        .rev()
        .map(|v| &v.order)
        .find(|o| o.terms.spec == spec_id && (height == 0 || o.created_height == height))
        .map(|o| o.id);
    found.context("the node lists no such order after committing it")
}

pub async fn order(node: &NodeClient, id: u64) -> anyhow::Result<OrderView> {
    node.get(&format!("/v1/market/orders/{id}")).await
}

fn state_name(order: &OrderHead) -> String {
    match order.state {
        OrderState::Open => "open (taking bids)".into(),
        OrderState::Matched => "matched (running)".into(),
        OrderState::Closed { reason, height } => {
            format!("closed at height {height}: {}", snake(&reason))
        }
    }
}

fn snake<T: serde::Serialize>(v: &T) -> String {
    match serde_json::to_value(v) {
        Ok(Value::String(s)) => s,
        Ok(Value::Object(m)) if m.get("state").is_some_and(Value::is_string) => {
            m["state"].as_str().unwrap_or("?").to_string()
        }
        Ok(other) => other.to_string(),
        Err(_) => "?".into(),
    }
}

/// A lease in words: its role, its state and its output.
fn lease_words(l: &LeaseView) -> [String; 3] {
    let role = match l.role {
        RoleView::Run => "run".to_string(),
        RoleView::Verifier { of } => format!("verifies lease {of}"),
        RoleView::Referee { of, verifier } => {
            format!("referees lease {of} against {verifier}")
        }
    };
    let state = match l.state {
        StateView::Active => "active".to_string(),
        StateView::Closed { reason, height } => {
            format!("closed at {height}: {}", snake(&reason))
        }
    };
    let output = match (l.output, l.sealed) {
        (Some(h), _) => h.to_hex()[..16].to_string(),
        (None, Some(seal)) if l.reveal_from > 0 => format!(
            "sealed {}, asked for from block {}",
            &seal.to_hex()[..16],
            l.reveal_from
        ),
        (None, Some(seal)) => format!("sealed {}", &seal.to_hex()[..16]),
        (None, None) => "-".into(),
    };
    [role, state, output]
}

fn lease_line(l: &LeaseView) -> String {
    let [role, state, output] = lease_words(l);
    format!(
        "lease {:>4}  {}  {:<28} from {} at {} uplx/block · {} · earned {} · output {} · check {}",
        l.id,
        &l.provider.to_string()[..14],
        role,
        l.started,
        l.price_per_block,
        state,
        l.accrued.to_plx_string(),
        output,
        snake(&l.check)
    )
}

/// `plexus job status`'s leases: one row each.
fn print_leases(leases: &[LeaseView]) {
    let mut table = Table::new(&[
        "LEASE",
        "PROVIDER",
        "ROLE",
        "FROM",
        "UPLX/BLOCK",
        "STATE",
        "EARNED",
        "OUTPUT",
        "CHECK",
    ]);
    for l in leases {
        let [role, state, output] = lease_words(l);
        table.row([
            l.id.to_string(),
            l.provider.to_string(),
            role,
            l.started.to_string(),
            l.price_per_block.to_string(),
            state,
            l.accrued.to_plx_string(),
            output,
            snake(&l.check),
        ]);
    }
    table
        .right(0)
        .right(3)
        .right(4)
        .right(6)
        .print_or("no leases yet");
}

/// `plexus job submit`: checks the spec and its blobs, opens the order, and waits if asked.
async fn submit_cmd(
    g: &Globals,
    node: &NodeClient,
    file: PathBuf,
    from: String,
    deposit: Option<String>,
    wait: bool,
) -> anyhow::Result<()> {
    let key = g.keyring().secret(&from)?;
    let text =
        std::fs::read_to_string(&file).with_context(|| format!("reading {}", file.display()))?;
    let spec = JobSpec::from_toml(&text)
        .with_context(|| format!("checking the job spec {}", file.display()))?;
    let client = BlobClient::new();
    for id in plexus_agent::jobs::blobs_of(&spec) {
        let status = client.status(node.base_url(), BlobId(id.0)).await;
        if !matches!(&status, Ok(s) if s.state == plexus_blobs::BlobState::Complete) {
            bail!(
                "blob {id} named by the job spec is not on {}; put it there first with `plexus blob put FILE`",
                node.base_url()
            );
        }
    }
    let deposit = deposit
        .map(|d| Amount::parse_human(&d).map_err(|e| anyhow::anyhow!("--deposit {d:?}: {e}")))
        .transpose()?;
    let scratch = std::env::temp_dir().join(format!("plexus-job-{}", std::process::id()));
    let id = submit(node, &key, &text, deposit, &scratch).await?;
    let _ = std::fs::remove_dir_all(&scratch);
    if !wait {
        if g.json {
            print_json(&json!({ "job": id }));
        } else {
            println!("job {id} submitted; follow it with `plexus job status {id}`");
        }
        return Ok(());
    }
    let view = loop {
        let view = order(node, id).await?;
        if view.order.is_closed() {
            break view;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    if g.json {
        print_json(&json!({ "job": id, "order": view.order }));
    } else {
        println!("job {id}: {}", state_name(&view.order));
    }
    Ok(())
}

/// `plexus job status`: the order's state, escrow, accepted outputs and leases.
async fn status_cmd(g: &Globals, node: &NodeClient, id: u64) -> anyhow::Result<()> {
    let view = order(node, id).await?;
    if g.json {
        print_json(&view.order);
        return Ok(());
    }
    let o = &view.order;
    println!("job {id}: {}", state_name(o));
    println!(
        "  {} · {} replica(s) · at most {} uplx/block · {} blocks · sample {}‰",
        o.terms.runtime.as_str(),
        o.terms.replicas,
        o.terms.max_price_per_block,
        o.terms.duration_blocks,
        o.terms.sample_per_mille
    );
    println!(
        "  deposit {} = paid {} + fees {} + refunded {} + held {}",
        o.terms.deposit.to_plx_string(),
        o.paid.to_plx_string(),
        o.fees.to_plx_string(),
        o.refunded.to_plx_string(),
        o.escrow.to_plx_string()
    );
    for (lease, output) in &o.results {
        println!("  accepted output {output} (lease {lease})");
    }
    print_leases(&view.leases);
    Ok(())
}

/// `plexus job result`: downloads an accepted output and checks it against the chain.
async fn result_cmd(
    g: &Globals,
    node: &NodeClient,
    id: u64,
    output: PathBuf,
    replica: usize,
) -> anyhow::Result<()> {
    let view = order(node, id).await?;
    let Some((_, hash)) = view.order.results.get(replica) else {
        bail!(
            "job {id} has {} accepted output(s) so far ({})",
            view.order.results.len(),
            state_name(&view.order)
        );
    };
    BlobClient::new()
        .get(&[node.base_url().to_string()], BlobId(hash.0), &output)
        .await
        .with_context(|| format!("downloading output {hash}"))?;
    let bytes = std::fs::read(&output)?;
    if Hash::of(&bytes) != *hash {
        bail!("the downloaded output does not match the hash on chain");
    }
    if g.json {
        print_json(&json!({"job": id, "output": hash, "bytes": bytes.len(), "file": output}));
    } else {
        println!(
            "{} bytes of job {id}'s output, blake3 {hash} as on chain, written to {}",
            bytes.len(),
            output.display()
        );
    }
    Ok(())
}

/// `plexus job logs`: the order's history on chain.
async fn logs_cmd(g: &Globals, node: &NodeClient, id: u64) -> anyhow::Result<()> {
    let view = order(node, id).await?;
    if g.json {
        print_json(&json!({"order": view.order, "bids": view.bids, "leases": view.leases}));
        return Ok(());
    }
    let o = &view.order;
    println!(
        "height {:>6}  order {id} opened by {} with {} in escrow",
        o.created_height,
        o.owner,
        o.terms.deposit.to_plx_string()
    );
    for b in &view.bids {
        println!(
            "height {:>6}  bid {} by {} at {} uplx/block, bond {} · {}",
            b.height,
            b.id,
            &b.provider.to_string()[..14],
            b.price_per_block,
            b.deposit.to_plx_string(),
            snake(&b.state)
        );
    }
    for l in &view.leases {
        println!("height {:>6}  {}", l.started, lease_line(l));
    }
    println!("now            {}", state_name(o));
    Ok(())
}

pub async fn run(g: &Globals, cmd: JobCommand) -> anyhow::Result<()> {
    let node = g.client()?;
    match cmd {
        JobCommand::Submit {
            file,
            from,
            deposit,
            wait,
        } => submit_cmd(g, &node, file, from, deposit, wait).await,
        JobCommand::Status { id } => status_cmd(g, &node, id).await,
        JobCommand::Result { id, out, replica } => result_cmd(g, &node, id, out, replica).await,
        JobCommand::Logs { id } => logs_cmd(g, &node, id).await,
        JobCommand::Verify { id } => crate::cmd_job_verify::verify_cmd(g, &node, id).await,
    }
}
