//! `GET /v1/learn/tasks…`: federated training tasks.

use plexus_types::{Address, Amount, Hash, TrainingTaskTerms};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "state")]
pub enum TaskStatusView {
    /// Taking participants and rounds.
    Open,
    /// Every round was submitted; the rest of the budget was refunded.
    Finished { height: u64 },
    /// The sponsor ended it early; the rest of the budget was refunded.
    Cancelled { height: u64 },
}

/// One participant's share of a round.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoundShareView {
    pub participant: Address,
    pub score: u64,
    pub paid: Amount,
}

/// A submitted round.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoundResultView {
    pub round: u32,
    pub model: Hash,
    pub record: Hash,
    pub accuracy_ppm: u32,
    pub loss_micro: u64,
    pub pot: Amount,
    pub paid: Amount,
    pub shares: Vec<RoundShareView>,
    pub height: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParticipantView {
    pub account: Address,
    /// The first round it takes part in.
    pub from_round: u32,
    pub earned: Amount,
}

/// `GET /v1/learn/tasks/{id}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskView {
    pub id: u64,
    pub sponsor: Address,
    pub terms: TrainingTaskTerms,
    pub participants: Vec<ParticipantView>,
    pub rounds: Vec<RoundResultView>,
    pub paid: Amount,
    pub refunded: Amount,
    pub status: TaskStatusView,
    pub created_height: u64,
}

impl TaskView {
    /// Rounds submitted so far.
    pub fn rounds_done(&self) -> u32 {
        self.rounds.len() as u32
    }

    pub fn is_open(&self) -> bool {
        self.status == TaskStatusView::Open
    }
}

/// `GET /v1/learn/tasks`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TasksView {
    pub tasks: Vec<TaskView>,
}
