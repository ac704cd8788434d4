//! `plexus blob put | get | status`: content-addressed blobs on a node's or agents' blob
//! service. Every byte is verified against the blob id in 16 KiB chunk groups.

use crate::{print_json, Globals};
use anyhow::Context;
use clap::Subcommand;
use plexus_blobs::client::{BlobClient, PreparedBlob};
use plexus_blobs::BlobId;
use std::path::PathBuf;

#[derive(Subcommand)]
pub enum BlobCommand {
    /// Upload a file (resuming an interrupted upload) and print its blob id.
    Put {
        file: PathBuf,
        /// Blob services to upload to (node or agent API URLs); default: the node.
        #[arg(long = "to")]
        to: Vec<String>,
    },
    /// Download a blob, verifying every chunk group; a range that fails to verify at one
    /// source is fetched from the next.
    Get {
        id: String,
        #[arg(short = 'o', long = "output")]
        output: PathBuf,
        /// Blob services to fetch from, in order of preference; default: the node.
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

pub async fn run(g: &Globals, cmd: BlobCommand) -> anyhow::Result<()> {
    let client = BlobClient::new();
    match cmd {
        BlobCommand::Put { file, to } => {
            let targets = or_node(to, g);
            let path = file.clone();
            let blob = tokio::task::spawn_blocking(move || PreparedBlob::prepare(&path))
                .await?
                .with_context(|| format!("hashing {}", file.display()))?;
            let mut stored = Vec::new();
            for target in &targets {
                let status = client
                    .put(target, &blob)
                    .await
                    .with_context(|| format!("uploading {} to {target}", file.display()))?;
                stored.push(serde_json::json!({"target": target, "status": status}));
            }
            if g.json {
                print_json(&serde_json::json!({
                    "id": blob.id, "size": blob.size, "stored": stored,
                }));
            } else {
                println!("{}", blob.id);
            }
        }
        BlobCommand::Get { id, output, from } => {
            let id = parse_id(&id)?;
            let sources = or_node(from, g);
            let report = client
                .get(&sources, id, &output)
                .await
                .with_context(|| format!("downloading blob {id}"))?;
            if g.json {
                print_json(&report);
            } else {
                println!(
                    "{} bytes of {id} written to {}",
                    report.size,
                    output.display()
                );
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
            if g.json {
                print_json(&serde_json::json!({"id": id, "services": rows}));
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
            }
        }
    }
    Ok(())
}
