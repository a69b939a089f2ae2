//! The pass's errors: the first TARGET path it could not handle, why, and how many more.

use std::io;
use std::path::PathBuf;

/// A TARGET path the pass could not handle, and why.
#[derive(Debug, thiserror::Error)]
#[error("{}: {cause}{}", path.display(), more_errors(*others))]
pub struct PermissionsError {
    /// TARGET joined with the entry (or the directory on its way that failed).
    pub path: PathBuf,
    /// What went wrong.
    pub cause: Cause,
    /// How many other entries failed too (every other entry was still handled).
    pub others: u64,
}

fn more_errors(others: u64) -> String {
    match others {
        0 => String::new(),
        n => format!(" (and {n} more entries failed)"),
    }
}

/// Why an entry could not be handled.
#[derive(Debug, thiserror::Error)]
pub enum Cause {
    /// The entry is not of the kind the guest reported (e.g. swapped for a symlink).
    #[error("changed type since it was created; refusing to follow")]
    ChangedType,
    /// A created file has other hard links, so it may also be a file outside TARGET.
    #[error("has {0} hard links, so it may be a file outside the target; refusing to change it")]
    HardLinked(u64),
    /// The entry is a mount point: not made by the run, and it may lead out of TARGET.
    #[error("is a mount point, not created by the run; refusing to change it")]
    MountPoint,
    /// The entry was born before the run's journal: not made by the run.
    #[error("{0}")]
    NotCreated(String),
    /// The report's path is not a plain relative path.
    #[error("not a safe relative path in the install report ({0})")]
    InvalidPath(&'static str),
    /// The SOURCE counterpart could not be examined.
    #[error("cannot take the mode of {}: {reason}", source_path.display())]
    Source {
        /// SOURCE joined with the entry's source path.
        source_path: PathBuf,
        /// Why not.
        reason: String,
    },
    /// A system call failed.
    #[error("{op}: {error}")]
    Io {
        /// What was being done.
        op: String,
        /// The error.
        error: io::Error,
    },
}
