//! OpenAPI schemas of the `plexus-types` values the views carry, which serialize by hand
//! (addresses, amounts, hashes, keys as strings) or are declared in the transaction types.
//!
//! These types exist only to describe JSON: the views name them with
//! `#[schema(value_type = …)]`, and a test checks each record schema against the JSON the real
//! type writes.

use utoipa::ToSchema;

/// An account address: bech32 with the human-readable part `plx` (`plx1…`).
#[derive(ToSchema)]
#[schema(as = Address, example = "plx1qyqszqgpqyqszqgpqyqszqgpqyqszqgpjg6wvu")]
pub struct AddressSchema(#[allow(dead_code)] String);

/// A token amount in uplx (1 uplx = 10⁻⁶ PLX), as a decimal string so that no client loses
/// precision.
#[derive(ToSchema)]
#[schema(as = Amount, example = "1000", pattern = "^[0-9]+$")]
pub struct AmountSchema(#[allow(dead_code)] String);

/// A blake3 digest (block, transaction, blob and app hashes), 64 hex digits.
#[derive(ToSchema)]
#[schema(as = Hash, pattern = "^[0-9a-f]{64}$")]
pub struct HashSchema(#[allow(dead_code)] String);

/// An ed25519 public key (a device's key), 64 hex digits.
#[derive(ToSchema)]
#[schema(as = PublicKey, pattern = "^[0-9a-f]{64}$")]
pub struct PublicKeySchema(#[allow(dead_code)] String);

/// What a device declares it can do.
#[derive(ToSchema)]
#[schema(as = Capabilities)]
#[allow(dead_code)]
pub struct CapabilitiesSchema {
    cpu_cores: u32,
    memory_mb: u64,
    gpu_model: String,
    gpu_vram_mb: u64,
    gpu_count: u32,
    /// Where the device serves others, an http(s) URL; absent: nowhere.
    #[schema(required = false)]
    endpoint: String,
}

/// What runs a compute order's job.
#[derive(ToSchema)]
#[schema(as = JobRuntime)]
#[serde(rename_all = "snake_case")]
#[allow(dead_code)]
pub enum JobRuntimeSchema {
    Wasm,
    Inference,
}

/// What a consumer asks of a compute order.
#[derive(ToSchema)]
#[schema(as = OrderTerms)]
#[allow(dead_code)]
pub struct OrderTermsSchema {
    /// blake3 of the job spec file, a blob providers fetch.
    #[schema(value_type = HashSchema)]
    spec: (),
    #[schema(value_type = JobRuntimeSchema)]
    runtime: (),
    /// What a device must declare to bid.
    #[schema(value_type = CapabilitiesSchema)]
    resources: (),
    #[schema(value_type = AmountSchema)]
    max_price_per_block: (),
    duration_blocks: u64,
    replicas: u32,
    /// 0 to 1000.
    sample_per_mille: u32,
    #[schema(value_type = AmountSchema)]
    deposit: (),
}

/// The terms a sponsor sets for a federated training task.
#[derive(ToSchema)]
#[schema(as = TrainingTaskTerms)]
#[allow(dead_code)]
pub struct TrainingTaskTermsSchema {
    /// The kind of local data the task trains on.
    dataset: String,
    /// Model and training recipe (JSON), kept as given.
    spec: String,
    #[schema(value_type = HashSchema)]
    validation_commitment: (),
    rounds: u32,
    min_participants: u32,
    #[schema(value_type = AmountSchema)]
    budget: (),
    #[schema(value_type = AddressSchema)]
    coordinator: (),
}
