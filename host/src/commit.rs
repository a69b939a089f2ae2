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

use std::collections::HashMap;

use crate::owner::Owner;
use crate::permissions::{self, PermissionsReport};
use crate::roots::Root;
use crate::{Error, PathError};
use wp_init_core::commit::{
    self, CREATED_LOG_PREFIX, DirFinal, Finisher, JOURNAL, Journal, Rename, before_commit,
};
use wp_init_core::layout::temp_name;
use wp_init_core::report::Created;

/// [`Finisher`] on TARGET's open directory.
struct OnDisk<'a> {
    target: &'a Root,
    nonce: u64,
    dirs: DirCache,
}

impl<'a> OnDisk<'a> {
    fn new(target: &'a Root) -> Self {
        OnDisk {
            target,
            nonce: nonce(),
            dirs: DirCache::default(),
        }
    }

    fn fail(&self, rel: &str, what: &str, e: impl std::fmt::Display) -> Error {
        fail(self.target, rel, what, e)
    }
}

fn fail(target: &Root, rel: &str, what: &str, e: impl std::fmt::Display) -> Error {
    Error::Commit(PathError {
        path: target.path_of(rel).display().to_string(),
        cause: format!("{what}: {e}"),
    })
}

/// The directories of the last path opened below TARGET (`open[i]` holds its first
/// `i + 1` components), each opened from the one before with `O_NOFOLLOW`: the journal
/// lists siblings together, so most paths cost one open, not one per component.
#[derive(Default)]
struct DirCache {
    open: Vec<(String, OwnedFd)>,
}

impl DirCache {
    /// The directory `rel` below `root`, never through a symlink.
    fn get<'r>(
        &'r mut self,
        root: BorrowedFd<'r>,
        rel: &str,
    ) -> rustix::io::Result<BorrowedFd<'r>> {
        let comps: Vec<&str> = rel.split('/').filter(|c| !c.is_empty()).collect();
        let common = self
            .open
            .iter()
            .zip(&comps)
            .take_while(|((have, _), want)| have == *want)
            .count();
        self.open.truncate(common);
        for comp in &comps[common..] {
            if *comp == ".." || *comp == "." {
                return Err(Errno::INVAL);
            }
            let at = self.open.last().map_or(root, |(_, fd)| fd.as_fd());
            let fd = rustix::fs::openat(at, *comp, DIR_FLAGS, Mode::empty())?;
            self.open.push(((*comp).to_owned(), fd));
        }
        Ok(self.open.last().map_or(root, |(_, fd)| fd.as_fd()))
    }
}

impl Finisher for OnDisk<'_> {
    type Error = Error;

    fn exists(&mut self, rel: &str) -> Result<bool, Error> {
        let (dir, name) = rel.rsplit_once('/').unwrap_or(("", rel));
        let target = self.target;
        let found = match self.dirs.get(target.fd(), dir) {
            Ok(parent) => rustix::fs::statat(parent, name, AtFlags::SYMLINK_NOFOLLOW),
            Err(Errno::NOENT) => return Ok(false),
            Err(e) => return Err(fail(target, dir, "opening without following symlinks", e)),
        };
        match found {
            Ok(_) => Ok(true),
            Err(Errno::NOENT) => Ok(false),
            Err(e) => Err(fail(target, rel, "examining", e)),
        }
    }

    fn rename(&mut self, from: &str, to: &str) -> Result<(), Error> {
        let (from_dir, from_name) = from.rsplit_once('/').unwrap_or(("", from));
        let (to_dir, name) = to.rsplit_once('/').unwrap_or(("", to));
        if from_dir != to_dir {
            return Err(self.fail(to, "refusing to rename", "staged in another directory"));
        }
        let target = self.target;
        let parent = self
            .dirs
            .get(target.fd(), to_dir)
            .map_err(|e| fail(target, to_dir, "opening without following symlinks", e))?;
        rustix::fs::renameat(parent, from_name, parent, name)
            .map_err(|e| fail(target, to, "renaming the staged file into place", e))?;
        rustix::fs::fsync(parent).map_err(|e| fail(target, to_dir, "flushing to disk", e))
    }

    fn finish_dir(&mut self, d: &DirFinal) -> Result<(), Error> {
        let target = self.target;
        let fd = self
            .dirs
            .get(target.fd(), &d.path)
            .map_err(|e| fail(target, &d.path, "opening without following symlinks", e))?;
        if let Some(mode) = d.mode {
            rustix::fs::fchmod(fd, Mode::from_raw_mode(mode)).map_err(|e| {
                fail(
                    target,
                    &d.path,
                    &format!("setting the mode to {mode:04o}"),
                    e,
                )
            })?;
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
            rustix::fs::futimens(fd, &times)
                .map_err(|e| fail(target, &d.path, "setting the modification time", e))?;
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

/// The host's part of a run that wrote TARGET, as one transaction: owners and file modes
/// on exactly the `created` entries (found where they are before the commit: staged
/// entries under their temporary names), then the commit of the `staged` renames and of
/// each new directory's final mode and time, by its final name.
pub(crate) fn pass_then_commit(
    source: &Root,
    target: &Root,
    created: &[Created],
    staged: Vec<Rename>,
    owner: Option<Owner>,
    config_mode: u32,
) -> Result<PermissionsReport, Error> {
    let mut on_disk = created.to_vec();
    let mut final_path = HashMap::new();
    for c in &mut on_disk {
        let now = before_commit(&c.path, &staged);
        if now != c.path {
            final_path.insert(now.clone(), std::mem::replace(&mut c.path, now));
        }
    }
    let (done, mut dirs) = permissions::apply(source, target, &on_disk, owner, config_mode)?;
    for d in &mut dirs {
        if let Some(path) = final_path.remove(&d.path) {
            d.path = path;
        }
    }
    if !staged.is_empty() || !dirs.is_empty() {
        commit(target, &Journal::new(staged, dirs))?;
    }
    Ok(done)
}

/// Flushes the copy to disk, then commits `journal` (see `core::commit`).
pub(crate) fn commit(target: &Root, journal: &Journal) -> Result<(), Error> {
    let mut f = OnDisk::new(target);
    rustix::fs::syncfs(target.fd()).map_err(|e| f.fail("", "flushing the copy to disk", e))?;
    commit::commit(journal, &mut f)
}

/// Finishes the commit of an interrupted run, if TARGET holds its journal; returns
/// whether there was one.
pub(crate) fn recover(target: &Root) -> Result<bool, Error> {
    let mut f = OnDisk::new(target);
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
pub(crate) fn nonce() -> u64 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    (u64::from(std::process::id()) << 32) | u64::from(nanos)
}

/// How a directory below TARGET is opened: never through a symlink.
const DIR_FLAGS: OFlags = OFlags::RDONLY
    .union(OFlags::DIRECTORY)
    .union(OFlags::NOFOLLOW)
    .union(OFlags::CLOEXEC);

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
