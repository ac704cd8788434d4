//! The data market's data sets: what the network sells of an epoch's sensor readings, and who
//! shares each sale.
//!
//! - D1 (region): a device's region is the resolution-5 H3 parent of the cell it asserted
//!   (about 250 km², a city and its surroundings).
//! - D2 (contents): the data set of a class, a region and an epoch holds the batches that
//!   counted for the epoch (rule SM2) of the devices of that class in that region whose
//!   quality reaches the paid threshold (rule C1): data that failed its checks is not sold.
//!   Its data root is the Merkle root of those batches' record digests, sorted; the digests
//!   are [`evidence_record_hash`](crate::evidence::evidence_record_hash) of each batch, so a
//!   buyer recomputes the root from the batches alone.
//! - D3 (shares): the set's manifest has one leaf per device in it, `(device, owner,
//!   quality in millionths)`, under the resource name `data/<class>/<region>`, and its
//!   evidence root is the data root. Quality, not the cell cap, weighs a share: a station
//!   beyond its cell's ten places sold its readings all the same.
//! - D4 (revenue): what the set's sales took is shared pro rata by the leaves' units with
//!   rule P1 (floor(revenue × units / total)), counted over all sales so far: a device is
//!   owed its share of the revenue to date less what it was already paid.

use super::cells::CELL_PARAMS;
use crate::evidence::{evidence_record_hash, EvidenceRecord};
use crate::manifest::{Manifest, ManifestLeaf};
use crate::RewardsError;
use plexus_types::readings::SignedReadingBatch;
use plexus_types::{merkle_root, Hash, PublicKey};
use std::collections::BTreeMap;

/// The resolution of a data set's region (rule D1).
pub const REGION_RESOLUTION: u8 = 5;
/// The prefix of a data set's resource name.
pub const DATA_SET_PREFIX: &str = "data/";

/// One data set of an epoch (rules D2, D3).
#[derive(Debug, Clone)]
pub struct DataSet {
    pub class: String,
    /// The resolution-5 H3 cell.
    pub region: u64,
    /// The revenue shares; its evidence root is the data root.
    pub manifest: Manifest,
    /// The record digests of the batches in the set, sorted.
    pub records: Vec<Hash>,
    pub readings: u64,
}

impl DataSet {
    /// The Merkle root of the set's batches.
    pub fn data_root(&self) -> Hash {
        self.manifest.evidence_root()
    }
}

/// The name a data set is listed, bought and fetched under: `<class>/<region in hex>`.
pub fn data_set_name(class: &str, region: u64) -> String {
    format!("{class}/{region:x}")
}

/// The resource name of a data set's manifest: `data/<class>/<region in hex>`.
pub fn data_resource(class: &str, region: u64) -> String {
    format!("{DATA_SET_PREFIX}{}", data_set_name(class, region))
}

/// A data set's class and region from its name (`weather/851e3503fffffff`), if the region is a
/// resolution-5 H3 cell.
pub fn parse_data_set_name(name: &str) -> Option<(String, u64)> {
    let (class, region) = name.split_once('/')?;
    if class.is_empty() || class.contains('/') || region.len() > 16 {
        return None;
    }
    let region = u64::from_str_radix(region, 16).ok()?;
    let cell = h3o::CellIndex::try_from(region).ok()?;
    (u8::from(cell.resolution()) == REGION_RESOLUTION).then(|| (class.to_string(), region))
}

/// A data set's class and region from its resource name (`data/weather/851e3503fffffff`).
pub fn parse_data_resource(resource: &str) -> Option<(String, u64)> {
    parse_data_set_name(resource.strip_prefix(DATA_SET_PREFIX)?)
}

/// The region of a device that asserted `cell` (rule D1); `None` for a cell that is not H3.
pub fn region_of(cell: u64) -> Option<u64> {
    let cell = h3o::CellIndex::try_from(cell).ok()?;
    let res = h3o::Resolution::try_from(REGION_RESOLUTION).ok()?;
    cell.parent(res).map(u64::from)
}

/// The batches of data set `class` of `epoch` among `records` for the devices of its leaves
/// (`devices`, sorted): the batches rule SM2 counted for them, each once, sorted by record
/// digest, with their digests. Their Merkle root is the set's data root when the oracle
/// scored the same records; a buyer checks it against the chain's.
pub fn set_batches<'a>(
    epoch: u64,
    class: &str,
    devices: &[PublicKey],
    records: &'a [EvidenceRecord],
) -> Vec<(Hash, &'a EvidenceRecord)> {
    let mut out: Vec<(Hash, &EvidenceRecord)> = records
        .iter()
        .filter(|r| {
            let EvidenceRecord::Readings {
                device,
                epoch: e,
                signed,
            } = r
            else {
                return false;
            };
            *e == epoch
                && devices.binary_search(device).is_ok()
                && hex::decode(signed)
                    .ok()
                    .and_then(|b| SignedReadingBatch::decode(&b).ok())
                    .is_some_and(|b| {
                        b.batch.device == *device
                            && b.batch.epoch == epoch
                            && b.batch.readings.class() == class
                    })
        })
        .map(|r| (evidence_record_hash(r), r))
        .collect();
    out.sort_by_key(|(h, _)| *h);
    out.dedup_by_key(|(h, _)| *h);
    out
}

/// One device's part of its epoch, as scoring found it.
pub(crate) struct Contribution {
    pub device: PublicKey,
    pub owner: plexus_types::Address,
    pub class: String,
    pub cell: u64,
    pub quality_ppm: u32,
    pub readings: u32,
    /// The digests of its batches that counted.
    pub records: Vec<Hash>,
}

/// Rules D1–D3: the epoch's data sets from its devices' contributions, by resource name.
pub(crate) fn data_sets(
    epoch: u64,
    contributions: Vec<Contribution>,
) -> Result<Vec<DataSet>, RewardsError> {
    type Parts = (Vec<ManifestLeaf>, Vec<Hash>, u64);
    let mut sets: BTreeMap<(String, u64), Parts> = BTreeMap::new();
    for c in contributions {
        if c.quality_ppm < CELL_PARAMS.min_quality_ppm || c.quality_ppm == 0 {
            continue;
        }
        let Some(region) = region_of(c.cell) else {
            continue;
        };
        let (leaves, records, readings) = sets.entry((c.class, region)).or_default();
        leaves.push(ManifestLeaf {
            device: c.device,
            owner: c.owner,
            units: u128::from(c.quality_ppm),
        });
        records.extend(c.records);
        *readings += u64::from(c.readings);
    }
    sets.into_iter()
        .map(|((class, region), (mut leaves, mut records, readings))| {
            leaves.sort_by_key(|l| l.device);
            records.sort();
            let data_root = merkle_root(records.clone());
            let resource = data_resource(&class, region);
            Ok(DataSet {
                manifest: Manifest::from_leaves(epoch, &resource, leaves, data_root)?,
                class,
                region,
                records,
                readings,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_data_set_name_round_trips_and_refuses_what_is_not_a_region() {
        let cell = h3o::LatLng::new(37.98, 23.73)
            .unwrap()
            .to_cell(h3o::Resolution::Twelve);
        let region = region_of(u64::from(cell)).unwrap();
        let name = data_set_name("weather", region);
        assert_eq!(
            parse_data_set_name(&name),
            Some(("weather".to_string(), region))
        );
        assert_eq!(
            parse_data_resource(&data_resource("weather", region)),
            Some(("weather".to_string(), region))
        );
        // The device's own cell is not a region, nor is a name without a class.
        assert_eq!(
            parse_data_set_name(&data_set_name("weather", u64::from(cell))),
            None
        );
        assert_eq!(parse_data_set_name(&format!("/{region:x}")), None);
        assert_eq!(parse_data_set_name("weather/zz"), None);
        assert_eq!(parse_data_resource(&name), None);
    }
}
