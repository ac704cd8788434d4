//! `plexus node snapshot export|verify|restore`: the state of one height in a file, checked
//! against its app hash when read back, and a node started from it.

use crate::{print_json, Globals};
use anyhow::{bail, Context};
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
    /// Start the node in --home from FILE: its state (checked as `verify` does) becomes the
    /// node's, and the node goes on from the next height. The home must hold the chain's
    /// genesis.json, config.toml and node key (copied from the node that exported it; a
    /// validator's consensus key and consensus_share too, a solo node's beacon_chain too: the state keeps the
    /// last reveal, and the node goes on revealing from the hash chain) and no state or
    /// consensus journal yet. A validator
    /// fetches the finalized blocks after the snapshot from its peers. Never start two
    /// homes with one consensus key: a validator that lost its journal cannot know how it
    /// voted, so the key's old home must be gone for good.
    Restore {
        /// The snapshot file.
        file: PathBuf,
        /// The app hash the snapshot must have (hex), for example from a block header.
        #[arg(long)]
        root: Option<Hash>,
    },
}

/// Fills the empty state of the node in `home` from `file`; returns the snapshot's header.
fn restore(
    home: &std::path::Path,
    file: &std::path::Path,
    root: Option<Hash>,
) -> anyhow::Result<plexus_store::snapshot::SnapshotHeader> {
    let files = NodeFiles::new(home);
    let genesis = files.load_genesis().with_context(|| {
        format!(
            "a node starts from a snapshot with its chain's genesis.json, config.toml and node key in {}",
            home.display()
        )
    })?;
    files.load_config()?;
    files.load_node_key()?;
    files.load_beacon_chain(&genesis)?;
    if !genesis.validators.is_empty() {
        files.load_threshold_key(&genesis)?;
    }
    let data = files.data_dir();
    let journal = data.join("consensus");
    if std::fs::read_dir(&journal).is_ok_and(|mut entries| entries.next().is_some()) {
        bail!(
            "{} holds a consensus journal; a validator starts from a snapshot with none",
            journal.display()
        );
    }
    let blocks = data.join("blocks.log");
    if std::fs::metadata(&blocks).is_ok_and(|m| m.len() > 0) {
        bail!(
            "{} already logs blocks; a snapshot starts an empty node",
            blocks.display()
        );
    }
    std::fs::create_dir_all(&data).with_context(|| format!("creating {}", data.display()))?;
    let path = data.join("state.redb");
    let fresh = !path.exists();
    let store = Store::open(&path)
        .with_context(|| format!("opening {} (is the node running?)", path.display()))?;
    let mut input = std::io::BufReader::new(
        std::fs::File::open(file).with_context(|| format!("opening {}", file.display()))?,
    );
    let imported = store.import_snapshot(&mut input, root).and_then(|header| {
        let chain = plexus_ledger::query::chain_info(&store)?;
        Ok((header, chain.map(|c| c.chain_id)))
    });
    let outcome = match imported {
        Err(e) => Err(anyhow::Error::from(e)),
        Ok((header, Some(chain_id))) if chain_id == genesis.chain_id => Ok(header),
        Ok((_, chain_id)) => Err(anyhow::anyhow!(
            "the snapshot is of {}, but {}'s genesis is of {}",
            chain_id.unwrap_or_else(|| "no chain".into()),
            home.display(),
            genesis.chain_id
        )),
    };
    // A refused snapshot leaves the home as it was.
    drop(store);
    if outcome.is_err() && fresh {
        let _ = std::fs::remove_file(&path);
    }
    outcome
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
        SnapshotCommand::Restore { file, root } => {
            let header = restore(&g.home, &file, root)?;
            if !g.json {
                println!(
                    "{} now starts from height {} (app hash {}); start it with: plexus --home {} node start",
                    g.home.display(),
                    header.version,
                    Hash(header.root),
                    g.home.display()
                );
                return Ok(());
            }
            serde_json::json!({
                "file": file,
                "verified": true,
                "restored": g.home,
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
