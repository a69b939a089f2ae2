//! The host's commit: `core::commit`'s journaled transaction on TARGET's open directory,
//! with modes (which WASI cannot set), and the recovery of an interrupted commit before
//! the component runs.
//!
//! Everything here is relative to TARGET's descriptor, walked one component at a time
//! with `O_NOFOLLOW`: a directory swapped for a symlink is refused, never followed.
//! Before the journal is written, the whole copy is flushed to disk (`syncfs`), and
//! every step is made durable (`fsync` of the directory it changed): after a power loss,
//! TARGET looks installed only if the whole copy reached the disk.

use std::io::{Read, Write};
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};

use rustix::fs::{AtFlags, Mode, OFlags, Timespec, Timestamps};
use rustix::io::Errno;

use crate::roots::Root;
use crate::{Error, PathError};
use wp_init_core::commit::{self, CREATED_LOG_PREFIX, DirFinal, Finisher, JOURNAL, Journal};
use wp_init_core::layout::temp_name;

/// [`Finisher`] on TARGET's open directory.
struct OnDisk<'a> {
    target: &'a Root,
    nonce: u64,
}

impl OnDisk<'_> {
    fn fail(&self, rel: &str, what: &str, e: impl std::fmt::Display) -> Error {
        Error::Commit(PathError {
            path: self.target.show(rel).display().to_string(),
            cause: format!("{what}: {e}"),
        })
    }

    /// The directory holding `rel`, and `rel`'s last component.
    fn parent<'r>(&self, rel: &'r str) -> Result<(OwnedFd, &'r str), Error> {
        let (dir, name) = rel.rsplit_once('/').unwrap_or(("", rel));
        let fd = open_dir_below(self.target.fd(), dir)
            .map_err(|e| self.fail(dir, "opening without following symlinks", e))?;
        Ok((fd, name))
    }
}

impl Finisher for OnDisk<'_> {
    type Error = Error;

    fn exists(&mut self, rel: &str) -> Result<bool, Error> {
        let (dir, name) = rel.rsplit_once('/').unwrap_or(("", rel));
        let parent = match open_dir_below(self.target.fd(), dir) {
            Ok(fd) => fd,
            Err(Errno::NOENT) => return Ok(false),
            Err(e) => return Err(self.fail(dir, "opening without following symlinks", e)),
        };
        match rustix::fs::statat(&parent, name, AtFlags::SYMLINK_NOFOLLOW) {
            Ok(_) => Ok(true),
            Err(Errno::NOENT) => Ok(false),
            Err(e) => Err(self.fail(rel, "examining", e)),
        }
    }

    fn rename(&mut self, from: &str, to: &str) -> Result<(), Error> {
        let (parent, name) = self.parent(to)?;
        let (from_dir, _) = from.rsplit_once('/').unwrap_or(("", from));
        let (to_dir, _) = to.rsplit_once('/').unwrap_or(("", to));
        let from_name = from.rsplit_once('/').map_or(from, |(_, n)| n);
        if from_dir != to_dir {
            return Err(self.fail(to, "refusing to rename", "staged in another directory"));
        }
        rustix::fs::renameat(&parent, from_name, &parent, name)
            .map_err(|e| self.fail(to, "renaming the staged file into place", e))?;
        rustix::fs::fsync(&parent).map_err(|e| self.fail(to_dir, "flushing to disk", e))
    }

    fn finish_dir(&mut self, d: &DirFinal) -> Result<(), Error> {
        let fd = open_dir_below(self.target.fd(), &d.path)
            .map_err(|e| self.fail(&d.path, "opening without following symlinks", e))?;
        if let Some(mode) = d.mode {
            rustix::fs::fchmod(&fd, Mode::from_raw_mode(mode))
                .map_err(|e| self.fail(&d.path, &format!("setting the mode to {mode:04o}"), e))?;
        }
        if let Some(t) = d.mtime {
            let ts = Timespec {
                tv_sec: t.secs,
                tv_nsec: t.nanos.into(),
            };
            let times = Timestamps {
                last_access: ts,
                last_modification: ts,
            };
            rustix::fs::futimens(&fd, &times)
                .map_err(|e| self.fail(&d.path, "setting the modification time", e))?;
        }
        Ok(())
    }

    fn write_journal(&mut self, text: &str) -> Result<(), Error> {
        let root = self.target.fd();
        let tmp = temp_name(JOURNAL, self.nonce);
        let flags = OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW;
        let fd = rustix::fs::openat(root, &tmp, flags | OFlags::CLOEXEC, Mode::from(0o600))
            .map_err(|e| self.fail(JOURNAL, "creating", e))?;
        let mut file = std::fs::File::from(fd);
        file.write_all(text.as_bytes())
            .and_then(|()| file.sync_all())
            .map_err(|e| self.fail(JOURNAL, "writing", e))?;
        rustix::fs::renameat(root, &tmp, root, JOURNAL)
            .map_err(|e| self.fail(JOURNAL, "renaming into place", e))?;
        rustix::fs::fsync(root).map_err(|e| self.fail("", "flushing to disk", e))
    }

    fn remove_journal(&mut self) -> Result<(), Error> {
        let root = self.target.fd();
        let dir = rustix::fs::Dir::read_from(root).map_err(|e| self.fail("", "listing", e))?;
        for entry in dir {
            let entry = entry.map_err(|e| self.fail("", "listing", e))?;
            let name = entry.file_name().to_string_lossy();
            if name.starts_with(CREATED_LOG_PREFIX) {
                rustix::fs::unlinkat(root, entry.file_name(), AtFlags::empty())
                    .map_err(|e| self.fail(&name, "removing", e))?;
            }
        }
        rustix::fs::unlinkat(root, JOURNAL, AtFlags::empty())
            .map_err(|e| self.fail(JOURNAL, "removing", e))?;
        rustix::fs::fsync(root).map_err(|e| self.fail("", "flushing to disk", e))
    }
}

/// Flushes the copy to disk, then commits `journal` (see `core::commit`).
pub(crate) fn commit(target: &Root, journal: &Journal) -> Result<(), Error> {
    let mut f = OnDisk {
        target,
        nonce: nonce(),
    };
    rustix::fs::syncfs(target.fd()).map_err(|e| f.fail("", "flushing the copy to disk", e))?;
    commit::commit(journal, &mut f)
}

/// Finishes the commit of an interrupted run, if TARGET holds its journal; returns
/// whether there was one.
pub(crate) fn recover(target: &Root) -> Result<bool, Error> {
    let mut f = OnDisk {
        target,
        nonce: nonce(),
    };
    let flags = OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
    let fd = match rustix::fs::openat(target.fd(), JOURNAL, flags, Mode::empty()) {
        Ok(fd) => fd,
        Err(Errno::NOENT) => return Ok(false),
        Err(e) => return Err(f.fail(JOURNAL, "opening", e)),
    };
    let mut text = String::new();
    std::fs::File::from(fd)
        .read_to_string(&mut text)
        .map_err(|e| f.fail(JOURNAL, "reading", e))?;
    let journal = Journal::parse(&text).map_err(|cause| f.fail(JOURNAL, "reading", cause))?;
    commit::finish(&journal, &mut f)?;
    Ok(true)
}

/// Makes temporary names of concurrent unlocked runs distinct.
fn nonce() -> u64 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    (u64::from(std::process::id()) << 32) | u64::from(nanos)
}

/// Opens `rel` below `root` as a directory, one component at a time, never following a
/// symlink.
pub(crate) fn open_dir_below(root: BorrowedFd<'_>, rel: &str) -> rustix::io::Result<OwnedFd> {
    let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
    let mut fd = rustix::fs::openat(root, ".", flags, Mode::empty())?;
    for comp in rel.split('/').filter(|c| !c.is_empty()) {
        if comp == ".." || comp == "." {
            return Err(Errno::INVAL);
        }
        fd = rustix::fs::openat(fd.as_fd(), comp, flags, Mode::empty())?;
    }
    Ok(fd)
}

#[cfg(test)]
mod tests {
    use super::*;
    use wp_init_core::commit::Rename;

    fn staged_journal() -> Journal {
        Journal::new(
            vec![Rename {
                temporary: "wp-includes/.wp-init-tmp.1.version.php".into(),
                path: "wp-includes/version.php".into(),
            }],
            vec![DirFinal {
                path: "wp-includes".into(),
                mode: Some(0o555),
                mtime: None,
            }],
        )
    }

    #[test]
    fn commits_in_place_then_read_only_dir() {
        let t = tempfile::tempdir().unwrap();
        std::fs::create_dir(t.path().join("wp-includes")).unwrap();
        std::fs::write(
            t.path().join("wp-includes/.wp-init-tmp.1.version.php"),
            b"v",
        )
        .unwrap();
        std::fs::write(t.path().join(".wp-init-created.1"), b"\"wp-includes\"\n").unwrap();
        let root = Root::open(t.path().to_str().unwrap()).unwrap();
        commit(&root, &staged_journal()).unwrap();
        let inc = t.path().join("wp-includes");
        assert_eq!(std::fs::read(inc.join("version.php")).unwrap(), b"v");
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&inc).unwrap().permissions().mode();
        assert_eq!(mode & 0o7777, 0o555);
        let left: Vec<_> = std::fs::read_dir(t.path()).unwrap().collect();
        assert_eq!(left.len(), 1, "journal and log removed: {left:?}");
        assert!(!recover(&root).unwrap(), "nothing left to finish");
    }

    #[test]
    fn refuses_a_directory_swapped_for_a_symlink() {
        let t = tempfile::tempdir().unwrap();
        let (dst, elsewhere) = (t.path().join("dst"), t.path().join("elsewhere"));
        std::fs::create_dir_all(&dst).unwrap();
        std::fs::create_dir(&elsewhere).unwrap();
        std::fs::write(elsewhere.join(".wp-init-tmp.1.version.php"), b"x").unwrap();
        std::os::unix::fs::symlink(&elsewhere, dst.join("wp-includes")).unwrap();
        let root = Root::open(dst.to_str().unwrap()).unwrap();
        let err = commit(&root, &staged_journal()).unwrap_err();
        assert!(err.to_string().contains("wp-includes"), "{err}");
        assert!(!elsewhere.join("version.php").exists());
        // The journal stays for the next run.
        assert!(dst.join(JOURNAL).exists());
    }
}
