//! What a training participant reads of the node's training tasks.

use plexus_types::Address;
use serde::Deserialize;

/// The parts of a chain training task a participant reads.
#[derive(Debug, Clone, Deserialize)]
pub struct TaskView {
    pub id: u64,
    pub terms: TermsView,
    pub participants: Vec<ParticipantView>,
    pub status: StatusView,
}

#[derive(Debug, Clone, Deserialize)]
pub struct TermsView {
    pub dataset: String,
    pub spec: String,
    pub rounds: u32,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ParticipantView {
    pub account: Address,
    pub from_round: u32,
}

#[derive(Debug, Clone, Deserialize)]
pub struct StatusView {
    pub state: String,
}
