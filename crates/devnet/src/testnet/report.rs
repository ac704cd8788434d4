//! The testnet's report: every validator's height and app hash, read from its store after it
//! stopped, and whether they agree at every height all have committed.

use crate::host::Validators;
use plexus_node::NodeFiles;
use plexus_types::Hash;
use std::path::Path;

/// Reads every validator's store; returns whether they agree, after printing the report (as
/// JSON with `json`).
pub fn report(
    host: &impl Validators,
    home: &Path,
    n: usize,
    chain_id: &str,
    sent: usize,
    committed: usize,
    json: bool,
) -> anyhow::Result<bool> {
    let mut reports = Vec::new();
    for i in 0..n {
        let store = plexus_store::Store::open(
            &NodeFiles::new(host.validator_home(home, i))
                .data_dir()
                .join("state.redb"),
        )?;
        let committed = store.committed()?;
        reports.push((committed.version.unwrap_or(0), committed.root, store));
    }
    let common = reports.iter().map(|r| r.0).min().unwrap_or(0);
    let mut agree = true;
    for h in 0..=common {
        let first = reports[0].2.root_at(h)?;
        agree &= reports
            .iter()
            .all(|r| r.2.root_at(h).ok().flatten() == first);
    }
    let at_common: Vec<Option<Hash>> = reports
        .iter()
        .map(|r| r.2.root_at(common).ok().flatten())
        .collect();
    let summary = serde_json::json!({
        "chain_id": chain_id,
        "validators": reports.iter().enumerate().map(|(i, r)| serde_json::json!({
            "index": i,
            "height": r.0,
            "app_hash": r.1.to_string(),
            "app_hash_at_common_height": at_common[i].map(|h| h.to_string()),
        })).collect::<Vec<_>>(),
        "common_height": common,
        "app_hashes_agree": agree,
        "transfers_sent": sent,
        "transfers_committed": committed,
    });
    if json {
        crate::print_json(&summary);
    } else {
        for (i, r) in reports.iter().enumerate() {
            println!("validator {i}: height {} app hash {}", r.0, r.1);
        }
        println!(
            "app hashes agree up to height {common}: {agree}; transfers committed {committed}/{sent}"
        );
    }
    Ok(agree)
}
