//! The compute marketplace's rules, apart from the ledger and the runtimes that use them:
//!
//! - [`spec`]: what a consumer asks to run (a TOML job spec), checked field by field;
//! - [`bid`]: how a provider prices a job from its bid policy, refusing what its hardware
//!   cannot run or what the consumer will not pay for;
//!
//! Which bids win an order is a ledger rule (`plexus_ledger::market::winners`), since every
//! node must pick the same winners. Prices are integer base units per block, with checked
//! arithmetic.

pub mod bid;
pub mod spec;
