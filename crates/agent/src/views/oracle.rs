//! What the agent reads of an oracle's API (docs/oracle-api.md): the current interval,
//! heartbeat receipts, open challenges and the proofs behind reward claims.

use crate::http::u128_text;
use plexus_types::merkle::MerkleProof;
use plexus_types::{Address, Hash, PublicKey};
use serde::{Deserialize, Deserializer};

/// `GET /v1/status`: the interval heartbeats must name now.
#[derive(Debug, Clone, Deserialize)]
pub struct OracleStatus {
    pub chain_id: String,
    pub height: u64,
    pub epoch: u64,
    pub interval: u32,
    pub beacon: Hash,
    pub epoch_blocks: u64,
    pub intervals_per_epoch: u32,
}

/// How an oracle took a heartbeat.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeartbeatReceipt {
    Accepted,
    /// The same heartbeat had already been accepted; it still counts once.
    Duplicate,
}

/// A challenge id, used only to name the challenge back to the oracle that issued it.
///
/// It goes into URL paths, so only ids of ASCII letters, digits, `-` and `_` are accepted.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ChallengeId(String);

impl ChallengeId {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for ChallengeId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for ChallengeId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Text(String),
            Number(u64),
        }
        let text = match Raw::deserialize(d)? {
            Raw::Text(t) => t,
            Raw::Number(n) => n.to_string(),
        };
        let safe = !text.is_empty()
            && text.len() <= 128
            && text
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if !safe {
            return Err(serde::de::Error::custom(format!(
                "challenge id {text:?} is not 1 to 128 letters, digits, '-' or '_'"
            )));
        }
        Ok(ChallengeId(text))
    }
}

/// An open compute challenge, as `GET /v1/challenges/{device}` lists it.
#[derive(Debug, Clone, Deserialize)]
pub struct OpenChallenge {
    pub id: ChallengeId,
    pub seed: Hash,
    pub n: u32,
    pub class: String,
    pub deadline_ms: u64,
    pub issued_height: u64,
}

/// What the oracle concluded from the opened rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChallengeOutcome {
    Passed,
    Wrong,
}

/// A device's leaf in a reward manifest.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ManifestLeaf {
    pub device: PublicKey,
    pub owner: Address,
    #[serde(deserialize_with = "u128_text::deserialize")]
    pub units: u128,
}

/// `GET /v1/manifests/{epoch}/{resource}/claims/{device}`: what a `ClaimReward` carries.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ClaimProof {
    pub leaf: ManifestLeaf,
    pub proof: MerkleProof,
}
