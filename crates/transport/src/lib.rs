//! How a client reaches a service: over HTTP, or straight into the service's router in the same
//! process. Plexus's clients (node, oracle, blobs) speak through a [`Transport`], so the programs
//! that use them (agent, oracle, CLI) run unchanged inside a simulation, where [`Routers`] stands
//! in for the network and no socket is opened.

use axum::body::Body;
use axum::http::{Request, Response};
use axum::Router;
use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, RwLock};
use std::time::Duration;
use tower::ServiceExt as _;

pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Why a request got no answer at all (an answer with an error status is not a failure here).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransportError {
    #[error("cannot reach {url}: {reason}")]
    Unreachable { url: String, reason: String },
    #[error("{url} did not answer in time")]
    Timeout { url: String },
    #[error("not a valid request: {0}")]
    BadRequest(String),
}

/// Carries one request to a service and brings its answer back. Bodies stream both ways.
pub trait Transport: Send + Sync + 'static {
    fn call(&self, request: Request<Body>)
        -> BoxFuture<'_, Result<Response<Body>, TransportError>>;
}

/// The real network: HTTP(S) through one pooled client.
#[derive(Clone)]
pub struct HttpTransport {
    http: reqwest::Client,
}

impl HttpTransport {
    /// A transport whose requests give up after `timeout` (connecting and answering; `None`
    /// for transfers that bound themselves), and whose connections give up after
    /// `connect_timeout`.
    pub fn new(
        timeout: Option<Duration>,
        connect_timeout: Duration,
    ) -> Result<HttpTransport, TransportError> {
        let mut http = reqwest::Client::builder().connect_timeout(connect_timeout);
        if let Some(timeout) = timeout {
            http = http.timeout(timeout);
        }
        let http = http
            .build()
            .map_err(|e| TransportError::BadRequest(e.to_string()))?;
        Ok(HttpTransport { http })
    }
}

impl Transport for HttpTransport {
    fn call(
        &self,
        request: Request<Body>,
    ) -> BoxFuture<'_, Result<Response<Body>, TransportError>> {
        Box::pin(async move {
            let url = request.uri().to_string();
            let (parts, body) = request.into_parts();
            let mut outgoing = self
                .http
                .request(parts.method, &url)
                .body(reqwest::Body::wrap_stream(body.into_data_stream()));
            for (name, value) in parts.headers.iter() {
                outgoing = outgoing.header(name, value);
            }
            let answer = outgoing.send().await.map_err(|e| {
                if e.is_timeout() {
                    TransportError::Timeout { url: url.clone() }
                } else {
                    TransportError::Unreachable {
                        url: url.clone(),
                        reason: e.to_string(),
                    }
                }
            })?;
            let mut response = Response::builder().status(answer.status());
            for (name, value) in answer.headers().iter() {
                response = response.header(name, value);
            }
            response
                .body(Body::from_stream(answer.bytes_stream()))
                .map_err(|e| TransportError::BadRequest(e.to_string()))
        })
    }
}

/// A network inside one process: each request goes to the router registered for its URL's
/// authority (`host:port`), or fails as unreachable if none is.
#[derive(Clone, Default)]
pub struct Routers {
    routes: Arc<RwLock<BTreeMap<String, Router>>>,
}

impl Routers {
    pub fn new() -> Routers {
        Routers::default()
    }

    /// Serves `router` at `authority` (for example `node:1`), replacing what was there.
    pub fn serve(&self, authority: &str, router: Router) {
        self.routes
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(authority.to_string(), router);
    }

    /// Takes the service at `authority` off the network, as if its machine went down.
    pub fn remove(&self, authority: &str) {
        self.routes
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .remove(authority);
    }
}

impl Transport for Routers {
    fn call(
        &self,
        request: Request<Body>,
    ) -> BoxFuture<'_, Result<Response<Body>, TransportError>> {
        Box::pin(async move {
            let url = request.uri().to_string();
            let authority = request
                .uri()
                .authority()
                .map(|a| a.as_str().to_string())
                .ok_or_else(|| TransportError::BadRequest(format!("{url} names no host")))?;
            let router = self
                .routes
                .read()
                .unwrap_or_else(|e| e.into_inner())
                .get(&authority)
                .cloned()
                .ok_or_else(|| TransportError::Unreachable {
                    url: url.clone(),
                    reason: "connection refused".into(),
                })?;
            // A router's error type is `Infallible`: every request gets a response.
            Ok(router.oneshot(request).await.unwrap_or_else(|e| match e {}))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::routing::get;

    fn request(url: &str) -> Request<Body> {
        Request::get(url)
            .body(Body::empty())
            .expect("a valid request")
    }

    #[tokio::test]
    async fn routers_deliver_by_authority_and_refuse_unknown_hosts() {
        let net = Routers::new();
        net.serve(
            "node:1",
            Router::new().route("/v1/status", get(|| async { "up" })),
        );
        let answer = net
            .call(request("http://node:1/v1/status"))
            .await
            .expect("delivered");
        assert_eq!(answer.status(), 200);
        let body = axum::body::to_bytes(answer.into_body(), 1024)
            .await
            .expect("body");
        assert_eq!(&body[..], b"up");

        let missing = net.call(request("http://oracle:1/v1/status")).await;
        assert!(matches!(missing, Err(TransportError::Unreachable { .. })));

        net.remove("node:1");
        let gone = net.call(request("http://node:1/v1/status")).await;
        assert!(matches!(gone, Err(TransportError::Unreachable { .. })));
    }
}
