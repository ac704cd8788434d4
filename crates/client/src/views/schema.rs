//! OpenAPI schemas of the `plexus-types` values the views carry, which serialize by hand
//! (addresses, amounts, hashes, keys as strings) or are declared in the transaction types.
//!
//! These types exist only to describe JSON: the views name them with
//! `#[schema(value_type = …)]`, and a test checks each record schema against the JSON the real
//! type writes.

use utoipa::ToSchema;

/// An account address: bech32 with the human-readable part `plx` (`plx1…`).
#[derive(ToSchema)]
#[schema(as = Address, example = "plx1nsuq6mh7ctkrjvsaslgyynl2sw8h225y67vsep")]
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

/// How a hotspot's antenna is mounted.
#[derive(ToSchema)]
#[schema(as = Antenna)]
#[allow(dead_code)]
pub struct AntennaSchema {
    /// Gain in hundredths of a dBi, -1000 to 3000.
    gain_cdbi: i32,
    /// Height above ground in metres, at most 1000.
    elevation_m: u32,
    /// Direction it points, whole degrees 0 to 359, in the H3 grid frame around the asserted
    /// cell (0° along the local i axis, counter-clockwise); `plexus hotspot assert-location`
    /// turns a compass bearing into it.
    azimuth_deg: u32,
}

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
    /// An energy meter's solar roof, watts peak; absent for other devices.
    #[schema(required = false)]
    rated_watts: u64,
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

#[cfg(test)]
mod tests {
    use super::*;
    use plexus_types::{
        Address, Amount, Antenna, Capabilities, Hash, JobRuntime, OrderTerms, SecretKey,
        TrainingTaskTerms,
    };
    use serde_json::Value;
    use std::collections::BTreeSet;
    use utoipa::PartialSchema;

    fn schema_of<T: PartialSchema>() -> Value {
        serde_json::to_value(T::schema()).unwrap()
    }

    fn keys(value: &Value) -> BTreeSet<String> {
        value.as_object().unwrap().keys().cloned().collect()
    }

    fn capabilities() -> Capabilities {
        Capabilities {
            cpu_cores: 8,
            memory_mb: 16_384,
            gpu_model: "a100".into(),
            gpu_vram_mb: 40_960,
            gpu_count: 1,
            endpoint: "http://127.0.0.1:7000".into(),
            rated_watts: 5_000,
        }
    }

    #[test]
    fn each_record_schema_names_the_fields_the_real_type_writes() {
        let owner = Address::from_public_key(&SecretKey::from_seed([3; 32]).public_key());
        let order = OrderTerms {
            spec: Hash::of(b"spec"),
            runtime: JobRuntime::Wasm,
            resources: capabilities(),
            max_price_per_block: Amount(5),
            duration_blocks: 10,
            replicas: 2,
            sample_per_mille: 100,
            deposit: Amount(7),
        };
        let task = TrainingTaskTerms {
            dataset: "digits".into(),
            spec: "{}".into(),
            validation_commitment: Hash::of(b"validation"),
            rounds: 3,
            min_participants: 2,
            budget: Amount(300),
            coordinator: owner,
        };
        for (name, schema, real) in [
            (
                "Capabilities",
                schema_of::<CapabilitiesSchema>(),
                serde_json::to_value(capabilities()).unwrap(),
            ),
            (
                "OrderTerms",
                schema_of::<OrderTermsSchema>(),
                serde_json::to_value(&order).unwrap(),
            ),
            (
                "TrainingTaskTerms",
                schema_of::<TrainingTaskTermsSchema>(),
                serde_json::to_value(&task).unwrap(),
            ),
            (
                "Antenna",
                schema_of::<AntennaSchema>(),
                serde_json::to_value(Antenna::default()).unwrap(),
            ),
        ] {
            assert_eq!(keys(&schema["properties"]), keys(&real), "{name}");
        }
        let runtimes: BTreeSet<String> = [JobRuntime::Wasm, JobRuntime::Inference]
            .iter()
            .map(|r| {
                serde_json::to_value(r)
                    .unwrap()
                    .as_str()
                    .unwrap()
                    .to_string()
            })
            .collect();
        let documented: BTreeSet<String> = schema_of::<JobRuntimeSchema>()["enum"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_string())
            .collect();
        assert_eq!(documented, runtimes);
    }

    #[test]
    fn each_scalar_schema_is_a_string_of_the_form_the_real_type_writes() {
        let key = SecretKey::from_seed([3; 32]).public_key();
        let example = schema_of::<AddressSchema>()["example"].clone();
        assert!(
            example.as_str().unwrap().parse::<Address>().is_ok(),
            "{example}"
        );
        let amount = schema_of::<AmountSchema>()["example"].clone();
        assert!(
            amount.as_str().unwrap().parse::<Amount>().is_ok(),
            "{amount}"
        );
        for (schema, real) in [
            (
                schema_of::<AddressSchema>(),
                serde_json::to_value(Address::from_public_key(&key)),
            ),
            (
                schema_of::<AmountSchema>(),
                serde_json::to_value(Amount(1_000_000)),
            ),
            (
                schema_of::<HashSchema>(),
                serde_json::to_value(Hash::of(b"x")),
            ),
            (schema_of::<PublicKeySchema>(), serde_json::to_value(key)),
        ] {
            assert_eq!(schema["type"], "string");
            let text = real.unwrap();
            let text = text.as_str().unwrap();
            if schema["pattern"] == "^[0-9a-f]{64}$" {
                assert!(
                    text.len() == 64 && text.chars().all(|c| matches!(c, '0'..='9' | 'a'..='f'))
                );
            }
            if schema["pattern"] == "^[0-9]+$" {
                assert!(text.chars().all(|c| c.is_ascii_digit()), "{text}");
            }
        }
    }
}
