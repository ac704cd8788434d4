//! Hotspots claim what they earned: for every ended epoch still in its claim window whose
//! manifest for a hotspot's pool is final, the owner claims the hotspot's leaf with the proof
//! an oracle serves, once; and for every ended epoch whose data pool is split, the data its
//! hotspot carried (a `data` claim of the credits the chain counted, with no proof).

use super::chain_io::{Account, Sent};
use plexus_chain::Chain;
use plexus_client::{OracleApi, OracleClient};
use plexus_ledger::data_credits::query as data_query;
use plexus_ledger::{query, ChainInfo, ResourceClass};
use plexus_types::{Body, MerkleProof, PublicKey, RewardClaim};
use std::collections::BTreeSet;

/// A device the workload claims for (a hotspot or a sensor): its key, its pool and its
/// owner's account index.
pub struct Claimant {
    pub device: PublicKey,
    pub pool: ResourceClass,
    pub owner: usize,
}

/// The claims already settled (sent, or known to hold nothing), by epoch, pool and device.
#[derive(Default)]
pub struct ClaimBook {
    settled: BTreeSet<(u64, ResourceClass, PublicKey)>,
    data_settled: BTreeSet<(u64, PublicKey)>,
}

impl ClaimBook {
    /// Sends the claims that are due. An oracle that does not answer leaves the claim for the
    /// next pass; a device no oracle lists earned nothing that epoch.
    pub async fn claim_due(
        &mut self,
        chain: &Chain,
        info: &ChainInfo,
        oracles: &[OracleClient],
        claimants: &[Claimant],
        owners: &mut [Account],
    ) -> anyhow::Result<Vec<Sent>> {
        let last = query::last_epoch(chain.store())?;
        let first = last.saturating_sub(info.rewards.claim_epochs).max(1);
        let mut sent = Vec::new();
        for epoch in first..=last {
            if data_query::data_pool(chain.store(), epoch)?.is_some() {
                for c in claimants {
                    if !self.data_settled.insert((epoch, c.device)) {
                        continue;
                    }
                    let Some(record) = data_query::hotspot_data(chain.store(), epoch, &c.device)?
                    else {
                        continue;
                    };
                    let owner = &mut owners[c.owner];
                    if record.owner != owner.address || record.credits == 0 {
                        continue;
                    }
                    sent.push(owner.send(
                        chain,
                        Body::ClaimReward(RewardClaim {
                            epoch,
                            resource: "data".to_string(),
                            device: c.device,
                            owner: owner.address,
                            units: record.credits,
                            proof: MerkleProof {
                                index: 0,
                                leaf_count: 0,
                                siblings: Vec::new(),
                            },
                        }),
                    )?);
                }
            }
            let Some((_, pools)) = query::epoch(chain.store(), epoch)? else {
                continue;
            };
            for c in claimants {
                let key = (epoch, c.pool, c.device);
                let final_pool = pools
                    .iter()
                    .any(|p| p.resource == c.pool && p.manifest.is_some());
                if !final_pool || self.settled.contains(&key) {
                    continue;
                }
                let mut proof = None;
                let mut every_oracle_answered = true;
                for oracle in oracles {
                    match oracle.claim_proof(epoch, c.pool.as_str(), &c.device).await {
                        Ok(Some(p)) => {
                            proof = Some(p);
                            break;
                        }
                        Ok(None) => {}
                        // Final on chain before the oracle has closed all of the epoch's
                        // pools: asked again at the next pass.
                        Err(plexus_client::ClientError::Refused { code, .. })
                            if code == "not_closed" =>
                        {
                            every_oracle_answered = false;
                        }
                        Err(e) => {
                            tracing::warn!(epoch, error = %e, "a device's claim proof is not available");
                            every_oracle_answered = false;
                        }
                    }
                }
                let owner = &mut owners[c.owner];
                match proof {
                    Some(p) if p.leaf.device == c.device && p.leaf.owner == owner.address => {
                        if p.leaf.units > 0 {
                            sent.push(owner.send(
                                chain,
                                Body::ClaimReward(RewardClaim {
                                    epoch,
                                    resource: c.pool.as_str().to_string(),
                                    device: c.device,
                                    owner: owner.address,
                                    units: p.leaf.units,
                                    proof: p.proof,
                                }),
                            )?);
                        }
                        self.settled.insert(key);
                    }
                    Some(p) => {
                        tracing::warn!(epoch, device = %p.leaf.device, "an oracle served another device's leaf");
                    }
                    None if every_oracle_answered => {
                        self.settled.insert(key);
                    }
                    None => {}
                }
            }
        }
        Ok(sent)
    }
}
