//! WASI (preview 1) modules under wasmtime, run the same way everywhere:
//!
//! - fuel metering: every instruction costs fuel, and a job stops when its fuel is spent;
//! - a memory limit on the module's linear memory (and its tables), enforced on every
//!   `memory.grow`: asking for more traps at once, so a memory bomb costs nothing;
//! - output captured in memory up to a limit; a module that writes more is stopped on that
//!   write and reported ([`crate::captured_output`]);
//! - work done inside WASI calls charged to the same fuel where it grows with the call's
//!   arguments ([`crate::metered`]), so that fuel bounds a run's time as well as its
//!   instructions, without a per-instruction clock check (a provider's agent derives each job's
//!   wall-clock bound from its fuel);
//! - nothing from the outside: no network, no files, no environment, a virtual clock that
//!   starts at zero and moves only when the module sleeps, without waiting
//!   ([`crate::virtual_clock`]), and "random" bytes from the job's seed, NaNs canonicalized and
//!   relaxed SIMD deterministic, so two runs of one job agree exactly.
//!
//! A module that exits with a non-zero status has still run: its status is part of its result.

use crate::captured_output::CapturedOutput;
use crate::metered::add_metered_random;
use crate::virtual_clock::{add_poll_oneoff, VirtualClock};
use wasmtime::{Config, Engine, Linker, Module, ResourceLimiter, Store, Trap};
use wasmtime_wasi::p1::WasiP1Ctx;
use wasmtime_wasi::p2::pipe::MemoryInputPipe;
use wasmtime_wasi::{Deterministic, I32Exit, WasiCtxBuilder};

/// What one run may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WasmLimits {
    pub fuel: u64,
    /// Bytes of linear memory (the sum over the module's memories) and table elements.
    pub memory_bytes: usize,
    /// Bytes of standard output and of standard error, each.
    pub max_output_bytes: usize,
}

/// What a module did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WasmRun {
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
    /// 0 when the entry function returned.
    pub exit_code: i32,
    pub fuel_used: u64,
}

/// Why a module was stopped, and what it had written by then.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WasmStop {
    pub error: WasmError,
    /// At most the run's `max_output_bytes`; empty when the module never started.
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WasmError {
    #[error("the module does not compile: {0}")]
    Compile(String),
    #[error("the module cannot run here: {0}")]
    Link(String),
    #[error("the module exports no function {0:?} taking and returning nothing")]
    NoEntry(String),
    #[error("the module ran out of fuel ({0} units)")]
    OutOfFuel(u64),
    #[error("the module asked for {asked} bytes of memory; its limit is {limit}")]
    MemoryLimit { asked: usize, limit: usize },
    #[error("the module wrote more than its output limit of {0} bytes")]
    OutputLimit(usize),
    #[error("the module trapped: {0}")]
    Trap(String),
}

/// Refuses growth past the job's limit and remembers the refusal.
struct Limits {
    limit: usize,
    refused: Option<usize>,
}

impl ResourceLimiter for Limits {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if desired > self.limit {
            self.refused = Some(desired);
            wasmtime::bail!("memory limit");
        }
        Ok(true)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        // A table element is a pointer's worth of host memory.
        let bytes = desired.saturating_mul(8);
        if bytes > self.limit {
            self.refused = Some(bytes);
            wasmtime::bail!("table limit");
        }
        Ok(true)
    }

    fn instances(&self) -> usize {
        1
    }

    fn memories(&self) -> usize {
        1
    }

    fn tables(&self) -> usize {
        4
    }
}

struct Host {
    wasi: WasiP1Ctx,
    limits: Limits,
    clock: VirtualClock,
}

/// How many compiled modules a runtime keeps: a provider runs the same few programs again and
/// again, and compiling one costs far more than running a small job.
const COMPILED_MODULES_KEPT: usize = 16;

/// Compiles and runs WASI modules; one engine serves every job, and the modules compiled last
/// are kept by the blake3 of their bytes, so a program run again is not compiled again.
pub struct WasmRuntime {
    engine: Engine,
    compiled: std::sync::Mutex<std::collections::VecDeque<([u8; 32], Module)>>,
}

impl WasmRuntime {
    pub fn new() -> Result<WasmRuntime, WasmError> {
        let mut config = Config::new();
        config
            .consume_fuel(true)
            .cranelift_nan_canonicalization(true)
            .relaxed_simd_deterministic(true);
        let engine = Engine::new(&config).map_err(|e| WasmError::Link(e.to_string()))?;
        Ok(WasmRuntime {
            engine,
            compiled: Default::default(),
        })
    }

    /// `module` compiled: from the kept modules if it was compiled lately, else compiled now
    /// and kept (the oldest kept one dropped past [`COMPILED_MODULES_KEPT`]). Compilation runs
    /// without the lock held, so two jobs compile side by side.
    fn compile(&self, module: &[u8]) -> Result<Module, WasmError> {
        let key = *blake3::hash(module).as_bytes();
        let kept = |c: &std::collections::VecDeque<([u8; 32], Module)>| {
            c.iter().find(|(k, _)| *k == key).map(|(_, m)| m.clone())
        };
        if let Some(m) = kept(&self.compiled.lock().expect("compiled modules lock")) {
            return Ok(m);
        }
        let compiled =
            Module::new(&self.engine, module).map_err(|e| WasmError::Compile(format!("{e:#}")))?;
        let mut kept_now = self.compiled.lock().expect("compiled modules lock");
        if kept(&kept_now).is_none() {
            if kept_now.len() >= COMPILED_MODULES_KEPT {
                kept_now.pop_front();
            }
            kept_now.push_back((key, compiled.clone()));
        }
        Ok(compiled)
    }

    /// How many compiled modules are kept.
    pub fn compiled_modules(&self) -> usize {
        self.compiled.lock().expect("compiled modules lock").len()
    }

    /// Runs `entry` (WASI's is `_start`) of `module` (binary or WAT text) with `args` (the
    /// first is the program's name), `stdin`, and a `seed` for whatever randomness it asks for.
    pub fn run(
        &self,
        module: &[u8],
        entry: &str,
        args: &[&str],
        stdin: &[u8],
        seed: [u8; 32],
        limits: &WasmLimits,
    ) -> Result<WasmRun, WasmError> {
        self.run_keeping_output(module, entry, args, stdin, seed, limits)
            .map_err(|stop| stop.error)
    }

    /// [`WasmRuntime::run`], and when the module is stopped, what it wrote before the stop
    /// (cut to the output limit, so a flood's report is bounded like its output).
    pub fn run_keeping_output(
        &self,
        module: &[u8],
        entry: &str,
        args: &[&str],
        stdin: &[u8],
        seed: [u8; 32],
        limits: &WasmLimits,
    ) -> Result<WasmRun, WasmStop> {
        let before_start = |error| WasmStop {
            error,
            stdout: Vec::new(),
            stderr: Vec::new(),
        };
        let module = self.compile(module).map_err(before_start)?;
        let stdout = CapturedOutput::new(limits.max_output_bytes);
        let stderr = CapturedOutput::new(limits.max_output_bytes);
        let clock = VirtualClock::default();
        let wasi = WasiCtxBuilder::new()
            .args(args)
            .stdin(MemoryInputPipe::new(stdin.to_vec()))
            .stdout(stdout.clone())
            .stderr(stderr.clone())
            .wall_clock(clock.clone())
            .monotonic_clock(clock.clone())
            .secure_random(Deterministic::new(seed.to_vec()))
            .insecure_random(Deterministic::new(seed.to_vec()))
            .insecure_random_seed(u128::from_le_bytes(
                seed[..16].try_into().expect("16 of 32 bytes"),
            ))
            .allow_tcp(false)
            .allow_udp(false)
            .allow_ip_name_lookup(false)
            .build_p1();
        let mut store = Store::new(
            &self.engine,
            Host {
                wasi,
                limits: Limits {
                    limit: limits.memory_bytes,
                    refused: None,
                },
                clock,
            },
        );
        store.limiter(|host| &mut host.limits);
        store
            .set_fuel(limits.fuel)
            .map_err(|e| before_start(WasmError::Link(e.to_string())))?;
        let mut linker: Linker<Host> = Linker::new(&self.engine);
        wasmtime_wasi::p1::add_to_linker_sync(&mut linker, |host| &mut host.wasi)
            .and_then(|()| add_poll_oneoff(&mut linker, |host: &Host| &host.clock))
            .and_then(|()| add_metered_random(&mut linker, |host: &mut Host| &mut host.wasi))
            .map_err(|e| before_start(WasmError::Link(e.to_string())))?;
        let outcome = linker
            .instantiate(&mut store, &module)
            .map_err(|e| classify_start(e, &store))
            .and_then(|instance| {
                let func = instance
                    .get_typed_func::<(), ()>(&mut store, entry)
                    .map_err(|_| WasmError::NoEntry(entry.to_string()))?;
                Ok(func.call(&mut store, ()))
            })
            .map_err(|error| stopped(error, &stdout, &stderr))?;
        let fuel_used = limits.fuel - store.get_fuel().unwrap_or(0);
        let exit_code = match outcome {
            Ok(()) => 0,
            Err(e) => match e.downcast_ref::<I32Exit>() {
                Some(exit) => exit.0,
                None => {
                    let error = if let Some(asked) = store.data().limits.refused {
                        WasmError::MemoryLimit {
                            asked,
                            limit: limits.memory_bytes,
                        }
                    } else if stdout.overflowed() || stderr.overflowed() {
                        WasmError::OutputLimit(limits.max_output_bytes)
                    } else if e.downcast_ref::<Trap>() == Some(&Trap::OutOfFuel) {
                        WasmError::OutOfFuel(limits.fuel)
                    } else {
                        WasmError::Trap(format!("{e:#}"))
                    };
                    return Err(stopped(error, &stdout, &stderr));
                }
            },
        };
        if stdout.overflowed() || stderr.overflowed() {
            let error = WasmError::OutputLimit(limits.max_output_bytes);
            return Err(stopped(error, &stdout, &stderr));
        }
        Ok(WasmRun {
            stdout: stdout.contents(),
            stderr: stderr.contents(),
            exit_code,
            fuel_used,
        })
    }
}

/// A stop with the output written before it (never more than the output limit).
fn stopped(error: WasmError, stdout: &CapturedOutput, stderr: &CapturedOutput) -> WasmStop {
    WasmStop {
        error,
        stdout: stdout.contents(),
        stderr: stderr.contents(),
    }
}

/// An instantiation error: a refused memory (the initial memory is over the limit), fuel spent
/// in a start function, or imports that WASI does not provide.
fn classify_start(e: wasmtime::Error, store: &Store<Host>) -> WasmError {
    if let Some(asked) = store.data().limits.refused {
        return WasmError::MemoryLimit {
            asked,
            limit: store.data().limits.limit,
        };
    }
    if e.downcast_ref::<Trap>() == Some(&Trap::OutOfFuel) {
        return WasmError::OutOfFuel(0);
    }
    WasmError::Link(format!("{e:#}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: WasmLimits = WasmLimits {
        fuel: 10_000_000,
        memory_bytes: 4 << 20,
        max_output_bytes: 1024,
    };

    /// A module that writes `text` to standard output, then runs `then`.
    fn writer(text: &str, then: &str) -> String {
        format!(
            r#"(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (data (i32.const 64) "{text}")
  (func (export "_start")
    (i32.store (i32.const 0) (i32.const 64))
    (i32.store (i32.const 4) (i32.const {len}))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
    {then}))"#,
            len = text.len()
        )
    }

    fn run(wat: &str) -> Result<WasmRun, WasmError> {
        WasmRuntime::new()
            .unwrap()
            .run(wat.as_bytes(), "_start", &["job"], b"", [7; 32], &LIMITS)
    }

    #[test]
    fn a_program_run_again_is_not_compiled_again_and_runs_the_same() {
        let runtime = WasmRuntime::new().unwrap();
        let go = |text: &str| {
            runtime
                .run(
                    writer(text, "").as_bytes(),
                    "_start",
                    &["job"],
                    b"",
                    [7; 32],
                    &LIMITS,
                )
                .unwrap()
        };
        let first = go("again");
        let second = go("again");
        assert_eq!(runtime.compiled_modules(), 1);
        assert_eq!(
            (first.stdout, first.fuel_used),
            (second.stdout, second.fuel_used)
        );
        for i in 0..COMPILED_MODULES_KEPT + 3 {
            assert_eq!(
                go(&format!("program {i}")).stdout,
                format!("program {i}").as_bytes()
            );
        }
        assert_eq!(runtime.compiled_modules(), COMPILED_MODULES_KEPT);
        // A module that does not compile is refused each time and never kept.
        let bad = runtime.run(b"(module", "_start", &["job"], b"", [7; 32], &LIMITS);
        assert!(matches!(bad, Err(WasmError::Compile(_))));
        assert_eq!(runtime.compiled_modules(), COMPILED_MODULES_KEPT);
    }

    #[test]
    fn a_module_runs_and_its_output_and_exit_status_come_back() {
        let done = run(&writer("hello, plexus", "")).unwrap();
        assert_eq!(done.stdout, b"hello, plexus");
        assert_eq!(done.exit_code, 0);
        assert!(done.fuel_used > 0 && done.fuel_used < LIMITS.fuel);
        let failed = run(&writer("partial", "(call $exit (i32.const 3))")).unwrap();
        assert_eq!(
            (failed.stdout.as_slice(), failed.exit_code),
            (&b"partial"[..], 3)
        );
        // The same job twice: the same bytes and the same fuel.
        assert_eq!(run(&writer("hello, plexus", "")).unwrap(), done);
    }

    #[test]
    fn hostile_modules_are_stopped_within_their_limits_and_the_runtime_keeps_serving() {
        let runtime = WasmRuntime::new().unwrap();
        let go = |wat: &str| runtime.run(wat.as_bytes(), "_start", &["job"], b"", [1; 32], &LIMITS);
        let endless = r#"(module (func (export "_start") (loop $l (br $l))))"#;
        assert_eq!(go(endless), Err(WasmError::OutOfFuel(LIMITS.fuel)));
        let bomb = r#"(module (memory 1)
          (func (export "_start") (loop $l (drop (memory.grow (i32.const 16))) (br $l))))"#;
        assert!(
            matches!(go(bomb), Err(WasmError::MemoryLimit { asked, limit }) if asked > limit),
            "{:?}",
            go(bomb)
        );
        let big_start = r#"(module (memory 1000) (func (export "_start")))"#;
        assert!(matches!(go(big_start), Err(WasmError::MemoryLimit { .. })));
        let trap = r#"(module (func (export "_start") unreachable))"#;
        assert!(matches!(go(trap), Err(WasmError::Trap(_))));
        let flood = writer("0123456789abcdef", "(loop $l (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))) (br $l))");
        assert_eq!(
            go(&flood),
            Err(WasmError::OutputLimit(LIMITS.max_output_bytes))
        );
        // Preview 1 can accept on a socket it is handed; it is handed none (fd 3 → EBADF, 8).
        let network = r#"(module
          (import "wasi_snapshot_preview1" "sock_accept" (func $accept (param i32 i32 i32) (result i32)))
          (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
          (memory (export "memory") 1)
          (func (export "_start") (call $exit (call $accept (i32.const 3) (i32.const 0) (i32.const 0)))))"#;
        assert_eq!(go(network).unwrap().exit_code, 8);
        let foreign = r#"(module (import "env" "open_socket" (func)) (func (export "_start")))"#;
        assert!(matches!(go(foreign), Err(WasmError::Link(_))));
        assert!(matches!(go("(module"), Err(WasmError::Compile(_))));
        assert_eq!(
            runtime.run(
                writer("x", "").as_bytes(),
                "main",
                &[],
                b"",
                [1; 32],
                &LIMITS
            ),
            Err(WasmError::NoEntry("main".into()))
        );
        // After all that, an honest job still runs.
        assert_eq!(go(&writer("still here", "")).unwrap().stdout, b"still here");
    }

    #[test]
    fn the_clock_and_randomness_are_the_same_on_every_run() {
        // clock_time_get(realtime, precision, *out) and random_get(buf, len), both printed.
        let wat = r#"(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "clock_time_get" (func $clock (param i32 i64 i32) (result i32)))
  (import "wasi_snapshot_preview1" "random_get" (func $random (param i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "_start")
    (drop (call $clock (i32.const 0) (i64.const 1) (i32.const 64)))
    (drop (call $random (i32.const 72) (i32.const 8)))
    (i32.store (i32.const 0) (i32.const 64))
    (i32.store (i32.const 4) (i32.const 16))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))"#;
        let runtime = WasmRuntime::new().unwrap();
        let go = |seed| {
            runtime
                .run(wat.as_bytes(), "_start", &[], b"", seed, &LIMITS)
                .unwrap()
        };
        let a = go([9; 32]);
        assert_eq!(&a.stdout[..8], &[0; 8], "the clock reads zero");
        assert_eq!(a, go([9; 32]));
        assert_ne!(a.stdout, go([10; 32]).stdout, "the seed is the randomness");
    }
}
