//! Fewer, larger system calls for the 16 KiB pieces and 64-byte hash pairs that bao reads and
//! writes: a reader that fetches a 1 MiB window at a time, and a writer that gathers contiguous
//! pieces (a pre-order outboard is written and read in order, so both serve it too).

use positioned_io::{ReadAt, Size, WriteAt};
use std::cell::RefCell;
use std::fs::File;
use std::io;

const WINDOW_BYTES: usize = 1 << 20;

/// Reads a file at positions through a 1 MiB window (bao reads sequentially when encoding).
pub struct WindowedReader {
    file: File,
    window: RefCell<(u64, Vec<u8>)>,
}

impl WindowedReader {
    pub fn new(file: File) -> WindowedReader {
        WindowedReader {
            file,
            window: RefCell::new((0, Vec::new())),
        }
    }
}

impl ReadAt for WindowedReader {
    fn read_at(&self, pos: u64, buf: &mut [u8]) -> io::Result<usize> {
        let mut window = self.window.borrow_mut();
        let (start, bytes) = &mut *window;
        let inside = pos >= *start && pos < *start + bytes.len() as u64;
        if !inside {
            bytes.resize(WINDOW_BYTES, 0);
            let mut filled = 0;
            while filled < bytes.len() {
                let n = self
                    .file
                    .read_at(pos + filled as u64, &mut bytes[filled..])?;
                if n == 0 {
                    break;
                }
                filled += n;
            }
            bytes.truncate(filled);
            *start = pos;
            if filled == 0 {
                return Ok(0);
            }
        }
        let from = (pos - *start) as usize;
        let n = buf.len().min(bytes.len() - from);
        buf[..n].copy_from_slice(&bytes[from..from + n]);
        Ok(n)
    }
}

impl Size for WindowedReader {
    fn size(&self) -> io::Result<Option<u64>> {
        self.file.size()
    }
}

/// Writes pieces at positions, gathering contiguous ones into one write of up to 1 MiB.
/// `flush` must be called before the file is synced or read.
pub struct GatheringWriter {
    file: File,
    start: u64,
    buf: Vec<u8>,
}

impl GatheringWriter {
    pub fn new(file: File) -> GatheringWriter {
        GatheringWriter {
            file,
            start: 0,
            buf: Vec::with_capacity(WINDOW_BYTES),
        }
    }

    pub fn write_at(&mut self, pos: u64, data: &[u8]) -> io::Result<()> {
        if !self.buf.is_empty() && pos != self.start + self.buf.len() as u64 {
            self.flush()?;
        }
        if self.buf.is_empty() && data.len() >= WINDOW_BYTES {
            return self.file.write_all_at(pos, data);
        }
        if self.buf.is_empty() {
            self.start = pos;
        }
        self.buf.extend_from_slice(data);
        if self.buf.len() >= WINDOW_BYTES {
            self.flush()?;
        }
        Ok(())
    }

    pub fn flush(&mut self) -> io::Result<()> {
        if !self.buf.is_empty() {
            self.file.write_all_at(self.start, &self.buf)?;
            self.buf.clear();
        }
        Ok(())
    }

    /// The file, once everything written has been flushed to it.
    pub fn into_file(mut self) -> io::Result<File> {
        self.flush()?;
        Ok(self.file)
    }
}

/// So that a pre-order outboard can be written through it: its hash pairs arrive in order.
impl WriteAt for GatheringWriter {
    fn write_at(&mut self, pos: u64, buf: &[u8]) -> io::Result<usize> {
        GatheringWriter::write_at(self, pos, buf)?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        GatheringWriter::flush(self)
    }
}
