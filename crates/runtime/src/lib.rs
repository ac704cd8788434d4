//! Where providers run the jobs they lease. [`job`] runs a marketplace job from its spec and
//! compares two providers' outputs; [`wasm`] runs a WASI module deterministically within the
//! limits its job spec sets, so that a re-execution on another provider produces the same
//! output byte for byte and a hostile module cannot take more than it paid for; [`inference`]
//! runs a `plexus-learn` model over rows of features; [`virtual_clock`] is the time a WASM job
//! sees, which moves when it sleeps and never makes the provider wait, and [`captured_output`]
//! where its output goes, up to its limit; [`metered`] charges the work of WASI calls to a
//! job's fuel. [`fixtures`] holds the modules the devnet
//! submits and [`bench`] the cost of a job over the same work done natively.

pub mod bench;
pub mod captured_output;
pub mod fixtures;
pub mod inference;
pub mod job;
pub mod metered;
pub mod virtual_clock;
pub mod wasm;

pub use job::{outputs_agree, run_job, JobOutput, JobRunner, JobStatus};
