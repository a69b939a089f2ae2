//! The scratch directory an archive SOURCE is unpacked into: `.wp-init-source.<nonce>` at
//! TARGET's root (mode 0700: only root, and the component it is granted to, go in), its
//! `tree` the SOURCE the install then reads. The host makes it, sets the modes the
//! component asks for (masked, never through a symlink), and removes it when the run
//! ends; one an interrupted run left is removed by the next run that holds TARGET's lock.

use std::ffi::{CStr, CString};
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};

use rustix::fs::{AtFlags, FileType, Mode, OFlags};
use rustix::io::Errno;

use crate::dir_cache::DirCache;
use crate::roots::Root;
use crate::{Error, PathError};
use wp_init_core::layout::{is_scratch_name, scratch_name};

/// Where the unpacked tree goes inside the scratch directory.
const TREE: &str = "tree";
/// The most modes the host gives: no setuid, setgid, sticky, or write for others.
const MODE_MASK: u32 = 0o755;

/// One run's scratch directory.
pub(crate) struct Scratch {
    /// Its name at TARGET's root.
    pub name: String,
    /// TARGET's path joined with `name`, for messages.
    shown: String,
    /// The `tree` directory inside it, opened.
    tree: OwnedFd,
    /// The scratch directory itself, where fetched archives are downloaded (beside
    /// `tree`, never granted to the component).
    dir: OwnedFd,
    /// The most linear memory an instance unpacking into it held.
    memory_peak: std::sync::atomic::AtomicU64,
}

impl Scratch {
    /// Makes the scratch directory of the run with `nonce` in `target`, and its `tree`.
    ///
    /// # Errors
    /// It cannot be made (a read-only TARGET, no space); the path and cause named.
    pub(crate) fn make(target: &Root, nonce: u64) -> Result<Scratch, Error> {
        let name = scratch_name(nonce);
        let shown = target.path_of(&name).display().to_string();
        let fail = |e: Errno| {
            let doing = match e {
                // `verify` of a read-only TARGET (a read-only mount, someone else's tree).
                Errno::ROFS | Errno::ACCESS | Errno::PERM => {
                    "making the scratch directory an archive SOURCE is unpacked into (TARGET must be writable)"
                }
                _ => "making the scratch directory",
            };
            io_error(&shown, doing, e)
        };
        let private = Mode::from_raw_mode(0o700);
        rustix::fs::mkdirat(target.fd(), name.as_str(), private).map_err(fail)?;
        let dir = open_dir(target.fd(), &name).map_err(fail)?;
        rustix::fs::mkdirat(&dir, TREE, private).map_err(fail)?;
        let tree = open_dir(dir.as_fd(), TREE).map_err(fail)?;
        Ok(Scratch {
            name,
            shown,
            tree,
            dir,
            memory_peak: 0.into(),
        })
    }

    /// Records that an instance working for it held `bytes` of linear memory at its peak.
    pub(crate) fn record_memory(&self, bytes: u64) {
        self.memory_peak
            .fetch_max(bytes, std::sync::atomic::Ordering::Relaxed);
    }

    /// The most linear memory an instance unpacking into it held.
    pub(crate) fn memory_peak(&self) -> u64 {
        self.memory_peak.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// The unpacked tree as a root the component can be granted, known as `given`.
    pub(crate) fn tree_root(&self, given: &str) -> Result<Root, Error> {
        let fd = rustix::io::fcntl_dupfd_cloexec(&self.tree, 0)
            .map_err(|e| io_error(&self.shown, "duplicating its descriptor", e))?;
        Ok(Root::scratch(fd, given.to_owned()))
    }

    /// The scratch directory, for downloads (`fetch`).
    pub(crate) fn downloads(&self) -> BorrowedFd<'_> {
        self.dir.as_fd()
    }

    /// The tree's directory, for `unpack`'s grant (the component's name for it).
    pub(crate) fn grant_root(&self) -> Result<Root, Error> {
        self.tree_root(&format!("{}/{TREE}", self.shown))
    }

    /// Gives each entry (relative to the tree) its mode, masked with 0755; symlinks (the
    /// component's to make, not the host's to follow) are skipped.
    ///
    /// # Errors
    /// An entry cannot be reached or changed; the path and cause named.
    pub(crate) fn set_modes<'a>(
        &self,
        entries: impl IntoIterator<Item = (&'a str, u32)>,
    ) -> Result<u64, Error> {
        let mut dirs = DirCache::new(OFlags::RDONLY);
        let mut set = 0;
        for (rel, mode) in entries {
            let fail = |e: Errno| {
                io_error(
                    &format!("{}/{TREE}/{rel}", self.shown),
                    "setting its mode",
                    e,
                )
            };
            let parts: Vec<&str> = rel.split('/').collect();
            let (name, parents) = parts.split_last().ok_or(Errno::INVAL).map_err(fail)?;
            let parent = dirs
                .get(self.tree.as_fd(), parents)
                .map_err(|(_, e)| fail(e))?;
            let st = rustix::fs::statat(parent, *name, AtFlags::SYMLINK_NOFOLLOW).map_err(fail)?;
            if FileType::from_raw_mode(st.st_mode) == FileType::Symlink {
                continue;
            }
            let mode = Mode::from_raw_mode(mode & MODE_MASK);
            rustix::fs::chmodat(parent, *name, mode, AtFlags::empty()).map_err(fail)?;
            set += 1;
        }
        Ok(set)
    }

    /// Removes the scratch directory and all it holds.
    ///
    /// # Errors
    /// Something in it cannot be removed; the path and cause named.
    pub(crate) fn remove(self, target: &Root) -> Result<(), Error> {
        drop(self.tree);
        remove_tree(target.fd(), &cstring(&self.name)).map_err(|(path, e)| {
            io_error(
                &target.path_of(&path).display().to_string(),
                "removing the scratch directory",
                e,
            )
        })
    }
}

/// Removes the scratch directories interrupted runs left at TARGET's root (`names`: the
/// root's own names), unless a volume is mounted at or below one (`mounted`).
///
/// # Errors
/// One cannot be removed; the path and cause named.
pub(crate) fn remove_left(
    target: &Root,
    names: &[String],
    mounted: impl Fn(&str) -> bool,
) -> Result<(), Error> {
    for name in names.iter().filter(|n| is_scratch_name(n) && !mounted(n)) {
        remove_tree(target.fd(), &cstring(name)).map_err(|(path, e)| {
            io_error(
                &target.path_of(&path).display().to_string(),
                "removing an interrupted run's scratch directory",
                e,
            )
        })?;
    }
    Ok(())
}

/// Removes `name` in `dir` and, if it is a directory on the same file system (never
/// through a symlink), everything in it. Errors carry the path relative to `dir`.
fn remove_tree(dir: BorrowedFd<'_>, name: &CStr) -> Result<(), (String, Errno)> {
    let here = |e| (name.to_string_lossy().into_owned(), e);
    let st = rustix::fs::statat(dir, name, AtFlags::SYMLINK_NOFOLLOW).map_err(here)?;
    match FileType::from_raw_mode(st.st_mode) {
        FileType::Directory => remove_dir(dir, name),
        _ => rustix::fs::unlinkat(dir, name, AtFlags::empty()).map_err(here),
    }
}

/// [`remove_tree`] of the directory `name`, its entries' types taken from the listing
/// (a type the file system does not give there is asked for).
fn remove_dir(dir: BorrowedFd<'_>, name: &CStr) -> Result<(), (String, Errno)> {
    let shown = name.to_string_lossy();
    let here = |e| (shown.clone().into_owned(), e);
    let sub = open_dir(dir, name).map_err(here)?;
    let parent_dev = rustix::fs::fstat(dir).map_err(here)?.st_dev;
    if rustix::fs::fstat(&sub).map_err(here)?.st_dev != parent_dev {
        // A mount point: never entered.
        return Err(here(Errno::XDEV));
    }
    let mut children = Vec::new();
    for entry in rustix::fs::Dir::read_from(&sub).map_err(here)? {
        let entry = entry.map_err(here)?;
        let child = entry.file_name();
        if child != c"." && child != c".." {
            children.push((child.to_owned(), entry.file_type()));
        }
    }
    for (child, kind) in children {
        let removed = match kind {
            FileType::Directory => remove_dir(sub.as_fd(), &child),
            FileType::Unknown => remove_tree(sub.as_fd(), &child),
            _ => rustix::fs::unlinkat(&sub, child.as_c_str(), AtFlags::empty())
                .map_err(|e| (child.to_string_lossy().into_owned(), e)),
        };
        removed.map_err(|(p, e)| (format!("{shown}/{p}"), e))?;
    }
    rustix::fs::unlinkat(dir, name, AtFlags::REMOVEDIR).map_err(here)
}

/// Opens the directory `name` in `dir`, never through a symlink.
fn open_dir<P: rustix::path::Arg>(dir: BorrowedFd<'_>, name: P) -> Result<OwnedFd, Errno> {
    rustix::fs::openat(
        dir,
        name,
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
        Mode::empty(),
    )
}

/// A name from a listing or made by the host: never holds a NUL.
fn cstring(name: &str) -> CString {
    CString::new(name).unwrap_or_default()
}

fn io_error(path: &str, doing: &str, e: Errno) -> Error {
    Error::Io(PathError {
        path: path.to_owned(),
        cause: format!("{doing}: {}", std::io::Error::from(e)),
    })
}
