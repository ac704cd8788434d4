//! What the node and oracle clients share: timeouts, bounded answers, and the
//! `{"error": {"code", "message"}}` convention both services answer errors with.

use crate::transport::{HttpTransport, Transport, TransportError};
use axum::body::Body;
use axum::http::{header, Method, Request};
use futures_util::StreamExt as _;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use std::sync::Arc;
use std::time::Duration;

/// Answers larger than this are refused before they are read: the answers are small JSON
/// documents, and a service that sends more is broken or hostile.
pub const MAX_ANSWER_BYTES: usize = 4 * 1024 * 1024;

const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);

/// Why a call to the node or an oracle failed.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("cannot build an HTTP client: {0}")]
    Setup(TransportError),
    #[error("the {service}'s address must be an http:// or https:// URL, got {url:?}")]
    NotHttp { service: &'static str, url: String },
    #[error("cannot reach the {service} at {url}: {source}")]
    Unreachable {
        service: &'static str,
        url: String,
        source: TransportError,
    },
    /// The service understood the request and refused it, with a stable code.
    #[error("the {service} refused {url}: {message} ({code})")]
    Refused {
        service: &'static str,
        url: String,
        status: u16,
        code: String,
        message: String,
    },
    #[error("the {service} answered {url} with status {status}: {body}")]
    Status {
        service: &'static str,
        url: String,
        status: u16,
        body: String,
    },
    #[error(
        "the {service} sent an answer to {url} that this client does not understand: {reason}"
    )]
    BadAnswer {
        service: &'static str,
        url: String,
        reason: String,
    },
}

impl ClientError {
    /// The service's validity code (`deadline_missed`, `unknown_device`, …) when it refused.
    pub fn code(&self) -> Option<&str> {
        match self {
            ClientError::Refused { code, .. } => Some(code),
            _ => None,
        }
    }

    /// The HTTP status the service answered with, if it answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            ClientError::Refused { status, .. } | ClientError::Status { status, .. } => {
                Some(*status)
            }
            _ => None,
        }
    }
}

#[derive(Deserialize)]
struct ErrorBody {
    error: ErrorDetail,
}

#[derive(Deserialize)]
struct ErrorDetail {
    code: String,
    #[serde(default)]
    message: String,
}

/// One HTTP service at a base URL, reached through a [`Transport`].
#[derive(Clone)]
pub(crate) struct Service {
    pub name: &'static str,
    pub base: String,
    pub transport: Arc<dyn Transport>,
}

impl std::fmt::Debug for Service {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Service")
            .field("name", &self.name)
            .field("base", &self.base)
            .finish_non_exhaustive()
    }
}

/// An answer read in full: its status and body.
pub(crate) struct Answer {
    pub url: String,
    pub status: u16,
    pub body: Vec<u8>,
}

impl Service {
    pub fn new(name: &'static str, base: &str) -> Result<Service, ClientError> {
        Service::with_timeout(name, base, REQUEST_TIMEOUT)
    }

    /// A service over HTTP whose requests may take up to `timeout`.
    pub fn with_timeout(
        name: &'static str,
        base: &str,
        timeout: Duration,
    ) -> Result<Service, ClientError> {
        let transport =
            HttpTransport::new(Some(timeout), CONNECT_TIMEOUT).map_err(ClientError::Setup)?;
        Service::with_transport(name, base, Arc::new(transport))
    }

    /// A service reached through `transport`.
    pub fn with_transport(
        name: &'static str,
        base: &str,
        transport: Arc<dyn Transport>,
    ) -> Result<Service, ClientError> {
        let base = base.trim_end_matches('/');
        if !base.starts_with("http://") && !base.starts_with("https://") {
            return Err(ClientError::NotHttp {
                service: name,
                url: base.to_string(),
            });
        }
        Ok(Service {
            name,
            base: base.to_string(),
            transport,
        })
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn get(&self, path: &str) -> Result<Answer, ClientError> {
        self.send(Method::GET, path, Body::empty(), &[], MAX_ANSWER_BYTES)
            .await
    }

    /// A `GET` carrying `headers` (a signed request's key, time and signature) whose answer
    /// may be up to `max_bytes` long.
    pub async fn get_with_headers(
        &self,
        path: &str,
        headers: &[(&str, String)],
        max_bytes: usize,
    ) -> Result<Answer, ClientError> {
        self.send(Method::GET, path, Body::empty(), headers, max_bytes)
            .await
    }

    pub async fn post_bytes(&self, path: &str, body: Vec<u8>) -> Result<Answer, ClientError> {
        self.send(Method::POST, path, Body::from(body), &[], MAX_ANSWER_BYTES)
            .await
    }

    async fn send(
        &self,
        method: Method,
        path: &str,
        body: Body,
        headers: &[(&str, String)],
        max_bytes: usize,
    ) -> Result<Answer, ClientError> {
        let url = self.url(path);
        let unreachable = |source| ClientError::Unreachable {
            service: self.name,
            url: url.clone(),
            source,
        };
        let mut request = Request::builder()
            .method(method)
            .uri(&url)
            .header(header::CONTENT_TYPE, "application/octet-stream");
        for (name, value) in headers {
            request = request.header(*name, value);
        }
        let request = request
            .body(body)
            .map_err(|e| unreachable(TransportError::BadRequest(e.to_string())))?;
        let response = self.transport.call(request).await.map_err(unreachable)?;
        let status = response.status().as_u16();
        let declared = response
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        if declared.is_some_and(|n| n > max_bytes as u64) {
            return Err(self.bad_answer(&url, "the answer is too large"));
        }
        let mut stream = response.into_body().into_data_stream();
        let mut body = Vec::new();
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|e| {
                unreachable(TransportError::Unreachable {
                    url: url.clone(),
                    reason: e.to_string(),
                })
            })?;
            if body.len() + chunk.len() > max_bytes {
                return Err(self.bad_answer(&url, "the answer is too large"));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(Answer { url, status, body })
    }

    pub fn bad_answer(&self, url: &str, reason: impl Into<String>) -> ClientError {
        ClientError::BadAnswer {
            service: self.name,
            url: url.to_string(),
            reason: reason.into(),
        }
    }

    /// The answer's JSON if it is a success, else the service's error.
    pub fn json<T: DeserializeOwned>(&self, answer: Answer) -> Result<T, ClientError> {
        if !(200..300).contains(&answer.status) {
            return Err(self.refusal(answer));
        }
        serde_json::from_slice(&answer.body)
            .map_err(|e| self.bad_answer(&answer.url, e.to_string()))
    }

    /// The error a non-success answer stands for: the service's own code when it sent one.
    pub fn refusal(&self, answer: Answer) -> ClientError {
        match serde_json::from_slice::<ErrorBody>(&answer.body) {
            Ok(e) => ClientError::Refused {
                service: self.name,
                url: answer.url,
                status: answer.status,
                code: e.error.code,
                message: e.error.message,
            },
            Err(_) => ClientError::Status {
                service: self.name,
                url: answer.url,
                status: answer.status,
                body: excerpt(&answer.body),
            },
        }
    }
}

/// The start of a body, for error messages.
fn excerpt(body: &[u8]) -> String {
    const MAX: usize = 200;
    let text = String::from_utf8_lossy(&body[..body.len().min(MAX)]).into_owned();
    if body.len() > MAX {
        format!("{text}…")
    } else {
        text
    }
}

/// Reads a `u128` written either as a decimal string (the Plexus convention for amounts and
/// units) or as a JSON number.
pub mod u128_text {
    use serde::{Deserialize, Deserializer};

    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Text {
        String(String),
        // Buffered untagged content carries integers up to 64 bits.
        Number(u64),
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<u128, D::Error> {
        match Text::deserialize(d)? {
            Text::Number(n) => Ok(u128::from(n)),
            Text::String(s) => plexus_types::Amount::from_base_units(&s)
                .map(|a| a.0)
                .map_err(serde::de::Error::custom),
        }
    }

    /// Written as a decimal string, which every reader above takes.
    pub fn serialize<S: serde::Serializer>(v: &u128, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&v.to_string())
    }
}
