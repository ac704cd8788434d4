//! Proof of compute (DESIGN §6): the prover multiplies two seeded matrices, the verifier
//! checks a few rows. This module owns the challenge, the prover, the verifiers (row openings,
//! fraud proofs, Freivalds) and the device classes.
//!
//! # Protocol
//!
//! 1. The oracle draws a fresh secret and sends [`ComputeChallenge::from_secret`] with the
//!    device's class `n` ([`COMPUTE_CLASSES`]).
//! 2. The device derives A and B (n×n over F_p, p = 2³¹ − 1, one blake3 stream per row),
//!    computes C = A·B ([`prove`]), and signs and returns [`ComputeProof::root`] before the
//!    class deadline.
//! 3. The oracle reveals the secret; [`sample_rows`] turns it and the root into
//!    [`ROWS_OPENED`] rows; the device answers with [`ComputeProof::open`]; the oracle runs
//!    [`check_openings`], or [`freivalds`] over all of C when the device sends C.
//! 4. A row that is in a signed commitment and is wrong is a fraud proof: [`is_fraud`] is what
//!    the ledger runs on it.
//!
//! A prover that skipped a fraction f of the rows passes the openings with probability at
//! most (1 − f)⁸; one that commits to any wrong C passes Freivalds with probability at most
//! p⁻ʳᵒᵘⁿᵈˢ.
//!
//! # Cost, prover against verifier
//!
//! Counted by the tests on the shipped code paths (`cost_tests`), with k = [`ROWS_OPENED`]
//! = 8 openings:
//!
//! - prover: n³ multiply-adds, 2n² derived elements (A and B), n² hashed elements (the row
//!   leaves), n − 1 Merkle nodes; memory 3n² words.
//! - verifier: k·n² multiply-adds, n² + k·n derived elements (B once, streamed, and k rows
//!   of A), k·n hashed elements, at most k·⌈log₂ n⌉ Merkle nodes; memory O(k·n).
//!
//! Counting one unit per multiply-add, derived or hashed element, and 16 per Merkle node
//! (64 bytes hashed), the prover does n/8 times the multiply-adds of the verifier and in all:
//!
//! | class      | n    | prover units | verifier units | ratio |
//! |------------|------|--------------|----------------|-------|
//! | cpu-small  | 512  | 1.350·10⁸    | 2.369·10⁶      | 57.0  |
//! | cpu-medium | 1024 | 1.077·10⁹    | 9.455·10⁶      | 113.9 |
//! | cpu-large  | 2048 | 8.603·10⁹    | 3.778·10⁷      | 227.7 |
//! | gpu-a100   | 4096 | 6.877·10¹⁰   | 1.511·10⁸      | 455.2 |
//!
//! Measured in release on the 2-vCPU development machine (AMD EPYC with AVX-512, default
//! x86-64 target), medians of 9 runs (3 for the two largest), repeated in 2–3 processes, with
//! `cargo run --release -p plexus-proofs --example compute_cost -- <class>`. The verifiers
//! run on one thread, Freivalds on two; "ratio" is prove time over verify time. The gpu-a100
//! row is this crate's CPU prover on the GPU class's challenge.
//!
//! | class      | prove, 2 threads | prove, 1 thread | verify 8 rows | ratio 2t / 1t | fraud re-check | Freivalds, 2 rounds |
//! |------------|------------------|-----------------|---------------|---------------|----------------|---------------------|
//! | cpu-small  | 11.2 ms          | 21.9 ms         | 0.66 ms       | 17 / 33       | 0.37 ms        | 0.7–1.3 ms          |
//! | cpu-medium | 81 ms            | 159 ms          | 2.46 ms       | 33 / 65       | 1.41 ms        | 2.6 ms              |
//! | cpu-large  | 641 ms           | 1.32 s          | 9.5 ms        | 68 / 139      | 5.5 ms         | 10.2 ms             |
//! | gpu-a100   | 5.1–5.4 s (CPU)  | 10.5 s (CPU)    | 38 ms         | 141 / 275     | 22 ms          | 40 ms               |
//!
//! The measured ratios fall short of the counted ones because a derived element (blake3
//! output) costs several multiply-adds: deriving B is most of the verifier's time.

mod challenge;
mod classes;
mod field;
mod freivalds;
mod meter;
mod product;
mod prover;
mod verifier;

#[cfg(test)]
mod cost_tests;

pub use challenge::{ComputeChallenge, MAX_N};
pub use classes::{
    class_by_n, class_by_name, ComputeClass, COMPUTE_CLASSES, DEADLINE_SLACK, NETWORK_ALLOWANCE_MS,
};
pub use field::P;
pub use freivalds::freivalds;
pub use prover::{prove, row_leaf, ComputeProof, RowOpening};
pub use verifier::{
    check_opening, check_openings, is_fraud, sample_rows, sample_rows_keyed, ROWS_OPENED,
};

/// Why a challenge, an answer or an opening was turned down.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ComputeError {
    #[error("matrix dimension {n} is outside 1..={max}")]
    Dimension { n: u32, max: u32 },
    #[error("row {index} is outside a {n}-row matrix")]
    RowOutOfRange { index: u32, n: u32 },
    #[error("opened row has {got} elements; the challenge has {expected} columns")]
    RowLength { expected: usize, got: usize },
    #[error("claimed product has {got} elements; the challenge needs {expected}")]
    ProductLength { expected: usize, got: usize },
    /// The path does not lead from this row to the root: nothing is proven against the
    /// device, since anyone can make up such an opening.
    #[error("row {index} is not in the commitment")]
    NotInCommitment { index: u32 },
    /// The device committed to this row and it is not row `index` of A·B: a fraud.
    #[error("committed row {index} is not row {index} of A·B")]
    WrongRow { index: u32 },
    #[error("the revealed secret does not match the challenge seed")]
    SecretMismatch,
}
