//! Receiving an upload in three stages at once: the caller's thread reads and verifies (hashing
//! on every core), a writer writes what verified, and a syncer makes the verified prefix
//! durable behind it, so that neither disk writes nor fsyncs hold up the transfer.

use super::{io_err, BlobStore, PartialMeta, StoreError, CHECKPOINT_BYTES, WRITE_QUEUE};
use crate::store::chunk_ranges;
use crate::{BlobId, BLOCK_SIZE};
use bao_tree::io::outboard::PreOrderOutboard;
use bao_tree::io::sync::OutboardMut;
use bao_tree::io::{BaoContentItem, DecodeError};
use bao_tree::BaoTree;
use std::fs::File;
use std::io::Read;

/// What a transfer left: the partial files with everything written flushed to them (not yet
/// synced), how far the verified bytes reach, and the error that stopped the decoding, if any.
pub(super) struct Received {
    pub data: File,
    pub obao: File,
    pub verified: u64,
    pub failure: Option<DecodeError>,
}

impl BlobStore {
    /// Receives the encoding of bytes `offset..size` of blob `id` into its partial files
    /// `(data, obao)`, whose prefix up to `checkpointed` is durable already.
    pub(super) fn receive_in_stages(
        &self,
        id: BlobId,
        size: u64,
        offset: u64,
        checkpointed: u64,
        (data, obao): (File, File),
        encoded: impl Read,
    ) -> Result<Received, StoreError> {
        let tree = BaoTree::new(size, BLOCK_SIZE);
        let ranges = chunk_ranges(offset, size);
        std::thread::scope(|scope| {
            // Three stages at once: this thread reads and verifies (hashing on every core),
            // a writer writes what verified, and a syncer makes the verified prefix durable
            // behind it, so neither disk writes nor fsyncs hold up the transfer.
            let (synced_tx, synced_rx) = std::sync::mpsc::channel::<u64>();
            let syncer = {
                let (data, obao) = (
                    data.try_clone().map_err(io_err("reopen data"))?,
                    obao.try_clone().map_err(io_err("reopen outboard"))?,
                );
                scope.spawn(move || -> Result<(), StoreError> {
                    while let Ok(mut verified) = synced_rx.recv() {
                        // Only the furthest prefix waiting matters: one fsync covers them all.
                        while let Ok(further) = synced_rx.try_recv() {
                            verified = further;
                        }
                        data.sync_data().map_err(io_err("sync data"))?;
                        obao.sync_data().map_err(io_err("sync outboard"))?;
                        self.write_meta(id, &PartialMeta { size, verified })?;
                    }
                    Ok(())
                })
            };
            // Each message is the parents before one leaf and that leaf (or the last parents).
            let (pieces_tx, pieces_rx) =
                std::sync::mpsc::sync_channel::<Vec<BaoContentItem>>(WRITE_QUEUE);
            let mut checkpointed = checkpointed;
            let writer = scope.spawn(move || -> Result<(File, File), StoreError> {
                let mut data = crate::file_io::GatheringWriter::new(data);
                let mut outboard = PreOrderOutboard {
                    root: id.hash(),
                    tree,
                    data: crate::file_io::GatheringWriter::new(obao),
                };
                for piece in pieces_rx.into_iter().flatten() {
                    match piece {
                        BaoContentItem::Parent(p) => outboard
                            .save(p.node, &p.pair)
                            .map_err(io_err("write outboard"))?,
                        BaoContentItem::Leaf(leaf) => {
                            data.write_at(leaf.offset, &leaf.data)
                                .map_err(io_err("write data"))?;
                            // Leaves come in order from the prefix on: this is its end.
                            let verified = leaf.offset + leaf.data.len() as u64;
                            if verified >= checkpointed + CHECKPOINT_BYTES {
                                data.flush().map_err(io_err("write data"))?;
                                outboard.data.flush().map_err(io_err("write outboard"))?;
                                // A syncer that failed reports it when joined.
                                let _ = synced_tx.send(verified);
                                checkpointed = verified;
                            }
                        }
                    }
                }
                Ok((
                    data.into_file().map_err(io_err("write data"))?,
                    outboard
                        .data
                        .into_file()
                        .map_err(io_err("write outboard"))?,
                ))
            });
            let mut verified = offset;
            let mut failure = None;
            let mut message = Vec::new();
            for item in crate::parallel::Decoder::new(id.hash(), tree, encoded, &ranges) {
                let item = match item {
                    Ok(item) => item,
                    Err(e) => {
                        failure = Some(e);
                        break;
                    }
                };
                let end = match &item {
                    BaoContentItem::Leaf(leaf) if leaf.offset == verified => {
                        Some(leaf.offset + leaf.data.len() as u64)
                    }
                    BaoContentItem::Leaf(_) => Some(verified),
                    BaoContentItem::Parent(_) => None,
                };
                message.push(item);
                if let Some(end) = end {
                    if pieces_tx.send(std::mem::take(&mut message)).is_err() {
                        // The writer stopped: its error is the answer.
                        break;
                    }
                    verified = end;
                }
            }
            if !message.is_empty() {
                let _ = pieces_tx.send(message);
            }
            drop(pieces_tx);
            let files = writer
                .join()
                .unwrap_or_else(|p| std::panic::resume_unwind(p));
            syncer
                .join()
                .unwrap_or_else(|p| std::panic::resume_unwind(p))?;
            let (data, obao) = files?;
            Ok(Received {
                data,
                obao,
                verified,
                failure,
            })
        })
    }
}
