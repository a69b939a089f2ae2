//! The host's pass after the guest: modes and owners on exactly the entries it created.
//!
//! WASI cannot set modes or owners, so the guest reports what it created and the host sets
//! them here. Nothing is ever resolved through a symlink: TARGET (and SOURCE) are opened
//! once as directories, each report path is walked component by component with
//! `openat(O_PATH|O_DIRECTORY|O_NOFOLLOW)`, and every change is made through a descriptor
//! whose type was checked with `statx` (`fchown`, `fchmod`; for a symlink, `fchownat` with
//! `AT_EMPTY_PATH` on an `O_PATH|O_NOFOLLOW` descriptor of the link itself). An entry that
//! is no longer what the guest created (a symlink where a file was, a file with other hard
//! links) is refused, so a process racing in TARGET cannot redirect the pass outside it;
//! so is an entry the guest cannot have created: a mount point, or one born before the
//! run's journal (`crate::born`).
//!
//! Files get their mode here; a directory only gets its owner here, and its mode and
//! time later, from the commit, after everything inside it is in place (so a read-only
//! 0555 directory of SOURCE installs as a non-root user): [`apply`] returns them as
//! [`DirFinal`]s for the commit's journal. The owner is set before the mode, because
//! `chown` clears the setuid and setgid bits.

use std::io;
use std::os::fd::{BorrowedFd, OwnedFd};
use std::path::Path;

use rustix::fs::{AtFlags, FileType, Gid, Mode, OFlags, Stat, Uid};
use rustix::io::Errno;

use crate::born::{self, Born};
use crate::dir_cache::DirCache;
use crate::owner::Owner;
use crate::roots::Root;
use wp_init_core::commit::{DirFinal, Time};
use wp_init_core::report::{Created, EntryKind};

mod error;
pub use error::{Cause, PermissionsError};

/// Default mode of a written `wp-config.php`: owner read-write, group read, nothing for
/// others (it holds the keys and salts).
pub const CONFIG_MODE: u32 = 0o640;
/// Mode of a mount-point directory that SOURCE does not have.
pub const MOUNT_POINT_MODE: u32 = 0o755;

/// What the pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PermissionsReport {
    /// Entries whose mode was set.
    pub modes_set: u64,
    /// Entries whose owner and group were set.
    pub owners_set: u64,
}

/// Sets owners on the `created` entries of `target` (listed parents first) and modes on
/// its files; returns the final mode and time of each created directory, for the commit.
///
/// Files and directories get the permission bits (`& 0o7777`) of their SOURCE counterpart
/// (and directories its modification time); a file with an empty source path
/// (`wp-config.php`) gets `config_mode`, a directory with none (a mount point)
/// [`MOUNT_POINT_MODE`]; symlinks get no mode. With `owner`, every entry (symlinks
/// themselves included) gets that owner and group. Entries not in `created` are never
/// touched, nor is a mount point or an entry born before `floor` (the run's journal), and
/// no times are changed here. Every entry is tried; on failure the error names the first
/// failing path and counts the others.
///
/// Entries are independent of each other: a long list is split in two halves, the
/// second one handled on another thread, each with its own descriptors (same result,
/// same first error, as one pass in order).
pub fn apply(
    source: &Root,
    target: &Root,
    created: &[Created],
    owner: Option<Owner>,
    config_mode: u32,
    floor: Option<Born>,
) -> Result<(PermissionsReport, Vec<DirFinal>), PermissionsError> {
    let pass = |entries: &[Created]| {
        let mut pass = Pass {
            source: Walker::new(source),
            linked_source: source.scratch,
            target: Walker::new(target),
            owner,
            config_mode,
            floor,
            report: PermissionsReport::default(),
            dirs: Vec::new(),
            first: None,
        };
        for entry in entries.iter().rev() {
            if let Err(e) = pass.entry(entry) {
                match &mut pass.first {
                    None => pass.first = Some(e),
                    Some(first) => first.others += 1,
                }
            }
        }
        pass.finish()
    };
    let whole = if created.len() < SPLIT_MIN {
        pass(created)
    } else {
        // Children come after their parents: `created` is taken from the end.
        let (front, back) = created.split_at(created.len() / 2);
        std::thread::scope(|s| {
            match std::thread::Builder::new().spawn_scoped(s, || pass(front)) {
                Ok(other) => {
                    let back = pass(back);
                    let front = other
                        .join()
                        .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
                    back.then(front)
                }
                // No thread to be had: one pass, in order.
                Err(_) => pass(created),
            }
        })
    };
    match whole.first {
        None => Ok((whole.report, whole.dirs)),
        Some(e) => Err(e),
    }
}

/// Fewest entries for which [`apply`] uses a second thread (below, a pass takes a few
/// milliseconds at most).
const SPLIT_MIN: usize = 1024;

/// What a pass over some entries did.
struct Done {
    report: PermissionsReport,
    dirs: Vec<DirFinal>,
    first: Option<PermissionsError>,
}

impl Done {
    /// This pass followed by `later`, as if both were one.
    fn then(mut self, later: Done) -> Done {
        self.report.modes_set += later.report.modes_set;
        self.report.owners_set += later.report.owners_set;
        self.dirs.extend(later.dirs);
        self.first = match (self.first, later.first) {
            (Some(mut first), Some(other)) => {
                first.others += 1 + other.others;
                Some(first)
            }
            (first, other) => first.or(other),
        };
        self
    }
}

/// A created entry's mode and time to set, and its SOURCE counterpart's device and inode.
type Wanted = (Option<u32>, Option<Time>, Option<(u64, u64)>);

struct Pass<'a> {
    source: Walker<'a>,
    /// SOURCE is wp-init's scratch tree, whose files the component hard-links into TARGET.
    linked_source: bool,
    target: Walker<'a>,
    owner: Option<Owner>,
    config_mode: u32,
    floor: Option<Born>,
    report: PermissionsReport,
    dirs: Vec<DirFinal>,
    first: Option<PermissionsError>,
}

impl Pass<'_> {
    fn finish(self) -> Done {
        Done {
            report: self.report,
            dirs: self.dirs,
            first: self.first,
        }
    }

    fn entry(&mut self, entry: &Created) -> Result<(), PermissionsError> {
        // Paths for messages are only built when something fails.
        let root = self.target.root_path;
        let fail = |cause| PermissionsError {
            path: root.join(&entry.path),
            cause,
            others: 0,
        };
        let components = split(&entry.path).map_err(fail)?;
        let (mode, mtime, source_inode) = self.wanted(entry).map_err(fail)?;
        let Some((name, dirs)) = components.split_last() else {
            return Err(fail(Cause::InvalidPath("empty")));
        };
        let parent = self.target.parent(dirs)?;
        let (flags, expected) = match entry.kind {
            EntryKind::Symlink if self.owner.is_none() => return Ok(()),
            EntryKind::Symlink => (OFlags::PATH, FileType::Symlink),
            EntryKind::File => (
                OFlags::RDONLY | OFlags::NONBLOCK | OFlags::NOCTTY,
                FileType::RegularFile,
            ),
            EntryKind::Directory => (OFlags::RDONLY | OFlags::DIRECTORY, FileType::Directory),
        };
        let fd = rustix::fs::openat(
            parent,
            *name,
            flags | OFlags::NOFOLLOW | OFlags::CLOEXEC,
            Mode::empty(),
        )
        .map_err(|e| fail(open_cause(e)))?;
        let facts = born::facts(&fd).map_err(|e| fail(io_cause("statx", e)))?;
        if facts.kind != expected {
            return Err(fail(Cause::ChangedType));
        }
        if expected == FileType::RegularFile
            && facts.nlink != 1
            && !(facts.nlink == 2 && self.linked_source && same_inode(&fd, source_inode))
        {
            return Err(fail(Cause::HardLinked(facts.nlink)));
        }
        if facts.mount_root {
            return Err(fail(Cause::MountPoint));
        }
        if let Some(why) = born::too_old(facts.born, self.floor) {
            return Err(fail(Cause::NotCreated(why)));
        }
        if let Some(owner @ Owner { uid, gid }) = self.owner {
            let (uid, gid) = (Some(Uid::from_raw(uid)), Some(Gid::from_raw(gid)));
            let done = match entry.kind {
                // lchown through the link's own descriptor: no name is looked up again.
                EntryKind::Symlink => rustix::fs::chownat(&fd, "", uid, gid, AtFlags::EMPTY_PATH),
                _ => rustix::fs::fchown(&fd, uid, gid),
            };
            done.map_err(|e| fail(io_cause(&format!("setting the owner to {owner}"), e)))?;
            self.report.owners_set += 1;
        }
        if entry.kind == EntryKind::Directory {
            // Its mode and time come last, from the commit.
            self.report.modes_set += 1;
            self.dirs.push(DirFinal {
                path: entry.path.clone(),
                mode,
                mtime,
            });
        } else if let Some(mode) = mode {
            rustix::fs::fchmod(&fd, Mode::from_raw_mode(mode))
                .map_err(|e| fail(io_cause(&format!("setting the mode to {mode:04o}"), e)))?;
            self.report.modes_set += 1;
        }
        Ok(())
    }

    /// The mode and time `entry` is to get (SOURCE's, or wp-init's own), and the inode of
    /// its counterpart in SOURCE.
    fn wanted(&mut self, entry: &Created) -> Result<Wanted, Cause> {
        Ok(match (entry.kind, entry.source_path.is_empty()) {
            (EntryKind::Symlink, _) => (None, None, None),
            (EntryKind::File, true) => (Some(self.config_mode), None, None),
            (EntryKind::Directory, true) => (Some(MOUNT_POINT_MODE), None, None),
            (kind, false) => {
                let st = self.source_stat(&entry.source_path, kind)?;
                let mtime = Time {
                    secs: st.st_mtime,
                    nanos: u32::try_from(st.st_mtime_nsec).unwrap_or(0),
                };
                let inode = Some((st.st_dev, st.st_ino));
                (Some(st.st_mode & 0o7777), Some(mtime), inode)
            }
        })
    }

    /// The metadata of SOURCE's `rel`, which must be of `kind`.
    fn source_stat(&mut self, rel: &str, kind: EntryKind) -> Result<Stat, Cause> {
        let root = self.source.root_path;
        let bad = |reason: String| Cause::Source {
            source_path: root.join(rel),
            reason,
        };
        let components = split(rel).map_err(|e| bad(e.to_string()))?;
        let Some((name, dirs)) = components.split_last() else {
            return Err(bad("empty path".to_owned()));
        };
        let parent = self.source.parent(dirs).map_err(|e| match e.cause {
            Cause::ChangedType => bad(format!("{} is not a directory", e.path.display())),
            cause => bad(format!("{}: {cause}", e.path.display())),
        })?;
        let stat = rustix::fs::statat(parent, *name, AtFlags::SYMLINK_NOFOLLOW)
            .map_err(|e| bad(io::Error::from(e).to_string()))?;
        let (expected, what) = match kind {
            EntryKind::Directory => (FileType::Directory, "directory"),
            _ => (FileType::RegularFile, "regular file"),
        };
        if FileType::from_raw_mode(stat.st_mode) != expected {
            return Err(bad(format!("it is not a {what}")));
        }
        Ok(stat)
    }
}

/// TARGET's or SOURCE's directories, walked from its root without following symlinks.
struct Walker<'a> {
    root_path: &'a Path,
    root: BorrowedFd<'a>,
    dirs: DirCache,
}

impl<'a> Walker<'a> {
    fn new(root: &'a Root) -> Self {
        Walker {
            root_path: Path::new(&root.given),
            root: root.fd(),
            dirs: DirCache::new(OFlags::PATH),
        }
    }

    /// The directory `dirs` below the root, each component opened with `O_NOFOLLOW`.
    fn parent(&mut self, dirs: &[&str]) -> Result<BorrowedFd<'_>, PermissionsError> {
        let root_path = self.root_path;
        self.dirs
            .get(self.root, dirs)
            .map_err(|(i, e)| PermissionsError {
                path: root_path.join(dirs[..=i].join("/")),
                cause: open_cause(e),
                others: 0,
            })
    }
}

/// Whether `fd` is the file `inode` names: its other link is then the one in wp-init's
/// scratch tree, which only root enters.
fn same_inode(fd: &OwnedFd, inode: Option<(u64, u64)>) -> bool {
    rustix::fs::fstat(fd).is_ok_and(|st| Some((st.st_dev, st.st_ino)) == inode)
}

/// The components of a report path, which must be relative and plain.
fn split(rel: &str) -> Result<Vec<&str>, Cause> {
    if rel.is_empty() {
        return Err(Cause::InvalidPath("empty"));
    }
    if rel.starts_with('/') {
        return Err(Cause::InvalidPath("absolute"));
    }
    rel.split('/')
        .map(|c| match c {
            "" => Err(Cause::InvalidPath("empty component")),
            "." | ".." => Err(Cause::InvalidPath("'.' or '..' component")),
            c if c.contains('\0') => Err(Cause::InvalidPath("NUL byte")),
            c => Ok(c),
        })
        .collect()
}

/// An `openat(O_NOFOLLOW)` failure: a symlink or a non-directory where the guest made
/// something else is a changed type; anything else is an I/O error.
fn open_cause(e: Errno) -> Cause {
    match e {
        Errno::LOOP | Errno::NOTDIR => Cause::ChangedType,
        e => io_cause("opening without following symlinks", e),
    }
}

fn io_cause(op: &str, e: Errno) -> Cause {
    Cause::Io {
        op: op.to_owned(),
        error: e.into(),
    }
}

#[cfg(test)]
mod tests;
