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
//! first do not reach it. Its randomness comes from a seed derived from the spec, so every
//! provider hands it the same bytes.

use crate::inference;
use crate::wasm::{WasmError, WasmLimits, WasmRuntime};
use plexus_market::spec::{InputData, JobSpec, Runtime};
use plexus_types::Hash;
use serde::{Deserialize, Serialize};
use std::sync::OnceLock;

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
    /// A blob could not be fetched, or an input is not what the job needs: an inference model
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

/// Fetches a blob by its id; an error is the reason it cannot.
pub type BlobSource<'a> = &'a dyn Fn(&Hash) -> Result<Vec<u8>, String>;

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
                let fetched = fetch(blobs, model).and_then(|model| {
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
        let fetched = fetch(blobs, &module)
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

fn fetch(blobs: BlobSource, id: &Hash) -> Result<Vec<u8>, String> {
    blobs(id).map_err(|e| format!("blob {id}: {e}"))
}

/// The bytes of the spec's first input, if it has one.
fn first_input(spec: &JobSpec, blobs: BlobSource) -> Result<Option<Vec<u8>>, String> {
    let Some(input) = spec.inputs.first() else {
        return Ok(None);
    };
    match &input.data {
        InputData::Inline(text) => Ok(Some(text.as_bytes().to_vec())),
        InputData::Blob(id) => fetch(blobs, id).map(Some),
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
