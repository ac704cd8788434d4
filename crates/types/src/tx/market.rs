//! The compute market's actions: a consumer's order, a provider's bid, a provider's job result,
//! and the closing of bids, leases and orders.

use super::fields::{bad, hash_field, key_field, u128_field};
use super::registry::{capabilities_from, capabilities_to, Capabilities};
use super::{Body, TxError};
use crate::address::Address;
use crate::amount::Amount;
use crate::hash::Hash;
use crate::keys::PublicKey;
use crate::proto;
use proto::tx_payload::Body as P;

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

/// A provider's result for a lease, revealed: it must open the seal the provider made first.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct JobResult {
    pub lease: u64,
    /// blake3 of the output blob.
    pub output: Hash,
    /// Leases whose outputs agree with this one, ascending, at most [`MAX_AGREES_WITH`].
    pub agrees_with: Vec<u64>,
    /// The secret the seal was made with.
    pub salt: Hash,
}

impl JobResult {
    /// The seal `provider` makes of this result before revealing it; see [`job_seal`].
    pub fn seal(&self, provider: &Address) -> Hash {
        job_seal(self.lease, provider, &self.output, &self.salt)
    }
}

/// The seal of output `output` for lease `lease` by `provider`:
/// `blake3("plexus/job-seal/v1" ‖ lease (8 bytes, big-endian) ‖ provider ‖ output ‖ salt)`.
/// It binds the provider to one output without showing it; with a fresh random salt nobody can
/// test a guessed output against it.
pub fn job_seal(lease: u64, provider: &Address, output: &Hash, salt: &Hash) -> Hash {
    let mut input = b"plexus/job-seal/v1".to_vec();
    input.extend_from_slice(&lease.to_be_bytes());
    input.extend_from_slice(&provider.0);
    input.extend_from_slice(&output.0);
    input.extend_from_slice(&salt.0);
    Hash::of(&input)
}

pub(super) fn decode_create_order(o: proto::CreateOrder) -> Result<Body, TxError> {
    let runtime = JobRuntime::parse(&o.runtime)
        .ok_or_else(|| bad("runtime", "must be \"wasm\" or \"inference\""))?;
    let resources = capabilities_from(o.resources)?;
    if !resources.endpoint.is_empty() {
        return Err(bad("resources.endpoint", "must be empty"));
    }
    let max_price_per_block = Amount(u128_field("max_price_per_block", &o.max_price_per_block)?);
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
    Ok(Body::CreateOrder(OrderTerms {
        spec: hash_field("spec", &o.spec)?,
        runtime,
        resources,
        max_price_per_block,
        duration_blocks: o.duration_blocks,
        replicas: o.replicas,
        sample_per_mille: o.sample_per_mille,
        deposit,
    }))
}

pub(super) fn encode_create_order(o: &OrderTerms) -> P {
    P::CreateOrder(proto::CreateOrder {
        spec: o.spec.0.to_vec(),
        runtime: o.runtime.as_str().to_string(),
        resources: Some(capabilities_to(&o.resources)),
        max_price_per_block: o.max_price_per_block.to_string(),
        duration_blocks: o.duration_blocks,
        replicas: o.replicas,
        sample_per_mille: o.sample_per_mille,
        deposit: o.deposit.to_string(),
    })
}

pub(super) fn decode_place_bid(b: proto::PlaceBid) -> Result<Body, TxError> {
    let price_per_block = Amount(u128_field("price_per_block", &b.price_per_block)?);
    if price_per_block.0 == 0 {
        return Err(bad("price_per_block", "must be at least 1 uplx"));
    }
    Ok(Body::PlaceBid {
        order: b.order,
        device: key_field("device", &b.device)?,
        price_per_block,
        deposit: Amount(u128_field("deposit", &b.deposit)?),
    })
}

pub(super) fn encode_place_bid(
    order: u64,
    device: &PublicKey,
    price_per_block: &Amount,
    deposit: &Amount,
) -> P {
    P::PlaceBid(proto::PlaceBid {
        order,
        device: device.as_bytes().to_vec(),
        price_per_block: price_per_block.to_string(),
        deposit: deposit.to_string(),
    })
}

pub(super) fn decode_submit_job_result(r: proto::SubmitJobResult) -> Result<Body, TxError> {
    if r.agrees_with.len() > MAX_AGREES_WITH || !r.agrees_with.windows(2).all(|w| w[0] < w[1]) {
        return Err(bad(
            "agrees_with",
            format!("at most {MAX_AGREES_WITH} leases, ascending, without repeats"),
        ));
    }
    Ok(Body::SubmitJobResult(JobResult {
        lease: r.lease,
        output: hash_field("output", &r.output)?,
        agrees_with: r.agrees_with,
        salt: hash_field("salt", &r.salt)?,
    }))
}

pub(super) fn encode_submit_job_result(r: &JobResult) -> P {
    P::SubmitJobResult(proto::SubmitJobResult {
        lease: r.lease,
        output: r.output.0.to_vec(),
        agrees_with: r.agrees_with.clone(),
        salt: r.salt.0.to_vec(),
    })
}

pub(super) fn decode_seal_job_result(s: proto::SealJobResult) -> Result<Body, TxError> {
    Ok(Body::SealJobResult {
        lease: s.lease,
        seal: hash_field("seal", &s.seal)?,
    })
}

pub(super) fn encode_seal_job_result(lease: u64, seal: &Hash) -> P {
    P::SealJobResult(proto::SealJobResult {
        lease,
        seal: seal.0.to_vec(),
    })
}
