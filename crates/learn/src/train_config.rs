//! The settings of a participant's local training, shared by the model and the MLP's
//! written-out training steps.

use serde::{Deserialize, Serialize};

/// How a participant trains locally each round.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TrainConfig {
    pub epochs: usize,
    pub batch: usize,
    pub lr: f64,
}

impl Default for TrainConfig {
    fn default() -> Self {
        TrainConfig {
            epochs: 1,
            batch: 32,
            lr: 0.1,
        }
    }
}
