//! Bridges between async byte streams (HTTP bodies) and the blocking `Read`/`Write` that bao's
//! encoder and decoder use, so that a multi-GiB transfer runs through a bounded channel instead
//! of memory.

use bytes::{Bytes, BytesMut};
use std::io;
use tokio::sync::mpsc;

/// Bytes handed over per message: large enough that channel overhead is negligible.
const PIECE_BYTES: usize = 256 * 1024;
/// Messages in flight: bounds memory per transfer to a few MiB.
const PIECES_IN_FLIGHT: usize = 8;

/// A blocking reader fed by an async task; an `Err` piece ends the stream with that error.
pub struct ChannelReader {
    rx: mpsc::Receiver<io::Result<Bytes>>,
    current: Bytes,
    done: bool,
}

pub fn reader() -> (mpsc::Sender<io::Result<Bytes>>, ChannelReader) {
    let (tx, rx) = mpsc::channel(PIECES_IN_FLIGHT);
    (
        tx,
        ChannelReader {
            rx,
            current: Bytes::new(),
            done: false,
        },
    )
}

impl io::Read for ChannelReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.current.is_empty() {
            if self.done {
                return Ok(0);
            }
            match self.rx.blocking_recv() {
                Some(Ok(piece)) => self.current = piece,
                Some(Err(e)) => {
                    self.done = true;
                    return Err(e);
                }
                None => self.done = true,
            }
        }
        let n = buf.len().min(self.current.len());
        buf[..n].copy_from_slice(&self.current[..n]);
        let _ = self.current.split_to(n);
        Ok(n)
    }
}

/// A blocking writer that hands its bytes, in pieces, to an async consumer.
pub struct ChannelWriter {
    tx: mpsc::Sender<io::Result<Bytes>>,
    buf: BytesMut,
}

pub fn writer() -> (ChannelWriter, mpsc::Receiver<io::Result<Bytes>>) {
    let (tx, rx) = mpsc::channel(PIECES_IN_FLIGHT);
    (
        ChannelWriter {
            tx,
            buf: BytesMut::with_capacity(PIECE_BYTES),
        },
        rx,
    )
}

impl ChannelWriter {
    fn send_buffered(&mut self) -> io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let piece = self.buf.split().freeze();
        self.buf.reserve(PIECE_BYTES);
        self.tx
            .blocking_send(Ok(piece))
            .map_err(|_| io::Error::new(io::ErrorKind::BrokenPipe, "the receiver went away"))
    }

    /// Ends the stream with an error the receiver will see instead of a clean end.
    pub fn fail(mut self, error: io::Error) {
        self.buf.clear();
        let _ = self.tx.blocking_send(Err(error));
    }
}

impl io::Write for ChannelWriter {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.buf.extend_from_slice(data);
        if self.buf.len() >= PIECE_BYTES {
            self.send_buffered()?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.send_buffered()
    }
}

impl Drop for ChannelWriter {
    fn drop(&mut self) {
        let _ = self.send_buffered();
    }
}

/// Turns a receiver into a stream for an HTTP body.
pub fn into_stream(
    rx: mpsc::Receiver<io::Result<Bytes>>,
) -> impl futures_util::Stream<Item = io::Result<Bytes>> + Send + 'static {
    futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|item| (item, rx))
    })
}
