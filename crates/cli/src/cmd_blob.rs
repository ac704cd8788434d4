//! `plexus blob put | get | status`: content-addressed blobs on a node's or agents' blob
//! service. Every byte is verified against the blob id in 16 KiB chunk groups.

use crate::{cmd_tx, print_json, Globals};
use anyhow::Context;
use clap::Subcommand;
use plexus_blobs::client::{prove_file_size, BlobClient, PreparedBlob};
use plexus_blobs::upload_auth::{KeySigner, SigningTransport};
use plexus_blobs::BlobId;
use plexus_client::{HttpTransport, NodeApi, NodeClient};
use plexus_devnet::progress;
use plexus_types::{Address, Amount, Body, Hash, SecretKey, StorageDealTerms};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

#[derive(Subcommand)]
pub enum BlobCommand {
    /// Upload a file (resuming an interrupted upload) and print its blob id.
    Put {
        file: PathBuf,
        /// Blob services to upload to (node or agent API URLs); default: the node.
        #[arg(long = "to")]
        to: Vec<String>,
        /// After the upload, make a storage deal for this many replicas, kept by storage
        /// devices the chain assigns.
        #[arg(long, requires = "from")]
        replicas: Option<u32>,
        /// How many epochs the deal pays for.
        #[arg(long, default_value_t = 10, requires = "replicas")]
        epochs: u64,
        /// What the deal pays each replica per epoch, for example 0.1plx.
        #[arg(long, default_value = "0.1plx", requires = "replicas")]
        price: String,
        /// Name of the key that signs the upload (a node takes only uploads signed by a
        /// funded account) and pays for the deal (its escrow and fee). Without it the upload
        /// is unsigned, which only a storage agent assigned the blob takes.
        #[arg(long)]
        from: Option<String>,
        /// How long to wait for the deal to be committed.
        #[arg(long, default_value = "60s", value_parser = humantime::parse_duration)]
        timeout: std::time::Duration,
    },
    /// Download a blob, verifying every chunk group; a range that fails to verify at one
    /// source is fetched from the next.
    Get {
        id: String,
        /// The file to write (`-o`; `--output` chooses how read commands print).
        #[arg(short = 'o', long = "out", value_name = "FILE")]
        out: PathBuf,
        /// Blob services to fetch from, in order of preference; default: the devices that
        /// keep a replica for a storage deal, then the node.
        #[arg(long = "from")]
        from: Vec<String>,
    },
    /// What each blob service holds of a blob: complete, partial (with its verified prefix)
    /// or absent.
    Status {
        id: String,
        /// Blob services to ask; default: the node.
        #[arg(long = "at")]
        at: Vec<String>,
    },
}

/// A blob client whose uploads `key` signs for the chain of the node at `node_url`: the node
/// takes only uploads signed by a funded account.
pub async fn signed_blob_client(node_url: &str, key: &SecretKey) -> anyhow::Result<BlobClient> {
    let chain_id = NodeClient::new(node_url)?
        .chain_params()
        .await
        .with_context(|| format!("reading the chain id from {node_url}"))?
        .chain_id;
    let transport = HttpTransport::new(None, Duration::from_secs(5))?;
    Ok(BlobClient::with_transport(Arc::new(SigningTransport::new(
        Arc::new(transport),
        Arc::new(KeySigner::new(key.clone(), chain_id)),
    ))))
}

/// Every storage deal the node's chain holds for a blob, oldest first, a page at a time.
async fn deals_of(g: &Globals, id: BlobId) -> anyhow::Result<Vec<serde_json::Value>> {
    g.client()?
        .list(&format!("/v1/storage/blobs/{id}"), "deals")
        .await
        .with_context(|| format!("asking {} for the storage deals of {id}", g.node))
}

fn print_deal(d: &serde_json::Value) {
    println!(
        "deal {}  {}  {} replicas × epochs {}..={} at {} uplx  escrow {}  paid {}  refunded {}",
        d["id"],
        match (&d["status"], d["status"]["ended"]["at_epoch"].as_u64()) {
            (_, Some(epoch)) => format!("ended at epoch {epoch}"),
            (serde_json::Value::String(s), _) => s.clone(),
            (other, _) => other.to_string(),
        },
        d["assigned"].as_array().map(|r| r.len()).unwrap_or(0),
        d["first_epoch"],
        d["last_epoch"],
        d["price_per_replica_epoch"].as_str().unwrap_or("?"),
        d["escrow"].as_str().unwrap_or("?"),
        d["paid"].as_str().unwrap_or("?"),
        d["refunded"].as_str().unwrap_or("?"),
    );
    for r in d["assigned"].as_array().into_iter().flatten() {
        println!(
            "  replica  device {}  owner {}  {}",
            r["device"].as_str().unwrap_or("?"),
            r["owner"].as_str().unwrap_or("?"),
            match &r["device_status"] {
                serde_json::Value::String(s) => s.clone(),
                other => other.to_string(),
            }
        );
    }
}

/// The endpoints of the active devices that keep a replica of `id` for an open deal.
async fn replica_endpoints(g: &Globals, id: BlobId) -> anyhow::Result<Vec<String>> {
    let deals = deals_of(g, id).await?;
    let mut out = Vec::new();
    for deal in &deals {
        if deal["status"] != "open" {
            continue;
        }
        for r in deal["assigned"].as_array().into_iter().flatten() {
            if r["device_status"] != "active" {
                continue;
            }
            if let Some(endpoint) = r["endpoint"].as_str() {
                if !out.iter().any(|e| e == endpoint) {
                    out.push(endpoint.to_string());
                }
            }
        }
    }
    Ok(out)
}

fn or_node(urls: Vec<String>, g: &Globals) -> Vec<String> {
    if urls.is_empty() {
        vec![g.node.clone()]
    } else {
        urls
    }
}

fn parse_id(id: &str) -> anyhow::Result<BlobId> {
    id.parse().map_err(|e| anyhow::anyhow!("{e}"))
}

/// Makes a storage deal for an uploaded blob; answers the deal as the node lists it, with the
/// transaction's hash under `tx`.
async fn make_deal(
    g: &Globals,
    blob: &PreparedBlob,
    replicas: u32,
    epochs: u64,
    price: Amount,
    key: &SecretKey,
    timeout: Duration,
) -> anyhow::Result<serde_json::Value> {
    let (path, size) = (blob.path().to_path_buf(), blob.size);
    let size_proof = tokio::task::spawn_blocking(move || prove_file_size(&path, size))
        .await?
        .with_context(|| format!("proving the size of {}", blob.id))?;
    let body = Body::StorageDeal(StorageDealTerms {
        blob: Hash(blob.id.0),
        size: blob.size,
        replicas,
        epochs,
        price_per_replica_epoch: price,
        size_proof,
    });
    let committed = cmd_tx::send_and_wait(g, key, body, timeout)
        .await
        .with_context(|| format!("making a storage deal for {}", blob.id))?;
    let deals = deals_of(g, blob.id).await?;
    let client = Address::from_public_key(&key.public_key()).to_string();
    // The newest deal of this client for this blob is the one just made.
    let mut deal_view = deals
        .iter()
        .rev()
        .find(|d| d["client"].as_str() == Some(client.as_str()))
        .cloned()
        .context("the node lists no deal for the blob after committing it")?;
    deal_view["tx"] = committed["hash"].clone();
    Ok(deal_view)
}

/// Uploads `blob` to each target in turn, with a progress bar on a terminal; what each target
/// answered.
async fn upload(
    g: &Globals,
    client: &BlobClient,
    targets: &[String],
    blob: &PreparedBlob,
    file: &std::path::Path,
) -> anyhow::Result<Vec<serde_json::Value>> {
    let mut stored = Vec::new();
    for target in targets {
        let bar = progress::byte_bar(g.json, &format!("uploading to {target}"), blob.size);
        let status = progress::tracked(client, &bar)
            .put(target, blob)
            .await
            .with_context(|| format!("uploading {} to {target}", file.display()));
        bar.finish_and_clear();
        let status = status?;
        stored.push(serde_json::json!({"target": target, "status": status}));
    }
    Ok(stored)
}

pub async fn run(g: &Globals, cmd: BlobCommand) -> anyhow::Result<()> {
    let mut client = BlobClient::new();
    match cmd {
        BlobCommand::Put {
            file,
            to,
            replicas,
            epochs,
            price,
            from,
            timeout,
        } => {
            // Check the deal's terms and key before spending time on the upload.
            let signer = from.map(|name| g.keyring().secret(&name)).transpose()?;
            let deal = match (replicas, &signer) {
                (Some(replicas), Some(key)) => Some((
                    replicas,
                    Amount::parse_human(&price).with_context(|| format!("--price {price:?}"))?,
                    key.clone(),
                )),
                _ => None,
            };
            if let Some(key) = &signer {
                client = signed_blob_client(&g.node, key).await?;
            }
            let targets = or_node(to, g);
            let path = file.clone();
            let blob = tokio::task::spawn_blocking(move || PreparedBlob::prepare(&path))
                .await?
                .with_context(|| format!("hashing {}", file.display()))?;
            let stored = upload(g, &client, &targets, &blob, &file).await?;
            let mut deal_view = serde_json::Value::Null;
            if let Some((replicas, price, key)) = deal {
                deal_view = make_deal(g, &blob, replicas, epochs, price, &key, timeout).await?;
            }
            if g.json {
                print_json(&serde_json::json!({
                    "id": blob.id, "size": blob.size, "stored": stored, "deal": deal_view,
                }));
            } else {
                println!("{}", blob.id);
                if !deal_view.is_null() {
                    print_deal(&deal_view);
                }
            }
        }
        BlobCommand::Get { id, out, from } => {
            let id = parse_id(&id)?;
            let sources = if from.is_empty() {
                let mut sources = replica_endpoints(g, id).await?;
                sources.push(g.node.clone());
                sources
            } else {
                from
            };
            let bar = progress::byte_bar(g.json, "downloading", 0);
            let report = progress::tracked(&client, &bar)
                .get(&sources, id, &out)
                .await
                .with_context(|| format!("downloading blob {id}"));
            bar.finish_and_clear();
            let report = report?;
            if g.json {
                print_json(&report);
            } else {
                println!("{} bytes of {id} written to {}", report.size, out.display());
                for f in &report.failures {
                    eprintln!(
                        "note: {} failed to serve bytes {}..{} ({}); fetched elsewhere",
                        f.source, f.start, f.end, f.reason
                    );
                }
            }
        }
        BlobCommand::Status { id, at } => {
            let id = parse_id(&id)?;
            let mut rows = Vec::new();
            for service in or_node(at, g) {
                let status = client
                    .status(&service, id)
                    .await
                    .with_context(|| format!("asking {service}"))?;
                rows.push(serde_json::json!({"service": service, "status": status}));
            }
            let deals = deals_of(g, id).await?;
            if g.json {
                print_json(&serde_json::json!({
                    "id": id, "services": rows, "deals": deals,
                }));
            } else {
                for row in rows {
                    let s = &row["status"];
                    println!(
                        "{}  {}  size {}  verified {}",
                        row["service"].as_str().unwrap_or_default(),
                        s["state"].as_str().unwrap_or_default(),
                        s["size"],
                        s["verified"]
                    );
                }
                if deals.is_empty() {
                    println!("no storage deal for {id}");
                }
                for d in &deals {
                    print_deal(d);
                }
            }
        }
    }
    Ok(())
}
