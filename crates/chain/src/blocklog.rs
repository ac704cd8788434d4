//! An append-only, fsync'd file of blocks, one record per height from 1.
//!
//! Record: magic (4 bytes) ‖ length (u32 LE) ‖ crc32 of the block bytes (u32 LE) ‖ block bytes.
//! On open the file is scanned; a torn or corrupt record at the tail (a crash during append)
//! is cut off, since nothing after it can have been executed.

use plexus_types::Block;
use std::fs::{File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::os::unix::fs::FileExt;
use std::path::Path;

const MAGIC: [u8; 4] = *b"PXB1";
const HEADER_LEN: usize = 12;

#[derive(Debug, thiserror::Error)]
pub enum BlockLogError {
    #[error("block log I/O: {0}")]
    Io(#[from] io::Error),
    #[error("block {got} does not follow the last logged block {last}")]
    OutOfOrder { last: u64, got: u64 },
    #[error("block log record at height {height} is corrupt: {reason}")]
    Corrupt { height: u64, reason: String },
}

pub struct BlockLog {
    file: File,
    /// Byte offset of the record of height `i + 1`.
    offsets: Vec<u64>,
    end: u64,
}

impl BlockLog {
    pub fn open(path: &Path) -> Result<BlockLog, BlockLogError> {
        let mut file = OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .open(path)?;
        let len = file.metadata()?.len();
        let mut data = Vec::with_capacity(len as usize);
        file.seek(SeekFrom::Start(0))?;
        file.read_to_end(&mut data)?;
        let mut offsets = Vec::new();
        let mut pos = 0usize;
        while pos + HEADER_LEN <= data.len() {
            let header = &data[pos..pos + HEADER_LEN];
            if header[..4] != MAGIC {
                break;
            }
            let n = u32::from_le_bytes(header[4..8].try_into().expect("4 bytes")) as usize;
            let crc = u32::from_le_bytes(header[8..12].try_into().expect("4 bytes"));
            let body_start = pos + HEADER_LEN;
            if body_start + n > data.len()
                || crc32fast::hash(&data[body_start..body_start + n]) != crc
            {
                break;
            }
            offsets.push(pos as u64);
            pos = body_start + n;
        }
        if (pos as u64) < len {
            tracing::warn!(
                kept = pos,
                dropped = len - pos as u64,
                "block log ends in a torn record (an interrupted append); cutting it off"
            );
            file.set_len(pos as u64)?;
            file.sync_all()?;
        }
        Ok(BlockLog {
            file,
            offsets,
            end: pos as u64,
        })
    }

    /// Height of the last logged block (0 when empty).
    pub fn last_height(&self) -> u64 {
        self.offsets.len() as u64
    }

    /// Appends `block` and waits until it is on disk.
    pub fn append(&mut self, block: &Block) -> Result<(), BlockLogError> {
        let last = self.last_height();
        if block.header.height != last + 1 {
            return Err(BlockLogError::OutOfOrder {
                last,
                got: block.header.height,
            });
        }
        let bytes = block.encode();
        let mut record = Vec::with_capacity(HEADER_LEN + bytes.len());
        record.extend_from_slice(&MAGIC);
        record.extend_from_slice(&(bytes.len() as u32).to_le_bytes());
        record.extend_from_slice(&crc32fast::hash(&bytes).to_le_bytes());
        record.extend_from_slice(&bytes);
        self.file.write_all(&record)?;
        self.file.sync_data()?;
        self.offsets.push(self.end);
        self.end += record.len() as u64;
        Ok(())
    }

    /// The block at `height`, if logged.
    pub fn get(&self, height: u64) -> Result<Option<Block>, BlockLogError> {
        if height == 0 || height > self.last_height() {
            return Ok(None);
        }
        let start = self.offsets[(height - 1) as usize];
        let end = self
            .offsets
            .get(height as usize)
            .copied()
            .unwrap_or(self.end);
        let mut buf = vec![0u8; (end - start) as usize];
        self.file.read_exact_at(&mut buf, start)?;
        let block = Block::decode(&buf[HEADER_LEN..]).map_err(|e| BlockLogError::Corrupt {
            height,
            reason: e.to_string(),
        })?;
        Ok(Some(block))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use plexus_types::{Address, BlockHeader, Hash};

    fn block(height: u64) -> Block {
        let txs = vec![vec![height as u8; 10]];
        Block {
            header: BlockHeader {
                chain_id: "c".into(),
                height,
                time_ms: height,
                proposer: Address([0; 20]),
                prev_app_hash: Hash::ZERO,
                tx_root: Block::tx_root(&txs),
            },
            txs,
        }
    }

    #[test]
    fn blocks_survive_reopening_and_a_torn_tail_is_cut_off() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("blocks.log");
        {
            let mut log = BlockLog::open(&path).unwrap();
            for h in 1..=3 {
                log.append(&block(h)).unwrap();
            }
        }
        // Simulate a crash in the middle of appending block 4.
        let full = std::fs::read(&path).unwrap();
        let mut f = OpenOptions::new().append(true).open(&path).unwrap();
        f.write_all(&full[..20]).unwrap();
        drop(f);

        let mut log = BlockLog::open(&path).unwrap();
        assert_eq!(log.last_height(), 3);
        assert_eq!(log.get(2).unwrap().unwrap(), block(2));
        assert_eq!(log.get(4).unwrap(), None);
        log.append(&block(4)).unwrap();
        drop(log);
        let log = BlockLog::open(&path).unwrap();
        assert_eq!(log.get(4).unwrap().unwrap(), block(4));
    }

    #[test]
    fn blocks_must_be_appended_in_height_order() {
        let dir = tempfile::tempdir().unwrap();
        let mut log = BlockLog::open(&dir.path().join("blocks.log")).unwrap();
        assert!(matches!(
            log.append(&block(2)),
            Err(BlockLogError::OutOfOrder { last: 0, got: 2 })
        ));
    }
}
