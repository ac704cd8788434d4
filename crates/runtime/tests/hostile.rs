//! Modules and specs written to freeze or flood a provider: each is stopped or refused within
//! seconds, and the same runner then runs an honest job.

use plexus_market::spec::{Input, InputData, JobSpec, Resources, Runtime, Verification};
use plexus_runtime::fixtures::{demo_native, DEMO_FUEL, DEMO_WORKLOAD, RANDOM_SPINNER};
use plexus_runtime::job::{blobs_read, wall_bound};
use plexus_runtime::wasm::{WasmError, WasmLimits, WasmRuntime};
use plexus_runtime::{JobOutput, JobRunner, JobStatus};
use plexus_types::{Amount, Hash};
use std::collections::BTreeMap;
use std::sync::mpsc;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Runs `f` on a thread of its own and returns its result, or fails the test when it is still
/// running after `limit` (the thread is left behind: it may never end).
fn within<T: Send + 'static>(limit: Duration, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(limit)
        .unwrap_or_else(|_| panic!("still running after {limit:?}"))
}

const LIMITS: WasmLimits = WasmLimits {
    fuel: 50_000_000,
    memory_bytes: 4 << 20,
    max_output_bytes: 1024,
};

/// Sleeps `times` times for `nanos` on the monotonic clock, then prints the last event's
/// userdata (8 bytes), the event count and poll's errno (4 bytes each) and the clock (8 bytes).
fn sleeper(nanos: i64, times: u32) -> String {
    format!(
        r#"(module
  (import "wasi_snapshot_preview1" "poll_oneoff" (func $poll (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "clock_time_get" (func $clock (param i32 i64 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "_start") (local $i i32)
    (i64.store (i32.const 0) (i64.const 7))
    (i32.store (i32.const 16) (i32.const 1))
    (i64.store (i32.const 24) (i64.const {nanos}))
    (loop $again
      (i32.store (i32.const 132)
        (call $poll (i32.const 0) (i32.const 64) (i32.const 1) (i32.const 128)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $again (i32.lt_u (local.get $i) (i32.const {times}))))
    (i64.store (i32.const 296) (i64.load (i32.const 64)))
    (i64.store (i32.const 304) (i64.load (i32.const 128)))
    (drop (call $clock (i32.const 1) (i64.const 1) (i32.const 312)))
    (i32.store (i32.const 200) (i32.const 296))
    (i32.store (i32.const 204) (i32.const 24))
    (drop (call $fd_write (i32.const 1) (i32.const 200) (i32.const 1) (i32.const 220)))))"#
    )
}

/// (userdata, events, errno, clock) as a sleeper prints them.
fn slept(stdout: &[u8]) -> (u64, u32, u32, u64) {
    assert_eq!(stdout.len(), 24, "{stdout:?}");
    let u64_at = |at: usize| u64::from_le_bytes(stdout[at..at + 8].try_into().unwrap());
    let u32_at = |at: usize| u32::from_le_bytes(stdout[at..at + 4].try_into().unwrap());
    (u64_at(0), u32_at(8), u32_at(12), u64_at(16))
}

fn run(wat: String, limits: WasmLimits) -> Result<plexus_runtime::wasm::WasmRun, WasmError> {
    within(Duration::from_secs(20), move || {
        WasmRuntime::new()
            .unwrap()
            .run(wat.as_bytes(), "_start", &["job"], b"", [3; 32], &limits)
    })
}

#[test]
fn a_module_that_sleeps_for_an_hour_or_forever_returns_at_once_and_sees_the_time_pass() {
    const SECOND: i64 = 1_000_000_000;
    // An hour, a second at a time.
    let hour = run(sleeper(SECOND, 3600), LIMITS).unwrap();
    assert_eq!(slept(&hour.stdout), (7, 1, 0, 3600 * SECOND as u64));
    // As long as a timeout can say.
    let forever = run(sleeper(-1, 1), LIMITS).unwrap();
    assert_eq!(slept(&forever.stdout), (7, 1, 0, u64::MAX));
    // The same job sees the same times on every run.
    assert_eq!(run(sleeper(SECOND, 3600), LIMITS).unwrap(), hour);
}

#[test]
fn a_poll_on_standard_output_returns_at_once_without_moving_the_clock() {
    // Two subscriptions: writing fd 1 (userdata 9), and an hour on the clock.
    let wat = r#"(module
  (import "wasi_snapshot_preview1" "poll_oneoff" (func $poll (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "clock_time_get" (func $clock (param i32 i64 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "_start")
    (i64.store (i32.const 0) (i64.const 9))
    (i32.store8 (i32.const 8) (i32.const 2))
    (i32.store (i32.const 16) (i32.const 1))
    (i64.store (i32.const 48) (i64.const 7))
    (i32.store (i32.const 64) (i32.const 1))
    (i64.store (i32.const 72) (i64.const 3600000000000))
    (i32.store (i32.const 260)
      (call $poll (i32.const 0) (i32.const 160) (i32.const 2) (i32.const 256)))
    (i64.store (i32.const 400) (i64.load (i32.const 160)))
    (i64.store (i32.const 408) (i64.load (i32.const 256)))
    (drop (call $clock (i32.const 1) (i64.const 1) (i32.const 416)))
    (i32.store (i32.const 300) (i32.const 400))
    (i32.store (i32.const 304) (i32.const 24))
    (drop (call $fd_write (i32.const 1) (i32.const 300) (i32.const 1) (i32.const 320)))))"#;
    let done = run(wat.to_string(), LIMITS).unwrap();
    assert_eq!(slept(&done.stdout), (9, 1, 0, 0));
}

#[test]
fn random_bytes_by_the_megabyte_cost_fuel_by_the_byte() {
    // 50 million units of fuel buy about a dozen calls of 4 MiB each.
    let started = Instant::now();
    let stop = run(RANDOM_SPINNER.to_string(), LIMITS).unwrap_err();
    assert_eq!(stop, WasmError::OutOfFuel(LIMITS.fuel));
    assert!(started.elapsed() < Duration::from_secs(10));
}

/// A blob store that knows each blob's size, as a provider's does before downloading it, and
/// records what it was asked and what it read.
#[derive(Default)]
struct Store {
    blobs: BTreeMap<Hash, Vec<u8>>,
    /// Blobs announced with a size but never to be read (a terabyte).
    announced: BTreeMap<Hash, u64>,
    asked: Mutex<Vec<(Hash, u64)>>,
    read: Mutex<Vec<Hash>>,
}

impl Store {
    fn put(&mut self, bytes: impl Into<Vec<u8>>) -> Hash {
        let bytes = bytes.into();
        let id = Hash::of(&bytes);
        self.blobs.insert(id, bytes);
        id
    }

    fn get(&self, id: &Hash, limit: u64) -> Result<Vec<u8>, String> {
        self.asked.lock().unwrap().push((*id, limit));
        if let Some(&size) = self.announced.get(id) {
            if size > limit {
                return Err(format!("{size} bytes, over {limit}"));
            }
        }
        self.read.lock().unwrap().push(*id);
        self.blobs
            .get(id)
            .cloned()
            .ok_or_else(|| "no such blob".into())
    }
}

fn wasm_spec(module: Hash, fuel: u64, max_output_bytes: u64, inputs: Vec<InputData>) -> JobSpec {
    JobSpec {
        runtime: Runtime::Wasm {
            module,
            entry: "_start".into(),
            fuel,
            memory_mb: 64,
            max_output_bytes,
        },
        inputs: inputs
            .into_iter()
            .enumerate()
            .map(|(i, data)| Input {
                name: format!("input-{i}"),
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
        replicas: 1,
        verification: Verification {
            sample_per_mille: 0,
            tolerance_ppm: 0,
        },
    }
}

/// Runs `spec` on `runner` within seconds, then checks an honest job still runs there.
fn run_then_honest(runner: &'static JobRunner, store: &'static Store, spec: JobSpec) -> JobOutput {
    let out = within(Duration::from_secs(20), move || {
        runner.run(&spec, &|id, limit| store.get(id, limit))
    });
    let honest = wasm_spec(
        Hash::of(DEMO_WORKLOAD.as_bytes()),
        DEMO_FUEL,
        1024,
        vec![InputData::Inline("7 8".into())],
    );
    let after = runner.run(&honest, &|id, limit| store.get(id, limit));
    assert_eq!(after.output, demo_native(b"7 8"), "after {:?}", out.status);
    out
}

fn leaked<T>(value: T) -> &'static T {
    Box::leak(Box::new(value))
}

#[test]
fn a_job_naming_a_terabyte_input_is_refused_before_anything_is_read() {
    let mut store = Store::default();
    store.put(DEMO_WORKLOAD);
    let module = store.put(sleeper(1, 1));
    let terabyte = Hash::of(b"a terabyte, announced");
    store.announced.insert(terabyte, 1 << 40);
    let unused = Hash::of(b"another terabyte, never read");
    store.announced.insert(unused, 1 << 40);
    let spec = wasm_spec(
        module,
        1_000_000,
        1024,
        vec![InputData::Blob(terabyte), InputData::Blob(unused)],
    );
    // Only the module and the first input are read, each held to the job's 64 MB.
    let limit = 64 << 20;
    assert_eq!(blobs_read(&spec), vec![(module, limit), (terabyte, limit)]);
    let (store, runner) = (leaked(store), leaked(JobRunner::new().unwrap()));
    let out = run_then_honest(runner, store, spec);
    assert_eq!(out.status, JobStatus::BadInput, "{}", out.detail);
    assert_eq!(out.output, b"{\"status\":\"bad_input\"}\n");
    assert!(store.asked.lock().unwrap().contains(&(terabyte, limit)));
    assert!(!store.read.lock().unwrap().contains(&terabyte));
    assert!(!store
        .asked
        .lock()
        .unwrap()
        .iter()
        .any(|(id, _)| *id == unused));
}

#[test]
fn a_blob_source_that_hands_over_too_much_is_refused_all_the_same() {
    let mut store = Store::default();
    store.put(DEMO_WORKLOAD);
    let module = store.put(sleeper(1, 1));
    let big = store.put(vec![b'1'; (64 << 20) + 1]);
    let spec = wasm_spec(module, 1_000_000, 1024, vec![InputData::Blob(big)]);
    let (store, runner) = (leaked(store), leaked(JobRunner::new().unwrap()));
    let out = run_then_honest(runner, store, spec);
    assert_eq!(out.status, JobStatus::BadInput);
    assert!(
        out.detail.contains("may read at most 67108864"),
        "{}",
        out.detail
    );
}

#[test]
fn a_module_that_keeps_writing_past_its_output_limit_is_stopped_on_that_write() {
    // Writes 16 bytes at a time for as long as a terabyte of fuel lasts, errors or not.
    let flood = r#"(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 64) "0123456789abcdef")
  (func (export "_start")
    (i32.store (i32.const 0) (i32.const 64))
    (i32.store (i32.const 4) (i32.const 16))
    (loop $l (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))) (br $l))))"#;
    let mut store = Store::default();
    store.put(DEMO_WORKLOAD);
    let spec = wasm_spec(
        store.put(flood),
        plexus_market::spec::MAX_WASM_FUEL,
        1000,
        vec![],
    );
    let (store, runner) = (leaked(store), leaked(JobRunner::new().unwrap()));
    let out = run_then_honest(runner, store, spec);
    assert_eq!(out.status, JobStatus::OutputLimit, "{}", out.detail);
    let mut report = b"{\"status\":\"output_limit\"}\n".to_vec();
    report.extend_from_slice(&b"0123456789abcdef".repeat(62));
    report.extend_from_slice(b"01234567");
    assert_eq!(
        String::from_utf8_lossy(&out.output),
        String::from_utf8_lossy(&report)
    );
}

#[test]
fn a_job_asking_for_endless_random_bytes_stops_when_its_fuel_is_spent_within_its_bound() {
    let mut store = Store::default();
    store.put(DEMO_WORKLOAD);
    // 100 million units: a wall-clock bound of 15 seconds; the calls, were they free, would
    // run for hours.
    let spec = wasm_spec(store.put(RANDOM_SPINNER), 100_000_000, 1024, vec![]);
    assert_eq!(wall_bound(&spec), Duration::from_secs(15));
    let (store, runner) = (leaked(store), leaked(JobRunner::new().unwrap()));
    let started = Instant::now();
    let out = run_then_honest(runner, store, spec);
    assert_eq!(out.status, JobStatus::OutOfFuel, "{}", out.detail);
    assert_eq!(out.output, b"{\"status\":\"out_of_fuel\"}\n");
    assert!(started.elapsed() < Duration::from_secs(15));
}
