//! This run's journal (`core::journal`): the lines go to the host's journal file through
//! stdout in a hosted call, to a file of the component's own at TARGET's root otherwise
//! (made when the first line is written: a run that creates nothing leaves no file), and
//! nowhere in a dry run.
//!
//! Lines are buffered and written whole, several per write: a write never splits a line,
//! so the lines of instances appending to one file at the same time never mix. [`flush`]
//! is called before creating what a later run must know to be wp-init's.
//!
//! [`flush`]: Journal::flush

use wasip2::cli::stdout::get_stdout;
use wasip2::filesystem::types::ErrorCode;
use wasip2::io::streams::OutputStream;
use wp_init_core::journal::Line;

use crate::bindings::exports::wp_init::installer::installer::Error;
use crate::fs::{File, FsError};
use crate::grant::open_granted;
use wp_init_core::journal::{FORMAT, journal_name};

/// Buffered bytes above which lines are written even without a flush.
const BUFFER: usize = 32 * 1024;

/// Where the lines go.
enum Sink {
    /// The host's journal file (hosted calls).
    Stdout(OutputStream),
    /// The component's own journal file, and the length written so far; made on first
    /// use in the preopen named by the string.
    File(Option<(File, u64)>, String, u64),
    /// A dry run: nothing is created, nothing is journaled.
    Nowhere,
}

/// This run's journal.
pub struct Journal {
    sink: Sink,
    buf: Vec<u8>,
    /// Path shown in errors.
    shown: String,
}

impl Journal {
    /// A journal written to stdout, where the host collects it.
    pub fn to_host(shown: String) -> Self {
        Self::new(Sink::Stdout(get_stdout()), shown)
    }

    /// A journal of the component's own, at the root of the preopen `target`, for the run
    /// with `nonce`.
    pub fn own(target: &str, nonce: u64) -> Self {
        let shown = wp_init_core::layout::join(target, &journal_name(nonce));
        Self::new(Sink::File(None, target.to_owned(), nonce), shown)
    }

    /// A dry run's journal: nothing is kept.
    pub fn nowhere() -> Self {
        Self::new(Sink::Nowhere, String::new())
    }

    fn new(sink: Sink, shown: String) -> Self {
        Journal {
            sink,
            buf: Vec::new(),
            shown,
        }
    }

    /// Adds `line`, written at the next [`Journal::flush`] at the latest.
    pub fn record(&mut self, line: &Line) -> Result<(), FsError> {
        if matches!(self.sink, Sink::Nowhere) {
            return Ok(());
        }
        self.buf.extend_from_slice(line.to_text().as_bytes());
        if self.buf.len() >= BUFFER {
            self.flush()?;
        }
        Ok(())
    }

    /// Writes every line recorded so far.
    pub fn flush(&mut self) -> Result<(), FsError> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let failed = |_| FsError {
            path: self.shown.clone(),
            code: ErrorCode::Io,
        };
        match &mut self.sink {
            Sink::Nowhere => {}
            Sink::File(open, target, nonce) => {
                let (file, len) = match open {
                    Some(open) => open,
                    None => {
                        let name = journal_name(*nonce);
                        let dir = open_granted(target, Error::Io).map_err(|_| FsError {
                            path: self.shown.clone(),
                            code: ErrorCode::BadDescriptor,
                        })?;
                        let file = dir.create_new(&name, &self.shown)?;
                        let begin = Line::Begin {
                            format: FORMAT,
                            nonce: *nonce,
                            target: None,
                        }
                        .to_text();
                        file.write_all(begin.as_bytes(), 0)?;
                        open.insert((file, begin.len() as u64))
                    }
                };
                file.write_all(&self.buf, *len)?;
                *len += self.buf.len() as u64;
            }
            Sink::Stdout(out) => {
                let mut rest = &self.buf[..];
                while !rest.is_empty() {
                    let permit =
                        usize::try_from(out.check_write().map_err(failed)?).unwrap_or(usize::MAX);
                    // Whole lines only: up to the last newline that fits.
                    let fits = &rest[..permit.min(rest.len())];
                    let n = match fits.iter().rposition(|b| *b == b'\n') {
                        Some(i) => i + 1,
                        // Not ready yet: wait until it is.
                        None if permit == 0 => {
                            out.blocking_flush().map_err(failed)?;
                            continue;
                        }
                        // A line longer than a write takes (never with paths).
                        None => fits.len(),
                    };
                    out.write(&rest[..n]).map_err(failed)?;
                    out.blocking_flush().map_err(failed)?;
                    rest = &rest[n..];
                }
            }
        }
        self.buf.clear();
        Ok(())
    }
}

impl Journal {
    /// Flushes the journal file to disk (the host does that for its own file).
    pub fn sync(&self) -> Result<(), FsError> {
        match &self.sink {
            Sink::File(Some((file, _)), ..) => file.sync(),
            _ => Ok(()),
        }
    }
}
