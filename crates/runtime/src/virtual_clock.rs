//! The time a WASM job sees: a virtual clock that starts at zero and moves only when the
//! module sleeps, and the WASI `poll_oneoff` that moves it.
//!
//! A provider must never wait on a job's behalf: wasmtime's own `poll_oneoff` sleeps for real
//! (an hour's timeout is an hour of a worker thread, `u64::MAX` nanoseconds is forever) and is
//! not metered by fuel. Here a poll returns at once: when it waits only on clocks, the clock
//! jumps to the earliest deadline and those subscriptions fire, so a module that sleeps an hour
//! sees an hour go by in no time, and every run of a job sees the same times.
//!
//! Standard input is a memory pipe and standard output and error are memory buffers, so a
//! subscription to reading fd 0 or writing fd 1 or 2 is always ready: a poll naming any fd
//! returns those at once (with the clocks already due) and leaves the clock where it is. Other
//! fds are `EBADF`, other clocks (CPU time) and subscription kinds `EINVAL`, as in wasmtime;
//! more than [`MAX_SUBSCRIPTIONS`] at once `ENOMEM`. Each subscription read costs one unit of
//! the job's fuel.

use crate::metered::charge_fuel;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use wasmtime::{Caller, Extern, Linker};
use wasmtime_wasi::{HostMonotonicClock, HostWallClock};

/// Nanoseconds since the job started, as the job sees them; the wall clock and the monotonic
/// clock both read it.
#[derive(Debug, Clone, Default)]
pub struct VirtualClock(Arc<AtomicU64>);

impl VirtualClock {
    pub fn nanos(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }

    /// Moves the clock on to `nanos`; never back.
    fn advance_to(&self, nanos: u64) {
        self.0.fetch_max(nanos, Ordering::Relaxed);
    }
}

impl HostWallClock for VirtualClock {
    fn resolution(&self) -> Duration {
        Duration::from_nanos(1)
    }

    fn now(&self) -> Duration {
        Duration::from_nanos(self.nanos())
    }
}

impl HostMonotonicClock for VirtualClock {
    fn resolution(&self) -> u64 {
        1
    }

    fn now(&self) -> u64 {
        self.nanos()
    }
}

// WASI preview 1's numbers and layouts.
const ERRNO_SUCCESS: i32 = 0;
const ERRNO_BADF: i32 = 8;
const ERRNO_FAULT: i32 = 21;
const ERRNO_INVAL: i32 = 28;
const ERRNO_NOMEM: i32 = 48;
/// Most subscriptions one poll may name (wasmtime's own bound is about as many bytes): what the
/// host holds of a poll stays small whatever memory the module has.
pub const MAX_SUBSCRIPTIONS: u32 = 65_536;
const SUBSCRIPTION_BYTES: usize = 48;
const EVENT_BYTES: usize = 32;
const EVENT_CLOCK: u8 = 0;
const EVENT_FD_READ: u8 = 1;
const EVENT_FD_WRITE: u8 = 2;
const CLOCK_REALTIME: u32 = 0;
const CLOCK_MONOTONIC: u32 = 1;
const SUBSCRIPTION_CLOCK_ABSTIME: u16 = 1;

/// One subscription, read from the module's memory.
struct Subscription {
    userdata: u64,
    kind: u8,
    /// For a clock: when it fires, in the clock's nanoseconds.
    deadline: u64,
}

/// Replaces WASI's `poll_oneoff` in `linker` (which must already hold WASI preview 1) with one
/// that never blocks and moves the clock `clock` returns.
pub fn add_poll_oneoff<T: 'static>(
    linker: &mut Linker<T>,
    clock: fn(&T) -> &VirtualClock,
) -> wasmtime::Result<()> {
    linker.allow_shadowing(true);
    linker.func_wrap(
        "wasi_snapshot_preview1",
        "poll_oneoff",
        move |mut caller: Caller<'_, T>, subs: i32, events: i32, n: i32, out: i32| {
            let clock = clock(caller.data()).clone();
            let n = n as u32;
            charge_fuel(&mut caller, u64::from(n))?;
            let Some(Extern::Memory(memory)) = caller.get_export("memory") else {
                return Ok(ERRNO_FAULT);
            };
            let memory = memory.data_mut(&mut caller);
            Ok(poll(
                memory,
                &clock,
                subs as u32,
                events as u32,
                n,
                out as u32,
            ))
        },
    )?;
    linker.allow_shadowing(false);
    Ok(())
}

/// The poll itself, over the module's memory; returns the errno.
fn poll(memory: &mut [u8], clock: &VirtualClock, subs: u32, events: u32, n: u32, out: u32) -> i32 {
    if n == 0 {
        // Waiting on nothing would be waiting forever.
        return ERRNO_INVAL;
    }
    if n > MAX_SUBSCRIPTIONS {
        return ERRNO_NOMEM;
    }
    let now = clock.nanos();
    let mut read = Vec::new();
    for i in 0..n as usize {
        let at = (subs as usize).saturating_add(i.saturating_mul(SUBSCRIPTION_BYTES));
        let Some(sub) = memory.get(at..at.saturating_add(SUBSCRIPTION_BYTES)) else {
            return ERRNO_FAULT;
        };
        match subscription(sub, now) {
            Ok(s) => read.push(s),
            Err(errno) => return errno,
        }
    }
    let waits_on_fds = read.iter().any(|s| s.kind != EVENT_CLOCK);
    let until = if waits_on_fds {
        now
    } else {
        read.iter()
            .map(|s| s.deadline)
            .min()
            .unwrap_or(now)
            .max(now)
    };
    let fired: Vec<&Subscription> = read
        .iter()
        .filter(|s| s.kind != EVENT_CLOCK || s.deadline <= until)
        .collect();
    let events_end = (events as usize).saturating_add(fired.len() * EVENT_BYTES);
    let out_end = (out as usize).saturating_add(4);
    if events_end > memory.len() || out_end > memory.len() {
        return ERRNO_FAULT;
    }
    for (i, sub) in fired.iter().enumerate() {
        let at = events as usize + i * EVENT_BYTES;
        let event = &mut memory[at..at + EVENT_BYTES];
        event.fill(0);
        event[..8].copy_from_slice(&sub.userdata.to_le_bytes());
        event[10] = sub.kind;
        if sub.kind != EVENT_CLOCK {
            // One byte readable or writable, as wasmtime reports for standard streams.
            event[16..24].copy_from_slice(&1u64.to_le_bytes());
        }
    }
    memory[out as usize..out_end].copy_from_slice(&(fired.len() as u32).to_le_bytes());
    clock.advance_to(until);
    ERRNO_SUCCESS
}

/// Reads one subscription; a clock's timeout becomes its deadline on the clock reading `now`.
fn subscription(bytes: &[u8], now: u64) -> Result<Subscription, i32> {
    let u64_at = |at: usize| u64::from_le_bytes(bytes[at..at + 8].try_into().expect("8 bytes"));
    let u32_at = |at: usize| u32::from_le_bytes(bytes[at..at + 4].try_into().expect("4 bytes"));
    let userdata = u64_at(0);
    let kind = bytes[8];
    match kind {
        EVENT_CLOCK => {
            if !matches!(u32_at(16), CLOCK_REALTIME | CLOCK_MONOTONIC) {
                return Err(ERRNO_INVAL);
            }
            let timeout = u64_at(24);
            let flags = u16::from_le_bytes([bytes[40], bytes[41]]);
            let deadline = if flags & SUBSCRIPTION_CLOCK_ABSTIME != 0 {
                timeout
            } else {
                now.saturating_add(timeout)
            };
            Ok(Subscription {
                userdata,
                kind,
                deadline,
            })
        }
        EVENT_FD_READ | EVENT_FD_WRITE => {
            let fd = u32_at(16);
            let ready = if kind == EVENT_FD_READ {
                fd == 0
            } else {
                fd == 1 || fd == 2
            };
            if !ready {
                return Err(ERRNO_BADF);
            }
            Ok(Subscription {
                userdata,
                kind,
                deadline: now,
            })
        }
        _ => Err(ERRNO_INVAL),
    }
}
