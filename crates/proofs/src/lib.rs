//! Proofs of physical work: for each resource class, a challenge whose answer costs the prover
//! real resources, and a verifier that checks the answer for a small fraction of that cost.
//!
//! Everything here is a pure function of its inputs (seeds, commitments, answers): no clocks,
//! no I/O, no randomness but explicit seeds, so that the oracle, an auditor and the ledger
//! (which re-checks fraud proofs on chain) all reach the same verdict.

pub mod compute;
