//! Plexus in one process on simulated time. A simulation starts a chain on a temporary store,
//! serves its node's API, an oracle's and the agents' services on an in-process network
//! ([`plexus_transport::Routers`]), and moves a clock of its own block by block, so the
//! network's economics (who is slashed, who is paid, which replica is replaced) run in seconds
//! and the same seed always tells the same story.

pub mod economics;
pub mod providers;
pub mod scenarios;
pub mod story;
pub mod world;

pub use providers::Provider;
pub use story::Story;
pub use world::{key_of, Actor, SimNet, World};
