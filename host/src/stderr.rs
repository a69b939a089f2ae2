//! Messages on this process's stderr, best effort, for the host and the component.
//!
//! They are advice: a stderr that nobody reads any more (`wp-init ... 2>&1 | head -1`
//! once `head` has exited) must not fail the run. Rust's `eprintln!` panics there, and
//! WASI's own stderr reports the broken pipe to the component, whose next message then
//! fails (a trap); here, what cannot be written is dropped.

use std::io::Write;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use wasmtime_wasi::cli::{IsTerminal, StdoutStream};
use wasmtime_wasi::p2::{OutputStream, Pollable, StreamResult};

/// Writes `text` to stderr; a failure is dropped.
pub(crate) fn say(text: &str) {
    let _ = std::io::stderr().write_all(text.as_bytes());
}

/// The component's stderr: this process's, never failing.
pub(crate) struct Stderr;

impl IsTerminal for Stderr {
    fn is_terminal(&self) -> bool {
        std::io::IsTerminal::is_terminal(&std::io::stderr())
    }
}

impl StdoutStream for Stderr {
    fn p2_stream(&self) -> Box<dyn OutputStream> {
        Box::new(Stderr)
    }

    fn async_stream(&self) -> Box<dyn tokio::io::AsyncWrite + Send + Sync> {
        Box::new(Stderr)
    }
}

impl OutputStream for Stderr {
    fn write(&mut self, bytes: Bytes) -> StreamResult<()> {
        let _ = std::io::stderr().write_all(&bytes);
        Ok(())
    }

    fn flush(&mut self) -> StreamResult<()> {
        let _ = std::io::stderr().flush();
        Ok(())
    }

    fn check_write(&mut self) -> StreamResult<usize> {
        // As wasmtime-wasi's own stdio streams: writes are synchronous, any size at once.
        Ok(64 << 10)
    }
}

#[wasmtime_wasi::async_trait]
impl Pollable for Stderr {
    async fn ready(&mut self) {}
}

impl tokio::io::AsyncWrite for Stderr {
    fn poll_write(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let _ = std::io::stderr().write_all(buf);
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        let _ = std::io::stderr().flush();
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}
