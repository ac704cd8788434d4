//! What running a job costs over running its work directly: each benchmark times the same
//! workload through [`JobRunner::run`] and natively in this process, in one call, and reports
//! the medians. The job's time includes everything a provider does per job (compiling the
//! module, or reading the parameters and rows and encoding the logits).

use crate::fixtures::{demo_native, DEMO_FUEL, DEMO_STDIN, DEMO_WORKLOAD};
use crate::inference::write_npy;
use crate::job::{outputs_agree, JobOutput, JobRunner, JobStatus};
use crate::wasm::WasmError;
use plexus_learn::data::Dataset;
use plexus_learn::model::{Architecture as LearnArchitecture, Model, ModelError};
use plexus_market::spec::{
    Architecture, Input, InputData, JobSpec, Resources, Runtime, Verification,
};
use plexus_types::{Amount, Hash};
use std::time::{Duration, Instant};

#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    #[error("the runtime: {0}")]
    Runtime(#[from] WasmError),
    #[error("the model: {0}")]
    Model(#[from] ModelError),
    #[error("the job ended {status:?}: {detail}")]
    Job { status: JobStatus, detail: String },
    #[error("the job's output disagrees with the native computation")]
    Mismatch,
}

/// Median times of one workload, through the job runtime and natively.
#[derive(Debug, Clone, PartialEq)]
pub struct BenchReport {
    pub workload: String,
    pub repetitions: usize,
    pub job: Duration,
    pub native: Duration,
}

impl BenchReport {
    /// The job's median time over the native median time.
    pub fn overhead(&self) -> f64 {
        self.job.as_secs_f64() / self.native.as_secs_f64().max(f64::MIN_POSITIVE)
    }
}

impl std::fmt::Display for BenchReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}: job {:.2} ms, native {:.2} ms, ×{:.2} (medians of {})",
            self.workload,
            self.job.as_secs_f64() * 1e3,
            self.native.as_secs_f64() * 1e3,
            self.overhead(),
            self.repetitions
        )
    }
}

/// The demo WASM workload ([`DEMO_WORKLOAD`] over [`DEMO_STDIN`]) as a job, against
/// [`demo_native`]; checks that both print the same line.
pub fn bench_wasm(repetitions: usize) -> Result<BenchReport, BenchError> {
    let runner = JobRunner::new()?;
    let module = DEMO_WORKLOAD.as_bytes().to_vec();
    let id = Hash::of(&module);
    let spec = bench_spec(
        Runtime::Wasm {
            module: id,
            entry: "_start".into(),
            fuel: DEMO_FUEL,
            memory_mb: 16,
            max_output_bytes: 4096,
        },
        InputData::Inline(DEMO_STDIN.into()),
    );
    let blobs = move |h: &Hash, _limit: u64| {
        if *h == id {
            Ok(module.clone())
        } else {
            Err("not in the benchmark's store".to_string())
        }
    };
    let (job, out) = median_time(repetitions, || runner.run(&spec, &blobs));
    let (native, expected) = median_time(repetitions, || demo_native(DEMO_STDIN.as_bytes()));
    check(&out)?;
    if out.output != expected {
        return Err(BenchError::Mismatch);
    }
    Ok(BenchReport {
        workload: "wasm demo workload".into(),
        repetitions,
        job,
        native,
    })
}

/// An MLP (64 → 32 → 10, seeded weights) over the 1797 shipped digits, `batch` rows at a
/// time, as a job with NPY rows, against `plexus-learn`'s model run on the same rows; checks
/// that the logits agree.
pub fn bench_inference(repetitions: usize, batch: u32) -> Result<BenchReport, BenchError> {
    let runner = JobRunner::new()?;
    let digits = Dataset::digits();
    let model = Model::new(LearnArchitecture::Mlp { hidden: 32 }, 64, 10, 1)?;
    let params = plexus_learn::task::params_to_bytes(&model.params()?);
    let rows = write_npy(digits.len(), 64, &digits.features);
    let (model_id, rows_id) = (Hash::of(&params), Hash::of(&rows));
    let spec = bench_spec(
        Runtime::Inference {
            model: model_id,
            architecture: Architecture::Mlp {
                inputs: 64,
                hidden: 32,
                classes: 10,
            },
            batch,
        },
        InputData::Blob(rows_id),
    );
    let blobs = move |h: &Hash, _limit: u64| match h {
        h if *h == model_id => Ok(params.clone()),
        h if *h == rows_id => Ok(rows.clone()),
        _ => Err("not in the benchmark's store".to_string()),
    };
    let (job, out) = median_time(repetitions, || runner.run(&spec, &blobs));
    let (native, logits) = median_time(repetitions, || {
        model.logits(&digits.features, batch.max(1) as usize)
    });
    check(&out)?;
    if !outputs_agree(&spec, &out.output, &write_npy(digits.len(), 10, &logits?)) {
        return Err(BenchError::Mismatch);
    }
    Ok(BenchReport {
        workload: format!(
            "mlp 64-32-10 inference, {} rows, batch {batch}",
            digits.len()
        ),
        repetitions,
        job,
        native,
    })
}

fn check(out: &JobOutput) -> Result<(), BenchError> {
    match out.status {
        JobStatus::Ok => Ok(()),
        status => Err(BenchError::Job {
            status,
            detail: out.detail.clone(),
        }),
    }
}

/// Runs `work` `repetitions` times (at least once); the median time and the last result.
fn median_time<T>(repetitions: usize, mut work: impl FnMut() -> T) -> (Duration, T) {
    let mut times = Vec::with_capacity(repetitions.max(1));
    let mut last = None;
    for _ in 0..repetitions.max(1) {
        let start = Instant::now();
        let out = work();
        times.push(start.elapsed());
        last = Some(out);
    }
    times.sort_unstable();
    let last = last.expect("at least one repetition ran");
    (times[times.len() / 2], last)
}

fn bench_spec(runtime: Runtime, input: InputData) -> JobSpec {
    JobSpec {
        runtime,
        inputs: vec![Input {
            name: "input".into(),
            data: input,
        }],
        resources: Resources {
            cpu_cores: 1,
            memory_mb: 256,
            gpu: None,
        },
        max_price_per_block: Amount::plx(1),
        duration_blocks: 10,
        replicas: 1,
        verification: Verification {
            sample_per_mille: 0,
            tolerance_ppm: 100,
        },
    }
}
