//! The signed transaction envelope `{chain_id, signer, nonce, fee, body}`.
//!
//! On the wire a transaction is a protobuf `SignedTx`: the encoded `TxPayload` bytes and an
//! ed25519 signature over exactly those bytes. Decoding checks every bound before trusting any
//! field; `SignedTx::decode` never panics on any input.

use crate::address::Address;
use crate::amount::Amount;
use crate::hash::Hash;
use crate::keys::{self, KeyError, PublicKey, SecretKey, Signature};
use crate::merkle::{MerkleProof, MAX_PROOF_DEPTH};
use crate::proto;
use prost::Message;

/// Largest encoded transaction any node accepts.
pub const MAX_TX_BYTES: usize = 16 * 1024;
/// Longest chain id.
pub const MAX_CHAIN_ID_LEN: usize = 64;

/// The hash that names a transaction: blake3 of its full encoded bytes.
pub type TxHash = Hash;

/// Why a transaction's bytes are not a valid transaction. Each variant has a stable code.
#[derive(Debug, thiserror::Error, PartialEq, Eq, Clone)]
pub enum TxError {
    #[error("transaction is {0} bytes, larger than the limit of {MAX_TX_BYTES}")]
    Oversize(usize),
    #[error("transaction is not valid protobuf: {0}")]
    Malformed(String),
    #[error("transaction has no body")]
    MissingBody,
    #[error("chain id is longer than {MAX_CHAIN_ID_LEN} bytes")]
    ChainIdTooLong,
    #[error("invalid signer key: {0}")]
    BadSigner(KeyError),
    #[error("invalid signature: {0}")]
    BadSignature(KeyError),
    #[error("invalid fee: {0}")]
    BadFee(crate::amount::AmountError),
    #[error("invalid amount: {0}")]
    BadAmount(crate::amount::AmountError),
    #[error("invalid recipient: {0}")]
    BadRecipient(crate::address::AddressError),
    #[error("invalid field {field}: {reason}")]
    BadField { field: &'static str, reason: String },
}

impl TxError {
    /// A short, stable identifier for APIs and result codes.
    pub fn code(&self) -> &'static str {
        match self {
            TxError::Oversize(_) => "oversize",
            TxError::Malformed(_) => "malformed",
            TxError::MissingBody => "missing_body",
            TxError::ChainIdTooLong => "chain_id_too_long",
            TxError::BadSigner(_) => "bad_signer",
            TxError::BadSignature(KeyError::BadSignature | KeyError::InvalidPublicKey) => {
                "invalid_signature"
            }
            TxError::BadSignature(_) => "malformed_signature",
            TxError::BadFee(_) => "bad_fee",
            TxError::BadAmount(_) => "bad_amount",
            TxError::BadRecipient(_) => "bad_recipient",
            TxError::BadField { .. } => "bad_field",
        }
    }
}

/// Longest device class or resource name.
pub const MAX_NAME_LEN: usize = 64;
/// Longest GPU model name.
pub const MAX_GPU_MODEL_LEN: usize = 128;
/// Most elements in a compute row carried by a fraud proof.
pub const MAX_ROW_LEN: usize = 4096;
/// Most replicas one storage deal may ask for.
pub const MAX_DEAL_REPLICAS: u32 = 16;
/// Longest storage deal, in epochs.
pub const MAX_DEAL_EPOCHS: u64 = 1_000_000;

/// What a device declares it can do.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct Capabilities {
    pub cpu_cores: u32,
    pub memory_mb: u64,
    pub gpu_model: String,
    pub gpu_vram_mb: u64,
    pub gpu_count: u32,
    /// Where the device serves others, an http(s) URL (empty: nowhere). A storage device's
    /// blob service: downloaders fetch replicas there and oracles challenge it there.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub endpoint: String,
}

/// Longest compute lease, in blocks.
pub const MAX_JOB_DURATION_BLOCKS: u64 = 1_000_000;
/// Most providers one compute order may run its job on.
pub const MAX_JOB_REPLICAS: u32 = 16;
/// Most leases a verifier or referee may say it agrees with.
pub const MAX_AGREES_WITH: usize = 2;

/// The sandboxes a compute job can run in.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum JobRuntime {
    Wasm,
    Inference,
}

impl JobRuntime {
    pub fn as_str(&self) -> &'static str {
        match self {
            JobRuntime::Wasm => "wasm",
            JobRuntime::Inference => "inference",
        }
    }

    pub fn parse(s: &str) -> Option<JobRuntime> {
        match s {
            "wasm" => Some(JobRuntime::Wasm),
            "inference" => Some(JobRuntime::Inference),
            _ => None,
        }
    }
}

/// What a consumer asks of a compute order.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct OrderTerms {
    /// blake3 of the job spec file, a blob providers fetch.
    pub spec: Hash,
    pub runtime: JobRuntime,
    /// What a device must declare to bid (the endpoint is empty).
    pub resources: Capabilities,
    /// At least 1 uplx.
    pub max_price_per_block: Amount,
    /// 1 to [`MAX_JOB_DURATION_BLOCKS`].
    pub duration_blocks: u64,
    /// 1 to [`MAX_JOB_REPLICAS`].
    pub replicas: u32,
    /// 0 to 1000.
    pub sample_per_mille: u32,
    /// At least 1 uplx.
    pub deposit: Amount,
}

/// A provider's result for a lease.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct JobResult {
    pub lease: u64,
    /// blake3 of the output blob.
    pub output: Hash,
    /// Leases whose outputs agree with this one, ascending, at most [`MAX_AGREES_WITH`].
    pub agrees_with: Vec<u64>,
}

/// Longest training task spec (JSON).
pub const MAX_TRAINING_SPEC_LEN: usize = 2048;
/// Longest training dataset name.
pub const MAX_DATASET_LEN: usize = 64;
/// Most rounds one training task may run.
pub const MAX_TRAINING_ROUNDS: u32 = 10_000;
/// Most participants one training task may have.
pub const MAX_TRAINING_PARTICIPANTS: u32 = 64;

/// The terms a sponsor sets for a federated training task.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TrainingTaskTerms {
    /// The kind of local data the task trains on; agents join tasks their config names.
    pub dataset: String,
    /// Model and training recipe (JSON); the ledger keeps it as given.
    pub spec: String,
    /// blake3("plexus/learn/validation" ‖ salt ‖ validation file).
    pub validation_commitment: Hash,
    /// 1 to [`MAX_TRAINING_ROUNDS`].
    pub rounds: u32,
    /// 1 to [`MAX_TRAINING_PARTICIPANTS`].
    pub min_participants: u32,
    /// At least `rounds` uplx.
    pub budget: Amount,
    pub coordinator: Address,
}

/// One participant's score in a round.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TrainingScore {
    pub participant: Address,
    pub score: u64,
}

/// A coordinator's result of one round of a training task.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TrainingRound {
    pub task: u64,
    /// 1-based.
    pub round: u32,
    /// blake3 of the global parameters after the round (f32 little endian).
    pub model: Hash,
    /// blake3 of the published round record.
    pub record: Hash,
    pub accuracy_ppm: u32,
    pub loss_micro: u64,
    /// Sorted by participant, no repeats, at most [`MAX_TRAINING_PARTICIPANTS`].
    pub scores: Vec<TrainingScore>,
}

/// The commitment to a task's validation set.
pub fn validation_commitment(salt: &[u8; 32], file: &[u8]) -> Hash {
    let mut h = blake3::Hasher::new();
    h.update(b"plexus/learn/validation");
    h.update(salt);
    h.update(file);
    Hash(*h.finalize().as_bytes())
}

/// Longest device endpoint URL.
pub const MAX_ENDPOINT_LEN: usize = 256;
/// Most failures one storage audit may report.
pub const MAX_AUDIT_FAILURES: usize = 1_024;

/// One replica that failed its retrievability challenge.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub struct StorageFailure {
    pub deal: u64,
    pub device: PublicKey,
}

/// A reward claim: one leaf of a final manifest and its Merkle proof.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RewardClaim {
    pub epoch: u64,
    pub resource: String,
    pub device: PublicKey,
    pub owner: Address,
    pub units: u128,
    pub proof: MerkleProof,
}

/// A device's signed commitment to a compute answer, and one committed row that is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComputeFraud {
    pub device: PublicKey,
    pub seed: [u8; 32],
    pub n: u32,
    pub root: Hash,
    pub device_signature: Signature,
    pub row_index: u32,
    pub row: Vec<u32>,
    pub proof: MerkleProof,
}

/// What a client asks of a storage deal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StorageDealTerms {
    /// The blob's id: the blake3 hash of its bytes.
    pub blob: Hash,
    pub size: u64,
    /// 1 to [`MAX_DEAL_REPLICAS`].
    pub replicas: u32,
    /// 1 to [`MAX_DEAL_EPOCHS`].
    pub epochs: u64,
    /// At least 1 uplx.
    pub price_per_replica_epoch: Amount,
}

/// The one message a transaction carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Body {
    Transfer {
        to: Address,
        amount: Amount,
    },
    RegisterDevice {
        device: PublicKey,
        class: String,
        capabilities: Capabilities,
        h3_cell: u64,
        stake: Amount,
        device_signature: Signature,
    },
    UpdateDevice {
        device: PublicKey,
        capabilities: Capabilities,
        h3_cell: u64,
    },
    RetireDevice {
        device: PublicKey,
    },
    WithdrawStake {
        device: PublicKey,
    },
    SubmitManifest {
        epoch: u64,
        resource: String,
        root: Hash,
        total_units: u128,
        evidence_root: Hash,
    },
    ClaimReward(RewardClaim),
    ComputeFraud(ComputeFraud),
    StorageDeal(StorageDealTerms),
    /// An oracle's report of replicas that failed their challenge in `epoch`.
    StorageAudit {
        epoch: u64,
        failures: Vec<StorageFailure>,
    },
    CreateTrainingTask(TrainingTaskTerms),
    JoinTrainingTask {
        task: u64,
    },
    SubmitTrainingRound(TrainingRound),
    CancelTrainingTask {
        task: u64,
    },
    CreateOrder(OrderTerms),
    PlaceBid {
        order: u64,
        device: PublicKey,
        price_per_block: Amount,
        deposit: Amount,
    },
    CloseBid {
        bid: u64,
    },
    SubmitJobResult(JobResult),
    WithdrawLease {
        lease: u64,
    },
    CloseLease {
        lease: u64,
    },
    CloseOrder {
        order: u64,
    },
}

/// A transaction before signing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnsignedTx {
    pub chain_id: String,
    pub nonce: u64,
    pub fee: Amount,
    pub body: Body,
}

impl UnsignedTx {
    /// The payload bytes a signer signs, for `signer` (useful to external signers).
    pub fn encode_payload(&self, signer: &PublicKey) -> Vec<u8> {
        proto::TxPayload {
            chain_id: self.chain_id.clone(),
            signer: signer.as_bytes().to_vec(),
            nonce: self.nonce,
            fee: self.fee.to_string(),
            body: Some(encode_body(&self.body)),
        }
        .encode_to_vec()
    }

    /// Encodes the payload and signs those exact bytes.
    pub fn sign(&self, key: &SecretKey) -> SignedTx {
        let payload = self.encode_payload(&key.public_key());
        let signature = key.sign(&payload);
        let bytes = proto::SignedTx {
            payload: payload.clone(),
            signature: signature.to_bytes().to_vec(),
        }
        .encode_to_vec();
        SignedTx {
            hash: Hash::of(&bytes),
            bytes,
            payload,
            signature,
            signer: key.public_key(),
            signer_address: Address::from_public_key(&key.public_key()),
            chain_id: self.chain_id.clone(),
            nonce: self.nonce,
            fee: self.fee,
            body: self.body.clone(),
        }
    }
}

/// A decoded transaction whose fields are well formed. The signature is *not* yet known to be
/// valid: call [`SignedTx::verify_signature`] (or verify a batch).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedTx {
    pub hash: TxHash,
    /// The exact bytes received.
    pub bytes: Vec<u8>,
    /// The exact payload bytes that the signature covers.
    pub payload: Vec<u8>,
    pub signature: Signature,
    pub signer: PublicKey,
    pub signer_address: Address,
    pub chain_id: String,
    pub nonce: u64,
    pub fee: Amount,
    pub body: Body,
}

impl SignedTx {
    /// Decodes and checks the format of a transaction. Lengths are checked before allocation.
    pub fn decode(bytes: &[u8]) -> Result<SignedTx, TxError> {
        if bytes.len() > MAX_TX_BYTES {
            return Err(TxError::Oversize(bytes.len()));
        }
        let envelope =
            proto::SignedTx::decode(bytes).map_err(|e| TxError::Malformed(e.to_string()))?;
        let signature =
            Signature::from_slice(&envelope.signature).map_err(TxError::BadSignature)?;
        let payload = proto::TxPayload::decode(envelope.payload.as_slice())
            .map_err(|e| TxError::Malformed(e.to_string()))?;
        if payload.chain_id.len() > MAX_CHAIN_ID_LEN {
            return Err(TxError::ChainIdTooLong);
        }
        let signer = PublicKey::from_slice(&payload.signer).map_err(TxError::BadSigner)?;
        let fee = Amount::from_base_units(&payload.fee).map_err(TxError::BadFee)?;
        let body = decode_body(payload.body.ok_or(TxError::MissingBody)?)?;
        Ok(SignedTx {
            hash: Hash::of(bytes),
            bytes: bytes.to_vec(),
            payload: envelope.payload,
            signature,
            signer_address: Address::from_public_key(&signer),
            signer,
            chain_id: payload.chain_id,
            nonce: payload.nonce,
            fee,
            body,
        })
    }

    /// Checks the signature over the payload bytes.
    pub fn verify_signature(&self) -> Result<(), TxError> {
        self.signer
            .verify(&self.payload, &self.signature)
            .map_err(TxError::BadSignature)
    }

    /// Verifies every signature in `txs`, with batch verification on chunks spread over all
    /// cores. Returns one result per transaction, in order; the results are exactly those of
    /// one-by-one verification (ZIP 215).
    pub fn verify_many(txs: &[&SignedTx]) -> Vec<Result<(), TxError>> {
        use rayon::prelude::*;
        const CHUNK: usize = 64;
        txs.par_chunks(CHUNK)
            .flat_map_iter(|chunk| {
                let items: Vec<(&[u8], Signature, PublicKey)> = chunk
                    .iter()
                    .map(|t| (t.payload.as_slice(), t.signature, t.signer))
                    .collect();
                let results: Vec<Result<(), TxError>> = if keys::verify_batch(&items) {
                    vec![Ok(()); chunk.len()]
                } else {
                    chunk.iter().map(|t| t.verify_signature()).collect()
                };
                results.into_iter()
            })
            .collect()
    }

    pub fn size(&self) -> usize {
        self.bytes.len()
    }
}

fn bad(field: &'static str, reason: impl std::fmt::Display) -> TxError {
    TxError::BadField {
        field,
        reason: reason.to_string(),
    }
}

fn key_field(field: &'static str, bytes: &[u8]) -> Result<PublicKey, TxError> {
    PublicKey::from_slice(bytes).map_err(|e| bad(field, e))
}

fn hash_field(field: &'static str, bytes: &[u8]) -> Result<Hash, TxError> {
    Hash::from_slice(bytes)
        .ok_or_else(|| bad(field, format!("expected 32 bytes, found {}", bytes.len())))
}

fn name_field(field: &'static str, s: String, max: usize) -> Result<String, TxError> {
    if s.is_empty() || s.len() > max {
        return Err(bad(field, format!("must be 1 to {max} bytes")));
    }
    Ok(s)
}

fn u128_field(field: &'static str, s: &str) -> Result<u128, TxError> {
    Amount::from_base_units(s)
        .map(|a| a.0)
        .map_err(|e| bad(field, e))
}

fn capabilities_from(c: Option<proto::Capabilities>) -> Result<Capabilities, TxError> {
    let c = c.unwrap_or_default();
    if c.gpu_model.len() > MAX_GPU_MODEL_LEN {
        return Err(bad("capabilities.gpu_model", "too long"));
    }
    if c.endpoint.len() > MAX_ENDPOINT_LEN {
        return Err(bad("capabilities.endpoint", "too long"));
    }
    let web = c.endpoint.starts_with("http://") || c.endpoint.starts_with("https://");
    if !c.endpoint.is_empty() && !web {
        return Err(bad(
            "capabilities.endpoint",
            "must be an http:// or https:// URL",
        ));
    }
    Ok(Capabilities {
        cpu_cores: c.cpu_cores,
        memory_mb: c.memory_mb,
        gpu_model: c.gpu_model,
        gpu_vram_mb: c.gpu_vram_mb,
        gpu_count: c.gpu_count,
        endpoint: c.endpoint,
    })
}

fn capabilities_to(c: &Capabilities) -> proto::Capabilities {
    proto::Capabilities {
        cpu_cores: c.cpu_cores,
        memory_mb: c.memory_mb,
        gpu_model: c.gpu_model.clone(),
        gpu_vram_mb: c.gpu_vram_mb,
        gpu_count: c.gpu_count,
        endpoint: c.endpoint.clone(),
    }
}

fn proof_from(index: u64, leaf_count: u64, siblings: Vec<Vec<u8>>) -> Result<MerkleProof, TxError> {
    if siblings.len() > MAX_PROOF_DEPTH {
        return Err(bad("siblings", "proof is too deep"));
    }
    let siblings = siblings
        .iter()
        .map(|s| hash_field("siblings", s))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(MerkleProof {
        index,
        leaf_count,
        siblings,
    })
}

fn siblings_to(proof: &MerkleProof) -> Vec<Vec<u8>> {
    proof.siblings.iter().map(|h| h.0.to_vec()).collect()
}

fn decode_body(body: proto::tx_payload::Body) -> Result<Body, TxError> {
    use proto::tx_payload::Body as P;
    Ok(match body {
        P::Transfer(t) => Body::Transfer {
            to: Address::from_slice(&t.to).map_err(TxError::BadRecipient)?,
            amount: Amount::from_base_units(&t.amount).map_err(TxError::BadAmount)?,
        },
        P::RegisterDevice(r) => Body::RegisterDevice {
            device: key_field("device", &r.device)?,
            class: name_field("class", r.class, MAX_NAME_LEN)?,
            capabilities: capabilities_from(r.capabilities)?,
            h3_cell: r.h3_cell,
            stake: Amount::from_base_units(&r.stake).map_err(|e| bad("stake", e))?,
            device_signature: Signature::from_slice(&r.device_signature)
                .map_err(|e| bad("device_signature", e))?,
        },
        P::UpdateDevice(u) => Body::UpdateDevice {
            device: key_field("device", &u.device)?,
            capabilities: capabilities_from(u.capabilities)?,
            h3_cell: u.h3_cell,
        },
        P::RetireDevice(r) => Body::RetireDevice {
            device: key_field("device", &r.device)?,
        },
        P::WithdrawStake(w) => Body::WithdrawStake {
            device: key_field("device", &w.device)?,
        },
        P::SubmitManifest(m) => Body::SubmitManifest {
            epoch: m.epoch,
            resource: name_field("resource", m.resource, MAX_NAME_LEN)?,
            root: hash_field("root", &m.root)?,
            total_units: u128_field("total_units", &m.total_units)?,
            evidence_root: hash_field("evidence_root", &m.evidence_root)?,
        },
        P::ClaimReward(c) => Body::ClaimReward(RewardClaim {
            epoch: c.epoch,
            resource: name_field("resource", c.resource, MAX_NAME_LEN)?,
            device: key_field("device", &c.device)?,
            owner: Address::from_slice(&c.owner).map_err(|e| bad("owner", e))?,
            units: u128_field("units", &c.units)?,
            proof: proof_from(c.leaf_index, c.leaf_count, c.siblings)?,
        }),
        P::ComputeFraud(f) => {
            if f.row.len() > MAX_ROW_LEN {
                return Err(bad("row", "too long"));
            }
            Body::ComputeFraud(ComputeFraud {
                device: key_field("device", &f.device)?,
                seed: f
                    .seed
                    .as_slice()
                    .try_into()
                    .map_err(|_| bad("seed", "expected 32 bytes"))?,
                n: f.n,
                root: hash_field("root", &f.root)?,
                device_signature: Signature::from_slice(&f.device_signature)
                    .map_err(|e| bad("device_signature", e))?,
                row_index: f.row_index,
                row: f.row,
                proof: proof_from(f.row_index as u64, f.leaf_count, f.siblings)?,
            })
        }
        P::StorageDeal(d) => {
            if d.replicas == 0 || d.replicas > MAX_DEAL_REPLICAS {
                return Err(bad("replicas", format!("must be 1 to {MAX_DEAL_REPLICAS}")));
            }
            if d.epochs == 0 || d.epochs > MAX_DEAL_EPOCHS {
                return Err(bad("epochs", format!("must be 1 to {MAX_DEAL_EPOCHS}")));
            }
            let price = Amount::from_base_units(&d.price_per_replica_epoch)
                .map_err(|e| bad("price_per_replica_epoch", e))?;
            if price == Amount::ZERO {
                return Err(bad("price_per_replica_epoch", "must be at least 1 uplx"));
            }
            Body::StorageDeal(StorageDealTerms {
                blob: hash_field("blob", &d.blob)?,
                size: d.size,
                replicas: d.replicas,
                epochs: d.epochs,
                price_per_replica_epoch: price,
            })
        }
        P::StorageAudit(a) => {
            if a.failures.len() > MAX_AUDIT_FAILURES {
                return Err(bad(
                    "failures",
                    format!("at most {MAX_AUDIT_FAILURES} per audit"),
                ));
            }
            let failures = a
                .failures
                .into_iter()
                .map(|f| {
                    Ok(StorageFailure {
                        deal: f.deal,
                        device: key_field("failures.device", &f.device)?,
                    })
                })
                .collect::<Result<Vec<_>, TxError>>()?;
            // One encoding per report: sorted by deal, then device, with no repeats.
            if !failures.windows(2).all(|w| w[0] < w[1]) {
                return Err(bad(
                    "failures",
                    "must be sorted by deal, then device, without repeats",
                ));
            }
            Body::StorageAudit {
                epoch: a.epoch,
                failures,
            }
        }
        P::CreateTrainingTask(t) => {
            let dataset = name_field("dataset", t.dataset, MAX_DATASET_LEN)?;
            if !dataset
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
            {
                return Err(bad("dataset", "only a-z, 0-9, '-' and '_'"));
            }
            let spec = name_field("spec", t.spec, MAX_TRAINING_SPEC_LEN)?;
            if t.rounds == 0 || t.rounds > MAX_TRAINING_ROUNDS {
                return Err(bad("rounds", format!("must be 1 to {MAX_TRAINING_ROUNDS}")));
            }
            if t.min_participants == 0 || t.min_participants > MAX_TRAINING_PARTICIPANTS {
                return Err(bad(
                    "min_participants",
                    format!("must be 1 to {MAX_TRAINING_PARTICIPANTS}"),
                ));
            }
            let budget = Amount(u128_field("budget", &t.budget)?);
            if budget.0 < t.rounds as u128 {
                return Err(bad("budget", "must be at least 1 uplx per round"));
            }
            Body::CreateTrainingTask(TrainingTaskTerms {
                dataset,
                spec,
                validation_commitment: hash_field(
                    "validation_commitment",
                    &t.validation_commitment,
                )?,
                rounds: t.rounds,
                min_participants: t.min_participants,
                budget,
                coordinator: Address::from_slice(&t.coordinator)
                    .map_err(|e| bad("coordinator", e))?,
            })
        }
        P::JoinTrainingTask(j) => Body::JoinTrainingTask { task: j.task },
        P::SubmitTrainingRound(r) => {
            if r.round == 0 {
                return Err(bad("round", "rounds count from 1"));
            }
            if r.scores.len() > MAX_TRAINING_PARTICIPANTS as usize {
                return Err(bad(
                    "scores",
                    format!("at most {MAX_TRAINING_PARTICIPANTS}"),
                ));
            }
            let scores = r
                .scores
                .into_iter()
                .map(|s| {
                    Ok(TrainingScore {
                        participant: Address::from_slice(&s.participant)
                            .map_err(|e| bad("scores.participant", e))?,
                        score: s.score,
                    })
                })
                .collect::<Result<Vec<_>, TxError>>()?;
            if !scores
                .windows(2)
                .all(|w| w[0].participant < w[1].participant)
            {
                return Err(bad(
                    "scores",
                    "must be sorted by participant, without repeats",
                ));
            }
            Body::SubmitTrainingRound(TrainingRound {
                task: r.task,
                round: r.round,
                model: hash_field("model", &r.model)?,
                record: hash_field("record", &r.record)?,
                accuracy_ppm: r.accuracy_ppm.min(1_000_000),
                loss_micro: r.loss_micro,
                scores,
            })
        }
        P::CancelTrainingTask(c) => Body::CancelTrainingTask { task: c.task },
        P::CreateOrder(o) => {
            let runtime = JobRuntime::parse(&o.runtime)
                .ok_or_else(|| bad("runtime", "must be \"wasm\" or \"inference\""))?;
            let resources = capabilities_from(o.resources)?;
            if !resources.endpoint.is_empty() {
                return Err(bad("resources.endpoint", "must be empty"));
            }
            let max_price_per_block =
                Amount(u128_field("max_price_per_block", &o.max_price_per_block)?);
            if max_price_per_block.0 == 0 {
                return Err(bad("max_price_per_block", "must be at least 1 uplx"));
            }
            if o.duration_blocks == 0 || o.duration_blocks > MAX_JOB_DURATION_BLOCKS {
                return Err(bad(
                    "duration_blocks",
                    format!("must be 1 to {MAX_JOB_DURATION_BLOCKS}"),
                ));
            }
            if o.replicas == 0 || o.replicas > MAX_JOB_REPLICAS {
                return Err(bad("replicas", format!("must be 1 to {MAX_JOB_REPLICAS}")));
            }
            if o.sample_per_mille > 1000 {
                return Err(bad("sample_per_mille", "must be 0 to 1000"));
            }
            let deposit = Amount(u128_field("deposit", &o.deposit)?);
            if deposit.0 == 0 {
                return Err(bad("deposit", "must be at least 1 uplx"));
            }
            Body::CreateOrder(OrderTerms {
                spec: hash_field("spec", &o.spec)?,
                runtime,
                resources,
                max_price_per_block,
                duration_blocks: o.duration_blocks,
                replicas: o.replicas,
                sample_per_mille: o.sample_per_mille,
                deposit,
            })
        }
        P::PlaceBid(b) => {
            let price_per_block = Amount(u128_field("price_per_block", &b.price_per_block)?);
            if price_per_block.0 == 0 {
                return Err(bad("price_per_block", "must be at least 1 uplx"));
            }
            Body::PlaceBid {
                order: b.order,
                device: key_field("device", &b.device)?,
                price_per_block,
                deposit: Amount(u128_field("deposit", &b.deposit)?),
            }
        }
        P::CloseBid(c) => Body::CloseBid { bid: c.bid },
        P::SubmitJobResult(r) => {
            if r.agrees_with.len() > MAX_AGREES_WITH
                || !r.agrees_with.windows(2).all(|w| w[0] < w[1])
            {
                return Err(bad(
                    "agrees_with",
                    format!("at most {MAX_AGREES_WITH} leases, ascending, without repeats"),
                ));
            }
            Body::SubmitJobResult(JobResult {
                lease: r.lease,
                output: hash_field("output", &r.output)?,
                agrees_with: r.agrees_with,
            })
        }
        P::WithdrawLease(w) => Body::WithdrawLease { lease: w.lease },
        P::CloseLease(c) => Body::CloseLease { lease: c.lease },
        P::CloseOrder(c) => Body::CloseOrder { order: c.order },
    })
}

fn encode_body(body: &Body) -> proto::tx_payload::Body {
    use proto::tx_payload::Body as P;
    match body {
        Body::Transfer { to, amount } => P::Transfer(proto::Transfer {
            to: to.as_bytes().to_vec(),
            amount: amount.to_string(),
        }),
        Body::RegisterDevice {
            device,
            class,
            capabilities,
            h3_cell,
            stake,
            device_signature,
        } => P::RegisterDevice(proto::RegisterDevice {
            device: device.as_bytes().to_vec(),
            class: class.clone(),
            capabilities: Some(capabilities_to(capabilities)),
            h3_cell: *h3_cell,
            stake: stake.to_string(),
            device_signature: device_signature.to_bytes().to_vec(),
        }),
        Body::UpdateDevice {
            device,
            capabilities,
            h3_cell,
        } => P::UpdateDevice(proto::UpdateDevice {
            device: device.as_bytes().to_vec(),
            capabilities: Some(capabilities_to(capabilities)),
            h3_cell: *h3_cell,
        }),
        Body::RetireDevice { device } => P::RetireDevice(proto::RetireDevice {
            device: device.as_bytes().to_vec(),
        }),
        Body::WithdrawStake { device } => P::WithdrawStake(proto::WithdrawStake {
            device: device.as_bytes().to_vec(),
        }),
        Body::SubmitManifest {
            epoch,
            resource,
            root,
            total_units,
            evidence_root,
        } => P::SubmitManifest(proto::SubmitManifest {
            epoch: *epoch,
            resource: resource.clone(),
            root: root.0.to_vec(),
            total_units: total_units.to_string(),
            evidence_root: evidence_root.0.to_vec(),
        }),
        Body::ClaimReward(c) => P::ClaimReward(proto::ClaimReward {
            epoch: c.epoch,
            resource: c.resource.clone(),
            device: c.device.as_bytes().to_vec(),
            owner: c.owner.as_bytes().to_vec(),
            units: c.units.to_string(),
            leaf_index: c.proof.index,
            leaf_count: c.proof.leaf_count,
            siblings: siblings_to(&c.proof),
        }),
        Body::ComputeFraud(f) => P::ComputeFraud(proto::ComputeFraud {
            device: f.device.as_bytes().to_vec(),
            seed: f.seed.to_vec(),
            n: f.n,
            root: f.root.0.to_vec(),
            device_signature: f.device_signature.to_bytes().to_vec(),
            row_index: f.row_index,
            row: f.row.clone(),
            leaf_count: f.proof.leaf_count,
            siblings: siblings_to(&f.proof),
        }),
        Body::StorageDeal(d) => P::StorageDeal(proto::StorageDeal {
            blob: d.blob.0.to_vec(),
            size: d.size,
            replicas: d.replicas,
            epochs: d.epochs,
            price_per_replica_epoch: d.price_per_replica_epoch.to_string(),
        }),
        Body::CreateTrainingTask(t) => P::CreateTrainingTask(proto::CreateTrainingTask {
            dataset: t.dataset.clone(),
            spec: t.spec.clone(),
            validation_commitment: t.validation_commitment.0.to_vec(),
            rounds: t.rounds,
            min_participants: t.min_participants,
            budget: t.budget.to_string(),
            coordinator: t.coordinator.as_bytes().to_vec(),
        }),
        Body::JoinTrainingTask { task } => {
            P::JoinTrainingTask(proto::JoinTrainingTask { task: *task })
        }
        Body::SubmitTrainingRound(r) => P::SubmitTrainingRound(proto::SubmitTrainingRound {
            task: r.task,
            round: r.round,
            model: r.model.0.to_vec(),
            record: r.record.0.to_vec(),
            accuracy_ppm: r.accuracy_ppm,
            loss_micro: r.loss_micro,
            scores: r
                .scores
                .iter()
                .map(|s| proto::TrainingScore {
                    participant: s.participant.as_bytes().to_vec(),
                    score: s.score,
                })
                .collect(),
        }),
        Body::CancelTrainingTask { task } => {
            P::CancelTrainingTask(proto::CancelTrainingTask { task: *task })
        }
        Body::CreateOrder(o) => P::CreateOrder(proto::CreateOrder {
            spec: o.spec.0.to_vec(),
            runtime: o.runtime.as_str().to_string(),
            resources: Some(capabilities_to(&o.resources)),
            max_price_per_block: o.max_price_per_block.to_string(),
            duration_blocks: o.duration_blocks,
            replicas: o.replicas,
            sample_per_mille: o.sample_per_mille,
            deposit: o.deposit.to_string(),
        }),
        Body::PlaceBid {
            order,
            device,
            price_per_block,
            deposit,
        } => P::PlaceBid(proto::PlaceBid {
            order: *order,
            device: device.as_bytes().to_vec(),
            price_per_block: price_per_block.to_string(),
            deposit: deposit.to_string(),
        }),
        Body::CloseBid { bid } => P::CloseBid(proto::CloseBid { bid: *bid }),
        Body::SubmitJobResult(r) => P::SubmitJobResult(proto::SubmitJobResult {
            lease: r.lease,
            output: r.output.0.to_vec(),
            agrees_with: r.agrees_with.clone(),
        }),
        Body::WithdrawLease { lease } => P::WithdrawLease(proto::WithdrawLease { lease: *lease }),
        Body::CloseLease { lease } => P::CloseLease(proto::CloseLease { lease: *lease }),
        Body::CloseOrder { order } => P::CloseOrder(proto::CloseOrder { order: *order }),
        Body::StorageAudit { epoch, failures } => P::StorageAudit(proto::StorageAudit {
            epoch: *epoch,
            failures: failures
                .iter()
                .map(|f| proto::StorageFailure {
                    deal: f.deal,
                    device: f.device.as_bytes().to_vec(),
                })
                .collect(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn transfer(nonce: u64) -> UnsignedTx {
        UnsignedTx {
            chain_id: "plexus-test".into(),
            nonce,
            fee: Amount(10),
            body: Body::Transfer {
                to: Address([9u8; 20]),
                amount: Amount(1_000),
            },
        }
    }

    #[test]
    fn a_signed_transfer_decodes_to_the_same_fields_and_verifies() {
        let key = SecretKey::from_seed([3u8; 32]);
        let tx = transfer(5).sign(&key);
        let back = SignedTx::decode(&tx.bytes).unwrap();
        assert_eq!(back, tx);
        assert!(back.verify_signature().is_ok());
        assert_eq!(
            back.signer_address,
            Address::from_public_key(&key.public_key())
        );
    }

    #[test]
    fn a_tampered_payload_fails_signature_verification() {
        let key = SecretKey::from_seed([3u8; 32]);
        let tx = transfer(5).sign(&key);
        let mut forged_payload = proto::TxPayload::decode(tx.payload.as_slice()).unwrap();
        forged_payload.nonce = 6;
        let forged = proto::SignedTx {
            payload: forged_payload.encode_to_vec(),
            signature: tx.signature.to_bytes().to_vec(),
        }
        .encode_to_vec();
        let decoded = SignedTx::decode(&forged).unwrap();
        assert_eq!(
            decoded.verify_signature(),
            Err(TxError::BadSignature(KeyError::BadSignature))
        );
    }

    #[test]
    fn oversize_and_garbage_inputs_are_rejected_with_codes() {
        assert_eq!(
            SignedTx::decode(&vec![0u8; MAX_TX_BYTES + 1])
                .unwrap_err()
                .code(),
            "oversize"
        );
        assert_eq!(
            SignedTx::decode(&[0xff, 0xff, 0xff]).unwrap_err().code(),
            "malformed"
        );
        assert_eq!(
            SignedTx::decode(&[]).unwrap_err().code(),
            "malformed_signature"
        );
    }

    #[test]
    fn batch_verification_pinpoints_the_forged_transaction() {
        let txs: Vec<SignedTx> = (0..100u64)
            .map(|i| transfer(i).sign(&SecretKey::from_seed([(i % 7) as u8; 32])))
            .collect();
        let mut forged = txs[42].clone();
        forged.signature = SecretKey::from_seed([99u8; 32]).sign(&forged.payload);
        let mut all: Vec<&SignedTx> = txs.iter().collect();
        all[42] = &forged;
        let results = SignedTx::verify_many(&all);
        for (i, r) in results.iter().enumerate() {
            assert_eq!(r.is_ok(), i != 42, "tx {i}");
        }
    }

    #[test]
    fn a_storage_deal_round_trips_and_bad_terms_are_refused_by_field() {
        let key = SecretKey::from_seed([5u8; 32]);
        let deal = |replicas, epochs, price| {
            UnsignedTx {
                chain_id: "plexus-test".into(),
                nonce: 0,
                fee: Amount(10),
                body: Body::StorageDeal(StorageDealTerms {
                    blob: Hash::of(b"blob"),
                    size: 4,
                    replicas,
                    epochs,
                    price_per_replica_epoch: Amount(price),
                }),
            }
            .sign(&key)
        };
        let good = deal(3, 10, 7);
        assert_eq!(SignedTx::decode(&good.bytes).unwrap(), good);
        for (tx, field) in [
            (deal(0, 10, 7), "replicas"),
            (deal(MAX_DEAL_REPLICAS + 1, 10, 7), "replicas"),
            (deal(3, 0, 7), "epochs"),
            (deal(3, MAX_DEAL_EPOCHS + 1, 7), "epochs"),
            (deal(3, 10, 0), "price_per_replica_epoch"),
        ] {
            match SignedTx::decode(&tx.bytes) {
                Err(TxError::BadField { field: f, .. }) => assert_eq!(f, field),
                other => panic!("expected a bad {field}, got {other:?}"),
            }
        }
    }

    #[test]
    fn a_storage_audit_has_one_encoding_and_an_endpoint_must_be_a_web_url() {
        let key = SecretKey::from_seed([6u8; 32]);
        let sign = |body| {
            UnsignedTx {
                chain_id: "plexus-test".into(),
                nonce: 0,
                fee: Amount(10),
                body,
            }
            .sign(&key)
        };
        let a = SecretKey::from_seed([1; 32]).public_key();
        let b = SecretKey::from_seed([2; 32]).public_key();
        let (lo, hi) = if a < b { (a, b) } else { (b, a) };
        let audit = |failures: Vec<(u64, PublicKey)>| {
            sign(Body::StorageAudit {
                epoch: 4,
                failures: failures
                    .into_iter()
                    .map(|(deal, device)| StorageFailure { deal, device })
                    .collect(),
            })
        };
        let good = audit(vec![(1, lo), (1, hi), (2, lo)]);
        assert_eq!(SignedTx::decode(&good.bytes).unwrap(), good);
        for bad in [
            audit(vec![(1, hi), (1, lo)]),
            audit(vec![(2, lo), (1, lo)]),
            audit(vec![(1, lo), (1, lo)]),
        ] {
            match SignedTx::decode(&bad.bytes) {
                Err(TxError::BadField { field, .. }) => assert_eq!(field, "failures"),
                other => panic!("expected bad failures, got {other:?}"),
            }
        }

        let register = |endpoint: &str| {
            sign(Body::UpdateDevice {
                device: lo,
                capabilities: Capabilities {
                    endpoint: endpoint.into(),
                    ..Capabilities::default()
                },
                h3_cell: 1,
            })
        };
        for ok in ["", "http://127.0.0.1:26660", "https://blobs.example.org"] {
            let tx = register(ok);
            assert_eq!(SignedTx::decode(&tx.bytes).unwrap(), tx, "{ok}");
        }
        let long = format!("http://{}", "a".repeat(MAX_ENDPOINT_LEN));
        for bad in ["ftp://x", "127.0.0.1:26660", long.as_str()] {
            match SignedTx::decode(&register(bad).bytes) {
                Err(TxError::BadField { field, .. }) => {
                    assert_eq!(field, "capabilities.endpoint", "{bad}")
                }
                other => panic!("expected a bad endpoint for {bad}, got {other:?}"),
            }
        }
    }

    proptest! {
        #[test]
        fn decoding_arbitrary_bytes_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            let _ = SignedTx::decode(&bytes);
        }

        #[test]
        fn flipping_any_byte_of_a_valid_tx_never_yields_a_valid_different_tx(pos in 0usize..200, bit in 0u8..8) {
            let key = SecretKey::from_seed([4u8; 32]);
            let tx = transfer(1).sign(&key);
            let mut bytes = tx.bytes.clone();
            let pos = pos % bytes.len();
            bytes[pos] ^= 1 << bit;
            if let Ok(decoded) = SignedTx::decode(&bytes) {
                if decoded.verify_signature().is_ok() {
                    // Only a change outside the signed payload can still verify, and then the
                    // payload (what executes) is unchanged.
                    prop_assert_eq!(decoded.payload, tx.payload);
                }
            }
        }
    }
}
