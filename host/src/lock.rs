//! The run-wide lock on TARGET, so replicas starting together on a shared volume do the
//! install once.
//!
//! The lock is an exclusive `flock` on a read-only descriptor of the TARGET directory
//! itself: no lock file is written into TARGET (a dry run stays write-free, and nothing is
//! left behind). `flock` locks belong to the open file description, so two runs (or two
//! opens in one process) exclude each other, and the lock goes away when the descriptor
//! is closed: on drop, on exit, on a crash, and on `exec` (the descriptor is close-on-exec,
//! so the command run after the install does not hold it).

use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};
use std::thread;
use std::time::{Duration, Instant};

use rustix::fs::{FlockOperation, Mode, OFlags};
use rustix::io::Errno;

use crate::roots::Root;

/// How often a waiting run tries the lock again.
const POLL: Duration = Duration::from_millis(100);

/// An exclusive lock on TARGET, held until dropped.
#[derive(Debug)]
pub(crate) struct TargetLock {
    /// Closing it releases the lock.
    _fd: OwnedFd,
}

/// Why the lock could not be taken.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LockError {
    /// TARGET could not be opened as a directory.
    #[error("{}: cannot open to lock it", path.display())]
    Open {
        /// TARGET, as given.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// `flock` failed for another reason than another holder (e.g. a file system
    /// without `flock` support).
    #[error(
        "{}: cannot lock (on a file system whose flock needs a writable descriptor, such as NFS, use --no-lock and make sure only one wp-init runs at a time)",
        path.display()
    )]
    Lock {
        /// TARGET, as given.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// A stop was asked for ([`crate::interrupt::request`]) while waiting.
    #[error("{}: stopped waiting for the lock: interrupted by {}", path.display(), crate::interrupt::signal_name(*signal))]
    Interrupted {
        /// TARGET, as given.
        path: PathBuf,
        /// The signal that asked for the stop.
        signal: i32,
    },
    /// Another run held the lock for the whole timeout.
    #[error("{}: gave up after {:.1} s waiting for the lock held by another wp-init", path.display(), waited.as_secs_f64())]
    Timeout {
        /// TARGET, as given.
        path: PathBuf,
        /// How long this run waited.
        waited: Duration,
    },
}

/// Takes the exclusive lock on the open directory `target` (through a descriptor of its
/// own, so that the lock belongs to this run alone), waiting up to `timeout` for another
/// holder.
///
/// When the lock is busy, `on_wait` is called once before waiting (the CLI prints
/// `waiting for the lock on TARGET held by another wp-init...`); then the lock is tried
/// every 100 ms. With a zero timeout a busy lock fails at once, without `on_wait`.
/// Returns the lock and how long this run waited (zero when the lock was free).
pub(crate) fn acquire_root(
    target: &Root,
    timeout: Duration,
    on_wait: impl FnOnce(),
) -> Result<(TargetLock, Duration), LockError> {
    let path = Path::new(&target.given);
    let fd = rustix::fs::openat(target.fd(), ".", DIR_FLAGS, Mode::empty()).map_err(|e| {
        LockError::Open {
            path: path.to_owned(),
            source: e.into(),
        }
    })?;
    wait_for(fd, path, timeout, on_wait)
}

const DIR_FLAGS: OFlags = OFlags::RDONLY
    .union(OFlags::DIRECTORY)
    .union(OFlags::CLOEXEC)
    .union(OFlags::NOCTTY);

fn wait_for(
    fd: OwnedFd,
    target: &Path,
    timeout: Duration,
    on_wait: impl FnOnce(),
) -> Result<(TargetLock, Duration), LockError> {
    let start = Instant::now();
    let mut on_wait = Some(on_wait);
    loop {
        match rustix::fs::flock(&fd, FlockOperation::NonBlockingLockExclusive) {
            Ok(()) => {
                let waited = if on_wait.is_some() {
                    Duration::ZERO
                } else {
                    start.elapsed()
                };
                return Ok((TargetLock { _fd: fd }, waited));
            }
            Err(Errno::INTR) => continue,
            Err(Errno::WOULDBLOCK) => {}
            Err(e) => {
                return Err(LockError::Lock {
                    path: target.to_owned(),
                    source: e.into(),
                });
            }
        }
        if let Some(signal) = crate::interrupt::requested() {
            return Err(LockError::Interrupted {
                path: target.to_owned(),
                signal,
            });
        }
        let waited = start.elapsed();
        if waited >= timeout {
            return Err(LockError::Timeout {
                path: target.to_owned(),
                waited,
            });
        }
        if let Some(f) = on_wait.take() {
            f();
        }
        thread::sleep(POLL.min(timeout - waited));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    /// The lock on `dir`, opened as a root for the call.
    fn acquire(
        dir: &Path,
        timeout: Duration,
        on_wait: impl FnOnce(),
    ) -> Result<(TargetLock, Duration), LockError> {
        acquire_root(
            &Root::open(dir.to_str().unwrap()).unwrap(),
            timeout,
            on_wait,
        )
    }

    #[test]
    fn a_second_holder_waits_and_times_out() {
        let dir = tempfile::tempdir().unwrap();
        let (first, waited) = acquire(dir.path(), Duration::ZERO, || panic!("free")).unwrap();
        assert_eq!(waited, Duration::ZERO);

        let calls = Cell::new(0);
        let err = acquire(dir.path(), Duration::from_millis(350), || {
            calls.set(calls.get() + 1)
        })
        .unwrap_err();
        assert_eq!(calls.get(), 1, "on_wait is called exactly once");
        match &err {
            LockError::Timeout { path, waited } => {
                assert_eq!(path, dir.path());
                assert!(*waited >= Duration::from_millis(350), "{waited:?}");
            }
            other => panic!("{other:?}"),
        }
        assert!(
            err.to_string()
                .contains("waiting for the lock held by another wp-init")
        );

        // A zero timeout fails at once, without announcing a wait.
        let err = acquire(dir.path(), Duration::ZERO, || panic!("no wait")).unwrap_err();
        assert!(matches!(err, LockError::Timeout { .. }));

        drop(first);
        let (_again, waited) = acquire(dir.path(), Duration::ZERO, || panic!("free")).unwrap();
        assert_eq!(waited, Duration::ZERO);
        // Nothing was written into TARGET.
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[test]
    fn a_waiting_holder_gets_the_lock_when_it_is_released() {
        let dir = tempfile::tempdir().unwrap();
        let (first, _) = acquire(dir.path(), Duration::ZERO, || {}).unwrap();
        // The first holder lets go only once the second says it waits.
        let (waiting, told) = std::sync::mpsc::channel();
        let releaser = thread::spawn(move || {
            told.recv().unwrap();
            drop(first);
        });
        let (_second, waited) = acquire(dir.path(), Duration::from_secs(60), || {
            waiting.send(()).unwrap()
        })
        .unwrap();
        releaser.join().unwrap();
        assert!(waited > Duration::ZERO, "{waited:?}");
    }
}
