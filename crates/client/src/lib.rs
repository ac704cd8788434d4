//! Clients of Plexus's HTTP APIs, shared by the CLI, the devnet, the agent and the oracle, so
//! that no program re-declares a view or how to talk to a node or an oracle.
//!
//! - [`views`]: the node API's JSON views, declared once for the node and its readers.
//! - [`NodeApi`] and its HTTP [`NodeClient`]; [`OracleApi`] and its HTTP [`OracleClient`].
//! - [`CoordinatorClient`]: a training task's coordinator.
//! - [`TxSender`]: the one way to sign, submit and wait for a transaction.
//! - [`audit`]: recomputing an epoch's manifest from an oracle's evidence, and comparing.
//! - [`Clock`]: the time a service runs on, [`SystemClock`] or a [`ManualClock`].

pub mod audit;
mod clock;
mod coordinator;
pub mod data;
mod http;
mod node;
mod node_api;
mod oracle;
mod sender;
pub mod views;

pub use clock::{Clock, ManualClock, SystemClock};
pub use coordinator::{CoordinatorClient, RoundView};
pub use http::{u128_text, ClientError, MAX_ANSWER_BYTES};
pub use node::NodeClient;
pub use node_api::{ApiFuture, NodeApi};
pub use oracle::{
    ChallengeFetch, ChallengeId, ChallengeOutcome, ClaimProof, HeartbeatReceipt, ManifestLeaf,
    OpenChallenge, OracleApi, OracleClient, OracleStatus, WirelessAnswer, WirelessRefusal,
    MAX_ROWS_REQUESTED,
};
pub use plexus_transport as transport;
pub use plexus_transport::{HttpTransport, Routers, Transport, TransportError};
pub use sender::{
    wait_committed, CommittedTx, Overrides, SendError, TxSender, DEFAULT_COMMIT_TIMEOUT,
};
