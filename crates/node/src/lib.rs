//! The Plexus validator daemon: a chain driven by the solo block producer, the HTTP API under
//! `/v1`, Prometheus metrics at `/metrics`, and the web console at `/`.

mod api;
mod config;
mod metrics_recorder;
mod server;
mod uploads;

pub use api::{data_set_view, router, ApiState, BlockEvent, ConsoleState, EVENT_BACKLOG};
pub use config::{parse_oracle_url, NodeConfig, NodeFiles, DEFAULT_API_ADDR};
/// Durable file writes, where the devnet and older callers look for them.
pub use plexus_durable::{write_durably, write_private};
pub use server::{run_node, shutdown_signal, RunningNode};
pub use uploads::{spawn_partial_sweeper, upload_gate, UploadSettings};
