//! Who may write to a blob service. Every `PUT /v1/blobs/{id}` passes an [`UploadGate`]
//! before the service reads a byte of its body: a storage agent takes only the blobs of the
//! deals assigned to it ([`ListedBlobs`]); a node takes uploads signed by a key whose account
//! may upload, each account within a byte quota ([`SignedUploads`]).

use crate::upload_auth::{MillisClock, UploadAuth, UploadRefused};
use crate::{BlobId, CHUNK_GROUP_BYTES};
use axum::http::StatusCode;
use plexus_types::{Address, PublicKey};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Mutex, RwLock};

/// How far a signed upload's time may be from the service's clock.
pub const MAX_UPLOAD_SKEW_MS: u64 = 5 * 60 * 1000;

/// An upload as the gate sees it: the blob, its announced size, where the transfer starts,
/// and the credentials it came with.
#[derive(Debug, Clone, Copy)]
pub struct UploadRequest<'a> {
    pub id: BlobId,
    pub size: u64,
    pub offset: u64,
    pub auth: Option<&'a UploadAuth>,
}

/// Decides which uploads a blob service takes.
pub trait UploadGate: Send + Sync + 'static {
    /// Whether `upload` may write to the store. Called before any byte of the body is read;
    /// a refusal changes nothing in the store, and answers with its status and code.
    fn admit(&self, upload: &UploadRequest<'_>) -> Result<(), UploadRefused>;
}

/// Takes no upload: a service that only serves what it fetched itself.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoUploads;

impl UploadGate for NoUploads {
    fn admit(&self, upload: &UploadRequest<'_>) -> Result<(), UploadRefused> {
        Err(UploadRefused::new(
            StatusCode::FORBIDDEN,
            "uploads_closed",
            format!("this service takes no uploads (blob {})", upload.id),
        ))
    }
}

/// Takes every upload: only for services that no stranger reaches (tests on loopback).
#[derive(Debug, Clone, Copy, Default)]
pub struct OpenUploads;

impl UploadGate for OpenUploads {
    fn admit(&self, _: &UploadRequest<'_>) -> Result<(), UploadRefused> {
        Ok(())
    }
}

/// Takes uploads of the listed blobs only: a storage agent lists the blobs of the deals the
/// chain assigns to its device, so nobody can fill its disk with anything else.
#[derive(Debug, Default)]
pub struct ListedBlobs {
    listed: RwLock<BTreeSet<BlobId>>,
}

impl ListedBlobs {
    /// Replaces the list.
    pub fn set(&self, ids: impl IntoIterator<Item = BlobId>) {
        let ids: BTreeSet<BlobId> = ids.into_iter().collect();
        *self.listed.write().unwrap_or_else(|p| p.into_inner()) = ids;
    }

    pub fn contains(&self, id: &BlobId) -> bool {
        self.listed
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .contains(id)
    }
}

impl UploadGate for ListedBlobs {
    fn admit(&self, upload: &UploadRequest<'_>) -> Result<(), UploadRefused> {
        if self.contains(&upload.id) {
            return Ok(());
        }
        Err(UploadRefused::new(
            StatusCode::FORBIDDEN,
            "not_assigned",
            format!(
                "blob {} is not assigned to this provider by any open deal",
                upload.id
            ),
        ))
    }
}

/// Who pays for uploads: the account a signer's uploads are charged to.
pub trait UploadAccounts: Send + Sync + 'static {
    /// The account charged for `signer`'s uploads, or why it may not upload at all.
    fn account_of(&self, signer: &PublicKey) -> Result<Address, UploadRefused>;
}

/// Bytes each account may upload: every distinct blob costs its size (at least one chunk
/// group); resuming or repeating the upload of a blob already charged costs nothing more.
pub struct UploadQuota {
    bytes_per_account: u64,
    charged: Mutex<BTreeMap<Address, Charged>>,
}

#[derive(Default)]
struct Charged {
    bytes: u64,
    blobs: BTreeSet<BlobId>,
}

impl UploadQuota {
    pub fn new(bytes_per_account: u64) -> UploadQuota {
        UploadQuota {
            bytes_per_account,
            charged: Mutex::new(BTreeMap::new()),
        }
    }

    /// Charges `account` for blob `id` of `size` bytes, or refuses when that would take it
    /// past its quota (and charges nothing).
    pub fn charge(&self, account: &Address, id: BlobId, size: u64) -> Result<(), UploadRefused> {
        let mut charged = self.charged.lock().unwrap_or_else(|p| p.into_inner());
        let entry = charged.entry(*account).or_default();
        if entry.blobs.contains(&id) {
            return Ok(());
        }
        let cost = size.max(CHUNK_GROUP_BYTES);
        let total = entry.bytes.saturating_add(cost);
        if total > self.bytes_per_account {
            return Err(UploadRefused::new(
                StatusCode::TOO_MANY_REQUESTS,
                "quota_exceeded",
                format!(
                    "account {account} has uploaded {} of its {} bytes; blob {id} needs {cost} more",
                    entry.bytes, self.bytes_per_account
                ),
            ));
        }
        entry.bytes = total;
        entry.blobs.insert(id);
        Ok(())
    }

    /// Bytes charged to `account` so far.
    pub fn used(&self, account: &Address) -> u64 {
        self.charged
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(account)
            .map_or(0, |c| c.bytes)
    }
}

/// Takes uploads signed, at a time near the service's clock, by a key whose account may
/// upload, within that account's quota.
pub struct SignedUploads<A> {
    chain_id: String,
    clock: MillisClock,
    accounts: A,
    quota: UploadQuota,
}

impl<A: UploadAccounts> SignedUploads<A> {
    pub fn new(chain_id: impl Into<String>, clock: MillisClock, accounts: A, quota: u64) -> Self {
        SignedUploads {
            chain_id: chain_id.into(),
            clock,
            accounts,
            quota: UploadQuota::new(quota),
        }
    }

    pub fn quota(&self) -> &UploadQuota {
        &self.quota
    }
}

impl<A: UploadAccounts> UploadGate for SignedUploads<A> {
    fn admit(&self, upload: &UploadRequest<'_>) -> Result<(), UploadRefused> {
        let Some(auth) = upload.auth else {
            return Err(UploadRefused::new(
                StatusCode::UNAUTHORIZED,
                "unsigned",
                "uploads to this service are signed: send the signer, the time and a signature over plexus/blob-upload/v1",
            ));
        };
        let now = (self.clock)();
        if auth.at_ms.abs_diff(now) > MAX_UPLOAD_SKEW_MS {
            return Err(UploadRefused::new(
                StatusCode::UNAUTHORIZED,
                "stale_signature",
                format!(
                    "signed at {} ms, more than {MAX_UPLOAD_SKEW_MS} ms from the service's clock ({now} ms)",
                    auth.at_ms
                ),
            ));
        }
        auth.verify(&self.chain_id, upload.id, upload.size)?;
        let account = self.accounts.account_of(&auth.signer)?;
        self.quota.charge(&account, upload.id, upload.size)
    }
}
