//! An append-only, fsync'd file of blocks, one record per height, from 1, or from the height
//! after a state snapshot the node started from, or from the oldest block a node keeps (the
//! first record's height says which).
//!
//! A node that keeps only its newest blocks ([`BlockLog::prune_below`]) copies them to a new
//! file and renames it over the log, fsync'd before and after: a crash leaves the old log or
//! the new one, never a mix, and a copy left half-written is removed on open.
//!
//! Record: magic (4 bytes) ‖ length (u32 LE) ‖ crc32 of the block bytes (u32 LE) ‖ block bytes.
//! On open the file is read record by record: a torn tail (a crash during an append) is cut
//! off, since nothing in it was executed; a corrupt record with whole ones after it stops the
//! open with its offset, since cutting there would drop executed blocks
//! (see `plexus_durable::append_log`).

use plexus_durable::append_log::{self, AppendOnly, Corruption, LogError};
use plexus_types::Block;
use std::fs::OpenOptions;
use std::io;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

const MAGIC: [u8; 4] = *b"PXB1";
const HEADER_LEN: usize = append_log::FRAME_HEADER_LEN as usize;

#[derive(Debug, thiserror::Error)]
pub enum BlockLogError {
    #[error("block log I/O: {0}")]
    Io(#[from] io::Error),
    #[error("block {got} does not follow the last logged block {last}")]
    OutOfOrder { last: u64, got: u64 },
    #[error("block log record at height {height} is corrupt: {reason}")]
    Corrupt { height: u64, reason: String },
    #[error("{}: {source}", path.display())]
    Damaged { path: PathBuf, source: Corruption },
}

pub struct BlockLog {
    path: PathBuf,
    file: AppendOnly,
    /// The height before the first record (0 unless the node started from a snapshot).
    base: u64,
    /// Byte offset of the record of height `base + i + 1`.
    offsets: Vec<u64>,
}

impl BlockLog {
    pub fn open(path: &Path) -> Result<BlockLog, BlockLogError> {
        // A copy a crash interrupted: the log itself is whole.
        let _ = std::fs::remove_file(compact_path(path));
        let file = OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .open(path)?;
        let mut offsets = Vec::new();
        let recovered = append_log::read_frames(&file, MAGIC, |offset, _| offsets.push(offset))
            .map_err(|e| match e {
                LogError::Io(e) => BlockLogError::Io(e),
                LogError::Corrupt(source) => BlockLogError::Damaged {
                    path: path.to_path_buf(),
                    source,
                },
            })?;
        if recovered.torn > 0 {
            tracing::warn!(
                file = %path.display(),
                kept = recovered.end,
                dropped = recovered.torn,
                "block log ends in a torn record (an interrupted append); cutting it off"
            );
        }
        let mut log = BlockLog {
            path: path.to_path_buf(),
            file: AppendOnly::resume(file, recovered.end)?,
            base: 0,
            offsets,
        };
        if !log.offsets.is_empty() {
            log.base = log.read_at(0, 1)?.header.height.saturating_sub(1);
        }
        Ok(log)
    }

    /// Height of the last logged block (0, or the base, when empty).
    pub fn last_height(&self) -> u64 {
        self.base + self.offsets.len() as u64
    }

    /// The height of the first block the log holds or will hold: 1, or the height after the
    /// snapshot the node started from.
    pub fn first_height(&self) -> u64 {
        self.base + 1
    }

    /// Whether no block is logged.
    pub fn is_empty(&self) -> bool {
        self.offsets.is_empty()
    }

    /// Makes an empty log start after `height`: a node that starts from the state snapshot of
    /// `height` logs the blocks it commits from `height + 1`.
    pub fn start_after(&mut self, height: u64) -> Result<(), BlockLogError> {
        if !self.is_empty() {
            return Err(BlockLogError::OutOfOrder {
                last: self.last_height(),
                got: height + 1,
            });
        }
        self.base = height;
        Ok(())
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
        let offset = self
            .file
            .append(&append_log::frame(MAGIC, &block.encode()))?;
        self.offsets.push(offset);
        Ok(())
    }

    /// Drops the blocks below `height` (at most up to the last one): copies the rest to a new
    /// file, fsyncs it, renames it over the log and fsyncs the directory. Returns how many
    /// blocks were dropped.
    pub fn prune_below(&mut self, height: u64) -> Result<u64, BlockLogError> {
        let keep_from = height.min(self.last_height());
        if keep_from <= self.first_height() {
            return Ok(0);
        }
        let dropped = keep_from - self.first_height();
        let start = self.offsets[dropped as usize];
        let copy = compact_path(&self.path);
        {
            let mut out = std::fs::File::create(&copy)?;
            let mut offset = start;
            let mut buf = vec![0u8; 1 << 20];
            while offset < self.file.len() {
                let n = ((self.file.len() - offset) as usize).min(buf.len());
                self.file.file().read_exact_at(&mut buf[..n], offset)?;
                std::io::Write::write_all(&mut out, &buf[..n])?;
                offset += n as u64;
            }
            out.sync_all()?;
        }
        std::fs::rename(&copy, &self.path)?;
        if let Some(dir) = self.path.parent() {
            std::fs::File::open(dir)?.sync_all()?;
        }
        *self = BlockLog::open(&self.path)?;
        Ok(dropped)
    }

    /// The block at `height`, if logged.
    pub fn get(&self, height: u64) -> Result<Option<Block>, BlockLogError> {
        if height <= self.base || height > self.last_height() {
            return Ok(None);
        }
        self.read_at((height - self.base - 1) as usize, height)
            .map(Some)
    }

    /// The block of record `index`, which should be of `height`.
    fn read_at(&self, index: usize, height: u64) -> Result<Block, BlockLogError> {
        let start = self.offsets[index];
        let end = self
            .offsets
            .get(index + 1)
            .copied()
            .unwrap_or(self.file.len());
        let mut buf = vec![0u8; (end - start) as usize];
        self.file.file().read_exact_at(&mut buf, start)?;
        Block::decode(&buf[HEADER_LEN..]).map_err(|e| BlockLogError::Corrupt {
            height,
            reason: e.to_string(),
        })
    }
}

/// Where a pruning copy of the log at `path` is written before it replaces the log.
fn compact_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".compact");
    path.with_file_name(name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use plexus_types::{Address, BlockHeader, Hash};
    use std::io::Write;

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
                beacon: Vec::new(),
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

    fn append_raw(path: &Path, bytes: &[u8]) {
        let mut f = OpenOptions::new().append(true).open(path).unwrap();
        f.write_all(bytes).unwrap();
    }

    fn assert_holds_blocks(log: &BlockLog, last: u64) {
        assert_eq!(log.last_height(), last);
        for h in 1..=last {
            assert_eq!(log.get(h).unwrap().unwrap(), block(h));
        }
    }

    #[test]
    fn a_block_log_with_a_torn_tail_reopens_with_every_whole_block() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("blocks.log");
        let mut log = BlockLog::open(&path).unwrap();
        for h in 1..=3 {
            log.append(&block(h)).unwrap();
        }
        let record = std::fs::read(&path).unwrap();
        // A full disk stops the append of block 4 part-way: its first bytes stay in the file
        // and the node carries on once space is freed.
        append_raw(&path, &record[..20]);
        log.append(&block(4)).unwrap();
        log.append(&block(5)).unwrap();
        assert_holds_blocks(&log, 5);
        drop(log);
        // Then a power cut tears the append of block 6.
        append_raw(&path, &record[..30]);

        let mut log = BlockLog::open(&path).unwrap();
        assert_holds_blocks(&log, 5);
        log.append(&block(6)).unwrap();
        drop(log);
        assert_holds_blocks(&BlockLog::open(&path).unwrap(), 6);
    }

    #[test]
    fn a_corrupt_record_in_the_middle_of_the_block_log_is_reported_with_its_offset_not_skipped() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("blocks.log");
        let mut log = BlockLog::open(&path).unwrap();
        let mut third = 0;
        for h in 1..=5 {
            if h == 3 {
                third = std::fs::metadata(&path).unwrap().len();
            }
            log.append(&block(h)).unwrap();
        }
        drop(log);
        // A bit flips in the body of block 3; blocks 4 and 5 after it are whole.
        let mut bytes = std::fs::read(&path).unwrap();
        bytes[third as usize + HEADER_LEN + 2] ^= 0x40;
        std::fs::write(&path, &bytes).unwrap();

        match BlockLog::open(&path) {
            Ok(log) => panic!(
                "the log opened with {} blocks, dropping the whole blocks after the corrupt one",
                log.last_height()
            ),
            Err(e) => {
                let message = e.to_string();
                assert!(message.contains(&format!("byte {third}")), "{message}");
                assert!(message.contains(&path.display().to_string()), "{message}");
            }
        }
        assert_eq!(std::fs::read(&path).unwrap(), bytes, "nothing was cut off");
    }

    #[test]
    fn a_log_started_after_a_snapshot_height_holds_the_blocks_from_the_next_and_reopens_so() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("blocks.log");
        let mut log = BlockLog::open(&path).unwrap();
        log.start_after(40).unwrap();
        assert!(matches!(
            log.append(&block(40)),
            Err(BlockLogError::OutOfOrder { last: 40, got: 40 })
        ));
        log.append(&block(41)).unwrap();
        log.append(&block(42)).unwrap();
        assert!(
            log.start_after(10).is_err(),
            "only an empty log takes a base"
        );
        drop(log);
        let log = BlockLog::open(&path).unwrap();
        assert_eq!(log.last_height(), 42);
        assert_eq!(log.get(40).unwrap(), None);
        assert_eq!(log.get(41).unwrap().unwrap(), block(41));
        assert_eq!(log.get(42).unwrap().unwrap(), block(42));
    }

    #[test]
    fn a_pruned_log_keeps_its_newest_blocks_across_reopening_and_a_half_written_copy_is_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("blocks.log");
        let mut log = BlockLog::open(&path).unwrap();
        for h in 1..=10 {
            log.append(&block(h)).unwrap();
        }
        assert_eq!(log.prune_below(7).unwrap(), 6);
        assert_eq!((log.first_height(), log.last_height()), (7, 10));
        assert_eq!(log.get(6).unwrap(), None);
        assert_eq!(log.get(7).unwrap().unwrap(), block(7));
        log.append(&block(11)).unwrap();
        assert_eq!(
            log.prune_below(3).unwrap(),
            0,
            "nothing below the first block"
        );
        assert_eq!(
            log.prune_below(100).unwrap(),
            4,
            "the last block always stays"
        );
        assert_eq!(log.first_height(), 11);
        let kept = std::fs::read(&path).unwrap();
        drop(log);
        // A crash while copying leaves a partial copy beside the whole log.
        std::fs::write(compact_path(&path), &kept[..5]).unwrap();
        let mut log = BlockLog::open(&path).unwrap();
        assert!(!compact_path(&path).exists());
        assert_eq!((log.first_height(), log.last_height()), (11, 11));
        log.append(&block(12)).unwrap();
        assert_eq!(log.get(12).unwrap().unwrap(), block(12));
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
