//! A client of a training task's coordinator (`/v1/learn/tasks/{id}/…` on the coordinator's
//! own address): the open round, the global model, and the participants' updates.

use crate::http::{ClientError, Service};
use crate::transport::Transport;
use plexus_types::{Address, Hash};
use serde::Deserialize;
use std::sync::Arc;

/// What a participant reads of `GET /v1/learn/tasks/{id}/round` (the coordinator sends more).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct RoundView {
    pub round: u32,
    /// The hash of the global model the round trains from.
    pub base_model: Hash,
    pub accepting: bool,
    /// The participants whose update the round has.
    pub received: Vec<Address>,
}

/// One coordinator's HTTP API.
#[derive(Debug, Clone)]
pub struct CoordinatorClient {
    service: Service,
}

impl CoordinatorClient {
    /// A client of the coordinator at `base`, reached through `transport`.
    pub fn with_transport(
        base: &str,
        transport: Arc<dyn Transport>,
    ) -> Result<CoordinatorClient, ClientError> {
        Ok(CoordinatorClient {
            service: Service::with_transport("coordinator", base, transport)?,
        })
    }

    pub fn base_url(&self) -> &str {
        &self.service.base
    }

    /// The task's current round.
    pub async fn round(&self, task: u64) -> Result<RoundView, ClientError> {
        let answer = self
            .service
            .get(&format!("/v1/learn/tasks/{task}/round"))
            .await?;
        self.service.json(answer)
    }

    /// The task's global model, as the bytes its hash is of.
    pub async fn model(&self, task: u64) -> Result<Vec<u8>, ClientError> {
        let answer = self
            .service
            .get(&format!("/v1/learn/tasks/{task}/model"))
            .await?;
        if answer.status != 200 {
            return Err(self.service.refusal(answer));
        }
        Ok(answer.body)
    }

    /// Hands over a signed update (its JSON); a refusal carries the coordinator's code
    /// (`already_received`, `round_closed`, …).
    pub async fn submit_update(&self, task: u64, update_json: Vec<u8>) -> Result<(), ClientError> {
        let answer = self
            .service
            .post_bytes(&format!("/v1/learn/tasks/{task}/updates"), update_json)
            .await?;
        self.service.json::<serde_json::Value>(answer).map(|_| ())
    }
}
