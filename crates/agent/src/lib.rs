//! The Plexus provider agent (`plexus agent start`): the daemon that runs next to a
//! provider's hardware. It registers the device on chain under its owner, proves the device
//! alive to the oracles with signed heartbeats, answers their compute challenges, and claims
//! the rewards that the oracles' manifests grant it.
//!
//! The owner's key signs transactions (registration, claims) and comes from the caller's
//! keyring; the device's own key, kept in the data directory, signs everything the device
//! says to oracles. [`Behaviour`] lets devnets and tests run agents that cheat, to show
//! each cheat being caught.

mod agent;
pub mod bandwidth;
pub mod behaviour;
pub mod claims;
pub mod config;
mod error;
mod http;
pub mod identity;
pub mod jobs;
pub mod learner;
pub mod node;
pub mod oracle;
pub mod probe;
pub mod storage;

pub use agent::{Agent, ChallengeAnswer, Registration, SettledClaim, Timings};
pub use behaviour::Behaviour;
pub use config::{AgentConfig, ConfigError};
pub use error::AgentError;
pub use http::{ClientError, MAX_ANSWER_BYTES};
pub use identity::DeviceIdentity;
pub use learner::{LearnBehaviour, LearnData, Learner};
pub use node::NodeClient;
pub use oracle::OracleClient;
pub use plexus_types::epoch_clock::{EpochClock, IntervalId};
pub use probe::{Gpu, HardwareProbe};
pub use storage::{ReplicaKeeper, StorageError, SyncReport};
