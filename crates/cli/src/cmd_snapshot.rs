//! `plexus node snapshot export|verify`: the state of one height in a file, checked against its
//! app hash when read back.

use crate::{print_json, Globals};
use anyhow::Context;
use clap::Subcommand;
use plexus_node::NodeFiles;
use plexus_store::Store;
use plexus_types::Hash;
use std::path::PathBuf;

#[derive(Subcommand)]
pub enum SnapshotCommand {
    /// Write the state of a height kept by the node in --home to FILE. Stop the node first:
    /// its state file is open by one process at a time.
    Export {
        /// Height to export (default: the newest committed).
        #[arg(long)]
        height: Option<u64>,
        /// Where to write the snapshot.
        #[arg(long)]
        out: PathBuf,
    },
    /// Rebuild the state in FILE, and check that it gives the root its header names (and
    /// --root, the app hash you trust for that height, when given).
    Verify {
        /// The snapshot file.
        file: PathBuf,
        /// The app hash the snapshot must have (hex), for example from a block header.
        #[arg(long)]
        root: Option<Hash>,
    },
}

pub fn run(g: &Globals, cmd: SnapshotCommand) -> anyhow::Result<()> {
    let report = match cmd {
        SnapshotCommand::Export { height, out } => {
            let files = NodeFiles::new(&g.home);
            let genesis = files.load_genesis()?;
            let path = files.data_dir().join("state.redb");
            let store = Store::open(&path)
                .with_context(|| format!("opening {} (is the node running?)", path.display()))?;
            let height = match height {
                Some(h) => h,
                None => store
                    .committed()?
                    .version
                    .context("the node has committed nothing yet")?,
            };
            let mut file = std::io::BufWriter::new(
                std::fs::File::create(&out)
                    .with_context(|| format!("creating {}", out.display()))?,
            );
            let header = store.export_snapshot(height, &genesis.chain_id, &mut file)?;
            serde_json::json!({
                "file": out,
                "chain_id": header.label,
                "height": header.version,
                "app_hash": Hash(header.root),
                "entries": header.entries,
            })
        }
        SnapshotCommand::Verify { file, root } => {
            let dir = tempfile::tempdir()?;
            let store = Store::open(&dir.path().join("state.redb"))?;
            let mut input = std::io::BufReader::new(
                std::fs::File::open(&file)
                    .with_context(|| format!("opening {}", file.display()))?,
            );
            let header = store.import_snapshot(&mut input, root)?;
            serde_json::json!({
                "file": file,
                "verified": true,
                "chain_id": header.label,
                "height": header.version,
                "app_hash": Hash(header.root),
                "entries": header.entries,
            })
        }
    };
    if g.json {
        print_json(&report);
    } else {
        println!(
            "{} height {} of {} · app hash {} · {} entries{}",
            report["file"].as_str().unwrap_or_default(),
            report["height"],
            report["chain_id"].as_str().unwrap_or_default(),
            report["app_hash"].as_str().unwrap_or_default(),
            report["entries"],
            if report["verified"] == true {
                " · verified"
            } else {
                ""
            }
        );
    }
    Ok(())
}
