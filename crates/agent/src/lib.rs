//! The Plexus provider agent (`plexus agent start`): the daemon that runs next to a
//! provider's hardware. It registers the device on chain under its owner, proves the device
//! alive to the oracles with signed heartbeats, answers their compute challenges, and claims
//! the rewards that the oracles' manifests grant it.
//!
//! Each of these is a duty in its own module (`register`, `heartbeat`, `challenges`,
//! `claims`, `storage`, `bandwidth`, `jobs`, `learning`) with a `once` that does one round
//! against the [`ports`]: the node's API, the oracles' APIs, a clock and a transport for
//! every other HTTP call, all of them `plexus-client`'s. [`Agent::run`] loops
//! them on the clock; a simulation can step them by hand.
//!
//! The owner's key signs transactions (registration, claims) and comes from the caller's
//! keyring; the device's own key, kept in the data directory, signs everything the device
//! says to oracles. [`Behaviour`] names the cheats devnets and tests run, to show each cheat
//! being caught; it is read once into the [`Strategies`] the duties are given.

mod agent;
pub mod bandwidth;
pub mod behaviour;
pub mod challenges;
pub mod cheats;
mod claim_book;
pub mod claims;
pub mod config;
pub mod context;
mod error;
pub mod heartbeat;
pub mod identity;
pub mod jobs;
pub mod learning;
mod listen;
pub mod ports;
pub mod probe;
pub mod register;
pub mod storage;
pub mod upload_signer;

/// The training participant, under the name it had before the duties were split.
pub use learning as learner;

pub use agent::{Agent, Timings};
pub use behaviour::{Behaviour, LearnBehaviour, Strategies, HONEST_RUNS_FIRST};
pub use challenges::ChallengeAnswer;
pub use claims::SettledClaim;
pub use config::{AgentConfig, ConfigError};
pub use error::{AgentError, StorageError};
pub use identity::DeviceIdentity;
pub use learning::{LearnData, Learner};
pub use listen::TcpServices;
pub use plexus_client::{ClientError, Clock, ManualClock, NodeApi, OracleApi, SystemClock};
pub use plexus_types::epoch_clock::{EpochClock, IntervalId};
pub use ports::{Ports, Sender, ServiceHost};
pub use probe::{Gpu, HardwareProbe};
pub use register::Registration;
pub use storage::{ReplicaKeeper, SyncReport};
