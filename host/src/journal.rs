//! This run's journal file (`core::journal`) at TARGET's root: made by the host, written by
//! the component through its stdout, read back by the host's pass and commit.
//!
//! The file is made on the component's first write (a run that creates nothing leaves no
//! file, and needs none on a read-only TARGET), relative to TARGET's open directory,
//! `O_EXCL|O_NOFOLLOW`, mode 0600, with the [`Line::Begin`] naming this run's nonce and
//! TARGET's identity. The host keeps the descriptor: what it reads back is the file it
//! made, whatever a co-tenant renames into its name meanwhile. Several instances share
//! one [`JournalStream`]; each write is whole lines under a lock, so lines never mix. A
//! flush sends the lines to the file's server (NFS) before what they announce is made.

use std::fs::File;
use std::io::{Read, Seek, Write};
use std::os::fd::{AsFd, OwnedFd};
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};

use bytes::Bytes;
use rustix::fs::{Mode, OFlags};
use wasmtime_wasi::cli::{IsTerminal, StdoutStream};
use wasmtime_wasi::p2::{OutputStream, Pollable, StreamError, StreamResult};

use crate::roots::Root;
use crate::{Error, PathError};
use wp_init_core::journal::{FORMAT, Line, MAX_JOURNAL_BYTES, journal_name};

/// The stream the component's stdout writes the journal to.
#[derive(Clone)]
pub(crate) struct JournalStream {
    inner: Arc<Mutex<State>>,
}

struct State {
    /// TARGET's directory (a duplicate of the root's descriptor).
    dir: OwnedFd,
    /// The file name, and the path shown in errors.
    name: String,
    shown: String,
    begin: String,
    file: Option<File>,
}

impl JournalStream {
    /// The journal of the run with `nonce` in `target`, whose identity is `target_id`.
    pub(crate) fn new(target: &Root, nonce: u64, target_id: String) -> Result<Self, Error> {
        let dir = target.fd().try_clone_to_owned().map_err(|e| {
            Error::Io(PathError {
                path: target.given.clone(),
                cause: format!("duplicating the descriptor: {e}"),
            })
        })?;
        let name = journal_name(nonce);
        Ok(JournalStream {
            inner: Arc::new(Mutex::new(State {
                dir,
                shown: target.path_of(&name).display().to_string(),
                name,
                begin: Line::Begin {
                    format: FORMAT,
                    nonce,
                    target: Some(target_id),
                }
                .to_text(),
                file: None,
            })),
        })
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The file's name at TARGET's root.
    pub(crate) fn name(&self) -> String {
        self.lock().name.clone()
    }

    /// The journal file, read from its start (none if the component wrote nothing).
    pub(crate) fn reopen(&self) -> Result<Option<File>, Error> {
        let state = self.lock();
        let Some(file) = state.file.as_ref() else {
            return Ok(None);
        };
        let fail = |e: std::io::Error| {
            Error::Io(PathError {
                path: state.shown.clone(),
                cause: format!("reading the journal back: {e}"),
            })
        };
        let mut copy = file.try_clone().map_err(fail)?;
        copy.rewind().map_err(fail)?;
        Ok(Some(copy))
    }

    /// Appends `line` and flushes the file to disk.
    pub(crate) fn append_durably(&self, line: &Line) -> Result<(), Error> {
        let mut state = self.lock();
        let shown = state.shown.clone();
        state
            .write(line.to_text().as_bytes())
            .and_then(|file| file.sync_data())
            .map_err(|e| {
                Error::Commit(PathError {
                    path: shown,
                    cause: format!("writing the journal: {e}"),
                })
            })
    }
}

impl State {
    /// Writes `bytes`, making the file first if need be.
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<&File> {
        if self.file.is_none() {
            let fd = rustix::fs::openat(
                self.dir.as_fd(),
                &self.name,
                OFlags::RDWR
                    | OFlags::APPEND
                    | OFlags::CREATE
                    | OFlags::EXCL
                    | OFlags::NOFOLLOW
                    | OFlags::CLOEXEC,
                Mode::from(0o600),
            )?;
            let mut file = File::from(fd);
            file.write_all(self.begin.as_bytes())?;
            self.file = Some(file);
        }
        let mut file = self.file.as_ref().ok_or(std::io::ErrorKind::NotFound)?;
        file.write_all(bytes)?;
        Ok(self.file.as_ref().ok_or(std::io::ErrorKind::NotFound)?)
    }

    /// Sends what was written to the file's server, when it has one: closing a duplicate
    /// descriptor runs the file system's flush, which on NFS writes the dirty pages to the
    /// server (a node that dies loses what it had not sent) and on a local file system
    /// does nothing. The component flushes before it creates what a line announces.
    fn flush(&self) -> std::io::Result<()> {
        if let Some(file) = &self.file {
            drop(rustix::io::fcntl_dupfd_cloexec(file, 0)?);
        }
        Ok(())
    }
}

impl IsTerminal for JournalStream {
    fn is_terminal(&self) -> bool {
        false
    }
}

impl StdoutStream for JournalStream {
    fn p2_stream(&self) -> Box<dyn OutputStream> {
        Box::new(self.clone())
    }

    fn async_stream(&self) -> Box<dyn tokio::io::AsyncWrite + Send + Sync> {
        Box::new(self.clone())
    }
}

#[wasmtime_wasi::async_trait]
impl Pollable for JournalStream {
    async fn ready(&mut self) {}
}

impl OutputStream for JournalStream {
    fn write(&mut self, bytes: Bytes) -> StreamResult<()> {
        let mut state = self.lock();
        let shown = state.shown.clone();
        state
            .write(&bytes)
            .map(|_| ())
            .map_err(|e| StreamError::LastOperationFailed(wasmtime::format_err!("{shown}: {e}")))
    }

    fn flush(&mut self) -> StreamResult<()> {
        let state = self.lock();
        state.flush().map_err(|e| {
            StreamError::LastOperationFailed(wasmtime::format_err!("{}: {e}", state.shown))
        })
    }

    fn check_write(&mut self) -> StreamResult<usize> {
        Ok(64 * 1024)
    }
}

impl tokio::io::AsyncWrite for JournalStream {
    fn poll_write(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Poll::Ready(self.lock().write(buf).map(|_| buf.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(self.lock().flush())
    }

    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

/// Reads a journal file's text, at most [`MAX_JOURNAL_BYTES`].
pub(crate) fn read_text(mut file: &File, shown: &str) -> Result<String, Error> {
    let mut bytes = Vec::new();
    let fail = |cause: String| {
        Error::Io(PathError {
            path: shown.to_owned(),
            cause,
        })
    };
    (&mut file)
        .take(MAX_JOURNAL_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| fail(format!("reading the journal: {e}")))?;
    if bytes.len() as u64 > MAX_JOURNAL_BYTES {
        return Err(fail(format!(
            "larger than {MAX_JOURNAL_BYTES} bytes: not a journal of wp-init's"
        )));
    }
    String::from_utf8(bytes).map_err(|_| fail("not UTF-8: not a journal of wp-init's".into()))
}
