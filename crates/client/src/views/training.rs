//! `GET /v1/learn/tasks…`: federated training tasks.

use plexus_types::{Address, Amount, Hash, TrainingTaskTerms};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RoundShareView {
    #[cfg_attr(feature = "openapi", schema(value_type = crate::views::schema::AddressSchema))]
    pub participant: Address,
    pub score: u64,
    #[cfg_attr(feature = "openapi", schema(value_type = crate::views::schema::AmountSchema))]
    pub paid: Amount,
}

/// A submitted round.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RoundResultView {
    pub round: u32,
    #[cfg_attr(feature = "openapi", schema(value_type = crate::views::schema::HashSchema))]
    pub model: Hash,
    #[cfg_attr(feature = "openapi", schema(value_type = crate::views::schema::HashSchema))]
    pub record: Hash,
    pub accuracy_ppm: u32,
    pub loss_micro: u64,
    #[cfg_attr(feature = "openapi", schema(value_type = crate::views::schema::AmountSchema))]
    pub pot: Amount,
    #[cfg_attr(feature = "openapi", schema(value_type = crate::views::schema::AmountSchema))]
    pub paid: Amount,
    pub shares: Vec<RoundShareView>,
    pub height: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ParticipantView {
    #[cfg_attr(feature = "openapi", schema(value_type = crate::views::schema::AddressSchema))]
    pub account: Address,
    /// The first round it takes part in.
    pub from_round: u32,
    #[cfg_attr(feature = "openapi", schema(value_type = crate::views::schema::AmountSchema))]
    pub earned: Amount,
    /// The bond it locked to join, returned when the task ends unless forfeit.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = crate::views::schema::AmountSchema))]
    pub bond: Amount,
    /// Whether its bond went to the fee pool when the task ended (it took part in a round
    /// and earned nothing).
    #[serde(default)]
    pub bond_forfeit: bool,
}

/// `GET /v1/learn/tasks/{id}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TaskView {
    pub id: u64,
    #[cfg_attr(feature = "openapi", schema(value_type = crate::views::schema::AddressSchema))]
    pub sponsor: Address,
    #[cfg_attr(feature = "openapi", schema(value_type = crate::views::schema::TrainingTaskTermsSchema))]
    pub terms: TrainingTaskTerms,
    pub participants: Vec<ParticipantView>,
    /// Rounds submitted so far.
    pub rounds_done: u32,
    /// The newest rounds, at most 100, oldest first; every round is at
    /// `GET /v1/learn/tasks/{id}/rounds` ([`NodeApi::training_rounds`](crate::NodeApi::training_rounds)).
    pub rounds: Vec<RoundResultView>,
    #[cfg_attr(feature = "openapi", schema(value_type = crate::views::schema::AmountSchema))]
    pub paid: Amount,
    #[cfg_attr(feature = "openapi", schema(value_type = crate::views::schema::AmountSchema))]
    pub refunded: Amount,
    pub status: TaskStatusView,
    pub created_height: u64,
}

impl TaskView {
    /// Rounds submitted so far.
    pub fn rounds_done(&self) -> u32 {
        self.rounds_done
    }

    pub fn is_open(&self) -> bool {
        self.status == TaskStatusView::Open
    }
}

/// `GET /v1/learn/tasks`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TasksView {
    pub tasks: Vec<TaskView>,
    /// Where the next page starts (`from`), `None` after the last.
    #[serde(default)]
    pub next: Option<u64>,
}

/// `GET /v1/learn/tasks/{id}/rounds`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RoundsView {
    pub rounds: Vec<RoundResultView>,
    /// The round the next page starts at (`from`), `None` after the last.
    #[serde(default)]
    pub next: Option<u64>,
}
