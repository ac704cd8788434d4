//! Recomputing an oracle's manifest from its published evidence: the pure rules live in
//! [`plexus_rewards::audit`]; this module keeps their old paths for programs that use them.

pub use plexus_rewards::audit::{
    evidence_from_jsonl, recompute_manifest, score_resource, AuditError, ScoredResource,
    SCORED_RESOURCES,
};
