//! This run's journal file (`core::journal`) at TARGET's root: made by the host, written by
//! the component through its stdout, read back by the host's pass and commit.
//!
//! The file is made before the component runs ([`JournalStream::start`]; on the
//! component's first write if TARGET could not take it then: a read-only TARGET needs
//! none), relative to TARGET's open directory, `O_EXCL|O_NOFOLLOW`, mode
//! [`JOURNAL_MODE`], with the [`Line::Begin`] naming this run's nonce and TARGET's
//! identity. Its birth time is the floor below which the host changes nothing the journal
//! names (`born`). The host keeps the descriptor: what it reads back is the file it made,
//! whatever a co-tenant renames into its name meanwhile. Several instances share one
//! [`JournalStream`]; each write is whole lines under a lock, so lines never mix. A flush
//! sends the lines to the file's server (NFS) before what they announce is made.
//!
//! What the component writes is checked line by line before it reaches the file
//! (`core::journal::from_component`): no line of the host's own kinds (`begin`,
//! `commit`), no path that is not plain and relative, no line longer than
//! [`MAX_LINE_BYTES`], no more than [`MAX_JOURNAL_BYTES`] in all. The first line refused
//! fails the write, and every later one; the host then refuses the run
//! ([`JournalStream::refusal`]). The component can still write to the file directly
//! (TARGET is its to write): what the host reads back is checked again (`commit`), and
//! nothing a journal says makes the host change an entry older than the journal.

use std::fs::File;
use std::io::{Seek, Write};
use std::os::fd::{AsFd, OwnedFd};
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};

use bytes::Bytes;
use rustix::fs::{AtFlags, Mode, OFlags};
use wasmtime_wasi::cli::{IsTerminal, StdoutStream};
use wasmtime_wasi::p2::{OutputStream, Pollable, StreamError, StreamResult};

mod read;

pub(crate) use read::{read_lines, read_text};

use crate::born::{self, Born};
use crate::roots::Root;
use crate::{Error, PathError};
use wp_init_core::journal::{
    FORMAT, Line, MAX_JOURNAL_BYTES, MAX_LINE_BYTES, from_component, journal_name,
};

/// The mode of the host's journal files. The sticky bit marks them as the host's: the
/// component cannot set a mode (WASI has none to set) and creates files under umask 077,
/// so a journal it planted, or a file of the user's it renamed into a journal's name,
/// never has it; a journal without it is not obeyed (`state`).
pub(crate) const JOURNAL_MODE: u32 = 0o1600;

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
    /// The file's length.
    len: u64,
    /// The component's text after its last newline, not written yet.
    pending: Vec<u8>,
    /// Why the component's writes are refused, once one was.
    refused: Option<String>,
    /// The file's birth time, when it was made before the component ran.
    born: Option<Born>,
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
                len: 0,
                pending: Vec::new(),
                refused: None,
                born: None,
            })),
        })
    }

    /// Makes the file now, before the component runs, and takes its birth time as the
    /// floor of this run. If TARGET cannot take it (read-only, not this user's to
    /// write), the file is made on the component's first write, and the run has no floor.
    pub(crate) fn start(&self) {
        let mut state = self.lock();
        if state.file.is_none() && state.make().is_ok() {
            state.born = state.file.as_ref().and_then(|f| born::facts(f).ok()?.born);
        }
    }

    /// Removes the file if it holds nothing but its first line (the component wrote
    /// nothing), as a run that failed before making anything leaves nothing; the
    /// stream then makes it again if written to.
    pub(crate) fn discard_if_empty(&self) -> Result<(), Error> {
        let mut state = self.lock();
        if state.len != state.begin.len() as u64 || !state.pending.is_empty() {
            return Ok(());
        }
        let Some(file) = state.file.take() else {
            return Ok(());
        };
        let fail = |e: rustix::io::Errno| {
            Error::Io(PathError {
                path: state.shown.clone(),
                cause: format!("removing the empty journal: {e}"),
            })
        };
        // Only the file itself: whatever else was renamed to its name stays.
        let mine = rustix::fs::fstat(&file).map_err(fail)?;
        match rustix::fs::statat(&state.dir, state.name.as_str(), AtFlags::SYMLINK_NOFOLLOW) {
            Ok(st) if (st.st_dev, st.st_ino) == (mine.st_dev, mine.st_ino) => {
                rustix::fs::unlinkat(&state.dir, state.name.as_str(), AtFlags::empty())
                    .map_err(fail)?;
            }
            _ => {}
        }
        state.born = None;
        state.len = 0;
        Ok(())
    }

    /// The birth time of the file, made before the component ran (none when it was not,
    /// or the file system keeps no birth times).
    pub(crate) fn born(&self) -> Option<Born> {
        self.lock().born
    }

    /// The host's refusal of what the component wrote, if it refused a line.
    pub(crate) fn refusal(&self) -> Option<Error> {
        let state = self.lock();
        let why = state.refused.as_ref()?;
        Some(Error::Io(PathError {
            path: state.shown.clone(),
            cause: format!("refused what the component wrote to its journal: {why}"),
        }))
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The first line, the host's (without its newline).
    pub(crate) fn first_line(&self) -> String {
        self.lock().begin.trim_end().to_owned()
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
    /// Makes the file, marked as the host's, with its first line.
    fn make(&mut self) -> std::io::Result<()> {
        let fd = rustix::fs::openat(
            self.dir.as_fd(),
            &self.name,
            OFlags::RDWR
                | OFlags::APPEND
                | OFlags::CREATE
                | OFlags::EXCL
                | OFlags::NOFOLLOW
                | OFlags::CLOEXEC,
            Mode::from_raw_mode(JOURNAL_MODE),
        )?;
        // The mode given to open keeps the sticky bit on Linux's file systems; should
        // one drop it, it is set again.
        if rustix::fs::fstat(&fd)?.st_mode & 0o7777 != JOURNAL_MODE {
            rustix::fs::fchmod(&fd, Mode::from_raw_mode(JOURNAL_MODE))?;
        }
        let mut file = File::from(fd);
        file.write_all(self.begin.as_bytes())?;
        self.len = self.begin.len() as u64;
        self.file = Some(file);
        Ok(())
    }

    /// Writes `bytes`, making the file first if need be.
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<&File> {
        if self.file.is_none() {
            self.make()?;
        }
        let mut file = self.file.as_ref().ok_or(std::io::ErrorKind::NotFound)?;
        file.write_all(bytes)?;
        self.len += bytes.len() as u64;
        Ok(self.file.as_ref().ok_or(std::io::ErrorKind::NotFound)?)
    }

    /// Takes `bytes` the component wrote: writes the whole lines among them that it may
    /// write, keeps the rest of a line for later, refuses anything else (and then every
    /// later write).
    fn take(&mut self, bytes: &[u8]) -> Result<(), String> {
        if let Some(why) = &self.refused {
            return Err(why.clone());
        }
        self.pending.extend_from_slice(bytes);
        let whole = self
            .pending
            .iter()
            .rposition(|b| *b == b'\n')
            .map_or(0, |i| i + 1);
        let why = if self.pending.len() - whole > MAX_LINE_BYTES {
            Some(format!("a line longer than {MAX_LINE_BYTES} bytes"))
        } else if self.len + whole as u64 > MAX_JOURNAL_BYTES {
            Some(format!("more than {MAX_JOURNAL_BYTES} bytes"))
        } else if whole == 0 {
            None
        } else {
            self.pending[..whole - 1]
                .split(|b| *b == b'\n')
                .find_map(|line| match line.len() > MAX_LINE_BYTES {
                    true => Some(format!("a line longer than {MAX_LINE_BYTES} bytes")),
                    false => from_component(line).err(),
                })
        };
        if let Some(why) = why {
            self.pending.clear();
            self.refused = Some(why.clone());
            return Err(why);
        }
        if whole > 0 {
            let lines: Vec<u8> = self.pending.drain(..whole).collect();
            self.write(&lines).map_err(|e| e.to_string())?;
        }
        Ok(())
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
            .take(&bytes)
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
        let taken = self.lock().take(buf).map_err(std::io::Error::other);
        Poll::Ready(taken.map(|()| buf.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(self.lock().flush())
    }

    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}
