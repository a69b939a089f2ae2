//! Why the lock could not be taken.

use std::path::PathBuf;
use std::time::Duration;

use super::MAX_REPLACED;

/// Why the lock could not be taken.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    /// TARGET could not be opened as a directory.
    #[error("{}: cannot open to lock it", path.display())]
    Open {
        /// TARGET, as given.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The lock file could not be opened, created, locked or replaced.
    #[error("{}: cannot lock", path.display())]
    File {
        /// The lock file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The file system refuses every lock (e.g. NFSv3 without a lock manager).
    #[error(
        "{}: TARGET's file system supports no file locks; with --no-lock, make sure yourself that only one wp-init runs on TARGET at a time",
        path.display()
    )]
    Unsupported {
        /// The lock file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// Entries wp-init did not make kept appearing at the lock file's name.
    #[error(
        "{}: removed {MAX_REPLACED} entries wp-init did not make from the lock file's name and another appeared ({what}); something keeps creating them",
        path.display()
    )]
    Planted {
        /// The lock file.
        path: PathBuf,
        /// What the last one was.
        what: String,
    },
    /// Another run held the lock for the whole timeout.
    #[error("{}: gave up after {:.1} s waiting for the lock held by {held_by}", path.display(), waited.as_secs_f64())]
    Timeout {
        /// The lock file.
        path: PathBuf,
        /// How long this run waited.
        waited: Duration,
        /// Who held it when this run started waiting.
        held_by: String,
    },
    /// The wait was cancelled (a signal).
    #[error("{}: stopped waiting for the lock", path.display())]
    Cancelled {
        /// The lock file.
        path: PathBuf,
    },
}
