//! A marketplace job, run start to finish: the one call a provider makes, and the comparison a
//! verifier makes between two providers' outputs.
//!
//! The output is a function of the job spec and the blobs it names, and of nothing about the
//! provider: a second provider that re-runs the job gets the same bytes (WASM) or logits that
//! agree within the spec's tolerance (inference), so outputs can be compared by their blake3.
//!
//! - On success the output is the job's own: a WASM module's standard output, an inference
//!   job's logits as NPY ([`crate::inference`]).
//! - Otherwise it is a report: one line of JSON naming the [`JobStatus`]
//!   (`{"status":"exit","code":3}`), a newline, then the standard output the module wrote
//!   before it stopped (never more than its output limit; nothing for inference). The report
//!   holds nothing that varies between providers: no timings, fuel figures, paths or error
//!   texts. Those go to [`JobOutput::detail`], for the provider's logs.
//!
//! A WASM job reads its first input as standard input, and gets the entry's name followed by
//! every input's name as its arguments. It has no files, so the contents of inputs after the
//! first do not reach it (and are never fetched). Its randomness comes from a seed derived from
//! the spec, so every provider hands it the same bytes.
//!
//! Every blob a job reads is held to the size its spec allows ([`JobSpec::max_blob_bytes`],
//! and [`MAX_MODULE_BYTES`] for a module), asked of the blob source before it reads anything.
//! Fuel meters all a WASM job does ([`crate::metered`]), so every job has a wall-clock bound
//! derived from its fuel ([`wall_bound`]), far above what that fuel takes to burn: a provider
//! stops waiting for a job past its bound.

use crate::inference;
use crate::wasm::{WasmError, WasmLimits, WasmRuntime};
use plexus_market::spec::{InputData, JobSpec, Runtime, MAX_MODULE_BYTES};
use plexus_types::Hash;
use serde::{Deserialize, Serialize};
use std::sync::OnceLock;
use std::time::Duration;

/// What every WASM job's wall-clock bound starts from, whatever its fuel: compiling its module
/// (at most [`MAX_MODULE_BYTES`]) is not metered.
pub const BASE_WALL_TIME: Duration = Duration::from_secs(10);
/// Nanoseconds of wall-clock time a WASM job gets per unit of fuel: 50 ns, a rate of 20 million
/// units a second, dozens of times slower than wasmtime burns fuel on any provider's CPU.
pub const WALL_NANOS_PER_FUEL: u64 = 50;
/// The wall-clock bound of an inference job: its work is bounded by its model's and rows'
/// sizes, which its spec caps.
pub const INFERENCE_WALL_TIME: Duration = Duration::from_secs(600);

/// How a job ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum JobStatus {
    /// It ran to the end (a WASM module returned or exited with 0); the output is its own.
    Ok,
    /// A WASM module exited with a non-zero status.
    Exit { code: i32 },
    /// A WASM module used all the fuel its spec paid for.
    OutOfFuel,
    /// A WASM module asked for more memory than its spec's `memory_mb`.
    MemoryLimit,
    /// A WASM module wrote more than its spec's `max_output_bytes`.
    OutputLimit,
    /// A WASM module trapped (an unreachable, a division by zero, an access out of bounds ...).
    Trap,
    /// The WASM module does not compile, imports something other than WASI preview 1, or does
    /// not export the spec's entry as a function taking and returning nothing.
    BadModule,
    /// A blob could not be fetched or is larger than the spec allows, or an input is not what
    /// the job needs: an inference model
    /// whose length does not match its architecture, rows that are not NPY or CSV, rows with
    /// the wrong number of features, no rows, or logits larger than a job may return.
    BadInput,
}

/// What a job produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobOutput {
    /// What is delivered to the consumer, and hashed and compared across providers.
    pub output: Vec<u8>,
    pub status: JobStatus,
    /// Why the job stopped, in words, for the provider's logs; empty on success. Not part of
    /// the output: it may name fuel figures or wasmtime's messages.
    pub detail: String,
}

impl JobOutput {
    fn ok(output: Vec<u8>) -> JobOutput {
        JobOutput {
            output,
            status: JobStatus::Ok,
            detail: String::new(),
        }
    }

    /// A report: the status as one line of JSON, then `stdout`.
    fn stopped(status: JobStatus, stdout: &[u8], detail: String) -> JobOutput {
        // A fieldless or integer-field enum always serializes.
        let mut output = serde_json::to_vec(&status).expect("a job status serializes");
        output.push(b'\n');
        output.extend_from_slice(stdout);
        JobOutput {
            output,
            status,
            detail,
        }
    }
}

/// Fetches a blob by its id, if it holds at most the given number of bytes; an error is the
/// reason it cannot. A source must refuse a larger blob without reading it into memory.
pub type BlobSource<'a> = &'a dyn Fn(&Hash, u64) -> Result<Vec<u8>, String>;

/// Runs jobs; one per provider, as its WASM engine compiles every module.
pub struct JobRunner {
    wasm: WasmRuntime,
}

impl JobRunner {
    /// Fails only where wasmtime cannot run on this host.
    pub fn new() -> Result<JobRunner, WasmError> {
        Ok(JobRunner {
            wasm: WasmRuntime::new()?,
        })
    }

    /// Runs `spec` with the blobs `blobs` fetches.
    pub fn run(&self, spec: &JobSpec, blobs: BlobSource) -> JobOutput {
        match &spec.runtime {
            Runtime::Wasm {
                module,
                entry,
                fuel,
                memory_mb,
                max_output_bytes,
            } => {
                let limits = WasmLimits {
                    fuel: *fuel,
                    memory_bytes: (*memory_mb as usize).saturating_mul(1 << 20),
                    max_output_bytes: usize::try_from(*max_output_bytes).unwrap_or(usize::MAX),
                };
                self.run_wasm(spec, *module, entry, &limits, blobs)
            }
            Runtime::Inference {
                model,
                architecture,
                batch,
            } => {
                let fetched = fetch(blobs, model, spec.max_blob_bytes()).and_then(|model| {
                    let input = first_input(spec, blobs)?.ok_or_else(|| {
                        "an inference job needs an input with its rows".to_string()
                    })?;
                    Ok((model, input))
                });
                let (model, input) = match fetched {
                    Ok(both) => both,
                    Err(reason) => return JobOutput::stopped(JobStatus::BadInput, &[], reason),
                };
                match inference::run_inference(architecture, *batch, &model, &input) {
                    Ok(logits) => JobOutput::ok(logits),
                    Err(e) => JobOutput::stopped(JobStatus::BadInput, &[], e.to_string()),
                }
            }
        }
    }

    fn run_wasm(
        &self,
        spec: &JobSpec,
        module: Hash,
        entry: &str,
        limits: &WasmLimits,
        blobs: BlobSource,
    ) -> JobOutput {
        let fetched = fetch(blobs, &module, module_limit(spec))
            .and_then(|module| Ok((module, first_input(spec, blobs)?.unwrap_or_default())));
        let (module, stdin) = match fetched {
            Ok(both) => both,
            Err(reason) => return JobOutput::stopped(JobStatus::BadInput, &[], reason),
        };
        let args: Vec<&str> = std::iter::once(entry)
            .chain(spec.inputs.iter().map(|i| i.name.as_str()))
            .collect();
        match self
            .wasm
            .run_keeping_output(&module, entry, &args, &stdin, job_seed(spec), limits)
        {
            Ok(run) if run.exit_code == 0 => JobOutput::ok(run.stdout),
            Ok(run) => JobOutput::stopped(
                JobStatus::Exit {
                    code: run.exit_code,
                },
                &run.stdout,
                format!("the module exited with status {}", run.exit_code),
            ),
            Err(stop) => {
                let status = match stop.error {
                    WasmError::Compile(_) | WasmError::Link(_) | WasmError::NoEntry(_) => {
                        JobStatus::BadModule
                    }
                    WasmError::OutOfFuel(_) => JobStatus::OutOfFuel,
                    WasmError::MemoryLimit { .. } => JobStatus::MemoryLimit,
                    WasmError::OutputLimit(_) => JobStatus::OutputLimit,
                    WasmError::Trap(_) => JobStatus::Trap,
                };
                JobOutput::stopped(status, &stop.stdout, stop.error.to_string())
            }
        }
    }
}

/// [`JobRunner::run`] on a runner shared by the whole process.
///
/// # Panics
///
/// Where wasmtime cannot run on this host at all; a provider that must not panic builds its
/// own [`JobRunner`] at start-up instead.
pub fn run_job(spec: &JobSpec, blobs: BlobSource) -> JobOutput {
    static RUNNER: OnceLock<JobRunner> = OnceLock::new();
    RUNNER
        .get_or_init(|| JobRunner::new().expect("wasmtime runs on this host"))
        .run(spec, blobs)
}

/// The seed a job's randomness comes from: blake3 of the spec in JSON, under this crate's
/// key-derivation context, so it is the same on every provider and differs between jobs.
pub fn job_seed(spec: &JobSpec) -> [u8; 32] {
    // A spec is structs, strings and numbers: its JSON cannot fail.
    let json = serde_json::to_vec(spec).expect("a job spec serializes");
    blake3::derive_key("plexus-runtime 2026 job seed", &json)
}

/// The wall-clock bound of a WASM job with `fuel`: [`BASE_WALL_TIME`] and
/// [`WALL_NANOS_PER_FUEL`] per unit (under 14 hours for the most fuel a spec may ask).
/// Providers differ in speed, so nothing about a job's output depends on it: it only says when
/// a provider stops waiting.
pub fn wasm_wall_time(fuel: u64) -> Duration {
    BASE_WALL_TIME.saturating_add(Duration::from_nanos(
        fuel.saturating_mul(WALL_NANOS_PER_FUEL),
    ))
}

/// How long running `spec` may take once its blobs are fetched: [`wasm_wall_time`] of a WASM
/// job's fuel, [`INFERENCE_WALL_TIME`] for inference.
pub fn wall_bound(spec: &JobSpec) -> Duration {
    match &spec.runtime {
        Runtime::Wasm { fuel, .. } => wasm_wall_time(*fuel),
        Runtime::Inference { .. } => INFERENCE_WALL_TIME,
    }
}

/// The blobs [`JobRunner::run`] reads for `spec`, each with the most bytes it may hold: the
/// module or model, and the first input if it is a blob. Other inputs are not read.
pub fn blobs_read(spec: &JobSpec) -> Vec<(Hash, u64)> {
    let mut read = vec![match &spec.runtime {
        Runtime::Wasm { module, .. } => (*module, module_limit(spec)),
        Runtime::Inference { model, .. } => (*model, spec.max_blob_bytes()),
    }];
    if let Some(InputData::Blob(id)) = spec.inputs.first().map(|i| &i.data) {
        if !read.iter().any(|(other, _)| other == id) {
            read.push((*id, spec.max_blob_bytes()));
        }
    }
    read
}

/// The longest output [`JobRunner::run`] can give for `spec`: a WASM job's output limit and a
/// report's status line, or the largest logits an inference job may return and their header.
pub fn max_output_len(spec: &JobSpec) -> u64 {
    /// Longer than any status line or NPY header this crate writes.
    const HEADER: u64 = 4096;
    match &spec.runtime {
        Runtime::Wasm {
            max_output_bytes, ..
        } => max_output_bytes.saturating_add(HEADER),
        Runtime::Inference { .. } => plexus_market::spec::MAX_OUTPUT_BYTES.saturating_add(HEADER),
    }
}

fn module_limit(spec: &JobSpec) -> u64 {
    spec.max_blob_bytes().min(MAX_MODULE_BYTES)
}

/// Blob `id` from `blobs`, refused when it holds more than `limit` bytes, whatever the source
/// did.
fn fetch(blobs: BlobSource, id: &Hash, limit: u64) -> Result<Vec<u8>, String> {
    let bytes = blobs(id, limit).map_err(|e| format!("blob {id}: {e}"))?;
    if bytes.len() as u64 > limit {
        return Err(too_large(id, bytes.len() as u64, limit));
    }
    Ok(bytes)
}

/// Why a blob of `size` bytes is refused where a job may read at most `limit`.
pub fn too_large(id: &Hash, size: u64, limit: u64) -> String {
    format!("blob {id} holds {size} bytes; this job may read at most {limit}")
}

/// The bytes of the spec's first input, if it has one.
fn first_input(spec: &JobSpec, blobs: BlobSource) -> Result<Option<Vec<u8>>, String> {
    let Some(input) = spec.inputs.first() else {
        return Ok(None);
    };
    match &input.data {
        InputData::Inline(text) => Ok(Some(text.as_bytes().to_vec())),
        InputData::Blob(id) => fetch(blobs, id, spec.max_blob_bytes()).map(Some),
    }
}

/// Below this magnitude two logits agree whatever the tolerance: rounding near zero is
/// relatively large.
pub const ABSOLUTE_FLOOR: f32 = 1e-6;

/// Whether two providers' outputs for `spec` agree. WASM outputs and reports must be equal
/// byte for byte. Two inference outputs (both NPY logits) agree when they have the same shape
/// and every pair of values differs by at most `tolerance_ppm` millionths of the larger
/// magnitude, or by at most [`ABSOLUTE_FLOOR`]; identical bits (NaNs included) agree, any
/// other non-finite value does not. Anything else an inference job returned (a report) must be
/// equal byte for byte.
pub fn outputs_agree(spec: &JobSpec, a: &[u8], b: &[u8]) -> bool {
    if a == b {
        return true;
    }
    let Runtime::Inference { .. } = spec.runtime else {
        return false;
    };
    let (Ok(x), Ok(y)) = (inference::read_logits(a), inference::read_logits(b)) else {
        return false;
    };
    if (x.rows, x.cols) != (y.rows, y.cols) {
        return false;
    }
    let tolerance = spec.verification.tolerance_ppm as f32 / 1e6;
    x.values.iter().zip(&y.values).all(|(&p, &q)| {
        if p.to_bits() == q.to_bits() {
            return true;
        }
        if !p.is_finite() || !q.is_finite() {
            return false;
        }
        let diff = (p - q).abs();
        diff <= ABSOLUTE_FLOOR || diff <= tolerance * p.abs().max(q.abs())
    })
}
