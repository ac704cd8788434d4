//! Where providers run the jobs they lease. [`wasm`] runs a WASI module deterministically
//! within the limits its job spec sets, so that a re-execution on another provider produces
//! the same output byte for byte and a hostile module cannot take more than it paid for.
//! [`fixtures`] holds the modules the devnet submits.

pub mod fixtures;
pub mod wasm;
