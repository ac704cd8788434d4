//! The web console: its static assets (embedded in the binary, served at `/` and
//! `/console/{file}`) and `GET /v1/console`, what the page needs to know beyond the chain
//! (where the oracles' evidence can be read).

use super::{ApiError, ApiState, ErrorBody};
use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use parking_lot::RwLock;
use serde::Serialize;
use utoipa::ToSchema;

/// The console's files, by name, with their content types.
const ASSETS: &[(&str, &str, &str)] = &[
    (
        "index.html",
        "text/html; charset=utf-8",
        include_str!("../../console/index.html"),
    ),
    (
        "app.js",
        "text/javascript; charset=utf-8",
        include_str!("../../console/app.js"),
    ),
    (
        "style.css",
        "text/css; charset=utf-8",
        include_str!("../../console/style.css"),
    ),
];

fn asset(name: &str) -> Option<Response> {
    let (_, content_type, body) = ASSETS.iter().find(|(n, _, _)| *n == name)?;
    Some(
        (
            [
                (header::CONTENT_TYPE, *content_type),
                (header::CACHE_CONTROL, "no-cache"),
            ],
            *body,
        )
            .into_response(),
    )
}

#[utoipa::path(
    get,
    path = "/",
    tag = "console",
    summary = "The web console (HTML): network, devices, epochs, market, storage, training, accounts",
    responses((status = 200, description = "OK", content_type = "text/html", body = String))
)]
pub(crate) async fn index() -> Response {
    asset("index.html").expect("index.html is embedded")
}

#[utoipa::path(
    get,
    path = "/console/{file}",
    tag = "console",
    summary = "One of the console's files: index.html, app.js or style.css",
    params(("file" = String, Path, description = "The file's name")),
    responses(
        (status = 200, description = "OK", body = String),
        (status = 404, description = "no such file", body = ErrorBody),
    )
)]
pub(crate) async fn file(Path(name): Path<String>) -> Response {
    asset(&name).unwrap_or_else(|| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "no_such_file",
            format!("the console has no file {name:?}"),
        )
        .into_response()
    })
}

/// What the console reads besides the node: set by whoever runs the node beside its oracles
/// (the devnet), empty otherwise.
#[derive(Default)]
pub struct ConsoleSettings {
    oracles: RwLock<Vec<String>>,
    /// The audits of final manifests run against those oracles' evidence.
    pub(crate) audits: super::audit::Audits,
}

impl ConsoleSettings {
    /// Tells the console where the oracles' APIs are (base URLs, `http://host:port`).
    pub fn set_oracles(&self, urls: Vec<String>) {
        *self.oracles.write() = urls;
    }

    /// The oracles' base URLs, as the operator set them.
    pub(crate) fn oracles(&self) -> Vec<String> {
        self.oracles.read().clone()
    }
}

/// `GET /v1/console`.
#[derive(Serialize, ToSchema)]
pub(crate) struct ConsoleView {
    /// Base URLs of oracle APIs whose read-only routes (evidence, manifests) the console may
    /// read; empty when the node was not told of any.
    oracles: Vec<String>,
}

#[utoipa::path(
    get,
    path = "/v1/console",
    tag = "console",
    summary = "What the console reads besides this node: the oracles' API URLs",
    responses((status = 200, description = "OK", body = ConsoleView))
)]
pub(crate) async fn settings(State(s): State<ApiState>) -> Json<ConsoleView> {
    Json(ConsoleView {
        oracles: s.console.settings.oracles(),
    })
}
