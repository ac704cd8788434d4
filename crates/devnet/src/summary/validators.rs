//! Every validator's tip, and whether it agrees with validator 0.

use plexus_chain::Chain;
use serde::Serialize;
use std::net::SocketAddr;
use std::sync::Arc;

#[derive(Serialize)]
pub struct ValidatorSummary {
    pub api: String,
    pub height: u64,
    pub app_hash: plexus_types::Hash,
    pub agrees: bool,
}

/// Each validator's height and app hash, and whether it agrees with validator 0 at every height
/// both have committed.
pub fn summarize_validators(
    chains: &[(SocketAddr, Arc<Chain>)],
) -> anyhow::Result<Vec<ValidatorSummary>> {
    let first = &chains[0].1;
    chains
        .iter()
        .map(|(api, chain)| {
            let (height, app_hash) = chain.committed();
            let common = height.min(first.committed().0);
            let mut agrees = true;
            for h in 0..=common {
                if chain.app_hash_at(h)? != first.app_hash_at(h)? {
                    agrees = false;
                    break;
                }
            }
            Ok(ValidatorSummary {
                api: api.to_string(),
                height,
                app_hash,
                agrees,
            })
        })
        .collect()
}
