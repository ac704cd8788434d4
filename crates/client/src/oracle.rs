//! A client of an oracle's HTTP API (docs/oracle-api.md): the current interval, heartbeats,
//! compute challenges, hotspots' wireless records and the proofs behind reward claims.

use crate::http::{u128_text, ClientError, Service};
use crate::node_api::ApiFuture;
use plexus_rewards::wireless::SignedWireless;
use plexus_types::heartbeat::SignedHeartbeat;
use plexus_types::merkle::MerkleProof;
use plexus_types::{proto, Address, Hash, PublicKey};
use prost::Message;
use serde::{Deserialize, Deserializer, Serialize};
use std::sync::Arc;

/// The oracle's answer to one signed wireless record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WirelessAnswer {
    /// Recorded as evidence now.
    #[serde(default)]
    pub accepted: bool,
    /// Recorded before.
    #[serde(default)]
    pub duplicate: bool,
    /// Refused, with the oracle's validity code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<WirelessRefusal>,
}

/// Why the oracle refused a wireless record: `malformed`, `bad_signature`, `unknown_device`,
/// `inactive_device`, `not_wireless`, `not_lora`, `stale`, `quota`, `oversize`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WirelessRefusal {
    pub code: String,
    pub message: String,
}

/// `GET /v1/status`: the interval heartbeats must name now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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

/// A device's signed request for its open challenges: the time it asks at, on its clock
/// (milliseconds since the Unix epoch), and its signature over
/// [`plexus_types::statements::challenge_fetch`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChallengeFetch {
    pub at_ms: u64,
    pub signature: plexus_types::Signature,
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

#[derive(Deserialize)]
struct ChallengeList {
    challenges: Vec<OpenChallenge>,
}

#[derive(Deserialize)]
struct RowsToOpen {
    rows: Vec<u32>,
}

/// What the oracle concluded from the opened rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChallengeOutcome {
    Passed,
    Wrong,
}

#[derive(Deserialize)]
struct OutcomeBody {
    outcome: ChallengeOutcome,
}

/// A device's leaf in a reward manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManifestLeaf {
    pub device: PublicKey,
    pub owner: Address,
    #[serde(with = "u128_text")]
    pub units: u128,
}

impl From<&ManifestLeaf> for plexus_rewards::ManifestLeaf {
    fn from(l: &ManifestLeaf) -> Self {
        plexus_rewards::ManifestLeaf {
            device: l.device,
            owner: l.owner,
            units: l.units,
        }
    }
}

/// `GET /v1/manifests/{epoch}/{resource}/claims/{device}`: what a `ClaimReward` carries.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ClaimProof {
    pub leaf: ManifestLeaf,
    pub proof: MerkleProof,
}

/// The rows an oracle may ask for in one answer: a bound on the work a hostile oracle can
/// make the device do, well above the eight it asks for (`plexus_proofs::compute::ROWS_OPENED`).
pub const MAX_ROWS_REQUESTED: usize = 64;

/// What an agent asks of an oracle (docs/oracle-api.md), as a trait: the HTTP
/// [`OracleClient`] in production, an in-process oracle in tests and simulations.
///
/// A refusal carries the oracle's validity code (`deadline_missed`, `wrong_interval`, …) in
/// [`ClientError::code`]; callers decide whether to retry.
pub trait OracleApi: Send + Sync {
    /// Names the oracle in logs and errors.
    fn name(&self) -> &str {
        "oracle"
    }

    /// The interval heartbeats must name now.
    fn status(&self) -> ApiFuture<'_, Result<OracleStatus, ClientError>>;

    /// Hands over one signed heartbeat.
    fn send_heartbeat<'a>(
        &'a self,
        heartbeat: &'a SignedHeartbeat,
    ) -> ApiFuture<'a, Result<HeartbeatReceipt, ClientError>>;

    /// The compute challenges open for `device`, asked for by the device itself (`fetch`).
    fn challenges<'a>(
        &'a self,
        device: &'a PublicKey,
        fetch: &'a ChallengeFetch,
    ) -> ApiFuture<'a, Result<Vec<OpenChallenge>, ClientError>>;

    /// Sends a challenge's signed commitment; answers the rows the oracle wants opened.
    fn commit<'a>(
        &'a self,
        id: &'a ChallengeId,
        commit: &'a proto::ChallengeCommit,
    ) -> ApiFuture<'a, Result<Vec<u32>, ClientError>>;

    /// Opens the rows asked for; answers what the oracle concluded.
    fn open<'a>(
        &'a self,
        id: &'a ChallengeId,
        openings: &'a proto::ChallengeOpenings,
    ) -> ApiFuture<'a, Result<ChallengeOutcome, ClientError>>;

    /// The device's leaf and proof in an epoch's manifest, or `None` when the oracle has no
    /// leaf for the device.
    fn claim_proof<'a>(
        &'a self,
        epoch: u64,
        resource: &'a str,
        device: &'a PublicKey,
    ) -> ApiFuture<'a, Result<Option<ClaimProof>, ClientError>>;

    /// The evidence an epoch's manifests were computed from, as published JSON lines.
    fn evidence(&self, epoch: u64) -> ApiFuture<'_, Result<String, ClientError>>;
}

/// A shared oracle is an oracle.
impl<O: OracleApi + ?Sized> OracleApi for Arc<O> {
    fn name(&self) -> &str {
        (**self).name()
    }
    fn status(&self) -> ApiFuture<'_, Result<OracleStatus, ClientError>> {
        (**self).status()
    }
    fn send_heartbeat<'a>(
        &'a self,
        heartbeat: &'a SignedHeartbeat,
    ) -> ApiFuture<'a, Result<HeartbeatReceipt, ClientError>> {
        (**self).send_heartbeat(heartbeat)
    }
    fn challenges<'a>(
        &'a self,
        device: &'a PublicKey,
        fetch: &'a ChallengeFetch,
    ) -> ApiFuture<'a, Result<Vec<OpenChallenge>, ClientError>> {
        (**self).challenges(device, fetch)
    }
    fn commit<'a>(
        &'a self,
        id: &'a ChallengeId,
        commit: &'a proto::ChallengeCommit,
    ) -> ApiFuture<'a, Result<Vec<u32>, ClientError>> {
        (**self).commit(id, commit)
    }
    fn open<'a>(
        &'a self,
        id: &'a ChallengeId,
        openings: &'a proto::ChallengeOpenings,
    ) -> ApiFuture<'a, Result<ChallengeOutcome, ClientError>> {
        (**self).open(id, openings)
    }
    fn claim_proof<'a>(
        &'a self,
        epoch: u64,
        resource: &'a str,
        device: &'a PublicKey,
    ) -> ApiFuture<'a, Result<Option<ClaimProof>, ClientError>> {
        (**self).claim_proof(epoch, resource, device)
    }
    fn evidence(&self, epoch: u64) -> ApiFuture<'_, Result<String, ClientError>> {
        (**self).evidence(epoch)
    }
}

/// One oracle's HTTP API.
#[derive(Debug, Clone)]
pub struct OracleClient {
    service: Service,
}

impl OracleClient {
    pub fn new(base: &str) -> Result<OracleClient, ClientError> {
        Ok(OracleClient {
            service: Service::new("oracle", base)?,
        })
    }

    /// A client of the oracle at `base`, reached through `transport`.
    pub fn with_transport(
        base: &str,
        transport: std::sync::Arc<dyn crate::transport::Transport>,
    ) -> Result<OracleClient, ClientError> {
        Ok(OracleClient {
            service: Service::with_transport("oracle", base, transport)?,
        })
    }

    pub fn base_url(&self) -> &str {
        &self.service.base
    }

    /// `POST /v1/wireless`: hands over a hotspot's signed location reports, beacons and
    /// witness reports, sent in the chain's current `epoch` (at most 256 at once); one answer
    /// per record, in order. The whole request is refused (with the oracle's code) for another
    /// chain, another epoch or too many records.
    pub async fn send_wireless(
        &self,
        chain_id: &str,
        epoch: u64,
        records: &[SignedWireless],
    ) -> Result<Vec<WirelessAnswer>, ClientError> {
        #[derive(Deserialize)]
        struct Results {
            results: Vec<WirelessAnswer>,
        }
        let body = serde_json::json!({
            "chain_id": chain_id,
            "epoch": epoch,
            "records": records.iter().map(|r| hex::encode(r.to_bytes())).collect::<Vec<_>>(),
        });
        let answer = self
            .service
            .post_bytes("/v1/wireless", body.to_string().into_bytes())
            .await?;
        Ok(self.service.json::<Results>(answer)?.results)
    }

    /// `POST /v1/readings`: hands over a sensor device's signed batch of readings for the
    /// chain's current epoch. `Ok(true)` when recorded now, `Ok(false)` when recorded before;
    /// a refusal carries the oracle's code (`stale` for another epoch, `not_sensor`,
    /// `wrong_kind`, `quota`, `bad_signature`, …).
    pub async fn send_readings(
        &self,
        batch: &plexus_types::readings::SignedReadingBatch,
    ) -> Result<bool, ClientError> {
        #[derive(Deserialize)]
        struct Answer {
            #[serde(default)]
            accepted: bool,
        }
        let answer = self
            .service
            .post_bytes("/v1/readings", batch.bytes.clone())
            .await?;
        Ok(self.service.json::<Answer>(answer)?.accepted)
    }

    /// `GET /v1/data/{epoch}/{class}/{region}`: data set `name` of `epoch` as the oracle
    /// serves it to `buyer`, whose purchase the chain must have recorded; the request is
    /// signed with the buyer's key at `at_ms` (the buyer's clock, Unix milliseconds). The
    /// answer is not checked here: [`crate::data::check_data_set`] checks it against the chain.
    pub async fn data_set(
        &self,
        chain_id: &str,
        epoch: u64,
        name: &str,
        buyer: &plexus_types::SecretKey,
        at_ms: u64,
    ) -> Result<crate::data::DataSetContents, ClientError> {
        let key = buyer.public_key();
        let statement = plexus_types::statements::data_request(chain_id, epoch, name, &key, at_ms);
        let headers = [
            ("x-plexus-buyer", key.to_string()),
            ("x-plexus-at-ms", at_ms.to_string()),
            (
                "x-plexus-signature",
                hex::encode(buyer.sign(&statement).to_bytes()),
            ),
        ];
        let answer = self
            .service
            .get_with_headers(
                &format!("/v1/data/{epoch}/{name}"),
                &headers,
                crate::data::MAX_DATA_SET_BYTES,
            )
            .await?;
        self.service.json(answer)
    }

    /// `GET /v1/readings/{epoch}/{device}`: what a sensor device sent in `epoch`, decoded,
    /// with each batch's signed bytes.
    pub async fn device_readings(
        &self,
        epoch: u64,
        device: &PublicKey,
    ) -> Result<serde_json::Value, ClientError> {
        let answer = self
            .service
            .get(&format!("/v1/readings/{epoch}/{device}"))
            .await?;
        self.service.json(answer)
    }

    /// `GET /v1/evidence/{epoch}/own`: the evidence this oracle itself took in `epoch`, sealed
    /// when the epoch ended; `None` while the oracle has not sealed it.
    pub async fn own_evidence(&self, epoch: u64) -> Result<Option<String>, ClientError> {
        let answer = self
            .service
            .get(&format!("/v1/evidence/{epoch}/own"))
            .await?;
        if answer.status == 409 {
            return Ok(None);
        }
        if !(200..300).contains(&answer.status) {
            return Err(self.service.refusal(answer));
        }
        String::from_utf8(answer.body).map(Some).map_err(|_| {
            self.service
                .bad_answer(&answer.url, "the evidence is not UTF-8")
        })
    }
}

impl OracleApi for OracleClient {
    fn name(&self) -> &str {
        self.base_url()
    }

    fn status(&self) -> ApiFuture<'_, Result<OracleStatus, ClientError>> {
        Box::pin(async move {
            let answer = self.service.get("/v1/status").await?;
            self.service.json(answer)
        })
    }

    fn send_heartbeat<'a>(
        &'a self,
        heartbeat: &'a SignedHeartbeat,
    ) -> ApiFuture<'a, Result<HeartbeatReceipt, ClientError>> {
        #[derive(Deserialize)]
        struct Body {
            #[serde(default)]
            accepted: bool,
            #[serde(default)]
            duplicate: bool,
        }
        Box::pin(async move {
            let answer = self
                .service
                .post_bytes("/v1/heartbeats", heartbeat.bytes.clone())
                .await?;
            let url = answer.url.clone();
            let body: Body = self.service.json(answer)?;
            match (body.accepted, body.duplicate) {
                (_, true) => Ok(HeartbeatReceipt::Duplicate),
                (true, false) => Ok(HeartbeatReceipt::Accepted),
                (false, false) => Err(self
                    .service
                    .bad_answer(&url, "neither accepted nor duplicate")),
            }
        })
    }

    fn challenges<'a>(
        &'a self,
        device: &'a PublicKey,
        fetch: &'a ChallengeFetch,
    ) -> ApiFuture<'a, Result<Vec<OpenChallenge>, ClientError>> {
        Box::pin(async move {
            let answer = self
                .service
                .get(&format!(
                    "/v1/challenges/{device}?at_ms={}&signature={}",
                    fetch.at_ms,
                    hex::encode(fetch.signature.to_bytes())
                ))
                .await?;
            Ok(self.service.json::<ChallengeList>(answer)?.challenges)
        })
    }

    fn commit<'a>(
        &'a self,
        id: &'a ChallengeId,
        commit: &'a proto::ChallengeCommit,
    ) -> ApiFuture<'a, Result<Vec<u32>, ClientError>> {
        Box::pin(async move {
            let answer = self
                .service
                .post_bytes(
                    &format!("/v1/challenges/{id}/commit"),
                    commit.encode_to_vec(),
                )
                .await?;
            let url = answer.url.clone();
            let rows = self.service.json::<RowsToOpen>(answer)?.rows;
            if rows.len() > MAX_ROWS_REQUESTED {
                return Err(self.service.bad_answer(
                    &url,
                    format!(
                        "it asks for {} rows, more than {MAX_ROWS_REQUESTED}",
                        rows.len()
                    ),
                ));
            }
            Ok(rows)
        })
    }

    fn open<'a>(
        &'a self,
        id: &'a ChallengeId,
        openings: &'a proto::ChallengeOpenings,
    ) -> ApiFuture<'a, Result<ChallengeOutcome, ClientError>> {
        Box::pin(async move {
            let answer = self
                .service
                .post_bytes(
                    &format!("/v1/challenges/{id}/open"),
                    openings.encode_to_vec(),
                )
                .await?;
            Ok(self.service.json::<OutcomeBody>(answer)?.outcome)
        })
    }

    /// The device's leaf and proof in the epoch's manifest, or `None` when the oracle has no
    /// leaf for the device (it earned nothing). An oracle that has not closed the epoch yet
    /// (`not_closed`: the manifest may be final on chain a moment before the oracle's copy is
    /// written) answers with an error, so that the claim is asked again rather than given up.
    fn claim_proof<'a>(
        &'a self,
        epoch: u64,
        resource: &'a str,
        device: &'a PublicKey,
    ) -> ApiFuture<'a, Result<Option<ClaimProof>, ClientError>> {
        Box::pin(async move {
            let answer = self
                .service
                .get(&format!("/v1/manifests/{epoch}/{resource}/claims/{device}"))
                .await?;
            if answer.status == 404 {
                return match self.service.refusal(answer) {
                    refused @ ClientError::Refused { .. }
                        if refused.code() == Some("not_closed") =>
                    {
                        Err(refused)
                    }
                    _ => Ok(None),
                };
            }
            self.service.json(answer).map(Some)
        })
    }

    fn evidence(&self, epoch: u64) -> ApiFuture<'_, Result<String, ClientError>> {
        Box::pin(async move {
            let answer = self.service.get(&format!("/v1/evidence/{epoch}")).await?;
            if !(200..300).contains(&answer.status) {
                return Err(self.service.refusal(answer));
            }
            String::from_utf8(answer.body).map_err(|_| {
                self.service
                    .bad_answer(&answer.url, "the evidence is not UTF-8")
            })
        })
    }
}
