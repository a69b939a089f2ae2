//! SOURCE and TARGET, each opened once.
//!
//! A root is resolved when it is opened — a path given as a symlink to a directory is
//! followed there, once — and everything else is done relative to that open directory:
//! the lock, the mode/owner pass, the flush to disk and the commit. The component's
//! preopen and the check that neither root is inside the other need a path: they use
//! `/proc/self/fd/N` (the open directory itself, not the path looked up again) and the
//! kernel's name for it; without `/proc` (a bare `chroot`, a minimal image), the path
//! given, resolved, once it is checked to name the very directory that was opened.

use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use std::path::{Path, PathBuf};

use rustix::fs::{AtFlags, CWD, Mode, OFlags};

use crate::PathError;

/// A directory opened once, and the path the user gave for it.
#[derive(Debug)]
pub(crate) struct Root {
    /// The path as given (messages name it so).
    pub given: String,
    fd: OwnedFd,
    /// wp-init's own scratch tree (an unpacked archive), not a tree of the user's.
    pub scratch: bool,
}

/// How a path names an open root.
enum Named {
    /// `/proc` is mounted: the kernel's name of the open directory.
    Proc(PathBuf),
    /// No `/proc`: the given path, resolved, checked to be the open directory.
    Path(PathBuf),
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
            scratch: false,
        })
    }

    /// wp-init's scratch tree, opened (no-follow) by the host, known to the user as
    /// `given`.
    pub(crate) fn scratch(fd: OwnedFd, given: String) -> Root {
        Root {
            given,
            fd,
            scratch: true,
        }
    }

    /// The open directory.
    pub fn fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }

    /// A path naming this open directory, for APIs that take a path (the component's
    /// preopen): `/proc/self/fd/N`, the directory itself; without `/proc`, its path once
    /// checked (see [`Root::real_path`]).
    pub(crate) fn grant_path(&self) -> Result<PathBuf, PathError> {
        Ok(match self.named()? {
            Named::Proc(_) => self.proc_path(),
            Named::Path(path) => path,
        })
    }

    /// Where the open directory is now: as the kernel names it; without `/proc`, the
    /// given path resolved (no symlink left in it), when that is still the directory
    /// that was opened (same device and inode, the last component not followed).
    pub(crate) fn real_path(&self) -> Result<PathBuf, PathError> {
        Ok(match self.named()? {
            Named::Proc(path) | Named::Path(path) => path,
        })
    }

    fn named(&self) -> Result<Named, PathError> {
        let proc = match std::fs::read_link(self.proc_path()) {
            Ok(path) => return Ok(Named::Proc(path)),
            Err(e) => e,
        };
        self.checked_path().map(Named::Path).map_err(|why| PathError {
            path: self.given.clone(),
            cause: format!(
                "cannot tell where the opened directory is: /proc/self/fd is unavailable ({proc}), and {why}"
            ),
        })
    }

    /// The given path, resolved, if it still names the open directory; else why not.
    ///
    /// A path is looked up again here, and once more by whoever it is handed to. Someone
    /// who can rename entries on it could as well have done so before it was opened; the
    /// check keeps a replacement made after the open from being granted in its stead. The
    /// resolved path holds no symlink, so its last component is examined without following
    /// one: a symlink put there since is not taken for the directory.
    fn checked_path(&self) -> Result<PathBuf, String> {
        let path = std::fs::canonicalize(&self.given)
            .map_err(|e| format!("the path no longer resolves ({e})"))?;
        let now = rustix::fs::statat(CWD, &path, AtFlags::SYMLINK_NOFOLLOW)
            .map_err(|e| format!("{} cannot be examined ({e})", path.display()))?;
        let opened = rustix::fs::fstat(&self.fd)
            .map_err(|e| format!("the opened directory cannot be examined ({e})"))?;
        if (now.st_dev, now.st_ino) != (opened.st_dev, opened.st_ino) {
            return Err(format!(
                "the path now names another entry ({}) than the directory that was opened",
                path.display()
            ));
        }
        Ok(path)
    }

    fn proc_path(&self) -> PathBuf {
        PathBuf::from(format!("/proc/self/fd/{}", self.fd.as_raw_fd()))
    }

    /// `given` joined with a path relative to the root, for messages.
    pub(crate) fn path_of(&self, rel: &str) -> PathBuf {
        Path::new(&self.given).join(rel)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;
    use std::os::unix::fs::symlink;

    #[test]
    fn a_path_names_the_open_directory_until_it_is_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (dir.path().join("a"), dir.path().join("b"));
        fs::create_dir(&a).unwrap();
        let root = Root::open(a.to_str().unwrap()).unwrap();
        let canonical = fs::canonicalize(&a).unwrap();
        assert_eq!(root.checked_path(), Ok(canonical.clone()));

        // Opened through a symlink: the path resolved, not the link.
        symlink(&a, &b).unwrap();
        let via_link = Root::open(b.to_str().unwrap()).unwrap();
        assert_eq!(via_link.checked_path(), Ok(canonical));

        // Replaced by another directory: refused, and said why.
        let moved = dir.path().join("moved");
        fs::rename(&a, &moved).unwrap();
        fs::create_dir(&a).unwrap();
        let why = root.checked_path().unwrap_err();
        assert!(why.contains("now names another entry"), "{why}");
        // A symlink in its place: to the opened directory, wherever it is now, it still
        // names it (resolved); to another directory, it does not.
        fs::remove_dir(&a).unwrap();
        symlink(&moved, &a).unwrap();
        assert_eq!(root.checked_path(), Ok(fs::canonicalize(&moved).unwrap()));
        fs::remove_file(&a).unwrap();
        symlink(dir.path(), &a).unwrap();
        assert!(root.checked_path().is_err());
        fs::remove_file(&a).unwrap();
        let why = root.checked_path().unwrap_err();
        assert!(why.contains("no longer resolves"), "{why}");
    }
}
