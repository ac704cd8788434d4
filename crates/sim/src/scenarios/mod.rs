//! The economic scenarios: each builds a world from a seed, runs honest providers beside one
//! cheat, and tells what the network did to each.

mod compute;

pub use compute::wrong_compute;
