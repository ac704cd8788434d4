//! Jobs run as a provider runs them: from a spec and a blob store, compared as a verifier
//! compares them.

use plexus_learn::data::Dataset;
use plexus_learn::model::{Architecture as LearnArchitecture, Model, TrainConfig};
use plexus_learn::task::params_to_bytes;
use plexus_market::spec::{
    Architecture, Input, InputData, JobSpec, Resources, Runtime, Verification,
};
use plexus_runtime::fixtures::{
    demo_native, DEMO_FUEL, DEMO_STDIN, DEMO_WORKLOAD, ENDLESS_LOOP, MEMORY_BOMB, OUTPUT_FLOOD,
    TRAP,
};
use plexus_runtime::inference::{read_logits, write_npy};
use plexus_runtime::{outputs_agree, run_job, JobOutput, JobRunner, JobStatus};
use plexus_types::{Amount, Hash};
use std::collections::BTreeMap;

/// A blob store in memory.
#[derive(Default)]
struct Blobs(BTreeMap<Hash, Vec<u8>>);

impl Blobs {
    fn put(&mut self, bytes: impl Into<Vec<u8>>) -> Hash {
        let bytes = bytes.into();
        let id = Hash::of(&bytes);
        self.0.insert(id, bytes);
        id
    }

    fn get(&self, id: &Hash) -> Result<Vec<u8>, String> {
        self.0.get(id).cloned().ok_or_else(|| "no such blob".into())
    }
}

fn spec(runtime: Runtime, inputs: Vec<(&str, InputData)>) -> JobSpec {
    JobSpec {
        runtime,
        inputs: inputs
            .into_iter()
            .map(|(name, data)| Input {
                name: name.into(),
                data,
            })
            .collect(),
        resources: Resources {
            cpu_cores: 1,
            memory_mb: 64,
            gpu: None,
        },
        max_price_per_block: Amount::plx(1),
        duration_blocks: 100,
        replicas: 2,
        verification: Verification {
            sample_per_mille: 1000,
            tolerance_ppm: 100,
        },
    }
}

fn wasm_job(module: Hash, stdin: &str) -> JobSpec {
    spec(
        Runtime::Wasm {
            module,
            entry: "_start".into(),
            fuel: DEMO_FUEL,
            memory_mb: 4,
            max_output_bytes: 1024,
        },
        vec![
            ("numbers.txt", InputData::Inline(stdin.into())),
            ("notes.txt", InputData::Inline("unused".into())),
        ],
    )
}

fn run(spec: &JobSpec, blobs: &Blobs) -> JobOutput {
    run_job(spec, &|id, _| blobs.get(id))
}

fn report(status: &str, stdout: &[u8]) -> Vec<u8> {
    let mut out = format!("{{\"status\":\"{status}\"}}\n").into_bytes();
    out.extend_from_slice(stdout);
    out
}

#[test]
fn the_demo_workload_gives_the_same_bytes_on_every_run_and_what_rust_computes() {
    let mut blobs = Blobs::default();
    let job = wasm_job(blobs.put(DEMO_WORKLOAD), DEMO_STDIN);
    let first = run(&job, &blobs);
    assert_eq!(first.status, JobStatus::Ok, "{}", first.detail);
    assert_eq!(first.output, demo_native(DEMO_STDIN.as_bytes()));
    assert!(
        String::from_utf8_lossy(&first.output).starts_with("count 21 sum 978 mix "),
        "{}",
        String::from_utf8_lossy(&first.output)
    );
    // A second provider, with its own runner.
    let second = JobRunner::new().unwrap().run(&job, &|id, _| blobs.get(id));
    assert_eq!(
        blake3::hash(&first.output),
        blake3::hash(&second.output),
        "re-execution differs"
    );
    assert!(outputs_agree(&job, &first.output, &second.output));
    // Other input, other output; WASM outputs must match exactly.
    let other = run(
        &wasm_job(Hash::of(DEMO_WORKLOAD.as_bytes()), "1 2 3"),
        &blobs,
    );
    assert_eq!(other.output, demo_native(b"1 2 3"));
    assert!(!outputs_agree(&job, &first.output, &other.output));
}

#[test]
fn hostile_modules_get_their_status_and_a_canonical_report_and_the_runner_keeps_serving() {
    let mut blobs = Blobs::default();
    let flood_output: Vec<u8> = b"0123456789abcdef".repeat(64);
    let cases: [(&str, JobStatus, Vec<u8>); 6] = [
        (
            ENDLESS_LOOP,
            JobStatus::OutOfFuel,
            report("out_of_fuel", b""),
        ),
        (
            MEMORY_BOMB,
            JobStatus::MemoryLimit,
            report("memory_limit", b""),
        ),
        (TRAP, JobStatus::Trap, report("trap", b"before the trap\n")),
        (
            OUTPUT_FLOOD,
            JobStatus::OutputLimit,
            report("output_limit", &flood_output),
        ),
        ("(module", JobStatus::BadModule, report("bad_module", b"")),
        (
            r#"(module (import "env" "open_socket" (func)) (func (export "_start")))"#,
            JobStatus::BadModule,
            report("bad_module", b""),
        ),
    ];
    let runner = JobRunner::new().unwrap();
    for (module, status, output) in cases {
        let mut job = wasm_job(blobs.put(module), "");
        // A flood refused more output spins until its fuel runs out; a little fuel is enough
        // to show it.
        if let Runtime::Wasm { fuel, .. } = &mut job.runtime {
            *fuel = 5_000_000;
        }
        let out = runner.run(&job, &|id, _| blobs.get(id));
        assert_eq!(out.status, status, "{module}: {}", out.detail);
        assert_eq!(
            String::from_utf8_lossy(&out.output),
            String::from_utf8_lossy(&output),
            "{module}"
        );
        // The report is canonical: a second run gives the same bytes.
        assert_eq!(runner.run(&job, &|id, _| blobs.get(id)).output, out.output);
        // And after each, an honest job still runs.
        let honest = runner.run(&wasm_job(blobs.put(DEMO_WORKLOAD), "7 8"), &|id, _| {
            blobs.get(id)
        });
        assert_eq!(honest.output, demo_native(b"7 8"), "after {module}");
    }
}

#[test]
fn an_exit_status_missing_blobs_and_a_missing_entry_are_reported() {
    let mut blobs = Blobs::default();
    // Echoes its arguments' count and the first byte of stdin, then exits with 3.
    let exits = r#"(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_read" (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_sizes_get" (func $sizes (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (func (export "_start")
    (drop (call $sizes (i32.const 100) (i32.const 104)))
    (i32.store8 (i32.const 64) (i32.add (i32.const 48) (i32.load (i32.const 100))))
    (i32.store (i32.const 0) (i32.const 65))
    (i32.store (i32.const 4) (i32.const 1))
    (drop (call $fd_read (i32.const 0) (i32.const 0) (i32.const 1) (i32.const 8)))
    (i32.store (i32.const 0) (i32.const 64))
    (i32.store (i32.const 4) (i32.const 2))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
    (call $exit (i32.const 3))))"#;
    let job = wasm_job(blobs.put(exits), "xyz");
    let out = run(&job, &blobs);
    assert_eq!(out.status, JobStatus::Exit { code: 3 });
    // Three arguments: the entry and the two inputs' names.
    assert_eq!(out.output, b"{\"status\":\"exit\",\"code\":3}\n3x");
    let missing = run(&wasm_job(Hash::of(b"nowhere"), ""), &blobs);
    assert_eq!(missing.status, JobStatus::BadInput);
    assert_eq!(missing.output, report("bad_input", b""));
    assert!(
        missing.detail.contains("no such blob"),
        "{}",
        missing.detail
    );
    let mut no_entry = wasm_job(blobs.put(DEMO_WORKLOAD), "");
    if let Runtime::Wasm { entry, .. } = &mut no_entry.runtime {
        *entry = "main".into();
    }
    assert_eq!(run(&no_entry, &blobs).status, JobStatus::BadModule);
}

fn inference_job(model: Hash, architecture: Architecture, batch: u32, rows: Hash) -> JobSpec {
    spec(
        Runtime::Inference {
            model,
            architecture,
            batch,
        },
        vec![("rows.npy", InputData::Blob(rows))],
    )
}

const MLP: Architecture = Architecture::Mlp {
    inputs: 64,
    hidden: 32,
    classes: 10,
};

/// An MLP trained a little on the digits, and the held-out digits.
fn trained_mlp() -> (Model, Dataset) {
    let (train, test) = Dataset::digits().split_every(5);
    let model = Model::new(LearnArchitecture::Mlp { hidden: 32 }, 64, 10, 3).unwrap();
    let config = TrainConfig {
        epochs: 3,
        batch: 32,
        lr: 0.1,
    };
    model.train(&train, &config).unwrap();
    (model, test)
}

#[test]
fn mlp_inference_matches_plexus_learn_s_evaluation_at_any_batch_size() {
    let (model, test) = trained_mlp();
    let mut blobs = Blobs::default();
    let params = blobs.put(params_to_bytes(&model.params().unwrap()));
    let rows = blobs.put(write_npy(test.len(), 64, &test.features));
    let by_64 = run(&inference_job(params, MLP, 64, rows), &blobs);
    assert_eq!(by_64.status, JobStatus::Ok, "{}", by_64.detail);
    let logits = read_logits(&by_64.output).unwrap();
    assert_eq!((logits.rows, logits.cols), (test.len(), 10));
    // The loss and accuracy of these logits are what plexus-learn reports for the model.
    let (mut loss, mut right) = (0.0, 0);
    for (row, &label) in logits.values.chunks_exact(10).zip(&test.labels) {
        let max = row.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        let total: f32 = row.iter().map(|v| (v - max).exp()).sum();
        loss += f64::from(max + total.ln() - row[label as usize]);
        right += usize::from(row[label as usize] == max);
    }
    let (learn_loss, learn_accuracy) = model.evaluate(&test).unwrap();
    let (loss, accuracy) = (loss / test.len() as f64, right as f64 / test.len() as f64);
    assert!((loss - learn_loss).abs() < 1e-6, "{loss} vs {learn_loss}");
    assert_eq!(accuracy, learn_accuracy);
    assert!(accuracy > 0.8, "{accuracy}");
    let one_by_one = run(&inference_job(params, MLP, 1, rows), &blobs);
    let job = inference_job(params, MLP, 64, rows);
    assert!(outputs_agree(&job, &by_64.output, &one_by_one.output));
    // CSV rows give the logits NPY rows do.
    let csv: String = test
        .features
        .chunks_exact(64)
        .map(|row| {
            let fields: Vec<String> = row.iter().map(f32::to_string).collect();
            fields.join(",") + "\n"
        })
        .collect();
    let by_csv = run(&inference_job(params, MLP, 64, blobs.put(csv)), &blobs);
    assert_eq!(by_csv.output, by_64.output);
}

#[test]
fn a_cnn_runs_over_images() {
    let model = Model::new(LearnArchitecture::Cnn { channels: 4 }, 64, 10, 9).unwrap();
    let digits = Dataset::digits().subset(&(0..50).collect::<Vec<_>>());
    let mut blobs = Blobs::default();
    let job = inference_job(
        blobs.put(params_to_bytes(&model.params().unwrap())),
        Architecture::Cnn {
            channels: 4,
            classes: 10,
        },
        16,
        blobs.put(write_npy(50, 64, &digits.features)),
    );
    let out = run(&job, &blobs);
    assert_eq!(out.status, JobStatus::Ok, "{}", out.detail);
    let expected = model.logits(&digits.features, 50).unwrap();
    assert!(outputs_agree(
        &job,
        &out.output,
        &write_npy(50, 10, &expected)
    ));
}

#[test]
fn logits_agree_within_the_tolerance_and_not_beyond() {
    let (model, test) = trained_mlp();
    let mut blobs = Blobs::default();
    let job = inference_job(
        blobs.put(params_to_bytes(&model.params().unwrap())),
        MLP,
        64,
        blobs.put(write_npy(test.len(), 64, &test.features)),
    );
    let out = run(&job, &blobs).output;
    let logits = read_logits(&out).unwrap();
    let scaled = |ppm: f32| {
        let values: Vec<f32> = logits
            .values
            .iter()
            .map(|v| v * (1.0 + ppm / 1e6))
            .collect();
        write_npy(logits.rows, logits.cols, &values)
    };
    // The job's tolerance is 100 ppm.
    assert!(outputs_agree(&job, &out, &scaled(50.0)));
    assert!(!outputs_agree(&job, &out, &scaled(300.0)));
    // Values near zero agree within the absolute floor.
    let mut near_zero = logits.values.clone();
    near_zero[0] = 0.0;
    let mut nudged = near_zero.clone();
    nudged[0] = 5e-7;
    assert!(outputs_agree(
        &job,
        &write_npy(logits.rows, logits.cols, &near_zero),
        &write_npy(logits.rows, logits.cols, &nudged)
    ));
    // Another shape, a report, or garbage never agrees with logits.
    let fewer = write_npy(logits.rows - 1, 10, &logits.values[10..]);
    assert!(!outputs_agree(&job, &out, &fewer));
    assert!(!outputs_agree(&job, &out, &report("bad_input", b"")));
    assert!(outputs_agree(
        &job,
        &report("bad_input", b""),
        &report("bad_input", b"")
    ));
}

#[test]
fn a_model_or_rows_that_do_not_fit_the_architecture_are_bad_input() {
    let (model, test) = trained_mlp();
    let params = params_to_bytes(&model.params().unwrap());
    let mut blobs = Blobs::default();
    let rows = blobs.put(write_npy(test.len(), 64, &test.features));
    let cases = [
        // One parameter short, and one byte short.
        inference_job(blobs.put(&params[4..]), MLP, 64, rows),
        inference_job(blobs.put(&params[1..]), MLP, 64, rows),
        // An architecture the parameters were not trained for.
        inference_job(
            blobs.put(params.clone()),
            Architecture::Mlp {
                inputs: 64,
                hidden: 31,
                classes: 10,
            },
            64,
            rows,
        ),
        // Rows of 63 features.
        inference_job(
            blobs.put(params.clone()),
            MLP,
            64,
            blobs.put(write_npy(2, 63, &[0.5; 126])),
        ),
        // Rows that are neither NPY nor CSV, and no rows at all.
        inference_job(blobs.put(params.clone()), MLP, 64, blobs.put(vec![0xff; 8])),
        inference_job(blobs.put(params.clone()), MLP, 64, blobs.put("\n")),
        // A blob nobody has.
        inference_job(blobs.put(params.clone()), MLP, 64, Hash::of(b"nowhere")),
        // An architecture far too large for memory, with a small blob.
        inference_job(
            blobs.put(params.clone()),
            Architecture::Mlp {
                inputs: 65_536,
                hidden: 65_536,
                classes: 65_536,
            },
            64,
            rows,
        ),
    ];
    for job in &cases {
        let out = run(job, &blobs);
        assert_eq!(out.status, JobStatus::BadInput, "{job:?}");
        assert_eq!(out.output, report("bad_input", b""));
        assert!(!out.detail.is_empty());
    }
}
