//! Content-addressed blobs: the blake3 id of a blob, an on-disk store that keeps each blob with
//! its bao outboard, verified range encoding and decoding, the HTTP service that nodes and
//! agents mount under `/v1/blobs`, and the client that puts and gets blobs over it.
//!
//! Writes are gated: an upload passes the service's [`upload_gate::UploadGate`] (signed by a
//! funded account within its quota on a node, assigned by the chain on a storage agent)
//! before a byte of it is read, and partial blobs that stop growing expire
//! ([`BlobStore::expire_partials`]).
//!
//! Every byte that crosses the network is checked against the blob id in chunk groups of
//! [`CHUNK_GROUP_BYTES`] before it is written anywhere: an upload is decoded into a partial
//! blob whose verified prefix survives restarts, and becomes complete (listed, served) only
//! when every byte has been verified; a download that meets a corrupted byte knows exactly
//! which range to fetch from someone else.

pub mod answer_auth;
mod channel_io;
pub mod client;
mod file_io;
pub mod http;
mod id;
pub mod parallel;
pub mod retrievability;
pub mod store;
pub mod upload_auth;
pub mod upload_gate;

pub use id::{BlobId, ParseBlobIdError};
pub use store::{BlobState, BlobStatus, BlobStore, StoreError};

use bao_tree::BlockSize;

/// Chunk groups of 16 KiB (2⁴ blake3 chunks): the unit of verification, and the outboard costs
/// 64 bytes per group, 4 MiB per GiB stored.
pub const BLOCK_SIZE: BlockSize = BlockSize::from_chunk_log(4);
/// Bytes in one chunk group.
pub const CHUNK_GROUP_BYTES: u64 = 16 * 1024;
/// Largest blob the store accepts (1 TiB): bounds the outboard and what a client may announce.
pub const MAX_BLOB_BYTES: u64 = 1 << 40;
