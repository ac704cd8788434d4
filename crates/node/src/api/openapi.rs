//! The OpenAPI document of the node's HTTP API, served at `/v1/openapi.json`: built from the
//! route handlers' `#[utoipa::path]` annotations and the views' schemas, so it cannot say
//! something the types do not. The blob service's routes live in `plexus_blobs`; they are
//! described here, by the stubs below, and a test checks them against what the node serves.

use super::{Binary, ErrorBody};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use plexus_client::views::schema::HashSchema;
use std::sync::OnceLock;
use utoipa::{OpenApi, ToSchema};

#[derive(OpenApi)]
#[openapi(
    info(title = "Plexus node API"),
    paths(
        super::console::index,
        super::console::file,
        super::console::settings,
        super::events::events,
        super::metrics,
        serve,
        super::node::status,
        super::node::account,
        super::txs::submit_tx,
        super::txs::submit_batch,
        super::txs::tx_status,
        super::blocks::latest_block,
        super::blocks::block,
        super::blocks::beacon,
        super::registry::chain_info,
        super::registry::devices,
        super::registry::device_changes,
        super::registry::device,
        super::cells::device_cells,
        super::cells::device_rewards,
        super::cells::devices_rewards,
        super::coverage::coverage,
        super::rewards::epoch,
        super::audit::epoch_audit,
        super::rewards::rewards,
        super::storage::storage_totals,
        super::storage::storage_deals,
        super::storage::storage_deal,
        super::storage::storage_blob,
        super::training::training_totals,
        super::training::training_tasks,
        super::training::training_task,
        super::training::training_rounds,
        super::market::market_totals,
        super::market::market_orders,
        super::market::market_order,
        super::market::market_lease,
        super::market::market_provider,
        super::staking::staking_totals,
        super::staking::validators,
        super::staking::validator_set,
        super::staking::validator,
        super::staking::delegations,
        super::staking::unbondings,
        super::data_credits::data_credits,
        super::data_credits::epoch_data,
        super::data_market::data_sets,
        super::data_market::data_set,
        super::data_market::data_sale,
        super::data_market::data_paid,
        blobs_list,
        blob_status,
        blob_proof,
        blob_download,
        blob_upload,
    ),
    components(schemas(ErrorBody))
)]
struct ApiDoc;

/// The document as JSON, built once.
pub(crate) fn document() -> &'static str {
    static DOCUMENT: OnceLock<String> = OnceLock::new();
    DOCUMENT.get_or_init(|| {
        ApiDoc::openapi()
            .to_pretty_json()
            .expect("an OpenAPI document of plain values serializes")
    })
}

#[utoipa::path(
    get,
    path = "/v1/openapi.json",
    tag = "node",
    summary = "This document",
    responses((status = 200, description = "OK", content_type = "application/json", body = Object))
)]
pub(super) async fn serve() -> Response {
    ([(header::CONTENT_TYPE, "application/json")], document()).into_response()
}

/// `GET /v1/blobs`.
#[derive(ToSchema)]
#[allow(dead_code)] // Describes JSON that `plexus_blobs` writes.
struct BlobListView {
    blobs: Vec<BlobEntryView>,
}

/// A complete blob.
#[derive(ToSchema)]
#[allow(dead_code)]
struct BlobEntryView {
    #[schema(value_type = HashSchema)]
    id: (),
    size: u64,
}

#[derive(ToSchema)]
#[serde(rename_all = "snake_case")]
#[allow(dead_code)]
enum BlobStateView {
    Complete,
    Partial,
    Absent,
}

/// What this service holds of a blob.
#[derive(ToSchema)]
#[allow(dead_code)]
struct BlobStatusView {
    #[schema(value_type = HashSchema)]
    id: (),
    state: BlobStateView,
    /// Known once a transfer has announced it (partial) or the blob is complete.
    size: Option<u64>,
    /// Bytes from the start that are verified and durable, where an upload resumes.
    verified: u64,
}

/// The blob service's error: `{"error": {"code", "message", "verified"?}}`.
#[derive(ToSchema)]
#[allow(dead_code)]
struct BlobErrorBody {
    error: BlobErrorDetail,
}

#[derive(ToSchema)]
#[allow(dead_code)]
struct BlobErrorDetail {
    code: String,
    message: String,
    /// The verified prefix, where an upload failed part way.
    #[schema(required = false)]
    verified: Option<u64>,
}

// The blob routes' descriptions. `plexus_blobs::http` serves them; these functions only carry
// the annotations and never run.

#[utoipa::path(
    get,
    path = "/v1/blobs",
    tag = "blobs",
    summary = "Complete blobs kept here (partial uploads are never listed)",
    responses((status = 200, description = "OK", body = BlobListView))
)]
#[allow(dead_code)]
fn blobs_list() {}

#[utoipa::path(
    get,
    path = "/v1/blobs/{id}/status",
    tag = "blobs",
    summary = "What this service holds of a blob: complete, partial (with its verified prefix, where an upload resumes) or absent",
    params(("id" = String, Path, description = "The blob's id, 64 hex digits")),
    responses(
        (status = 200, description = "OK", body = BlobStatusView),
        (status = 400, description = "bad id", body = BlobErrorBody),
    )
)]
#[allow(dead_code)]
fn blob_status() {}

#[utoipa::path(
    get,
    path = "/v1/blobs/{id}/proof",
    tag = "blobs",
    summary = "The answer to a retrievability challenge: the verified encoding of the chunk groups asked for",
    params(
        ("id" = String, Path, description = "The blob's id, 64 hex digits"),
        ("groups" = String, Query, description = "Comma-separated chunk group numbers"),
    ),
    responses(
        (status = 200, description = "application/x-bao stream", content_type = "application/x-bao", body = inline(Binary)),
        (status = 400, description = "bad id or challenge", body = BlobErrorBody),
        (status = 404, description = "not complete here", body = BlobErrorBody),
    )
)]
#[allow(dead_code)]
fn blob_proof() {}

#[utoipa::path(
    get,
    path = "/v1/blobs/{id}",
    tag = "blobs",
    summary = "The verified encoding (bao, chunk groups of 16 KiB with their proof hashes) of bytes start..end of a complete blob; header x-blob-size gives its size",
    params(
        ("id" = String, Path, description = "The blob's id, 64 hex digits"),
        ("start" = Option<u64>, Query),
        ("end" = Option<u64>, Query),
    ),
    responses(
        (status = 200, description = "application/x-bao stream", content_type = "application/x-bao", body = inline(Binary)),
        (status = 400, description = "bad id", body = BlobErrorBody),
        (status = 404, description = "not complete here", body = BlobErrorBody),
        (status = 416, description = "range outside the blob", body = BlobErrorBody),
    )
)]
#[allow(dead_code)]
fn blob_download() {}

#[utoipa::path(
    put,
    path = "/v1/blobs/{id}",
    tag = "blobs",
    summary = "Upload the verified encoding of bytes offset..size, signed by a funded account within its quota; every chunk group is checked against the id before it is written; resume from the verified prefix",
    params(
        ("id" = String, Path, description = "The blob's id, 64 hex digits"),
        ("size" = u64, Query),
        ("offset" = Option<u64>, Query),
        ("x-plexus-signer" = String, Header, description = "The signing key, 64 hex digits: an account holding the node's minimum balance, or an active device (charged to its owner)"),
        ("x-plexus-signed-at" = u64, Header, description = "When it signed, in ms since the Unix epoch; within 5 minutes of the node's clock"),
        ("x-plexus-signature" = String, Header, description = "Signature (128 hex digits) over plexus/blob-upload/v1: chain id, signer, blob id, size, signed-at"),
    ),
    request_body(content = inline(Binary), content_type = "application/x-bao"),
    responses(
        (status = 200, description = "complete: the blob status", body = BlobStatusView),
        (status = 400, description = "incomplete transfer, unaligned offset, a body longer than its encoding, or malformed signature headers", body = BlobErrorBody),
        (status = 401, description = "unsigned, bad_signature or stale_signature", body = BlobErrorBody),
        (status = 403, description = "unfunded: the signer holds less than the minimum balance and is no active device", body = BlobErrorBody),
        (status = 429, description = "quota_exceeded: the account has uploaded its quota of bytes", body = BlobErrorBody),
        (status = 409, description = "size mismatch, offset beyond the verified prefix, or another upload in progress", body = BlobErrorBody),
        (status = 413, description = "larger than the store accepts", body = BlobErrorBody),
        (status = 422, description = "a byte did not verify (code corrupt, with the verified prefix)", body = BlobErrorBody),
    )
)]
#[allow(dead_code)]
fn blob_upload() {}

#[cfg(test)]
mod tests {
    use super::document;
    use serde_json::Value;
    use std::collections::BTreeSet;

    /// The blob service's routes, which `plexus_blobs::http::router` serves beside the node's.
    const BLOB_ROUTES: [(&str, &str); 5] = [
        ("get", "/v1/blobs"),
        ("get", "/v1/blobs/{id}/status"),
        ("get", "/v1/blobs/{id}/proof"),
        ("get", "/v1/blobs/{id}"),
        ("put", "/v1/blobs/{id}"),
    ];

    /// Every method and path of the hand-written document this one replaced.
    const EARLIER_DOCUMENT: [(&str, &str); 31] = [
        ("get", "/v1/blobs"),
        ("get", "/v1/blobs/{id}/status"),
        ("get", "/v1/blobs/{id}"),
        ("put", "/v1/blobs/{id}"),
        ("get", "/v1/status"),
        ("post", "/v1/txs"),
        ("post", "/v1/txs/batch"),
        ("get", "/v1/txs/{hash}"),
        ("get", "/v1/accounts/{address}"),
        ("get", "/v1/blocks/latest"),
        ("get", "/v1/blocks/{height}"),
        ("get", "/v1/openapi.json"),
        ("get", "/metrics"),
        ("get", "/"),
        ("get", "/v1/chain"),
        ("get", "/v1/devices"),
        ("get", "/v1/devices/{key}"),
        ("get", "/v1/epochs/{epoch}"),
        ("get", "/v1/storage"),
        ("get", "/v1/storage/deals"),
        ("get", "/v1/storage/deals/{id}"),
        ("get", "/v1/learn"),
        ("get", "/v1/market"),
        ("get", "/v1/market/orders"),
        ("get", "/v1/market/orders/{id}"),
        ("get", "/v1/market/leases/{id}"),
        ("get", "/v1/market/providers/{address}"),
        ("get", "/v1/learn/tasks"),
        ("get", "/v1/learn/tasks/{id}"),
        ("get", "/v1/storage/blobs/{blob}"),
        ("get", "/v1/rewards"),
    ];

    fn parsed() -> Value {
        serde_json::from_str(document()).expect("the document is JSON")
    }

    fn documented() -> BTreeSet<(String, String)> {
        let doc = parsed();
        let mut out = BTreeSet::new();
        for (path, item) in doc["paths"].as_object().expect("paths") {
            for method in item.as_object().expect("a path item").keys() {
                out.insert((method.clone(), path.clone()));
            }
        }
        out
    }

    fn pairs<'a>(
        list: impl IntoIterator<Item = &'a (&'a str, &'a str)>,
    ) -> BTreeSet<(String, String)> {
        list.into_iter()
            .map(|(m, p)| (m.to_string(), p.to_string()))
            .collect()
    }

    #[test]
    fn the_document_describes_exactly_the_routes_the_node_serves() {
        let mut served: BTreeSet<(String, String)> = crate::api::routes()
            .iter()
            .map(|r| (r.method.as_str().to_lowercase(), r.path.to_string()))
            .collect();
        served.extend(pairs(&BLOB_ROUTES));
        let documented = documented();
        let undocumented: Vec<_> = served.difference(&documented).collect();
        let unserved: Vec<_> = documented.difference(&served).collect();
        assert!(
            undocumented.is_empty(),
            "served, not documented: {undocumented:?}"
        );
        assert!(unserved.is_empty(), "documented, not served: {unserved:?}");
    }

    #[test]
    fn the_document_keeps_every_route_of_the_earlier_one_and_adds_only_the_newer_ones() {
        let earlier = pairs(&EARLIER_DOCUMENT);
        let now = documented();
        let lost: Vec<_> = earlier.difference(&now).collect();
        assert!(lost.is_empty(), "routes no longer documented: {lost:?}");
        let added: Vec<_> = now.difference(&earlier).collect();
        assert_eq!(
            added,
            [
                &("get".to_string(), "/console/{file}".to_string()),
                &("get".to_string(), "/v1/beacon".to_string()),
                &("get".to_string(), "/v1/blobs/{id}/proof".to_string()),
                &("get".to_string(), "/v1/console".to_string()),
                &("get".to_string(), "/v1/coverage/{hex}".to_string()),
                &("get".to_string(), "/v1/data-credits/{address}".to_string()),
                &("get".to_string(), "/v1/data/sets/{epoch}".to_string()),
                &(
                    "get".to_string(),
                    "/v1/data/sets/{epoch}/{class}/{region}".to_string()
                ),
                &(
                    "get".to_string(),
                    "/v1/data/sets/{epoch}/{class}/{region}/paid/{device}".to_string()
                ),
                &(
                    "get".to_string(),
                    "/v1/data/sets/{epoch}/{class}/{region}/sales/{buyer}".to_string()
                ),
                &("get".to_string(), "/v1/delegations/{address}".to_string()),
                &("get".to_string(), "/v1/devices/cells".to_string()),
                &("get".to_string(), "/v1/devices/changes".to_string()),
                &("get".to_string(), "/v1/devices/rewards".to_string()),
                &("get".to_string(), "/v1/devices/{key}/rewards".to_string()),
                &(
                    "get".to_string(),
                    "/v1/epochs/{epoch}/audit/{resource}".to_string()
                ),
                &("get".to_string(), "/v1/events".to_string()),
                &("get".to_string(), "/v1/learn/tasks/{id}/rounds".to_string()),
                &("get".to_string(), "/v1/staking".to_string()),
                &("get".to_string(), "/v1/unbondings/{address}".to_string()),
                &("get".to_string(), "/v1/validators".to_string()),
                &("get".to_string(), "/v1/validators/set".to_string()),
                &("get".to_string(), "/v1/validators/{address}".to_string()),
                &("get".to_string(), "/v1/wireless/data/{epoch}".to_string()),
            ]
        );
    }

    /// Every `$ref` in `value`.
    fn refs(value: &Value, out: &mut Vec<String>) {
        match value {
            Value::Object(map) => {
                for (key, v) in map {
                    match (key.as_str(), v) {
                        ("$ref", Value::String(r)) => out.push(r.clone()),
                        _ => refs(v, out),
                    }
                }
            }
            Value::Array(items) => items.iter().for_each(|v| refs(v, out)),
            _ => {}
        }
    }

    #[test]
    fn the_document_has_a_schema_for_every_view_it_names() {
        let doc = parsed();
        assert!(
            doc["openapi"].as_str().unwrap().starts_with("3."),
            "{}",
            doc["openapi"]
        );
        assert_eq!(doc["info"]["title"], "Plexus node API");
        assert_eq!(doc["info"]["version"], env!("CARGO_PKG_VERSION"));
        let schemas = doc["components"]["schemas"].as_object().expect("schemas");
        for view in [
            "StatusView",
            "SubmittedView",
            "TxStatusView",
            "AccountView",
            "BlockView",
            "BeaconView",
            "ChainView",
            "DevicesView",
            "DeviceChangesView",
            "DeviceView",
            "CoverageView",
            "LocationView",
            "Antenna",
            "EpochView",
            "RewardsView",
            "EpochAudit",
            "DealsView",
            "DealView",
            "TasksView",
            "TaskView",
            "RoundsView",
            "OrdersView",
            "OrderView",
            "LeaseView",
            "ErrorBody",
            "Address",
            "Amount",
            "Hash",
            "PublicKey",
        ] {
            assert!(schemas.contains_key(view), "no schema for {view}");
        }
        let mut all = Vec::new();
        refs(&doc, &mut all);
        assert!(!all.is_empty());
        for r in all {
            let name = r
                .strip_prefix("#/components/schemas/")
                .unwrap_or_else(|| panic!("{r} is not a schema reference"));
            assert!(schemas.contains_key(name), "{r} points at nothing");
        }
        // Every error answer of the node's own routes carries the error body.
        let failing = &doc["paths"]["/v1/txs/{hash}"]["get"]["responses"]["400"];
        assert_eq!(
            failing["content"]["application/json"]["schema"]["$ref"],
            "#/components/schemas/ErrorBody"
        );
    }
}
