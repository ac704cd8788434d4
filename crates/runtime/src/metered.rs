//! WASI calls whose work grows with their arguments, charged to the job's fuel, so that fuel
//! bounds everything a run does and a provider can derive a job's wall-clock bound from it.
//!
//! Fuel already meters every WebAssembly instruction, bulk memory operations by the byte, and
//! memory growth by the page. Of WASI preview 1 as a job has it (no files, no sockets, output
//! capped and stopped at its limit, input no larger than its blob cap), only `random_get` does
//! work that grows with an argument and is not charged: here it is charged a unit a byte, and
//! draws the same bytes from the same generator as wasmtime's. `poll_oneoff` charges its own ([`crate::virtual_clock`]).

use wasmtime::{Caller, Extern, Linker, Trap};
use wasmtime_wasi::p1::WasiP1Ctx;
use wasmtime_wasi::p2::bindings::random::random;
use wasmtime_wasi::WasiView;

/// Takes `units` of fuel from the running job, or stops it as out of fuel (taking what is
/// left) when it has fewer.
pub fn charge_fuel<T>(caller: &mut Caller<'_, T>, units: u64) -> wasmtime::Result<()> {
    let fuel = caller.get_fuel()?;
    if units > fuel {
        caller.set_fuel(0)?;
        return Err(Trap::OutOfFuel.into());
    }
    caller.set_fuel(fuel - units)
}

/// WASI preview 1's errno for a buffer outside the module's memory.
const ERRNO_FAULT: i32 = 21;

/// Replaces WASI's `random_get` in `linker` (which must already hold WASI preview 1) with one
/// that charges a unit of fuel per byte asked for, then gives the bytes wasmtime's would, from
/// the WASI context `wasi` returns: drawn first, then written, `EFAULT` when the buffer is
/// outside the module's memory.
pub fn add_metered_random<T: 'static>(
    linker: &mut Linker<T>,
    wasi: fn(&mut T) -> &mut WasiP1Ctx,
) -> wasmtime::Result<()> {
    linker.allow_shadowing(true);
    linker.func_wrap(
        "wasi_snapshot_preview1",
        "random_get",
        move |mut caller: Caller<'_, T>, buf: i32, len: i32| {
            let len = u64::from(len as u32);
            charge_fuel(&mut caller, len)?;
            let bytes =
                random::Host::get_random_bytes(wasi(caller.data_mut()).ctx().ctx.random(), len)?;
            let Some(Extern::Memory(memory)) = caller.get_export("memory") else {
                return Ok(ERRNO_FAULT);
            };
            let at = buf as u32 as usize;
            let Some(out) = memory
                .data_mut(&mut caller)
                .get_mut(at..at.saturating_add(bytes.len()))
            else {
                return Ok(ERRNO_FAULT);
            };
            out.copy_from_slice(&bytes);
            Ok(0)
        },
    )?;
    linker.allow_shadowing(false);
    Ok(())
}
