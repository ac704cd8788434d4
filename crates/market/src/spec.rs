//! Job specs: what a consumer asks the network to run, how much hardware it needs, the most
//! it pays per block, for how long, on how many providers, and how much of it is re-executed
//! to check the results. `plexus job submit FILE` reads one from TOML:
//!
//! ```toml
//! runtime = "wasm"                 # or "inference"
//! max_price_per_block = "0.5 PLX"  # the most the consumer pays each block, per replica
//! duration_blocks = 600
//! replicas = 1                     # providers that each run the job
//!
//! [wasm]
//! module = "<blob id, 64 hex digits>"
//! entry = "_start"
//! fuel = 1_000_000_000             # instructions, roughly; the job stops when it runs out
//! memory_mb = 64
//! max_output_bytes = 1_048_576
//!
//! [[inputs]]                       # files the job reads: a blob, or text inline
//! name = "numbers.txt"
//! text = "1 2 3"
//!
//! [resources]
//! cpu_cores = 1
//! memory_mb = 128
//!
//! [verification]
//! sample_per_mille = 100           # 10% of jobs are re-executed on a second provider
//! ```
//!
//! An inference job has an `[inference]` table instead (`model` blob, `architecture`,
//! `batch`) and may ask for a GPU under `[resources.gpu]`. Every field is checked when the
//! spec is read, with an error naming the field; unknown fields are refused. A blob the job
//! reads may be no larger than its `resources.memory_mb` (and 4 GiB), a WASM module no larger
//! than 64 MiB ([`JobSpec::max_blob_bytes`]); providers refuse larger ones before downloading.

use plexus_types::{Amount, Hash};
use serde::{Deserialize, Serialize};

/// Largest job spec file.
pub const MAX_SPEC_BYTES: usize = 64 * 1024;
/// Most inputs one job may name.
pub const MAX_INPUTS: usize = 64;
/// Largest inline input; anything bigger goes in a blob.
pub const MAX_INLINE_INPUT_BYTES: usize = 16 * 1024;
/// Longest input name and GPU model name.
pub const MAX_NAME_LEN: usize = 128;
/// Longest job, in blocks.
pub const MAX_DURATION_BLOCKS: u64 = 1_000_000;
/// Most providers one job may run on.
pub const MAX_REPLICAS: u32 = 16;
/// Most fuel a WASM job may ask for.
pub const MAX_WASM_FUEL: u64 = 1_000_000_000_000;
/// Most linear memory a WASM job may ask for.
pub const MAX_WASM_MEMORY_MB: u32 = 4096;
/// Most output a job may ask to return.
pub const MAX_OUTPUT_BYTES: u64 = 256 * 1024 * 1024;
/// Largest WASM module a job may name: compiling is not metered by fuel, so the module's
/// size bounds that work.
pub const MAX_MODULE_BYTES: u64 = 64 * 1024 * 1024;
/// Largest blob (model or input) any job may read, whatever memory it asks for.
pub const MAX_JOB_BLOB_BYTES: u64 = 4 * 1024 * 1024 * 1024;
/// Largest inference batch.
pub const MAX_BATCH: u32 = 4096;
/// Most CPU cores, memory and GPUs a job may ask for.
pub const MAX_CPU_CORES: u32 = 1024;
pub const MAX_MEMORY_MB: u64 = 16 * 1024 * 1024;
pub const MAX_GPUS: u32 = 64;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SpecError {
    #[error("the job spec is {0} bytes; at most {MAX_SPEC_BYTES} are accepted")]
    TooLarge(usize),
    #[error("the job spec is not valid TOML for a job: {0}")]
    Toml(String),
    #[error("{field}: {reason}")]
    Field { field: &'static str, reason: String },
}

fn bad(field: &'static str, reason: impl Into<String>) -> SpecError {
    SpecError::Field {
        field,
        reason: reason.into(),
    }
}

/// The runtimes a job can ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RuntimeKind {
    Wasm,
    Inference,
}

/// The models an inference job can run (the shapes `plexus-learn` trains).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Architecture {
    Mlp {
        inputs: u32,
        hidden: u32,
        classes: u32,
    },
    Cnn {
        channels: u32,
        classes: u32,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Runtime {
    /// A WASI module run with fuel metering, a memory limit and no network.
    Wasm {
        module: Hash,
        entry: String,
        fuel: u64,
        memory_mb: u32,
        max_output_bytes: u64,
    },
    /// A model from the blob store run over the inputs, batched.
    Inference {
        model: Hash,
        architecture: Architecture,
        batch: u32,
    },
}

impl Runtime {
    pub fn kind(&self) -> RuntimeKind {
        match self {
            Runtime::Wasm { .. } => RuntimeKind::Wasm,
            Runtime::Inference { .. } => RuntimeKind::Inference,
        }
    }
}

/// A file the job reads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum InputData {
    Blob(Hash),
    Inline(String),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Input {
    pub name: String,
    pub data: InputData,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GpuRequest {
    /// A model name the provider's GPU must contain (case-insensitive), or any GPU.
    pub model: Option<String>,
    pub vram_mb: u64,
    pub count: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Resources {
    pub cpu_cores: u32,
    pub memory_mb: u64,
    pub gpu: Option<GpuRequest>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verification {
    /// Of every thousand jobs, how many are re-executed on a second provider.
    pub sample_per_mille: u16,
    /// How far an inference output may differ from its re-execution, in millionths of the
    /// larger magnitude; WASM outputs must match exactly.
    pub tolerance_ppm: u32,
}

/// A checked job spec.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobSpec {
    pub runtime: Runtime,
    pub inputs: Vec<Input>,
    pub resources: Resources,
    pub max_price_per_block: Amount,
    pub duration_blocks: u64,
    pub replicas: u32,
    pub verification: Verification,
}

// --- the TOML file as written ----------------------------------------------------------------

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSpec {
    runtime: RuntimeKind,
    max_price_per_block: String,
    duration_blocks: u64,
    #[serde(default = "one")]
    replicas: u32,
    wasm: Option<RawWasm>,
    inference: Option<RawInference>,
    #[serde(default)]
    inputs: Vec<RawInput>,
    resources: RawResources,
    #[serde(default)]
    verification: RawVerification,
}

fn one() -> u32 {
    1
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWasm {
    module: String,
    #[serde(default = "default_entry")]
    entry: String,
    fuel: u64,
    memory_mb: u32,
    #[serde(default = "default_output")]
    max_output_bytes: u64,
}

fn default_entry() -> String {
    "_start".into()
}

fn default_output() -> u64 {
    1024 * 1024
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawInference {
    model: String,
    architecture: Architecture,
    #[serde(default = "default_batch")]
    batch: u32,
}

fn default_batch() -> u32 {
    64
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawInput {
    name: String,
    blob: Option<String>,
    text: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawResources {
    cpu_cores: u32,
    memory_mb: u64,
    gpu: Option<RawGpu>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawGpu {
    model: Option<String>,
    vram_mb: u64,
    #[serde(default = "one")]
    count: u32,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawVerification {
    #[serde(default = "default_sample")]
    sample_per_mille: u16,
    #[serde(default = "default_tolerance")]
    tolerance_ppm: u32,
}

impl Default for RawVerification {
    fn default() -> Self {
        RawVerification {
            sample_per_mille: default_sample(),
            tolerance_ppm: default_tolerance(),
        }
    }
}

fn default_sample() -> u16 {
    100
}

fn default_tolerance() -> u32 {
    100
}

fn blob_id(field: &'static str, s: &str) -> Result<Hash, SpecError> {
    Hash::from_hex(s.trim())
        .map_err(|_| bad(field, format!("{s:?} is not a blob id (64 hex digits)")))
}

fn within<T: PartialOrd + std::fmt::Display>(
    field: &'static str,
    value: T,
    min: T,
    max: T,
) -> Result<T, SpecError> {
    if value < min || value > max {
        return Err(bad(field, format!("{value} is outside {min}..={max}")));
    }
    Ok(value)
}

fn name(field: &'static str, s: String) -> Result<String, SpecError> {
    if s.trim().is_empty() || s.len() > MAX_NAME_LEN || s.chars().any(char::is_control) {
        return Err(bad(
            field,
            format!("must be 1 to {MAX_NAME_LEN} printable characters"),
        ));
    }
    Ok(s)
}

/// The `[wasm]` or `[inference]` table, whichever the runtime names, checked.
fn check_runtime(
    kind: RuntimeKind,
    wasm: Option<RawWasm>,
    inference: Option<RawInference>,
) -> Result<Runtime, SpecError> {
    Ok(match (kind, wasm, inference) {
        (RuntimeKind::Wasm, Some(w), None) => Runtime::Wasm {
            module: blob_id("wasm.module", &w.module)?,
            entry: name("wasm.entry", w.entry)?,
            fuel: within("wasm.fuel", w.fuel, 1, MAX_WASM_FUEL)?,
            memory_mb: within("wasm.memory_mb", w.memory_mb, 1, MAX_WASM_MEMORY_MB)?,
            max_output_bytes: within(
                "wasm.max_output_bytes",
                w.max_output_bytes,
                0,
                MAX_OUTPUT_BYTES,
            )?,
        },
        (RuntimeKind::Inference, None, Some(i)) => {
            let dims_ok = match i.architecture {
                Architecture::Mlp {
                    inputs,
                    hidden,
                    classes,
                } => [inputs, hidden, classes]
                    .iter()
                    .all(|d| (1..=65_536).contains(d)),
                Architecture::Cnn { channels, classes } => {
                    (1..=1024).contains(&channels) && (1..=65_536).contains(&classes)
                }
            };
            if !dims_ok {
                return Err(bad(
                    "inference.architecture",
                    "a dimension is zero or too large",
                ));
            }
            Runtime::Inference {
                model: blob_id("inference.model", &i.model)?,
                architecture: i.architecture,
                batch: within("inference.batch", i.batch, 1, MAX_BATCH)?,
            }
        }
        (RuntimeKind::Wasm, _, _) => {
            return Err(bad(
                "wasm",
                "a wasm job needs a [wasm] table and no [inference]",
            ))
        }
        (RuntimeKind::Inference, _, _) => {
            return Err(bad(
                "inference",
                "an inference job needs an [inference] table and no [wasm]",
            ))
        }
    })
}

/// The job's inputs: each a blob or short inline text, names distinct.
fn check_inputs(raw: Vec<RawInput>) -> Result<Vec<Input>, SpecError> {
    if raw.len() > MAX_INPUTS {
        return Err(bad("inputs", format!("at most {MAX_INPUTS} inputs")));
    }
    let mut inputs = Vec::with_capacity(raw.len());
    for input in raw {
        let data = match (input.blob, input.text) {
            (Some(b), None) => InputData::Blob(blob_id("inputs.blob", &b)?),
            (None, Some(t)) if t.len() <= MAX_INLINE_INPUT_BYTES => InputData::Inline(t),
            (None, Some(t)) => {
                return Err(bad(
                    "inputs.text",
                    format!(
                        "{} bytes inline; put inputs over {MAX_INLINE_INPUT_BYTES} bytes in a blob",
                        t.len()
                    ),
                ))
            }
            _ => return Err(bad("inputs", "each input has either blob or text")),
        };
        let name = name("inputs.name", input.name)?;
        if inputs.iter().any(|i: &Input| i.name == name) {
            return Err(bad("inputs.name", format!("{name:?} is named twice")));
        }
        inputs.push(Input { name, data });
    }
    Ok(inputs)
}

/// The resources asked of the provider; a WASM job cannot ask for a GPU.
fn check_resources(raw: RawResources, runtime: RuntimeKind) -> Result<Resources, SpecError> {
    let gpu = match raw.gpu {
        None => None,
        Some(_) if runtime == RuntimeKind::Wasm => {
            return Err(bad("resources.gpu", "a wasm job cannot use a GPU"))
        }
        Some(g) => Some(GpuRequest {
            model: g
                .model
                .map(|m| name("resources.gpu.model", m))
                .transpose()?,
            vram_mb: within("resources.gpu.vram_mb", g.vram_mb, 1, MAX_MEMORY_MB)?,
            count: within("resources.gpu.count", g.count, 1, MAX_GPUS)?,
        }),
    };
    Ok(Resources {
        cpu_cores: within("resources.cpu_cores", raw.cpu_cores, 1, MAX_CPU_CORES)?,
        memory_mb: within("resources.memory_mb", raw.memory_mb, 1, MAX_MEMORY_MB)?,
        gpu,
    })
}

impl JobSpec {
    /// Reads and checks a TOML job spec.
    pub fn from_toml(text: &str) -> Result<JobSpec, SpecError> {
        if text.len() > MAX_SPEC_BYTES {
            return Err(SpecError::TooLarge(text.len()));
        }
        let raw: RawSpec = toml::from_str(text).map_err(|e| SpecError::Toml(e.to_string()))?;
        let runtime = check_runtime(raw.runtime, raw.wasm, raw.inference)?;
        let inputs = check_inputs(raw.inputs)?;
        let resources = check_resources(raw.resources, runtime.kind())?;
        if let Runtime::Wasm { memory_mb, .. } = runtime {
            if u64::from(memory_mb) > resources.memory_mb {
                return Err(bad(
                    "wasm.memory_mb",
                    format!(
                        "{memory_mb} MB is more than the {} MB the job asks the provider for",
                        resources.memory_mb
                    ),
                ));
            }
        }
        let max_price_per_block = Amount::parse_human(&raw.max_price_per_block)
            .map_err(|e| bad("max_price_per_block", e.to_string()))?;
        if max_price_per_block == Amount::ZERO {
            return Err(bad("max_price_per_block", "a job must pay something"));
        }
        Ok(JobSpec {
            runtime,
            inputs,
            resources,
            max_price_per_block,
            duration_blocks: within(
                "duration_blocks",
                raw.duration_blocks,
                1,
                MAX_DURATION_BLOCKS,
            )?,
            replicas: within("replicas", raw.replicas, 1, MAX_REPLICAS)?,
            verification: Verification {
                sample_per_mille: within(
                    "verification.sample_per_mille",
                    raw.verification.sample_per_mille,
                    0,
                    1000,
                )?,
                tolerance_ppm: within(
                    "verification.tolerance_ppm",
                    raw.verification.tolerance_ppm,
                    0,
                    1_000_000,
                )?,
            },
        })
    }

    /// The most bytes one blob this job reads (its model or an input) may hold: no more than
    /// the memory the job asks the provider for, and never more than [`MAX_JOB_BLOB_BYTES`].
    /// A WASM module is further held to [`MAX_MODULE_BYTES`]. A provider refuses a larger blob
    /// before reading it, and the job stops with bad input on every provider alike.
    pub fn max_blob_bytes(&self) -> u64 {
        self.resources
            .memory_mb
            .saturating_mul(1024 * 1024)
            .min(MAX_JOB_BLOB_BYTES)
    }

    /// The most the job can cost: its price cap × blocks × replicas, or `None` on overflow.
    pub fn max_escrow(&self) -> Option<Amount> {
        self.max_price_per_block
            .0
            .checked_mul(u128::from(self.duration_blocks))?
            .checked_mul(u128::from(self.replicas))
            .map(Amount)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) const WASM_JOB: &str = r#"
runtime = "wasm"
max_price_per_block = "0.5 PLX"
duration_blocks = 600
replicas = 2

[wasm]
module = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
fuel = 1_000_000_000
memory_mb = 64

[[inputs]]
name = "numbers.txt"
text = "1 2 3"

[[inputs]]
name = "weights.bin"
blob = "ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100"

[resources]
cpu_cores = 1
memory_mb = 128
"#;

    pub(crate) const INFERENCE_JOB: &str = r#"
runtime = "inference"
max_price_per_block = "2 PLX"
duration_blocks = 100

[inference]
model = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
architecture = { kind = "mlp", inputs = 64, hidden = 32, classes = 10 }

[resources]
cpu_cores = 4
memory_mb = 8192
gpu = { model = "A100", vram_mb = 40000 }

[verification]
sample_per_mille = 250
tolerance_ppm = 1000
"#;

    #[test]
    fn a_wasm_job_reads_with_its_defaults() {
        let spec = JobSpec::from_toml(WASM_JOB).unwrap();
        let Runtime::Wasm {
            entry,
            fuel,
            memory_mb,
            max_output_bytes,
            ..
        } = &spec.runtime
        else {
            panic!("{spec:?}")
        };
        assert_eq!(
            (entry.as_str(), *fuel, *memory_mb),
            ("_start", 1_000_000_000, 64)
        );
        assert_eq!(*max_output_bytes, 1024 * 1024);
        assert_eq!(spec.inputs.len(), 2);
        assert_eq!(spec.inputs[0].data, InputData::Inline("1 2 3".into()));
        assert!(matches!(spec.inputs[1].data, InputData::Blob(_)));
        assert_eq!(spec.max_price_per_block, Amount::uplx(500_000));
        assert_eq!(spec.verification.sample_per_mille, 100);
        // 0.5 PLX × 600 blocks × 2 replicas.
        assert_eq!(spec.max_escrow(), Some(Amount::plx(600)));
        // A blob it reads may be as large as the memory it asks for.
        assert_eq!(spec.max_blob_bytes(), 128 << 20);
    }

    #[test]
    fn an_inference_job_may_ask_for_a_gpu() {
        let spec = JobSpec::from_toml(INFERENCE_JOB).unwrap();
        assert_eq!(spec.runtime.kind(), RuntimeKind::Inference);
        assert_eq!(
            spec.resources.gpu,
            Some(GpuRequest {
                model: Some("A100".into()),
                vram_mb: 40000,
                count: 1
            })
        );
        assert_eq!(spec.replicas, 1);
        assert_eq!(spec.verification.tolerance_ppm, 1000);
        // 8 GB of memory, but no blob a job reads is over 4 GiB.
        assert_eq!(spec.max_blob_bytes(), MAX_JOB_BLOB_BYTES);
    }

    #[test]
    fn every_bad_field_is_named() {
        let cases: &[(&str, &str, &str)] = &[
            (
                "duration_blocks = 600",
                "duration_blocks = 0",
                "duration_blocks",
            ),
            ("replicas = 2", "replicas = 17", "replicas"),
            ("\"0.5 PLX\"", "\"0 PLX\"", "max_price_per_block"),
            ("\"0.5 PLX\"", "\"half a PLX\"", "max_price_per_block"),
            ("module = \"0011", "module = \"zz11", "wasm.module"),
            ("fuel = 1_000_000_000", "fuel = 0", "wasm.fuel"),
            ("memory_mb = 64", "memory_mb = 256", "wasm.memory_mb"),
            ("cpu_cores = 1", "cpu_cores = 0", "resources.cpu_cores"),
            ("text = \"1 2 3\"", "text = \"1\"\nblob = \"00\"", "inputs"),
            (
                "name = \"weights.bin\"",
                "name = \"numbers.txt\"",
                "inputs.name",
            ),
            (
                "memory_mb = 128",
                "memory_mb = 128\ngpu = { vram_mb = 1 }",
                "resources.gpu",
            ),
        ];
        for (from, to, field) in cases {
            assert!(WASM_JOB.contains(from), "{from}");
            let err = JobSpec::from_toml(&WASM_JOB.replacen(from, to, 1)).unwrap_err();
            match &err {
                SpecError::Field { field: f, .. } => assert_eq!(f, field, "{err}"),
                other => panic!("{to}: {other}"),
            }
        }
        let big = format!(
            "{WASM_JOB}\n[[inputs]]\nname = \"big\"\ntext = \"{}\"\n",
            "x".repeat(20_000)
        );
        assert!(matches!(
            JobSpec::from_toml(&big),
            Err(SpecError::Field {
                field: "inputs.text",
                ..
            })
        ));
    }

    #[test]
    fn unknown_fields_missing_tables_and_garbage_are_refused() {
        let unknown = WASM_JOB.replace("replicas = 2", "replicas = 2\ncolour = \"blue\"");
        assert!(
            matches!(JobSpec::from_toml(&unknown), Err(SpecError::Toml(e)) if e.contains("colour"))
        );
        let wrong_table = WASM_JOB.replace("runtime = \"wasm\"", "runtime = \"inference\"");
        assert!(matches!(
            JobSpec::from_toml(&wrong_table),
            Err(SpecError::Field {
                field: "inference",
                ..
            })
        ));
        let unknown_runtime = WASM_JOB.replace("runtime = \"wasm\"", "runtime = \"docker\"");
        assert!(matches!(
            JobSpec::from_toml(&unknown_runtime),
            Err(SpecError::Toml(_))
        ));
        assert!(matches!(
            JobSpec::from_toml("\u{0}\u{1}garbage"),
            Err(SpecError::Toml(_))
        ));
        let huge = "#".repeat(MAX_SPEC_BYTES + 1);
        assert_eq!(
            JobSpec::from_toml(&huge),
            Err(SpecError::TooLarge(MAX_SPEC_BYTES + 1))
        );
    }
}
