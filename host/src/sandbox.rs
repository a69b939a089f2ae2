//! What the component is granted, and the limits it runs under.
//!
//! Grants: SOURCE read-only, TARGET read-write (read-only in a dry run), the chosen
//! environment variables, stderr (stdout for the `wasi:cli/run` path; in the host's own
//! calls, stdout is the run's journal file), random and
//! clocks. Nothing else (`gunzip`: no directory at all): no stdin (but the archive), no
//! network (the component imports no sockets and the context allows none), no other
//! directory.

use std::time::Duration;

use wasmtime::Store;
use wasmtime::component::ResourceTable;
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
use wasmtime_wasi::{FsPerms, WasiCtxBuilder};

use crate::component::{self, Prepared};
use crate::journal::JournalStream;
use crate::roots::Root;
use crate::store::{Host, MemoryCap};
use crate::{Error, interrupt, stderr};

/// Most bytes of captured guest stderr kept in memory.
const CAPTURE_LIMIT: usize = 4 << 20;

/// One run's grants and limits.
pub(crate) struct Grants<'a> {
    /// SOURCE, opened once; the component knows it by the path as given. None for
    /// `unpack`, which reads its archive from stdin.
    pub source: Option<&'a Root>,
    /// SOURCE granted read-write: wp-init's own scratch tree, whose files the component
    /// hard-links into TARGET (link-at needs both directories writable).
    pub source_writable: bool,
    /// TARGET, opened once; likewise.
    pub target: &'a Root,
    pub target_writable: bool,
    /// TARGET granted at all: not to `gunzip`, which needs no directory (TARGET then only
    /// names the run in messages).
    pub target_granted: bool,
    pub env: &'a [(String, String)],
    pub args: &'a [String],
    pub memory_limit: u64,
    pub timeout: Duration,
    pub capture_stderr: bool,
    /// Grant stdout (only the `wasi:cli/run` path prints there: `--json`).
    pub stdout: bool,
    /// Where stdout goes in the host's own calls: this run's journal file.
    pub journal: Option<JournalStream>,
    /// What stdin reads (`unpack`: the archive); none otherwise.
    pub stdin: Option<&'a std::fs::File>,
    /// Where stdout goes in `gunzip`: the pipe a concurrent `unpack` reads.
    pub stdout_file: Option<&'a std::fs::File>,
}

/// A store ready to instantiate the component, and the pipes holding captured output.
pub(crate) struct Sandbox {
    pub store: Store<Host>,
    stderr: Option<MemoryOutputPipe>,
    stdout: Option<MemoryOutputPipe>,
    memory_limit: u64,
    timeout: Duration,
    /// TARGET, as given.
    target: String,
    /// Last, so it is left after the store is dropped.
    _runtime: tokio::runtime::EnterGuard<'static>,
}

impl Sandbox {
    /// Builds the WASI context and store for one run.
    pub fn new(prepared: &Prepared, g: &Grants<'_>) -> Result<Self, Error> {
        check_memory_limit(prepared, g.memory_limit)?;
        let mut b = WasiCtxBuilder::new();
        // Must come before the preopens: each preopen copies the flag when it is made.
        b.allow_blocking_current_thread(true);
        // The open directories themselves (or paths checked to name them: `Root`).
        if let Some(root) = g.source {
            let source = root.grant_path().map_err(Error::InvalidSource)?;
            let perms = match g.source_writable {
                true => FsPerms::ReadWrite,
                false => FsPerms::ReadOnly,
            };
            b.preopened_dir(source, &root.given, perms)
                .map_err(|e| invalid(Error::InvalidSource, root, e))?;
        }
        if g.target_granted {
            let perms = if g.target_writable {
                FsPerms::ReadWrite
            } else {
                FsPerms::ReadOnly
            };
            let target = g.target.grant_path().map_err(Error::InvalidTarget)?;
            b.preopened_dir(target, &g.target.given, perms)
                .map_err(|e| invalid(Error::InvalidTarget, g.target, e))?;
        }
        b.envs(g.env).args(g.args);
        let (stderr, stdout) = stdio(&mut b, g)?;
        let limit = usize::try_from(g.memory_limit).unwrap_or(usize::MAX);
        let host = Host {
            wasi: b.build(),
            table: ResourceTable::new(),
            limits: MemoryCap {
                limit,
                refused: false,
                total: 0,
                peak: 0,
            },
        };
        let mut store = Store::new(&prepared.engine, host);
        store.limiter(|h| &mut h.limits);
        component::arm_deadline(prepared, &mut store, g.timeout)?;
        interrupt::watch(&prepared.engine, &mut store);
        Ok(Sandbox {
            store,
            stderr,
            stdout,
            memory_limit: g.memory_limit,
            timeout: g.timeout,
            target: g.target.given.clone(),
            _runtime: component::enter_runtime()?,
        })
    }

    /// The most linear memory the guest held at once, in bytes.
    pub fn memory_peak(&self) -> u64 {
        self.store.data().limits.peak as u64
    }

    /// Turns a runtime failure (trap, instantiation error) into the error it stands for.
    pub fn failure(&self, e: wasmtime::Error) -> Error {
        if self.store.data().limits.refused {
            Error::MemoryLimit {
                limit: self.memory_limit,
            }
        } else if matches!(
            e.downcast_ref::<wasmtime::Trap>(),
            Some(wasmtime::Trap::Interrupt)
        ) {
            match interrupt::requested() {
                Some(signal) => Error::Interrupted {
                    target: self.target.clone(),
                    signal,
                },
                None => Error::Timeout {
                    secs: self.timeout.as_secs_f64(),
                },
            }
        } else {
            Error::runtime(e)
        }
    }

    /// The stderr captured so far, if capturing.
    pub fn captured(&self) -> Option<String> {
        text(self.stderr.as_ref())
    }

    /// The stdout captured so far, if capturing.
    pub fn captured_stdout(&self) -> Option<String> {
        text(self.stdout.as_ref())
    }
}

/// Refuses a memory limit below what the component needs to be instantiated at all: the
/// largest initial size of one of its memories or tables (the cap applies to each).
fn check_memory_limit(prepared: &Prepared, limit: u64) -> Result<(), Error> {
    let Some(needs) = prepared.component.resources_required() else {
        return Ok(());
    };
    let memory = needs.max_initial_memory_size.unwrap_or(0) << 16;
    let table = needs.max_initial_table_size.unwrap_or(0) * size_of::<usize>() as u64;
    let least = memory.max(table);
    if limit >= least {
        return Ok(());
    }
    Err(Error::Usage(format!(
        "--memory-limit {limit} bytes is below the {least} bytes the component needs to start (the default is {} bytes)",
        crate::DEFAULT_MEMORY_LIMIT
    )))
}

fn text(pipe: Option<&MemoryOutputPipe>) -> Option<String> {
    pipe.map(|p| String::from_utf8_lossy(&p.contents()).into_owned())
}

fn invalid(kind: fn(crate::PathError) -> Error, root: &Root, e: impl std::fmt::Display) -> Error {
    kind(crate::PathError {
        path: root.given.clone(),
        cause: format!("cannot grant the opened directory: {e}"),
    })
}

/// The process umask set to 077 while it lives (restored on drop).
pub(crate) struct PrivateUmask(rustix::fs::Mode);

impl PrivateUmask {
    pub(crate) fn set() -> Self {
        PrivateUmask(rustix::process::umask(rustix::fs::Mode::from(0o077)))
    }
}

impl Drop for PrivateUmask {
    fn drop(&mut self) {
        rustix::process::umask(self.0);
    }
}

/// A descriptor of `file` of the sandbox's own (`what`: whose, for the message).
fn dup(file: &std::fs::File, g: &Grants<'_>, what: &str) -> Result<std::fs::File, Error> {
    file.try_clone().map_err(|e| {
        Error::Io(crate::PathError {
            path: g.target.given.clone(),
            cause: format!("duplicating {what} descriptor: {e}"),
        })
    })
}

/// Wires stdin, stdout and stderr as `g` says; the pipes holding what is captured
/// (stderr, stdout).
fn stdio(
    b: &mut WasiCtxBuilder,
    g: &Grants<'_>,
) -> Result<(Option<MemoryOutputPipe>, Option<MemoryOutputPipe>), Error> {
    if let Some(file) = g.stdin {
        let file = dup(file, g, "the archive's")?;
        b.stdin(wasmtime_wasi::cli::InputFile::new(file));
    }
    if let Some(journal) = &g.journal {
        b.stdout(journal.clone());
    }
    if let Some(file) = g.stdout_file {
        let file = dup(file, g, "the pipe's")?;
        b.stdout(wasmtime_wasi::cli::OutputFile::new(file));
    }
    if !g.capture_stderr {
        b.stderr(stderr::Stderr);
        if g.stdout {
            b.inherit_stdout();
        }
        return Ok((None, None));
    }
    let (err, out) = (
        MemoryOutputPipe::new(CAPTURE_LIMIT),
        MemoryOutputPipe::new(CAPTURE_LIMIT),
    );
    b.stderr(err.clone());
    if g.stdout {
        b.stdout(out.clone());
    }
    Ok((Some(err), g.stdout.then_some(out)))
}
