//! The data service: the sensor data sets this oracle scored, their manifests (from which a
//! device's share of the revenue is claimed), and their contents, opened to a buyer's key once
//! the chain records its purchase.

use super::{bad, epoch_evidence, refuse, AppState};
use crate::rules::fetch_in_time;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use plexus_rewards::audit::evidence_from_jsonl;
use plexus_rewards::sensors::data_sets::{
    data_resource, data_set_name, parse_data_set_name, set_batches,
};
use plexus_rewards::EvidenceRecord;
use plexus_types::{merkle_root, statements, Address, PublicKey, Signature};
use serde_json::json;

/// The headers a buyer signs its request with.
pub const BUYER_HEADER: &str = "x-plexus-buyer";
pub const AT_MS_HEADER: &str = "x-plexus-at-ms";
pub const SIGNATURE_HEADER: &str = "x-plexus-signature";

fn set_of(epoch: &str, class: &str, region: &str) -> Result<(u64, String, String), Box<Response>> {
    let epoch: u64 = epoch
        .parse()
        .map_err(|_| Box::new(bad("malformed", "not an epoch number")))?;
    let name = format!("{class}/{region}");
    let (class, region) = parse_data_set_name(&name).ok_or_else(|| {
        Box::new(bad(
            "malformed",
            format!("{name:?} is not a data set (<class>/<resolution-5 H3 cell in hex>)"),
        ))
    })?;
    Ok((
        epoch,
        data_set_name(&class, region),
        data_resource(&class, region),
    ))
}

/// `GET /v1/data/{epoch}`: the data sets this oracle scored for the epoch.
pub(super) async fn data_sets(State(s): State<AppState>, Path(epoch): Path<String>) -> Response {
    let Ok(epoch) = epoch.parse::<u64>() else {
        return bad("malformed", "not an epoch number");
    };
    let prefix = format!("epoch-{epoch:08}-data-");
    let dir = s.data_dir.join("manifests");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|f| f.starts_with(&prefix) && f.ends_with(".json"))
        .collect();
    names.sort();
    let mut sets = Vec::new();
    for file in names {
        let Ok(text) = std::fs::read_to_string(dir.join(&file)) else {
            continue;
        };
        let Ok(closed) = serde_json::from_str::<crate::shared::ClosedEpoch>(&text) else {
            continue;
        };
        let m = &closed.manifest;
        sets.push(json!({
            "name": closed.resource.trim_start_matches("data/"),
            "devices": m.leaves().len(),
            "total_units": m.total_units().to_string(),
            "root": m.root(),
            "data_root": m.evidence_root(),
            "submitted": closed.submitted,
        }));
    }
    Json(json!({ "epoch": epoch, "sets": sets })).into_response()
}

/// `GET /v1/manifests/{epoch}/data/{class}/{region}`: a data set's manifest.
pub(super) async fn data_manifest(
    State(s): State<AppState>,
    Path((epoch, class, region)): Path<(String, String, String)>,
) -> Response {
    let (epoch, _, resource) = match set_of(&epoch, &class, &region) {
        Ok(x) => x,
        Err(r) => return *r,
    };
    match super::load_closed(&s, &epoch.to_string(), &resource) {
        Ok(c) => Json(c).into_response(),
        Err(r) => *r,
    }
}

/// `GET /v1/manifests/{epoch}/data/{class}/{region}/claims/{device}`: what a `ClaimReward`
/// of a device's share of the set's revenue carries.
pub(super) async fn data_claim(
    State(s): State<AppState>,
    Path((epoch, class, region, device)): Path<(String, String, String, String)>,
) -> Response {
    let (epoch, _, resource) = match set_of(&epoch, &class, &region) {
        Ok(x) => x,
        Err(r) => return *r,
    };
    super::claim_proof(State(s), Path((epoch.to_string(), resource, device))).await
}

/// Who asks, checked: the buyer's key, its signature over the request and its clock.
fn buyer(
    s: &AppState,
    headers: &HeaderMap,
    epoch: u64,
    name: &str,
) -> Result<PublicKey, Box<Response>> {
    let header = |n: &str| headers.get(n).and_then(|v| v.to_str().ok());
    let (Some(buyer), Some(at_ms), Some(signature)) = (
        header(BUYER_HEADER),
        header(AT_MS_HEADER),
        header(SIGNATURE_HEADER),
    ) else {
        return Err(Box::new(refuse(
            StatusCode::UNAUTHORIZED,
            "unsigned",
            format!(
                "a data set is served to the key that bought it: send {BUYER_HEADER}, \
                 {AT_MS_HEADER} and {SIGNATURE_HEADER} over plexus/data-request/v1"
            ),
        )));
    };
    let buyer: PublicKey = buyer
        .parse()
        .map_err(|_| Box::new(bad("malformed", "the buyer is not a hex public key")))?;
    let at_ms: u64 = at_ms
        .parse()
        .map_err(|_| Box::new(bad("malformed", "at_ms is not a number")))?;
    let signature = hex::decode(signature)
        .ok()
        .and_then(|b| Signature::from_slice(&b).ok())
        .ok_or_else(|| Box::new(bad("malformed", "not a hex signature")))?;
    let statement = statements::data_request(&s.info.chain_id, epoch, name, &buyer, at_ms);
    if buyer.verify(&statement, &signature).is_err() {
        return Err(Box::new(refuse(
            StatusCode::UNAUTHORIZED,
            "bad_signature",
            "the request is not signed by the buyer's key",
        )));
    }
    let now = s.time.now();
    if !fetch_in_time(at_ms, now) {
        return Err(Box::new(bad(
            "stale",
            format!(
                "at_ms {at_ms} is too far from the oracle's clock ({} ms)",
                now.as_millis()
            ),
        )));
    }
    Ok(buyer)
}

/// `GET /v1/data/{epoch}/{class}/{region}`: the set's batches, to the buyer whose purchase
/// the chain recorded, with its leaves and roots; the oracle checks the batches against the
/// set's data root before it serves them.
pub(super) async fn data_contents(
    State(s): State<AppState>,
    Path((epoch, class, region)): Path<(String, String, String)>,
    headers: HeaderMap,
) -> Response {
    let (epoch, name, resource) = match set_of(&epoch, &class, &region) {
        Ok(x) => x,
        Err(r) => return *r,
    };
    let buyer = match buyer(&s, &headers, epoch, &name) {
        Ok(b) => b,
        Err(r) => return *r,
    };
    let address = Address::from_public_key(&buyer);
    match s.sender.node().data_sale(epoch, &name, &address).await {
        Ok(Some(_)) => {}
        Ok(None) => {
            return refuse(
                StatusCode::PAYMENT_REQUIRED,
                "not_bought",
                format!("{address} has not bought data set {name} of epoch {epoch}"),
            )
        }
        Err(e) => {
            return refuse(
                StatusCode::SERVICE_UNAVAILABLE,
                "node_unavailable",
                format!("the chain's record of the sale cannot be read: {e}"),
            )
        }
    }
    let closed = match super::load_closed(&s, &epoch.to_string(), &resource) {
        Ok(c) => c,
        Err(r) => return *r,
    };
    let s2 = s.clone();
    let served = tokio::task::spawn_blocking(move || contents(&s2, epoch, &name, closed)).await;
    match served {
        Ok(Ok(body)) => Json(body).into_response(),
        Ok(Err(message)) => refuse(StatusCode::INTERNAL_SERVER_ERROR, "unreadable", message),
        Err(e) => refuse(
            StatusCode::INTERNAL_SERVER_ERROR,
            "unreadable",
            e.to_string(),
        ),
    }
}

fn contents(
    s: &AppState,
    epoch: u64,
    name: &str,
    closed: crate::shared::ClosedEpoch,
) -> Result<serde_json::Value, String> {
    let (class, _) = parse_data_set_name(name).ok_or("a stored set has a bad name")?;
    let text = epoch_evidence(s, epoch).map_err(|e| format!("epoch {epoch}'s evidence: {e}"))?;
    let records = evidence_from_jsonl(&text, &s.info.chain_id).map_err(|e| e.to_string())?;
    let m = &closed.manifest;
    let devices: Vec<PublicKey> = m.leaves().iter().map(|l| l.device).collect();
    let batches = set_batches(epoch, &class, &devices, &records);
    let root = merkle_root(batches.iter().map(|(h, _)| *h).collect());
    if root != m.evidence_root() {
        return Err(format!(
            "the batches held for {name} do not make its data root {}",
            m.evidence_root()
        ));
    }
    let batches: Vec<&str> = batches
        .iter()
        .filter_map(|(_, r)| match r {
            EvidenceRecord::Readings { signed, .. } => Some(signed.as_str()),
            _ => None,
        })
        .collect();
    Ok(json!({
        "epoch": epoch,
        "name": name,
        "root": m.root(),
        "total_units": m.total_units().to_string(),
        "data_root": m.evidence_root(),
        "leaves": m.leaves(),
        "batches": batches,
    }))
}
