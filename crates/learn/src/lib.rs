//! Federated learning for Plexus. A model's parameters are one flat `f32` vector, and so is a
//! participant's update (its trained parameters minus the round's global ones). This crate
//! holds what a coordinator and an auditor compute from updates alone:
//!
//! - [`aggregate`]: checking updates, clipping them to the round's median norm, and combining
//!   them by FedAvg, coordinate-wise trimmed mean, coordinate-wise median or Krum, each
//!   refusing inputs that break its preconditions;
//! - [`optimizer`]: the server step that applies an aggregate (FedAvgM, FedAdam);
//! - [`contribution`]: cosine agreement, Sybil-cluster weights and per-round scores;
//! - [`data`]: examples with labels (or, for regression, targets) from CSV, the shipped 8×8
//!   digits, non-IID partitions;
//! - [`model`]: an MLP and a small CNN in candle (CPU), exchanged as flat parameters;
//! - [`objective`]: what a model minimises, classification (cross-entropy) or regression
//!   (squared error of one real value);
//! - [`round`]: one coordinator round, from updates to a new global model and scores;
//! - [`simulate`]: a whole task in one process, for tests and benchmarks;
//! - [`task`]: a task's spec, signed updates, and the round record anyone can recompute.
//!
//! Every function is deterministic: sums run in a fixed order and sorts use a total order, so
//! anyone who recomputes a round from the published updates gets the same bits.

pub mod aggregate;
pub mod contribution;
pub mod data;
mod mlp;
pub mod model;
pub mod objective;
pub mod optimizer;
pub mod round;
pub mod simulate;
pub mod task;
mod train_config;

pub use aggregate::{AggregateError, Rule};
