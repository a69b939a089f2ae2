//! The run-wide lock on TARGET, so replicas starting together on one volume do the work
//! once — on one machine, and on several nodes sharing the volume over NFS.
//!
//! The lock is an OFD lock on a lock file at TARGET's root, `.wp-init-lock`
//! ([`LOCK_FILE`]): exclusive for a run that writes TARGET, shared for one that only reads
//! it (a dry run, `verify`). On NFS an OFD lock is held on the server, so it excludes
//! across nodes (`flock` on a directory, what wp-init took before, stays on each node).
//!
//! - **Only this user can hold it.** The file is opened relative to TARGET's open root,
//!   never through a symlink, never blocking (a FIFO opens at once), and trusted only if
//!   it is a regular file owned by the effective user, mode 0600 or less, with one link
//!   (see `file`). Anything else at the name — planted by whoever can write TARGET's
//!   root — is reported ([`Event::Replaced`]) and removed, which that user could do too.
//! - **A prompt hand-over.** A waiting run tries again every 100 ms (an NFS client retries
//!   a blocked lock only after 1, 2, 4, 8, 16, then 30 s), so it takes over within 100 ms
//!   of a release, and within the server's lease when the holder's node died.
//! - **Nothing left behind.** A writer removes the file before it releases the lock (a
//!   waiter that then holds a file with no name opens the name again), so it exists only
//!   while a run works, or after a run that died, until the next run ends. Readers never
//!   create it: they take a shared lock on the file a writer holds, or nothing.
//! - **Who holds it.** The holder writes a note (`note`), which a waiting run reports.
//! - **Decisions see the truth.** Once the lock is taken, the directory entries that
//!   decide the run are fetched again from the file server (see `file::refresh`).
//!
//! The descriptor is close-on-exec, so the command run after the install does not hold
//! the lock; the lock goes away on drop, on exit, and on a crash.

mod error;
mod file;
mod note;

use std::os::fd::{AsFd, OwnedFd};
use std::path::{Path, PathBuf};
use std::thread;
use std::time::{Duration, Instant};

use rustix::io::Errno;
use serde::Serialize;

use crate::roots::Root;

pub use error::LockError;
pub use note::{Holder, Note};
pub use wp_init_core::layout::LOCK_FILE;

/// How often a waiting run tries the lock again.
const POLL: Duration = Duration::from_millis(100);

/// How many entries wp-init did not make one run removes from the lock file's name before
/// it gives up (someone keeps putting them back).
const MAX_REPLACED: usize = 3;

/// What a run asks of the lock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// A run that writes TARGET: alone. Creates the lock file.
    Exclusive,
    /// A run that only reads TARGET: not while a writer works. Writes nothing, so it also
    /// runs on a read-only TARGET: a shared lock on the lock file when there is one, and
    /// no lock when there is none (no writer was working when the run started).
    Shared,
}

/// How the run was locked, for the report.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Alone on TARGET.
    Exclusive,
    /// Beside other readers; no writer.
    Shared,
    /// Not locked ([`LockReport::reason`] says why).
    #[default]
    None,
}

/// What the lock did, in `--json` as `lock`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct LockReport {
    /// How the run was locked.
    pub mode: Mode,
    /// Why the run is not locked as it asked: `--no-lock`; for a reader, no lock file
    /// (no writer was working) or an entry wp-init did not make at its name; for a
    /// writer, a lock file it could not create (it then locks as a reader).
    pub reason: Option<String>,
    /// The lock file.
    pub file: Option<String>,
    /// Seconds spent waiting for another holder.
    pub waited_secs: f64,
    /// Who held the lock when this run started waiting.
    pub held_by: Option<String>,
    /// Entries wp-init did not make, found at the lock file's name and removed.
    pub replaced: Vec<String>,
}

impl LockReport {
    /// The report of a run that was not locked, and why.
    pub fn none(reason: &str) -> LockReport {
        LockReport {
            reason: Some(reason.to_owned()),
            ..LockReport::default()
        }
    }
}

/// What happens while the lock is taken, as it happens (the CLI says it on stderr).
#[derive(Debug)]
pub enum Event<'a> {
    /// Another process holds the lock; this run waits (once, before the wait).
    Waiting(&'a Holder),
    /// An entry wp-init did not make was at the lock file's name, and was removed.
    Replaced {
        /// The lock file's path.
        path: &'a Path,
        /// What the entry was ("a FIFO owned by uid 33").
        what: &'a str,
    },
}

/// The lock on TARGET, held until dropped.
#[derive(Debug)]
pub struct TargetLock {
    path: PathBuf,
    /// TARGET's root (a descriptor of its own), to remove the lock file on release.
    dir: OwnedFd,
    /// The lock file; closing it releases the lock.
    file: OwnedFd,
    mode: Mode,
}

impl TargetLock {
    /// The lock file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Exclusive or shared.
    pub fn mode(&self) -> Mode {
        self.mode
    }
}

impl Drop for TargetLock {
    fn drop(&mut self) {
        // Still holding the lock: a waiter that gets the file next finds it has no name
        // and opens the name again.
        if self.mode == Mode::Exclusive {
            file::remove_if_named(self.dir.as_fd(), &self.file);
        }
    }
}

/// What [`acquire`] gives: the lock (none for a reader that found no lock file, or a
/// writer that cannot write TARGET's root) and its report.
#[derive(Debug)]
pub struct Acquired {
    /// The lock, held until dropped.
    pub lock: Option<TargetLock>,
    /// What happened.
    pub report: LockReport,
}

/// Takes the lock on the directory `target`, waiting up to `timeout` for another holder.
///
/// `on_event` hears of a wait (once, before waiting) and of each replaced entry; a zero
/// timeout fails at once on a busy lock, without a wait event. `cancel` is asked before
/// each attempt: when it says yes, the wait ends with [`LockError::Cancelled`].
///
/// # Errors
/// See [`LockError`].
pub fn acquire(
    target: &Path,
    access: Access,
    timeout: Duration,
    cancel: &dyn Fn() -> bool,
    on_event: &mut dyn FnMut(Event<'_>),
) -> Result<Acquired, LockError> {
    let root = Root::open(&target.to_string_lossy()).map_err(|e| LockError::Open {
        path: target.to_owned(),
        source: std::io::Error::other(e.cause),
    })?;
    acquire_root(&root, access, timeout, cancel, on_event)
}

/// [`acquire`] on an open TARGET.
pub(crate) fn acquire_root(
    target: &Root,
    access: Access,
    timeout: Duration,
    cancel: &dyn Fn() -> bool,
    on_event: &mut dyn FnMut(Event<'_>),
) -> Result<Acquired, LockError> {
    let dir = target
        .fd()
        .try_clone_to_owned()
        .map_err(|e| LockError::Open {
            path: PathBuf::from(&target.given),
            source: e,
        })?;
    let mut taking = Taking {
        path: target.path_of(LOCK_FILE),
        dir,
        start: Instant::now(),
        timeout,
        cancel,
        on_event,
        report: LockReport::default(),
        busy_polls: 0,
    };
    taking.report.file = Some(taking.path.display().to_string());
    let lock = taking.take(access)?;
    file::refresh(taking.dir.as_fd());
    let Taking {
        path,
        dir,
        start,
        mut report,
        busy_polls,
        ..
    } = taking;
    report.mode = lock.as_ref().map_or(Mode::None, |(_, mode)| *mode);
    if busy_polls > 0 {
        report.waited_secs = start.elapsed().as_secs_f64();
    }
    Ok(Acquired {
        lock: lock.map(|(file, mode)| TargetLock {
            path,
            dir,
            file,
            mode,
        }),
        report,
    })
}

/// One run taking the lock.
struct Taking<'a> {
    path: PathBuf,
    dir: OwnedFd,
    start: Instant,
    timeout: Duration,
    cancel: &'a dyn Fn() -> bool,
    on_event: &'a mut dyn FnMut(Event<'_>),
    report: LockReport,
    /// Failed attempts while the holder was not known yet.
    busy_polls: u32,
}

impl Taking<'_> {
    /// The lock file, locked, and how; `None` when there is nothing to lock.
    fn take(&mut self, access: Access) -> Result<Option<(OwnedFd, Mode)>, LockError> {
        let mut create = access == Access::Exclusive;
        loop {
            let fd = match file::open(self.dir.as_fd(), create) {
                Ok(file::Found::Trusted(fd)) => fd,
                Ok(file::Found::Missing) => {
                    self.report.reason.get_or_insert_with(|| {
                        "no lock file: no run held the lock when this one started".to_owned()
                    });
                    return Ok(None);
                }
                Ok(file::Found::Untrusted(u)) if create => {
                    self.replace(&u)?;
                    continue;
                }
                // A reader writes nothing: it leaves the entry to the next writer.
                Ok(file::Found::Untrusted(u)) => {
                    self.report.reason = Some(format!(
                        "the lock file's name holds {}, not made by wp-init: not locked \
                         (a reader removes nothing)",
                        u.what
                    ));
                    return Ok(None);
                }
                // A writer that cannot create the lock file cannot change TARGET's root
                // either: it locks as a reader would.
                Err(e @ (Errno::ROFS | Errno::ACCESS | Errno::PERM)) if create => {
                    self.report.reason = Some(format!(
                        "cannot create the lock file ({}): locked as a reader",
                        std::io::Error::from(e)
                    ));
                    create = false;
                    continue;
                }
                Err(e) => return Err(self.error(e)),
            };
            if create {
                file::make_private(&fd).map_err(|e| self.error(e))?;
            }
            if self.wait_for(&fd, create)? {
                if create {
                    note::write(&fd);
                }
                let mode = if create {
                    Mode::Exclusive
                } else {
                    Mode::Shared
                };
                return Ok(Some((fd, mode)));
            }
        }
    }

    /// Polls the lock on `fd` until it is held: `true` when it is held on the file the
    /// name leads to, `false` when the file lost its name meanwhile (open it again).
    fn wait_for(&mut self, fd: &OwnedFd, exclusive: bool) -> Result<bool, LockError> {
        loop {
            if (self.cancel)() {
                return Err(LockError::Cancelled {
                    path: self.path.clone(),
                });
            }
            match file::try_lock(fd, exclusive) {
                Ok(file::Attempt::Held) => {
                    return file::still_named(self.dir.as_fd(), fd).map_err(|e| self.error(e));
                }
                Ok(file::Attempt::Stale) => return Ok(false),
                Ok(file::Attempt::Busy) => {}
                Err(e) if file::unsupported(e) => {
                    return Err(LockError::Unsupported {
                        path: self.path.clone(),
                        source: e.into(),
                    });
                }
                Err(e) => return Err(self.error(e)),
            }
            let waited = self.start.elapsed();
            if self.report.held_by.is_none() {
                // A holder writes its note just after it takes the lock: a run that came
                // at that instant asks again for half a second before it says "unknown".
                let holder = note::holder(self.dir.as_fd(), fd, exclusive);
                self.busy_polls += 1;
                let unknown = matches!(holder, Holder::Unknown { .. });
                if !unknown || self.busy_polls > 5 || waited >= self.timeout {
                    self.report.held_by = Some(holder.to_string());
                    if waited < self.timeout {
                        (self.on_event)(Event::Waiting(&holder));
                    }
                }
            }
            if waited >= self.timeout {
                return Err(LockError::Timeout {
                    path: self.path.clone(),
                    waited,
                    held_by: self.report.held_by.clone().unwrap_or_default(),
                });
            }
            thread::sleep(POLL.min(self.timeout - waited));
        }
    }

    /// Reports and removes an entry wp-init did not make.
    fn replace(&mut self, u: &file::Untrusted) -> Result<(), LockError> {
        if self.report.replaced.len() == MAX_REPLACED {
            return Err(LockError::Planted {
                path: self.path.clone(),
                what: u.what.clone(),
            });
        }
        (self.on_event)(Event::Replaced {
            path: &self.path,
            what: &u.what,
        });
        self.report.replaced.push(u.what.clone());
        u.remove(self.dir.as_fd()).map_err(|e| self.error(e))
    }

    fn error(&self, e: Errno) -> LockError {
        LockError::File {
            path: self.path.clone(),
            source: e.into(),
        }
    }
}

#[cfg(test)]
mod tests;
