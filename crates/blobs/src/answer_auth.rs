//! Audit answers signed by the device that keeps the replica. An auditor's challenge carries
//! a fresh `nonce`; a blob service that keeps replicas for a device signs
//! `statements::storage_answer(chain, device, blob, nonce, blake3(answer))` with the device key
//! and returns it in [`ANSWER_SIGNATURE_HEADER`]. The auditor checks it against the key the
//! chain assigned the replica to, so a server that does not hold that key cannot answer for
//! the device, however it got the bytes.

use crate::BlobId;
use plexus_types::{statements, Hash, PublicKey, SecretKey, Signature};
use std::sync::{Arc, OnceLock};

/// Header with the device's signature over its answer (128 hex digits).
pub const ANSWER_SIGNATURE_HEADER: &str = "x-plexus-answer-signature";

/// Signs a blob service's audit answers with a device key, once the chain id is known.
pub struct AnswerSigner {
    key: SecretKey,
    chain_id: OnceLock<String>,
}

impl AnswerSigner {
    pub fn new(key: SecretKey) -> Arc<AnswerSigner> {
        Arc::new(AnswerSigner {
            key,
            chain_id: OnceLock::new(),
        })
    }

    /// Sets the chain the device answers on (the first value set stays).
    pub fn set_chain(&self, chain_id: &str) {
        let _ = self.chain_id.set(chain_id.to_string());
    }

    /// The signature over `answer` to a challenge of `blob` with `nonce`; `None` until the
    /// chain id is set.
    pub fn sign(&self, blob: BlobId, nonce: &[u8; 32], answer: &[u8]) -> Option<Signature> {
        let chain_id = self.chain_id.get()?;
        let statement = statements::storage_answer(
            chain_id,
            &self.key.public_key(),
            &Hash(blob.0),
            nonce,
            &Hash::of(answer),
        );
        Some(self.key.sign(&statement))
    }
}

/// What an auditor expects of an answer: signed by `device` on `chain_id` over `nonce`.
#[derive(Debug, Clone)]
pub struct AnswerCheck {
    pub chain_id: String,
    pub device: PublicKey,
    pub nonce: [u8; 32],
}

impl AnswerCheck {
    /// Checks the hex signature a service returned with `answer` to a challenge of `blob`.
    pub fn verify(
        &self,
        blob: BlobId,
        answer: &[u8],
        signature: Option<&str>,
    ) -> Result<(), String> {
        let Some(text) = signature else {
            return Err(format!(
                "the answer is not signed ({ANSWER_SIGNATURE_HEADER} missing): device {} did not answer",
                self.device
            ));
        };
        let signature = hex::decode(text)
            .ok()
            .and_then(|b| Signature::from_slice(&b).ok())
            .ok_or_else(|| format!("{ANSWER_SIGNATURE_HEADER} is not a hex signature"))?;
        let statement = statements::storage_answer(
            &self.chain_id,
            &self.device,
            &Hash(blob.0),
            &self.nonce,
            &Hash::of(answer),
        );
        self.device
            .verify(&statement, &signature)
            .map_err(|_| format!("the answer is not signed by device {}", self.device))
    }
}
