//! Where a WASM job's standard output and standard error go: a buffer that keeps at most the
//! job's output limit and traps the module on its first write past it. A refused write that
//! only returned an error would let a flood go on writing, and being refused, until its fuel
//! ran out; a trap stops it at once.

use bytes::Bytes;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};
use wasmtime_wasi::cli::{IsTerminal, StdoutStream};
use wasmtime_wasi::p2::{OutputStream, Pollable, StreamError, StreamResult};

/// One stream's bytes, shared by every handle WASI makes of it.
#[derive(Clone)]
pub struct CapturedOutput {
    captured: Arc<Mutex<Captured>>,
    limit: usize,
}

#[derive(Default)]
struct Captured {
    bytes: Vec<u8>,
    /// A write went past the limit (its bytes up to the limit were kept).
    overflowed: bool,
}

impl CapturedOutput {
    pub fn new(limit: usize) -> CapturedOutput {
        CapturedOutput {
            captured: Arc::default(),
            limit,
        }
    }

    /// What the module wrote, at most the limit.
    pub fn contents(&self) -> Vec<u8> {
        self.lock().bytes.clone()
    }

    /// Whether the module tried to write more than the limit.
    pub fn overflowed(&self) -> bool {
        self.lock().overflowed
    }

    fn lock(&self) -> MutexGuard<'_, Captured> {
        // Nothing panics while holding the lock, so it is never poisoned; if it were, the
        // bytes are still whole.
        self.captured.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Keeps `buf`, or what fits of it and marks the overflow.
    fn keep(&self, buf: &[u8]) -> Result<(), ()> {
        let mut captured = self.lock();
        let room = self.limit.saturating_sub(captured.bytes.len());
        if buf.len() > room {
            captured.bytes.extend_from_slice(&buf[..room]);
            captured.overflowed = true;
            return Err(());
        }
        captured.bytes.extend_from_slice(buf);
        Ok(())
    }

    fn over_limit(&self) -> StreamError {
        StreamError::trap("the job wrote past its output limit")
    }
}

#[wasmtime_wasi::async_trait]
impl Pollable for CapturedOutput {
    async fn ready(&mut self) {}
}

impl OutputStream for CapturedOutput {
    fn write(&mut self, bytes: Bytes) -> StreamResult<()> {
        self.keep(&bytes).map_err(|()| self.over_limit())
    }

    fn flush(&mut self) -> StreamResult<()> {
        Ok(())
    }

    fn check_write(&mut self) -> StreamResult<usize> {
        let captured = self.lock();
        if captured.overflowed {
            return Err(self.over_limit());
        }
        // One byte more than fits, so that a write past the limit is attempted and traps
        // rather than waits for room that never comes.
        Ok(self
            .limit
            .saturating_sub(captured.bytes.len())
            .saturating_add(1))
    }
}

impl tokio::io::AsyncWrite for CapturedOutput {
    fn poll_write(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Poll::Ready(match self.keep(buf) {
            Ok(()) => Ok(buf.len()),
            Err(()) => Err(std::io::Error::other("the job wrote past its output limit")),
        })
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

impl IsTerminal for CapturedOutput {
    fn is_terminal(&self) -> bool {
        false
    }
}

impl StdoutStream for CapturedOutput {
    fn p2_stream(&self) -> Box<dyn OutputStream> {
        Box::new(self.clone())
    }

    fn async_stream(&self) -> Box<dyn tokio::io::AsyncWrite + Send + Sync> {
        Box::new(self.clone())
    }
}
