//! `plexus job verify`: anyone can recheck what the chain decided about a job. It fetches the
//! job's spec and inputs from the node, runs the job here in the same sandbox providers use,
//! and compares every published output (the run's, each verifier's and referee's) with the
//! local one as the spec says (WASM byte for byte, inference within its tolerance). A result
//! the chain accepted must agree; a result the chain showed wrong (a slashed bond) must not.
//! Every verdict that slashes a bond thus rests on outputs anyone can fetch and rerun.

use crate::Globals;
use anyhow::{bail, Context};
use plexus_agent::jobs::fetch_bounded;
use plexus_blobs::client::BlobClient;
use plexus_client::views::{CheckView, LeaseView, RoleView};
use plexus_client::NodeClient;
use plexus_market::spec::{JobSpec, MAX_SPEC_BYTES};
use plexus_runtime::job::{blobs_read, max_output_len, outputs_agree, run_job};
use plexus_types::Hash;
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::Path;

/// What the recheck found of one lease's output.
#[derive(Debug, Serialize)]
pub struct LeaseCheck {
    pub lease: u64,
    pub role: String,
    pub output: Hash,
    /// The chain's verdict: `accepted`, `wrong`, `forfeited` (sealed, never revealed) or
    /// `undecided`.
    pub chain: &'static str,
    /// Whether the output agrees with the local run.
    pub agrees_locally: bool,
    /// Whether the local run bears the chain's verdict out (always, while undecided).
    pub borne_out: bool,
}

fn verdict(check: CheckView) -> &'static str {
    match check {
        CheckView::Unchecked | CheckView::Confirmed => "accepted",
        CheckView::Wrong => "wrong",
        CheckView::Forfeited => "forfeited",
        CheckView::None | CheckView::Drawing | CheckView::Pending | CheckView::Revealing => {
            "undecided"
        }
    }
}

fn role_name(role: &RoleView) -> String {
    match role {
        RoleView::Run => "run".into(),
        RoleView::Verifier { of } => format!("verifier of lease {of}"),
        RoleView::Referee { of, verifier } => format!("referee of lease {of} against {verifier}"),
    }
}

/// Blob `id` of at most `limit` bytes from the node, or why not.
async fn fetch(node: &NodeClient, dir: &Path, id: &Hash, limit: u64) -> anyhow::Result<Vec<u8>> {
    let fetched = fetch_bounded(&BlobClient::new(), node.base_url(), dir, id, limit)
        .await
        .map_err(|e| anyhow::anyhow!("fetching blob {id}: {e}"))?;
    fetched.map_err(|e| anyhow::anyhow!("blob {id}: {e}"))
}

/// Rechecks every published output of job `id` against a local run of the job.
pub async fn verify(node: &NodeClient, id: u64, dir: &Path) -> anyhow::Result<Vec<LeaseCheck>> {
    let view: plexus_client::views::OrderView =
        node.get(&format!("/v1/market/orders/{id}")).await?;
    let spec_bytes = fetch(node, dir, &view.order.terms.spec, MAX_SPEC_BYTES as u64).await?;
    let spec = JobSpec::from_toml(&String::from_utf8_lossy(&spec_bytes))
        .with_context(|| format!("job {id}'s spec"))?;
    // What the job reads, each as providers fetch it: a blob larger than the spec allows is
    // the job's bad input on every machine alike.
    let mut inputs: BTreeMap<Hash, Result<Vec<u8>, String>> = BTreeMap::new();
    for (blob, limit) in blobs_read(&spec) {
        let fetched = fetch_bounded(&BlobClient::new(), node.base_url(), dir, &blob, limit)
            .await
            .map_err(|e| anyhow::anyhow!("fetching blob {blob}: {e}"))?;
        inputs.insert(blob, fetched);
    }
    let run_spec = spec.clone();
    let local = tokio::task::spawn_blocking(move || {
        run_job(&run_spec, &|blob: &Hash, _limit| {
            inputs
                .get(blob)
                .cloned()
                .unwrap_or_else(|| Err(format!("blob {blob} was not fetched")))
        })
    })
    .await?
    .output;
    let mut checks = Vec::new();
    for lease in &view.leases {
        let LeaseView {
            id: lease_id,
            output: Some(output),
            ..
        } = lease
        else {
            continue;
        };
        let theirs = fetch(node, dir, output, max_output_len(&spec)).await;
        let agrees_locally = theirs.is_ok_and(|t| outputs_agree(&spec, &t, &local));
        let chain = verdict(lease.check);
        let borne_out = match chain {
            "accepted" => agrees_locally,
            "wrong" => !agrees_locally,
            _ => true,
        };
        checks.push(LeaseCheck {
            lease: *lease_id,
            role: role_name(&lease.role),
            output: *output,
            chain,
            agrees_locally,
            borne_out,
        });
    }
    Ok(checks)
}

/// `plexus job verify ID`: prints each lease's recheck; fails when a verdict is not borne out.
pub async fn verify_cmd(g: &Globals, node: &NodeClient, id: u64) -> anyhow::Result<()> {
    let dir = std::env::temp_dir().join(format!("plexus-verify-{}", std::process::id()));
    let checks = verify(node, id, &dir).await;
    let _ = std::fs::remove_dir_all(&dir);
    let checks = checks?;
    if g.json {
        crate::print_json(&serde_json::json!({ "job": id, "leases": checks }));
    } else {
        if checks.is_empty() {
            println!("job {id} has no published output yet");
        }
        for c in &checks {
            println!(
                "lease {:>4}  {:<36} output {}  chain: {:<9} local run: {:<8} {}",
                c.lease,
                c.role,
                &c.output.to_hex()[..16],
                c.chain,
                if c.agrees_locally {
                    "agrees"
                } else {
                    "differs"
                },
                if c.borne_out {
                    "borne out"
                } else {
                    "NOT BORNE OUT"
                }
            );
        }
    }
    let contradicted = checks.iter().filter(|c| !c.borne_out).count();
    if contradicted > 0 {
        bail!(
            "{contradicted} of the chain's verdicts on job {id} are not borne out by a local run"
        );
    }
    Ok(())
}
