//! The economic scenarios: each builds a world from a seed, runs honest providers beside one
//! cheat, and tells what the network did to each.

mod compute;
mod jobs;
mod storage;
mod training;

pub use compute::wrong_compute;
pub use jobs::wrong_results;
pub use storage::replica_dropper;
pub use training::poisoner;
