//! What a task's model is trained to minimise, shared by the model, the MLP's written-out
//! steps and the task spec: softmax cross-entropy over classes, or the squared error of one
//! real-valued output.

use serde::{Deserialize, Serialize};

/// A model's objective. Its loss is what local training lowers and what contribution scores
/// measure the drop of on the validation set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Objective {
    /// One output per class; the loss is the mean softmax cross-entropy of the labels.
    #[default]
    Classification,
    /// One real-valued output; the loss is the mean squared error against the targets.
    Regression,
}

impl Objective {
    pub fn is_classification(&self) -> bool {
        *self == Objective::Classification
    }
}
