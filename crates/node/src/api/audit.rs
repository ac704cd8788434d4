//! `GET /v1/epochs/{epoch}/audit/{resource}`: the node re-runs `plexus audit epoch` for a page
//! that cannot: it fetches the evidence from the oracles its operator named (never from a URL in
//! the request), recomputes the manifest from its own registry and parameters, and compares it
//! with the final manifest in its store.
//!
//! The work is dear (a signature check per heartbeat), so one audit runs at a time, a second
//! waits [`AUDIT_WAIT`] and is then told `busy`; the evidence is read up to
//! [`audit::MAX_EVIDENCE_BYTES`]; and a result is kept (the final manifest and the sealed
//! evidence behind it no longer change) until the operator names other oracles.

use super::{blocking, ApiError, ApiResult, ApiState, ErrorBody};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use parking_lot::Mutex;
use plexus_chain::Chain;
use plexus_client::audit::{self, EpochAudit, EpochAuditError, EvidenceFetchError};
use plexus_client::views::{ChainView, DeviceView, EpochView};
use plexus_ledger::query;
use plexus_rewards::audit::{ScoredResource, SCORED_RESOURCES};
use std::collections::BTreeMap;
use std::time::Duration;
use tokio::sync::Semaphore;

/// How long a request waits for the audit running before it is told `busy`.
pub(crate) const AUDIT_WAIT: Duration = Duration::from_secs(2);

/// Audit results kept; the oldest epochs' go first.
const AUDITS_KEPT: usize = 512;

/// Audit results by epoch and resource, for the oracles named when they were computed.
type Done = (Vec<String>, BTreeMap<(u64, ScoredResource), EpochAudit>);

/// The node's audits: at most one running, and the results for final manifests.
pub(crate) struct Audits {
    running: Semaphore,
    done: Mutex<Done>,
}

impl Default for Audits {
    fn default() -> Audits {
        Audits {
            running: Semaphore::new(1),
            done: Mutex::new((Vec::new(), BTreeMap::new())),
        }
    }
}

impl Audits {
    fn cached(&self, oracles: &[String], key: (u64, ScoredResource)) -> Option<EpochAudit> {
        let done = self.done.lock();
        (done.0 == oracles).then(|| done.1.get(&key).cloned())?
    }

    fn keep(&self, oracles: &[String], key: (u64, ScoredResource), result: EpochAudit) {
        let mut done = self.done.lock();
        if done.0 != oracles {
            *done = (oracles.to_vec(), BTreeMap::new());
        }
        done.1.insert(key, result);
        while done.1.len() > AUDITS_KEPT {
            done.1.pop_first();
        }
    }
}

/// The epoch's pools as `GET /v1/epochs/{epoch}` serves them.
fn epoch_view(chain: &Chain, epoch: u64) -> ApiResult<EpochView> {
    let store = chain.store();
    let last = query::last_epoch(store).map_err(ApiError::internal)?;
    let (record, pools) = query::epoch(store, epoch)
        .map_err(ApiError::internal)?
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::NOT_FOUND,
                "epoch_not_ended",
                format!("epoch {epoch} has not ended (last ended: {last})"),
            )
        })?;
    serde_json::from_value(
        serde_json::json!({ "epoch": record, "pools": pools, "last_ended": last }),
    )
    .map_err(ApiError::internal)
}

/// The chain's rules and its registry, read through the views the API serves, as
/// `plexus audit` reads them.
fn registry(chain: &Chain) -> ApiResult<(ChainView, Vec<DeviceView>)> {
    let store = chain.store();
    let info = query::chain_info(store)
        .map_err(ApiError::internal)?
        .ok_or_else(|| ApiError::internal("the chain has no genesis"))?;
    let devices = query::devices(store).map_err(ApiError::internal)?;
    Ok((as_view(&info)?, as_view(&devices)?))
}

/// `value` as the view the API serves it as.
fn as_view<T: serde::de::DeserializeOwned>(value: &impl serde::Serialize) -> ApiResult<T> {
    serde_json::to_value(value)
        .and_then(serde_json::from_value)
        .map_err(ApiError::internal)
}

fn audit_error(e: EpochAuditError) -> ApiError {
    match e {
        EpochAuditError::NoPool { .. } => {
            ApiError::new(StatusCode::NOT_FOUND, "no_such_pool", e.to_string())
        }
        EpochAuditError::NotFinal { .. } => {
            ApiError::new(StatusCode::CONFLICT, "manifest_not_final", e.to_string())
        }
        EpochAuditError::Evidence(_) => {
            ApiError::new(StatusCode::BAD_GATEWAY, "bad_evidence", e.to_string())
        }
    }
}

#[utoipa::path(
    get,
    path = "/v1/epochs/{epoch}/audit/{resource}",
    tag = "rewards",
    summary = "Re-run the audit of an epoch's final manifest: fetch the evidence from the first of this node's oracles that answers, recompute the manifest (checking every heartbeat's signature) and compare it with the chain's. One audit runs at a time; results are kept",
    params(
        ("epoch" = u64, Path, description = "An ended epoch"),
        ("resource" = String, Path, description = "`compute` or `bandwidth`"),
    ),
    responses(
        (status = 200, description = "The audit ran: `match` says whether the chain's manifest follows from the evidence", body = EpochAudit),
        (status = 400, description = "bad epoch or resource", body = ErrorBody),
        (status = 404, description = "epoch not ended, or no such pool", body = ErrorBody),
        (status = 409, description = "no final manifest yet", body = ErrorBody),
        (status = 502, description = "no oracle answered, or its evidence is unreadable", body = ErrorBody),
        (status = 503, description = "this node knows no oracle, or another audit is running", body = ErrorBody),
    )
)]
/// GET /v1/epochs/{epoch}/audit/{resource}: the epoch's manifest recomputed and compared.
pub(super) async fn epoch_audit(
    State(s): State<ApiState>,
    Path((epoch, resource)): Path<(String, String)>,
) -> ApiResult<Json<EpochAudit>> {
    let epoch: u64 = epoch.parse().map_err(|_| {
        ApiError::bad_request("bad_epoch", format!("{epoch:?} is not an epoch number"))
    })?;
    let resource = ScoredResource::parse(&resource).ok_or_else(|| {
        let names: Vec<&str> = SCORED_RESOURCES.iter().map(|r| r.as_str()).collect();
        ApiError::bad_request(
            "bad_resource",
            format!("oracles score {}; not {resource:?}", names.join(", ")),
        )
    })?;
    let oracles = s.console.settings.oracles();
    let audits = &s.console.settings.audits;
    let key = (epoch, resource);
    if let Some(done) = audits.cached(&oracles, key) {
        return Ok(Json(done));
    }
    // Cheap refusals first: no final manifest, no oracle.
    let chain = s.chain.clone();
    let on_chain = blocking(move || epoch_view(&chain, epoch)).await?;
    audit::final_manifest(&on_chain, epoch, resource).map_err(audit_error)?;
    if oracles.is_empty() {
        return Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "no_oracle",
            "this node was not told of an oracle whose evidence it could audit",
        ));
    }
    let _running = tokio::time::timeout(AUDIT_WAIT, audits.running.acquire())
        .await
        .map_err(|_| {
            ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "busy",
                "another audit is running; ask again shortly",
            )
        })?
        .map_err(ApiError::internal)?;
    // It may have run while this one waited.
    if let Some(done) = audits.cached(&oracles, key) {
        return Ok(Json(done));
    }
    let (oracle, evidence) = first_evidence(&oracles, epoch).await?;
    let chain = s.chain.clone();
    let result = blocking(move || {
        let (info, devices) = registry(&chain)?;
        audit::audit_epoch(
            &info, &devices, &on_chain, epoch, resource, &oracle, &evidence,
        )
        .map_err(audit_error)
    })
    .await?;
    audits.keep(&oracles, key, result.clone());
    Ok(Json(result))
}

/// The evidence of `epoch` from the first of `oracles` that gives it.
async fn first_evidence(oracles: &[String], epoch: u64) -> ApiResult<(String, String)> {
    let http = reqwest::Client::builder()
        .timeout(audit::EVIDENCE_TIMEOUT)
        .build()
        .map_err(ApiError::internal)?;
    let mut failures = Vec::new();
    for oracle in oracles {
        match audit::fetch_evidence(&http, oracle, epoch, audit::MAX_EVIDENCE_BYTES).await {
            Ok(text) => return Ok((oracle.clone(), text)),
            Err(e @ EvidenceFetchError::TooLarge { .. }) => {
                return Err(ApiError::new(
                    StatusCode::BAD_GATEWAY,
                    "evidence_too_large",
                    e.to_string(),
                ))
            }
            Err(e) => failures.push(e.to_string()),
        }
    }
    Err(ApiError::new(
        StatusCode::BAD_GATEWAY,
        "oracle_unreachable",
        failures.join("; "),
    ))
}
