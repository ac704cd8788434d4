//! A bought data set as an oracle serves it, and the checks a buyer runs against the chain
//! before trusting it: every batch signed by its device, of the set's epoch, chain and class,
//! from a device in the set; the batches' Merkle root the set's data root on chain; the
//! leaves' root and total the set's manifest on chain.

use crate::views::DataSetView;
use crate::ManifestLeaf;
use plexus_rewards::evidence::{evidence_record_hash, EvidenceRecord};
use plexus_rewards::sensors::data_sets::{data_resource, parse_data_set_name};
use plexus_rewards::Manifest;
use plexus_types::readings::SignedReadingBatch;
use plexus_types::{merkle_root, Hash};
use serde::{Deserialize, Serialize};

/// The largest data set answer a buyer reads: an oracle's whole evidence of an epoch is
/// bounded the same way ([`crate::audit::MAX_EVIDENCE_BYTES`]).
pub const MAX_DATA_SET_BYTES: usize = crate::audit::MAX_EVIDENCE_BYTES;

/// `GET /v1/data/{epoch}/{class}/{region}` at an oracle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DataSetContents {
    pub epoch: u64,
    pub name: String,
    pub root: Hash,
    #[serde(with = "crate::u128_text")]
    pub total_units: u128,
    pub data_root: Hash,
    pub leaves: Vec<ManifestLeaf>,
    /// Hex of each `SignedReadingBatch`, sorted by record digest.
    pub batches: Vec<String>,
}

/// A data set that passed every check.
#[derive(Debug)]
pub struct CheckedDataSet {
    pub batches: Vec<SignedReadingBatch>,
    pub readings: u64,
}

/// Checks `contents` against `on_chain`, the final set of the same epoch and name on chain
/// `chain_id`. The first check that fails is the error.
pub fn check_data_set(
    chain_id: &str,
    contents: &DataSetContents,
    on_chain: &DataSetView,
) -> Result<CheckedDataSet, String> {
    let (class, region) = parse_data_set_name(&contents.name)
        .ok_or_else(|| format!("{:?} is not a data set name", contents.name))?;
    if contents.epoch != on_chain.epoch || contents.name != on_chain.name {
        return Err(format!(
            "the oracle served {} of epoch {}, not {} of epoch {}",
            contents.name, contents.epoch, on_chain.name, on_chain.epoch
        ));
    }
    let leaves = contents.leaves.iter().map(Into::into).collect();
    let manifest = Manifest::from_leaves(
        contents.epoch,
        &data_resource(&class, region),
        leaves,
        contents.data_root,
    )
    .map_err(|e| format!("the leaves: {e}"))?;
    if manifest.root() != on_chain.root || manifest.total_units() != on_chain.total_units {
        return Err(format!(
            "the leaves make root {} with {} units; the chain's set has root {} with {}",
            manifest.root(),
            manifest.total_units(),
            on_chain.root,
            on_chain.total_units
        ));
    }
    let mut digests = Vec::with_capacity(contents.batches.len());
    let mut batches = Vec::with_capacity(contents.batches.len());
    let mut readings = 0u64;
    for (i, signed) in contents.batches.iter().enumerate() {
        let batch = hex::decode(signed)
            .ok()
            .and_then(|b| SignedReadingBatch::decode(&b).ok())
            .ok_or_else(|| format!("batch {i} does not decode or its signature fails"))?;
        let b = &batch.batch;
        if b.chain_id != chain_id || b.epoch != contents.epoch || b.readings.class() != class {
            return Err(format!(
                "batch {i} is of chain {:?}, epoch {}, class {}: not of this set",
                b.chain_id,
                b.epoch,
                b.readings.class()
            ));
        }
        if manifest.leaf(&b.device).is_none() {
            return Err(format!(
                "batch {i} comes from {}, a device not in the set",
                b.device
            ));
        }
        digests.push(evidence_record_hash(&EvidenceRecord::Readings {
            device: b.device,
            epoch: b.epoch,
            signed: signed.clone(),
        }));
        readings += b.readings.len() as u64;
        batches.push(batch);
    }
    digests.sort();
    digests.dedup();
    if digests.len() != contents.batches.len() {
        return Err("a batch is served twice".into());
    }
    let root = merkle_root(digests);
    if root != on_chain.data_root || root != contents.data_root {
        return Err(format!(
            "the batches make data root {root}; the chain's set has {}",
            on_chain.data_root
        ));
    }
    Ok(CheckedDataSet { batches, readings })
}

/// One device's part of a data set's revenue, as the audit finds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DevicePayout {
    pub device: plexus_types::PublicKey,
    #[serde(with = "crate::u128_text")]
    pub units: u128,
    /// floor(revenue × units / total units) at the set's revenue to date.
    pub share: plexus_types::Amount,
    /// What the chain has paid it.
    pub paid: plexus_types::Amount,
}

/// A data set recomputed from an oracle's evidence and compared with the chain: its roots,
/// and its revenue against what each device in it was paid.
#[derive(Debug, Clone, Serialize)]
pub struct DataSetAudit {
    pub epoch: u64,
    pub name: String,
    pub readings: u64,
    pub root: Hash,
    #[serde(with = "crate::u128_text")]
    pub total_units: u128,
    pub data_root: Hash,
    /// Whether the chain holds the set final.
    pub on_chain: bool,
    pub revenue: plexus_types::Amount,
    pub paid: plexus_types::Amount,
    pub payouts: Vec<DevicePayout>,
    pub matches: bool,
    pub mismatch: Vec<String>,
}

/// Compares `recomputed` with `on_chain` (the chain's final set of that name, if any) and the
/// payouts the chain recorded (`paid`, by device): the roots and total must be equal, no
/// device may have been paid past its share of the revenue, and what the set paid must be
/// exactly what its devices were paid.
pub fn audit_data_set(
    recomputed: &plexus_rewards::sensors::data_sets::DataSet,
    on_chain: Option<&DataSetView>,
    paid: &std::collections::BTreeMap<plexus_types::PublicKey, plexus_types::Amount>,
) -> Result<DataSetAudit, plexus_rewards::RewardsError> {
    use plexus_rewards::sensors::data_sets::data_set_name;
    use plexus_types::Amount;
    let m = &recomputed.manifest;
    let name = data_set_name(&recomputed.class, recomputed.region);
    let mut mismatch = Vec::new();
    let (revenue, set_paid) = match on_chain {
        None => {
            mismatch.push(format!("{name} is not final on chain"));
            (Amount::ZERO, Amount::ZERO)
        }
        Some(c) => {
            if c.root != m.root() {
                mismatch.push(format!(
                    "root: recomputed {}, on chain {}",
                    m.root(),
                    c.root
                ));
            }
            if c.total_units != m.total_units() {
                mismatch.push(format!(
                    "total_units: recomputed {}, on chain {}",
                    m.total_units(),
                    c.total_units
                ));
            }
            if c.data_root != m.evidence_root() {
                mismatch.push(format!(
                    "data_root: recomputed {}, on chain {}",
                    m.evidence_root(),
                    c.data_root
                ));
            }
            (c.revenue, Amount(c.paid.0.saturating_add(c.forfeited.0)))
        }
    };
    let mut payouts = Vec::new();
    let mut paid_total = 0u128;
    for leaf in m.leaves() {
        let share = Amount(plexus_rewards::payout(
            revenue.0,
            leaf.units,
            m.total_units(),
        )?);
        let got = paid.get(&leaf.device).copied().unwrap_or(Amount::ZERO);
        if got > share {
            mismatch.push(format!(
                "{} was paid {} uplx, more than its share {} uplx",
                leaf.device, got, share
            ));
        }
        paid_total = paid_total.saturating_add(got.0);
        payouts.push(DevicePayout {
            device: leaf.device,
            units: leaf.units,
            share,
            paid: got,
        });
    }
    if on_chain.is_some() && paid_total != set_paid.0 {
        mismatch.push(format!(
            "the set paid {} uplx, its devices {paid_total} uplx",
            set_paid.0
        ));
    }
    Ok(DataSetAudit {
        epoch: m.epoch(),
        name,
        readings: recomputed.readings,
        root: m.root(),
        total_units: m.total_units(),
        data_root: m.evidence_root(),
        on_chain: on_chain.is_some(),
        revenue,
        paid: set_paid,
        payouts,
        matches: mismatch.is_empty(),
        mismatch,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use plexus_rewards::sensors::data_sets::{data_set_name, region_of};
    use plexus_types::readings::{ReadingBatch, Readings};
    use plexus_types::{proto, Address, Amount, SecretKey};

    const CHAIN: &str = "plexus-data";

    fn batch(station: &SecretKey, epoch: u64) -> String {
        let signed = ReadingBatch {
            chain_id: CHAIN.into(),
            device: station.public_key(),
            epoch,
            seq: 1,
            readings: Readings::Weather(vec![proto::WeatherReading {
                at_s: 86_400 * epoch,
                temperature_cc: Some(1_500),
                ..Default::default()
            }]),
        }
        .sign(station);
        hex::encode(signed.bytes)
    }

    /// Two stations' set as an honest oracle serves it, and the chain's record of it.
    fn honest() -> (DataSetContents, DataSetView) {
        let cell = h3o::LatLng::new(37.98, 23.73)
            .unwrap()
            .to_cell(h3o::Resolution::Twelve);
        let region = region_of(u64::from(cell)).unwrap();
        let name = data_set_name("weather", region);
        let stations = [SecretKey::from_seed([1; 32]), SecretKey::from_seed([2; 32])];
        let mut leaves: Vec<crate::ManifestLeaf> = stations
            .iter()
            .enumerate()
            .map(|(i, k)| crate::ManifestLeaf {
                device: k.public_key(),
                owner: Address([i as u8; 20]),
                units: 900_000 + i as u128,
            })
            .collect();
        leaves.sort_by_key(|l| l.device);
        let batches: Vec<String> = stations.iter().map(|k| batch(k, 3)).collect();
        let mut digests: Vec<Hash> = stations
            .iter()
            .zip(&batches)
            .map(|(k, b)| {
                evidence_record_hash(&EvidenceRecord::Readings {
                    device: k.public_key(),
                    epoch: 3,
                    signed: b.clone(),
                })
            })
            .collect();
        digests.sort();
        let data_root = merkle_root(digests);
        let shares = leaves.iter().map(Into::into).collect();
        let m =
            Manifest::from_leaves(3, &data_resource("weather", region), shares, data_root).unwrap();
        let contents = DataSetContents {
            epoch: 3,
            name: name.clone(),
            root: m.root(),
            total_units: m.total_units(),
            data_root,
            leaves,
            batches,
        };
        let view = DataSetView {
            epoch: 3,
            name,
            class: "weather".into(),
            root: m.root(),
            total_units: m.total_units(),
            data_root,
            finalized_height: 10,
            oracles: Vec::new(),
            price: Amount::plx(20),
            sales: 1,
            revenue: Amount::plx(20),
            paid: Amount::ZERO,
            forfeited: Amount::ZERO,
        };
        (contents, view)
    }

    #[test]
    fn an_honest_set_passes_and_every_kind_of_tampering_is_caught() {
        let (contents, view) = honest();
        let checked = check_data_set(CHAIN, &contents, &view).unwrap();
        assert_eq!((checked.batches.len(), checked.readings), (2, 2));

        let mut dropped = contents.clone();
        dropped.batches.pop();
        assert!(check_data_set(CHAIN, &dropped, &view)
            .unwrap_err()
            .contains("data root"));

        let mut foreign = contents.clone();
        foreign.batches[0] = batch(&SecretKey::from_seed([7; 32]), 3);
        assert!(check_data_set(CHAIN, &foreign, &view)
            .unwrap_err()
            .contains("not in the set"));

        let mut forged = contents.clone();
        let mut bytes = hex::decode(&forged.batches[0]).unwrap();
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        forged.batches[0] = hex::encode(bytes);
        assert!(check_data_set(CHAIN, &forged, &view)
            .unwrap_err()
            .contains("signature"));

        let mut inflated = contents.clone();
        inflated.leaves[0].units += 1;
        assert!(check_data_set(CHAIN, &inflated, &view)
            .unwrap_err()
            .contains("leaves make root"));

        let mut doubled = contents.clone();
        doubled.batches.push(doubled.batches[0].clone());
        assert!(check_data_set(CHAIN, &doubled, &view).is_err());

        assert!(check_data_set("another-chain", &contents, &view).is_err());
        let other_day = DataSetView { epoch: 4, ..view };
        assert!(check_data_set(CHAIN, &contents, &other_day).is_err());
    }
}
