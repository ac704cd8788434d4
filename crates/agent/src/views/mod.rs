//! The views of the node's and the oracles' APIs that the agent reads: plain data, parsed from
//! JSON, importing nothing else of the agent.

pub mod learn;
pub mod market;
pub mod node;
pub mod oracle;
