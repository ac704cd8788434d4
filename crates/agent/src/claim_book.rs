//! The record of reward claims already settled, kept in `<data_dir>/claims.json` so that an
//! agent that restarts does not pay a fee for a claim that was already committed.

use plexus_types::Hash;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub const CLAIMS_FILE: &str = "claims.json";

#[derive(Debug, thiserror::Error)]
pub enum ClaimBookError {
    #[error("cannot read the claim record {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "the claim record {path} is damaged ({reason}); move it away to rebuild it from the chain"
    )]
    Corrupt { path: PathBuf, reason: String },
    #[error("cannot write the claim record {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// How the claim of one epoch's pool was settled.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum ClaimOutcome {
    /// A claim committed and paid.
    Claimed {
        tx: Hash,
        #[serde(with = "units_text")]
        units: u128,
    },
    /// The manifest has no units for the device: nothing to claim.
    NothingEarned,
    /// A claim committed but failed (`already_claimed`, `claim_window_closed`, …). Retrying
    /// would fail the same way and pay the fee again.
    Failed { tx: Hash, code: String },
}

/// One settled claim.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClaimRecord {
    pub epoch: u64,
    pub resource: String,
    #[serde(flatten)]
    pub outcome: ClaimOutcome,
}

#[derive(Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct ClaimFile {
    claims: Vec<ClaimRecord>,
}

/// The settled claims, by resource and epoch.
#[derive(Debug)]
pub struct ClaimBook {
    path: PathBuf,
    records: BTreeMap<(String, u64), ClaimRecord>,
}

impl ClaimBook {
    /// Opens the record in `data_dir`; a missing file is an empty record.
    pub fn open(data_dir: &Path) -> Result<ClaimBook, ClaimBookError> {
        let path = data_dir.join(CLAIMS_FILE);
        let file = match std::fs::read_to_string(&path) {
            Ok(text) => {
                serde_json::from_str::<ClaimFile>(&text).map_err(|e| ClaimBookError::Corrupt {
                    path: path.clone(),
                    reason: e.to_string(),
                })?
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => ClaimFile::default(),
            Err(source) => return Err(ClaimBookError::Read { path, source }),
        };
        let records = file
            .claims
            .into_iter()
            .map(|r| ((r.resource.clone(), r.epoch), r))
            .collect();
        Ok(ClaimBook { path, records })
    }

    pub fn is_settled(&self, resource: &str, epoch: u64) -> bool {
        self.records.contains_key(&(resource.to_string(), epoch))
    }

    pub fn records(&self) -> impl Iterator<Item = &ClaimRecord> {
        self.records.values()
    }

    /// Adds a record and writes the whole file, atomically: a crash leaves the old file or
    /// the new one, never half of one.
    pub fn record(&mut self, record: ClaimRecord) -> Result<(), ClaimBookError> {
        self.records
            .insert((record.resource.clone(), record.epoch), record);
        let file = ClaimFile {
            claims: self.records.values().cloned().collect(),
        };
        let write = |source| ClaimBookError::Write {
            path: self.path.clone(),
            source,
        };
        let text = serde_json::to_vec_pretty(&file).map_err(|e| write(std::io::Error::other(e)))?;
        plexus_durable::write_durably(&self.path, &text).map_err(write)
    }
}

mod units_text {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(units: &u128, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&units.to_string())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<u128, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settled_claims_survive_a_restart() {
        let dir = tempfile::tempdir().unwrap();
        let mut book = ClaimBook::open(dir.path()).unwrap();
        assert!(!book.is_settled("compute", 3));
        book.record(ClaimRecord {
            epoch: 3,
            resource: "compute".into(),
            outcome: ClaimOutcome::Claimed {
                tx: Hash([1; 32]),
                units: u128::MAX,
            },
        })
        .unwrap();
        book.record(ClaimRecord {
            epoch: 4,
            resource: "compute".into(),
            outcome: ClaimOutcome::NothingEarned,
        })
        .unwrap();
        let reopened = ClaimBook::open(dir.path()).unwrap();
        assert!(reopened.is_settled("compute", 3));
        assert!(reopened.is_settled("compute", 4));
        assert!(!reopened.is_settled("storage", 3));
        assert_eq!(reopened.records().count(), 2);
        assert_eq!(
            reopened.records().next().unwrap().outcome,
            ClaimOutcome::Claimed {
                tx: Hash([1; 32]),
                units: u128::MAX
            }
        );
    }

    #[test]
    fn a_damaged_claim_record_is_reported_not_discarded() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(CLAIMS_FILE), "[").unwrap();
        assert!(matches!(
            ClaimBook::open(dir.path()),
            Err(ClaimBookError::Corrupt { .. })
        ));
    }
}
