//! The Plexus validator daemon: a chain driven by the solo block producer, the HTTP API under
//! `/v1`, Prometheus metrics at `/metrics`, and a small explorer at `/`.

mod api;
mod config;
mod explorer;
mod metrics_recorder;
mod openapi;
mod server;

pub use api::{router, ApiState};
pub use config::{write_durably, write_private, NodeConfig, NodeFiles, DEFAULT_API_ADDR};
pub use server::{run_node, shutdown_signal, RunningNode};
