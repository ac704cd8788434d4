//! Signed uploads: who asks to write a blob, and the proof that they did. An upload to a node
//! carries three headers: the signer's key, the time it signed at, and its signature over
//! [`plexus_types::statements::blob_upload`] (chain id, signer, blob id, size, time). A
//! client signs through an [`UploadSigner`]; a [`SigningTransport`] adds the headers to every
//! upload that passes through it, so any [`crate::client::BlobClient`] on it uploads signed.

use crate::BlobId;
use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, Method, Request, Response, StatusCode};
use plexus_transport::{BoxFuture, Transport, TransportError};
use plexus_types::{statements, Hash, PublicKey, SecretKey, Signature};
use std::sync::Arc;

/// Header naming the key that signed an upload (64 hex digits).
pub const SIGNER_HEADER: &str = "x-plexus-signer";
/// Header with the time the upload was signed at, in milliseconds since the Unix epoch.
pub const SIGNED_AT_HEADER: &str = "x-plexus-signed-at";
/// Header with the signature over the upload statement (128 hex digits).
pub const SIGNATURE_HEADER: &str = "x-plexus-signature";

/// Why an upload is refused: a 4xx status and a stable code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message} ({code})")]
pub struct UploadRefused {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
}

impl UploadRefused {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        UploadRefused {
            status,
            code,
            message: message.into(),
        }
    }

    fn malformed(message: impl Into<String>) -> Self {
        UploadRefused::new(StatusCode::BAD_REQUEST, "malformed_signature", message)
    }
}

/// The credentials of a signed upload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UploadAuth {
    pub signer: PublicKey,
    pub at_ms: u64,
    pub signature: Signature,
}

impl UploadAuth {
    /// `key`'s signature over the upload of blob `id` of `size` bytes to a node of `chain_id`.
    pub fn sign(key: &SecretKey, chain_id: &str, id: BlobId, size: u64, at_ms: u64) -> Self {
        let signer = key.public_key();
        let statement = statements::blob_upload(chain_id, &signer, &Hash(id.0), size, at_ms);
        UploadAuth {
            signer,
            at_ms,
            signature: key.sign(&statement),
        }
    }

    /// Checks the signature over the upload of blob `id` of `size` bytes to `chain_id`.
    pub fn verify(&self, chain_id: &str, id: BlobId, size: u64) -> Result<(), UploadRefused> {
        let statement =
            statements::blob_upload(chain_id, &self.signer, &Hash(id.0), size, self.at_ms);
        self.signer
            .verify(&statement, &self.signature)
            .map_err(|_| {
                UploadRefused::new(
                    StatusCode::UNAUTHORIZED,
                    "bad_signature",
                    "the upload is not signed by the named key for this blob, size and chain",
                )
            })
    }

    /// The credentials in `headers`: `None` when the upload is unsigned.
    pub fn from_headers(headers: &HeaderMap) -> Result<Option<UploadAuth>, UploadRefused> {
        let text = |name: &str| -> Result<Option<&str>, UploadRefused> {
            headers
                .get(name)
                .map(|v| {
                    v.to_str()
                        .map_err(|_| UploadRefused::malformed(format!("{name} is not text")))
                })
                .transpose()
        };
        let (signer, at_ms, signature) = (
            text(SIGNER_HEADER)?,
            text(SIGNED_AT_HEADER)?,
            text(SIGNATURE_HEADER)?,
        );
        let (Some(signer), Some(at_ms), Some(signature)) = (signer, at_ms, signature) else {
            if signer.is_some() || at_ms.is_some() || signature.is_some() {
                return Err(UploadRefused::malformed(format!(
                    "a signed upload sends all of {SIGNER_HEADER}, {SIGNED_AT_HEADER} and {SIGNATURE_HEADER}"
                )));
            }
            return Ok(None);
        };
        let signer = signer
            .parse::<PublicKey>()
            .map_err(|_| UploadRefused::malformed(format!("{SIGNER_HEADER} is not a hex key")))?;
        let at_ms = at_ms.parse::<u64>().map_err(|_| {
            UploadRefused::malformed(format!("{SIGNED_AT_HEADER} is not milliseconds"))
        })?;
        let signature = hex::decode(signature)
            .ok()
            .and_then(|b| Signature::from_slice(&b).ok())
            .ok_or_else(|| {
                UploadRefused::malformed(format!("{SIGNATURE_HEADER} is not a hex signature"))
            })?;
        Ok(Some(UploadAuth {
            signer,
            at_ms,
            signature,
        }))
    }

    /// Writes the credentials into `headers`.
    pub fn to_headers(&self, headers: &mut HeaderMap) {
        let value = |s: String| HeaderValue::from_str(&s).expect("hex and digits are header text");
        headers.insert(SIGNER_HEADER, value(self.signer.to_string()));
        headers.insert(SIGNED_AT_HEADER, value(self.at_ms.to_string()));
        headers.insert(
            SIGNATURE_HEADER,
            value(hex::encode(self.signature.to_bytes())),
        );
    }
}

/// Signs uploads for a client: an account's key, or a device's.
pub trait UploadSigner: Send + Sync + 'static {
    /// The credentials for uploading blob `id` of `size` bytes, signed now.
    fn sign(&self, id: BlobId, size: u64) -> BoxFuture<'_, Result<UploadAuth, String>>;
}

/// Milliseconds since the Unix epoch, on whatever clock the signer keeps.
pub type MillisClock = Arc<dyn Fn() -> u64 + Send + Sync>;

/// The system clock, in milliseconds since the Unix epoch.
pub fn system_millis() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// Signs with one key for one chain, at the time `clock` tells.
pub struct KeySigner {
    key: SecretKey,
    chain_id: String,
    clock: MillisClock,
}

impl KeySigner {
    /// Signs with `key` for `chain_id` on the system clock.
    pub fn new(key: SecretKey, chain_id: impl Into<String>) -> KeySigner {
        KeySigner::with_clock(key, chain_id, Arc::new(system_millis))
    }

    pub fn with_clock(key: SecretKey, chain_id: impl Into<String>, clock: MillisClock) -> Self {
        KeySigner {
            key,
            chain_id: chain_id.into(),
            clock,
        }
    }
}

impl UploadSigner for KeySigner {
    fn sign(&self, id: BlobId, size: u64) -> BoxFuture<'_, Result<UploadAuth, String>> {
        let auth = UploadAuth::sign(&self.key, &self.chain_id, id, size, (self.clock)());
        Box::pin(async move { Ok(auth) })
    }
}

/// A transport that signs every blob upload (`PUT /v1/blobs/{id}?size=…`) it carries and
/// passes every other request through unchanged.
pub struct SigningTransport {
    inner: Arc<dyn Transport>,
    signer: Arc<dyn UploadSigner>,
}

impl SigningTransport {
    pub fn new(inner: Arc<dyn Transport>, signer: Arc<dyn UploadSigner>) -> SigningTransport {
        SigningTransport { inner, signer }
    }
}

/// The blob id and size of an upload request, or `None` for any other request.
fn upload_of(request: &Request<Body>) -> Option<(BlobId, u64)> {
    if request.method() != Method::PUT {
        return None;
    }
    let id = request
        .uri()
        .path()
        .strip_prefix("/v1/blobs/")?
        .parse()
        .ok()?;
    let size = request
        .uri()
        .query()?
        .split('&')
        .find_map(|pair| pair.strip_prefix("size="))?
        .parse()
        .ok()?;
    Some((id, size))
}

impl Transport for SigningTransport {
    fn call(
        &self,
        mut request: Request<Body>,
    ) -> BoxFuture<'_, Result<Response<Body>, TransportError>> {
        Box::pin(async move {
            if let Some((id, size)) = upload_of(&request) {
                let auth = self.signer.sign(id, size).await.map_err(|reason| {
                    TransportError::BadRequest(format!("cannot sign the upload of {id}: {reason}"))
                })?;
                auth.to_headers(request.headers_mut());
            }
            self.inner.call(request).await
        })
    }
}
