//! Append-only logs that neither a crash nor a full disk can wedge.
//!
//! An append is whole or absent: [`AppendOnly`] cuts the file back to its last whole record
//! when a write or its fsync fails, and starts every append at that length, so a later append
//! never lands after half a record.
//!
//! On open, [`read_frames`] and [`read_lines`] stream the file record by record (memory bounded
//! by one record, never by the log) and tell apart the two ways a log can end badly:
//! - a torn tail: bad bytes with no whole record after them. A crash during an append leaves
//!   exactly this, and the append was never acknowledged, so the caller cuts it off;
//! - corruption: a bad record followed by a whole one. No crash leaves that, and cutting there
//!   would drop records that were acknowledged, so it is a [`Corruption`] naming the offset,
//!   and the log is left as it is for an operator to look at.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::os::unix::fs::FileExt;

/// Bytes of a frame's header: magic ‖ body length (u32 LE) ‖ crc32 of the body (u32 LE).
pub const FRAME_HEADER_LEN: u64 = 12;
/// Bytes read from the disk at a time while scanning.
const CHUNK: usize = 64 * 1024;

/// Where a log's whole records end, and how many torn bytes follow them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Recovered {
    /// Length of the whole records, from the start of the file.
    pub end: u64,
    /// Bytes after `end` that are a torn tail, to be cut off.
    pub torn: u64,
}

/// A bad record with a whole record after it: damage that no crash leaves.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "the record at byte {offset} is corrupt ({reason}) and a whole record follows at byte \
     {next_record}; a crash cannot leave this, so the log is left as it is (restore it, or cut \
     it at byte {offset} to give up every record from there on)"
)]
pub struct Corruption {
    pub offset: u64,
    pub reason: String,
    pub next_record: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum LogError {
    #[error("{0}")]
    Io(#[from] io::Error),
    #[error("{0}")]
    Corrupt(#[from] Corruption),
}

/// Reading at an offset, from a file or from bytes in memory (tests and fuzzing).
pub trait ReadAt {
    fn read_at(&self, buf: &mut [u8], offset: u64) -> io::Result<usize>;
    fn size(&self) -> io::Result<u64>;
}

impl ReadAt for File {
    fn read_at(&self, buf: &mut [u8], offset: u64) -> io::Result<usize> {
        FileExt::read_at(self, buf, offset)
    }
    fn size(&self) -> io::Result<u64> {
        Ok(self.metadata()?.len())
    }
}

impl ReadAt for [u8] {
    fn read_at(&self, buf: &mut [u8], offset: u64) -> io::Result<usize> {
        let start = usize::try_from(offset)
            .unwrap_or(usize::MAX)
            .min(self.len());
        let n = buf.len().min(self.len() - start);
        buf[..n].copy_from_slice(&self[start..start + n]);
        Ok(n)
    }
    fn size(&self) -> io::Result<u64> {
        Ok(self.len() as u64)
    }
}

/// A sequential reader over `log` from `pos`, without moving any shared file cursor.
struct Cursor<'a, R: ?Sized> {
    log: &'a R,
    pos: u64,
}

impl<R: ReadAt + ?Sized> Read for Cursor<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.log.read_at(buf, self.pos)?;
        self.pos += n as u64;
        Ok(n)
    }
}

fn reader_at<R: ReadAt + ?Sized>(log: &R, pos: u64) -> BufReader<Cursor<'_, R>> {
    BufReader::with_capacity(CHUNK, Cursor { log, pos })
}

/// One frame: header then body.
pub fn frame(magic: [u8; 4], body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(FRAME_HEADER_LEN as usize + body.len());
    out.extend_from_slice(&magic);
    out.extend_from_slice(&(body.len() as u32).to_le_bytes());
    out.extend_from_slice(&crc32fast::hash(body).to_le_bytes());
    out.extend_from_slice(body);
    out
}

/// Checks the frame at `offset`: its total length, or why it is not a whole frame.
fn frame_at<R: ReadAt + ?Sized>(
    log: &R,
    magic: [u8; 4],
    offset: u64,
    size: u64,
) -> io::Result<Result<u64, String>> {
    let left = size - offset;
    if left < FRAME_HEADER_LEN {
        return Ok(Err(format!("{left} bytes, shorter than a header")));
    }
    let mut header = [0u8; FRAME_HEADER_LEN as usize];
    Cursor { log, pos: offset }.read_exact(&mut header)?;
    if header[..4] != magic {
        return Ok(Err("no record magic".into()));
    }
    let len = u64::from(u32::from_le_bytes(
        header[4..8].try_into().expect("4 bytes"),
    ));
    let crc = u32::from_le_bytes(header[8..12].try_into().expect("4 bytes"));
    if len > left - FRAME_HEADER_LEN {
        return Ok(Err(format!(
            "a {len}-byte body, but only {} bytes follow",
            left - FRAME_HEADER_LEN
        )));
    }
    let capacity = usize::try_from(len).map_or(CHUNK, |len| len.clamp(1, CHUNK));
    let body = Cursor {
        log,
        pos: offset + FRAME_HEADER_LEN,
    };
    let mut body = BufReader::with_capacity(capacity, body.take(len));
    let mut hasher = crc32fast::Hasher::new();
    loop {
        let chunk = body.fill_buf()?;
        if chunk.is_empty() {
            break;
        }
        hasher.update(chunk);
        let n = chunk.len();
        body.consume(n);
    }
    if hasher.finalize() != crc {
        return Ok(Err("checksum mismatch".into()));
    }
    Ok(Ok(FRAME_HEADER_LEN + len))
}

/// The first whole frame starting after `after`, if any: what decides whether a bad frame is a
/// torn tail or corruption. A torn append whose body holds bytes that form a whole frame is
/// reported rather than cut, erring towards keeping records.
fn next_frame<R: ReadAt + ?Sized>(
    log: &R,
    magic: [u8; 4],
    after: u64,
    size: u64,
) -> io::Result<Option<u64>> {
    let mut reader = reader_at(log, after + 1);
    let mut pos = after + 1;
    let want = u32::from_be_bytes(magic);
    // The last four bytes read, oldest first, and how many of them are real.
    let mut window = 0u32;
    let mut seen = 0u64;
    loop {
        let chunk = reader.fill_buf()?;
        if chunk.is_empty() {
            return Ok(None);
        }
        let n = chunk.len();
        let mut candidates = Vec::new();
        for (i, b) in chunk.iter().enumerate() {
            window = (window << 8) | u32::from(*b);
            seen += 1;
            if seen >= 4 && window == want {
                candidates.push(pos + i as u64 - 3);
            }
        }
        reader.consume(n);
        pos += n as u64;
        for candidate in candidates {
            if frame_at(log, magic, candidate, size)?.is_ok() {
                return Ok(Some(candidate));
            }
        }
    }
}

/// Scans a log of frames (see [`frame`]), calling `visit(offset, total_len)` for each whole
/// frame in order.
pub fn read_frames<R: ReadAt + ?Sized>(
    log: &R,
    magic: [u8; 4],
    mut visit: impl FnMut(u64, u64),
) -> Result<Recovered, LogError> {
    let size = log.size()?;
    let mut pos = 0;
    while pos < size {
        match frame_at(log, magic, pos, size)? {
            Ok(len) => {
                visit(pos, len);
                pos += len;
            }
            Err(reason) => {
                return match next_frame(log, magic, pos, size)? {
                    Some(next_record) => Err(Corruption {
                        offset: pos,
                        reason,
                        next_record,
                    }
                    .into()),
                    None => Ok(Recovered {
                        end: pos,
                        torn: size - pos,
                    }),
                };
            }
        }
    }
    Ok(Recovered { end: pos, torn: 0 })
}

/// Scans a log of newline-terminated records, calling `accept(offset, line)` (without its
/// newline) for each line in order; `accept` says why a line is not a record. A last line
/// without its newline is torn, whether or not it parses: its append did not finish.
pub fn read_lines<R: ReadAt + ?Sized>(
    log: &R,
    mut accept: impl FnMut(u64, &[u8]) -> Result<(), String>,
) -> Result<Recovered, LogError> {
    let size = log.size()?;
    let mut reader = reader_at(log, 0);
    let mut line = Vec::new();
    let mut pos = 0;
    let mut first_bad: Option<(u64, String)> = None;
    while pos < size {
        line.clear();
        let n = reader.read_until(b'\n', &mut line)? as u64;
        if n == 0 {
            break;
        }
        let verdict = match line.pop() {
            Some(b'\n') => accept(pos, &line),
            _ => Err("no newline at its end".into()),
        };
        match (verdict, &first_bad) {
            (Ok(()), Some((offset, reason))) => {
                return Err(Corruption {
                    offset: *offset,
                    reason: reason.clone(),
                    next_record: pos,
                }
                .into())
            }
            (Err(reason), None) => first_bad = Some((pos, reason)),
            _ => {}
        }
        pos += n;
    }
    let end = first_bad.map_or(pos, |(offset, _)| offset);
    Ok(Recovered {
        end,
        torn: pos - end,
    })
}

/// What an append-only file needs from the storage under it.
pub trait Segment: Write {
    fn sync_data(&self) -> io::Result<()>;
    fn set_len(&self, len: u64) -> io::Result<()>;
    fn size(&self) -> io::Result<u64>;
}

impl Segment for File {
    fn sync_data(&self) -> io::Result<()> {
        File::sync_data(self)
    }
    fn set_len(&self, len: u64) -> io::Result<()> {
        File::set_len(self, len)
    }
    fn size(&self) -> io::Result<u64> {
        Ok(self.metadata()?.len())
    }
}

/// A file, opened in append mode, that grows by whole records only.
pub struct AppendOnly<F: Segment = File> {
    file: F,
    len: u64,
}

impl<F: Segment> AppendOnly<F> {
    /// Takes over `file` whose whole records end at `len`, cutting off (durably) anything after
    /// that. `file` must be opened in append mode, so that writes go to its end.
    pub fn resume(file: F, len: u64) -> io::Result<AppendOnly<F>> {
        let mut log = AppendOnly { file, len };
        log.cut_back()?;
        Ok(log)
    }

    /// Length of the whole records.
    pub fn len(&self) -> u64 {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn file(&self) -> &F {
        &self.file
    }

    /// Appends `bytes` and waits until they are on disk; returns the offset they start at.
    /// On an error the file is cut back to its whole records (or, if even that fails, the next
    /// append cuts it back before writing).
    pub fn append(&mut self, bytes: &[u8]) -> io::Result<u64> {
        self.cut_back()?;
        let written = self
            .file
            .write_all(bytes)
            .and_then(|()| self.file.sync_data());
        if let Err(e) = written {
            return Err(match self.file.set_len(self.len) {
                Ok(()) => e,
                // The next append retries the cut before it writes.
                Err(cut) => io::Error::new(
                    e.kind(),
                    format!("{e}; cutting the unfinished append off failed too: {cut}"),
                ),
            });
        }
        let offset = self.len;
        self.len += bytes.len() as u64;
        Ok(offset)
    }

    fn cut_back(&mut self) -> io::Result<()> {
        let size = self.file.size()?;
        if size < self.len {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!(
                    "the log is {size} bytes, shorter than its {} bytes of whole records",
                    self.len
                ),
            ));
        }
        if size > self.len {
            self.file.set_len(self.len)?;
            self.file.sync_data()?;
        }
        Ok(())
    }
}

#[cfg(test)]
#[path = "append_log_tests.rs"]
mod tests;
