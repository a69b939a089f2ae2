//! SOURCE and TARGET, each opened once.
//!
//! A root is resolved when it is opened — a path given as a symlink to a directory is
//! followed there, once — and everything else is done relative to that open directory:
//! the lock, the component's preopen (granted through `/proc/self/fd/N`, the same
//! directory, not the path looked up again), the mode/owner pass, the flush to disk and
//! the commit. No path string is resolved twice, with different rules.

use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use std::path::{Path, PathBuf};

use rustix::fs::{Mode, OFlags};

use crate::PathError;

/// A directory opened once, and the path the user gave for it.
#[derive(Debug)]
pub struct Root {
    /// The path as given (messages name it so).
    pub given: String,
    fd: OwnedFd,
}

impl Root {
    /// Opens `path`, which must be a directory (a symlink to one is followed).
    ///
    /// # Errors
    /// `path` cannot be opened as a directory (the cause named).
    pub fn open(path: &str) -> Result<Root, PathError> {
        let fd = rustix::fs::open(
            path,
            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC | OFlags::NOCTTY,
            Mode::empty(),
        )
        .map_err(|e| PathError {
            path: path.to_owned(),
            cause: match e {
                rustix::io::Errno::NOTDIR => "not a directory".to_owned(),
                e => std::io::Error::from(e).to_string(),
            },
        })?;
        Ok(Root {
            given: path.to_owned(),
            fd,
        })
    }

    /// The open directory.
    pub fn fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }

    /// A path that names this open directory itself, for APIs that take a path.
    pub(crate) fn proc_path(&self) -> PathBuf {
        PathBuf::from(format!("/proc/self/fd/{}", self.fd.as_raw_fd()))
    }

    /// Where the open directory is now, as the kernel names it.
    pub(crate) fn real_path(&self) -> Result<PathBuf, PathError> {
        std::fs::read_link(self.proc_path()).map_err(|e| PathError {
            path: self.given.clone(),
            cause: format!("cannot tell where the opened directory is (is /proc mounted?): {e}"),
        })
    }

    /// `given` joined with a path relative to the root, for messages.
    pub(crate) fn path_of(&self, rel: &str) -> PathBuf {
        Path::new(&self.given).join(rel)
    }
}
