//! The compute marketplace's rules, apart from the ledger and the runtimes that use them:
//!
//! - [`spec`]: what a consumer asks to run (a TOML job spec), checked field by field;
//! - [`bid`]: how a provider prices a job from its bid policy, refusing what its hardware
//!   cannot run or what the consumer will not pay for;
//! - [`matching`]: which bids win an order.
//!
//! Prices are integer base units per block, with checked arithmetic; nothing here reads a
//! clock, draws randomness or depends on iteration order, so the ledger can run it.

pub mod bid;
pub mod matching;
pub mod spec;
