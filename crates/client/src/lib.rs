//! Clients of Plexus's HTTP APIs, shared by the CLI, the devnet, the agent and the oracle, so
//! that no program re-declares how to talk to a node.

mod node;
pub mod transport;

pub use node::NodeClient;
pub use transport::{HttpTransport, Routers, Transport, TransportError};
