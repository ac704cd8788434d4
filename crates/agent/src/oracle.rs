//! A client of an oracle's HTTP API (docs/oracle-api.md): the current interval, heartbeats,
//! compute challenges and the proofs behind reward claims.

use crate::http::{ClientError, Service};
use crate::ports::{OracleApi, PortFuture};
use plexus_types::heartbeat::SignedHeartbeat;
use plexus_types::{proto, PublicKey};
use prost::Message;
use serde::Deserialize;

pub use crate::views::oracle::{
    ChallengeId, ChallengeOutcome, ClaimProof, HeartbeatReceipt, ManifestLeaf, OpenChallenge,
    OracleStatus,
};

#[derive(Deserialize)]
struct ChallengeList {
    challenges: Vec<OpenChallenge>,
}

#[derive(Deserialize)]
struct RowsToOpen {
    rows: Vec<u32>,
}

#[derive(Deserialize)]
struct OutcomeBody {
    outcome: ChallengeOutcome,
}

/// The rows an oracle may ask for in one answer: a bound on the work a hostile oracle can
/// make the device do, well above the eight it asks for (`plexus_proofs::compute::ROWS_OPENED`).
pub const MAX_ROWS_REQUESTED: usize = 64;

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

    pub fn base_url(&self) -> &str {
        &self.service.base
    }

    pub async fn status(&self) -> Result<OracleStatus, ClientError> {
        let answer = self.service.get("/v1/status").await?;
        self.service.json(answer)
    }

    pub async fn send_heartbeat(
        &self,
        heartbeat: &SignedHeartbeat,
    ) -> Result<HeartbeatReceipt, ClientError> {
        #[derive(Deserialize)]
        struct Body {
            #[serde(default)]
            accepted: bool,
            #[serde(default)]
            duplicate: bool,
        }
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
    }

    pub async fn challenges(&self, device: &PublicKey) -> Result<Vec<OpenChallenge>, ClientError> {
        let answer = self
            .service
            .get(&format!("/v1/challenges/{device}"))
            .await?;
        Ok(self.service.json::<ChallengeList>(answer)?.challenges)
    }

    /// Sends the signed commitment; returns the rows the oracle wants opened.
    pub async fn commit(
        &self,
        id: &ChallengeId,
        commit: &proto::ChallengeCommit,
    ) -> Result<Vec<u32>, ClientError> {
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
    }

    pub async fn open(
        &self,
        id: &ChallengeId,
        openings: &proto::ChallengeOpenings,
    ) -> Result<ChallengeOutcome, ClientError> {
        let answer = self
            .service
            .post_bytes(
                &format!("/v1/challenges/{id}/open"),
                openings.encode_to_vec(),
            )
            .await?;
        Ok(self.service.json::<OutcomeBody>(answer)?.outcome)
    }

    /// The device's leaf and proof in the epoch's manifest, or `None` when the oracle has no
    /// leaf for the device (it earned nothing, or this oracle has no such manifest).
    pub async fn claim_proof(
        &self,
        epoch: u64,
        resource: &str,
        device: &PublicKey,
    ) -> Result<Option<ClaimProof>, ClientError> {
        let answer = self
            .service
            .get(&format!("/v1/manifests/{epoch}/{resource}/claims/{device}"))
            .await?;
        if answer.status == 404 {
            return Ok(None);
        }
        self.service.json(answer).map(Some)
    }
}

impl OracleApi for OracleClient {
    fn name(&self) -> &str {
        self.base_url()
    }

    fn status(&self) -> PortFuture<'_, Result<OracleStatus, ClientError>> {
        Box::pin(OracleClient::status(self))
    }

    fn send_heartbeat(
        &self,
        heartbeat: SignedHeartbeat,
    ) -> PortFuture<'_, Result<HeartbeatReceipt, ClientError>> {
        Box::pin(async move { OracleClient::send_heartbeat(self, &heartbeat).await })
    }

    fn challenges(
        &self,
        device: PublicKey,
    ) -> PortFuture<'_, Result<Vec<OpenChallenge>, ClientError>> {
        Box::pin(async move { OracleClient::challenges(self, &device).await })
    }

    fn commit(
        &self,
        id: ChallengeId,
        commit: proto::ChallengeCommit,
    ) -> PortFuture<'_, Result<Vec<u32>, ClientError>> {
        Box::pin(async move { OracleClient::commit(self, &id, &commit).await })
    }

    fn open(
        &self,
        id: ChallengeId,
        openings: proto::ChallengeOpenings,
    ) -> PortFuture<'_, Result<ChallengeOutcome, ClientError>> {
        Box::pin(async move { OracleClient::open(self, &id, &openings).await })
    }

    fn claim_proof(
        &self,
        epoch: u64,
        resource: String,
        device: PublicKey,
    ) -> PortFuture<'_, Result<Option<ClaimProof>, ClientError>> {
        Box::pin(async move { OracleClient::claim_proof(self, epoch, &resource, &device).await })
    }
}
