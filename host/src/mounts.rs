//! What is mounted inside TARGET: the mount points that no removal or descent may cross.
//!
//! The kernel's list, `/proc/self/mountinfo`, names every mount point by its path (field
//! 5); those strictly under TARGET's real path (where TARGET's open directory is now) are
//! candidates. Each is then confirmed from TARGET's descriptor: walked to component by
//! component without following a symlink (`O_NOFOLLOW`), and found on another mount than
//! its parent directory (another mount id, `statx`'s `STATX_MNT_ID`, which tells a bind
//! mount from the same file system; or another device id). A candidate that is reached
//! through a symlink inside TARGET, gone, or hidden under a later mount is not a mount
//! point of the tree the walk sees, and is skipped. A bind-mounted file is a mount point
//! like a directory.
//!
//! Without `/proc` (a bare chroot), the entries at TARGET's first two levels, those of
//! `wp-content/*/*` and the paths the caller names (`--mount-point`s) are checked the
//! same way, and the result says that it may be incomplete.

use std::collections::BTreeSet;
use std::ffi::OsStr;
use std::io;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;

use rustix::fs::{AtFlags, FileType, Mode, OFlags, StatxFlags};
use rustix::io::Errno;

use crate::roots::Root;
use crate::{Error, PathError};

/// The kernel's list of the mounts this process sees.
const MOUNTINFO: &str = "/proc/self/mountinfo";

/// How deep the scan without `/proc` looks under TARGET and under `wp-content`.
const SCAN_LEVELS: usize = 2;

/// What is mounted inside TARGET.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Mounts {
    /// The mount points strictly inside TARGET, relative to it (`/`-separated, no leading
    /// or trailing `/`), directories and files alike, each once however many mounts are
    /// stacked on it. TARGET itself is never listed, mount point or not.
    pub(crate) points: BTreeSet<String>,
    /// `None` when `points` comes from the kernel's whole list; otherwise why that list
    /// could not be read (e.g. "/proc/self/mountinfo: No such file or directory"): only
    /// TARGET's first two levels, `wp-content/*/*` and the caller's paths were checked, so
    /// a deeper mount may be missing (for the caller to warn once).
    pub(crate) incomplete: Option<String>,
}

impl Mounts {
    /// Whether `rel` (relative to TARGET, `/`-separated) is a mount point or lies under
    /// one: what an install, upgrade or clean-up must leave alone.
    #[cfg(test)]
    pub(crate) fn covers(&self, rel: &str) -> bool {
        let mut path = rel.trim_end_matches('/');
        while !path.is_empty() {
            if self.points.contains(path) {
                return true;
            }
            path = path.rsplit_once('/').map_or("", |(parent, _)| parent);
        }
        false
    }
}

/// The mount points inside `target` (see [`Mounts`]).
///
/// `extra` (relative paths, e.g. the user's `--mount-point`s) are checked too when the
/// kernel's list cannot be read; with it they are in that list if they are mount points.
///
/// # Errors
/// `/proc/self/mountinfo` is not what the kernel writes (a line without a mount point); an
/// entry on the way cannot be examined or a directory of the scan cannot be listed (the
/// path and the cause named); a mount point's name is not UTF-8 (no relative path names it).
pub(crate) fn mounts_inside(target: &Root, extra: &[String]) -> Result<Mounts, Error> {
    find(target, extra, || std::fs::read(MOUNTINFO))
}

/// [`mounts_inside`], with the kernel's list read by `read_mountinfo`.
fn find(
    target: &Root,
    extra: &[String],
    read_mountinfo: impl FnOnce() -> io::Result<Vec<u8>>,
) -> Result<Mounts, Error> {
    let listed = read_mountinfo()
        .map_err(|e| format!("{MOUNTINFO}: {e}"))
        .and_then(|text| Ok((text, target.real_path().map_err(|e| e.cause)?)));
    let (text, real) = match listed {
        Ok(listed) => listed,
        Err(cause) => return scan(target, extra, cause),
    };
    let candidates = mount_points(&text).map_err(|cause| {
        let path = MOUNTINFO.to_owned();
        Error::Io(PathError { path, cause })
    })?;
    let mut points = BTreeSet::new();
    for candidate in &candidates {
        if let Some(rel) = inside(real.as_os_str().as_bytes(), candidate)
            && is_mount_point(target, rel)?
        {
            points.insert(utf8(target, rel)?);
        }
    }
    Ok(Mounts {
        points,
        incomplete: None,
    })
}

/// The mount points (field 5, octal escapes such as `\040` decoded) of the lines of a
/// `/proc/self/mountinfo`, in its order.
fn mount_points(text: &[u8]) -> Result<Vec<Vec<u8>>, String> {
    let lines = text.split(|&b| b == b'\n').enumerate();
    lines
        .filter(|(_, line)| !line.is_empty())
        .map(|(i, line)| {
            let field = line.split(|&b| b == b' ').nth(4);
            let field = field.filter(|f| f.starts_with(b"/"));
            field.map(unescape).ok_or_else(|| {
                format!("line {} has no mount point: {}", i + 1, line.escape_ascii())
            })
        })
        .collect()
}

/// A mountinfo field with its `\ooo` escapes (three octal digits: a byte) decoded.
fn unescape(field: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(field.len());
    let mut rest = field;
    while let Some((&b, tail)) = rest.split_first() {
        let code = tail
            .get(..3)
            .filter(|digits| digits.iter().all(|d| (b'0'..=b'7').contains(d)))
            .map(|digits| digits.iter().fold(0u32, |n, d| n * 8 + u32::from(d - b'0')));
        match (b, code.and_then(|c| u8::try_from(c).ok())) {
            (b'\\', Some(byte)) => {
                out.push(byte);
                rest = tail.get(3..).unwrap_or_default();
            }
            _ => {
                out.push(b);
                rest = tail;
            }
        }
    }
    out
}

/// The part of `mount_point` strictly inside `target` (both absolute paths), without
/// its leading `/`; `None` if it is not inside (or is `target` itself).
fn inside<'a>(target: &[u8], mount_point: &'a [u8]) -> Option<&'a [u8]> {
    let target = target.strip_suffix(b"/").unwrap_or(target);
    let rel = mount_point.strip_prefix(target)?.strip_prefix(b"/")?;
    (!rel.is_empty()).then_some(rel)
}

/// How an entry is identified: the file system, the mount, the type.
#[derive(Debug, Clone, Copy)]
struct Id {
    dev: (u32, u32),
    /// `None` where the kernel does not tell (before Linux 5.8, or without `statx`).
    mount: Option<u64>,
    kind: FileType,
}

impl Id {
    /// Whether this entry, a child of `parent`, is on another mount: a mount point.
    fn other_mount(&self, parent: &Id) -> bool {
        let other_id = matches!((self.mount, parent.mount), (Some(a), Some(b)) if a != b);
        self.dev != parent.dev || other_id
    }
}

/// The [`Id`] of `name` in `dir` (of `dir` itself for an empty name), never following
/// a symlink.
fn identify(dir: BorrowedFd<'_>, name: &[u8]) -> io::Result<Id> {
    let mut flags = AtFlags::SYMLINK_NOFOLLOW | AtFlags::NO_AUTOMOUNT;
    if name.is_empty() {
        flags |= AtFlags::EMPTY_PATH;
    }
    match rustix::fs::statx(dir, name, flags, StatxFlags::TYPE | StatxFlags::MNT_ID) {
        Ok(st) => Ok(Id {
            dev: (st.stx_dev_major, st.stx_dev_minor),
            mount: (st.stx_mask & StatxFlags::MNT_ID.bits() != 0).then_some(st.stx_mnt_id),
            kind: FileType::from_raw_mode(st.stx_mode.into()),
        }),
        Err(Errno::NOSYS) => {
            let st = rustix::fs::statat(dir, name, flags)?;
            Ok(Id {
                dev: (rustix::fs::major(st.st_dev), rustix::fs::minor(st.st_dev)),
                mount: None,
                kind: FileType::from_raw_mode(st.st_mode),
            })
        }
        Err(e) => Err(e.into()),
    }
}

/// Opens directory `name` of `dir` to list it (`O_NOFOLLOW`: a symlink fails).
fn open_dir(dir: BorrowedFd<'_>, name: &[u8]) -> rustix::io::Result<OwnedFd> {
    let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
    rustix::fs::openat(dir, name, flags, Mode::empty())
}

/// Whether `rel` (non-empty, relative to TARGET) is reached from TARGET's descriptor
/// without a symlink and is on another mount than its parent directory. A path that is
/// not there (or has a symlink or a non-directory on its way) is not.
fn is_mount_point(target: &Root, rel: &[u8]) -> Result<bool, Error> {
    let fail = |op: &str, e: io::Error| io_error(target, rel, op, e);
    let mut parent: Option<OwnedFd> = None;
    let mut components = rel.split(|&b| b == b'/').peekable();
    while let Some(name) = components.next() {
        if name.is_empty() || name == b"." || name == b".." {
            return Ok(false);
        }
        let dir = parent.as_ref().map_or(target.fd(), |fd| fd.as_fd());
        if components.peek().is_none() {
            let here = identify(dir, b"").map_err(|e| fail("examining", e))?;
            return match identify(dir, name) {
                Ok(id) => Ok(id.kind != FileType::Symlink && id.other_mount(&here)),
                Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
                Err(e) => Err(fail("examining", e)),
            };
        }
        let flags = OFlags::PATH | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
        match rustix::fs::openat(dir, name, flags, Mode::empty()) {
            Ok(fd) => parent = Some(fd),
            Err(Errno::NOENT | Errno::NOTDIR | Errno::LOOP) => return Ok(false),
            Err(e) => return Err(fail("opening", e.into())),
        }
    }
    Ok(false)
}

/// Without the kernel's list: the mount points among TARGET's first two levels, those of
/// `wp-content/*/*`, and `extra`; `cause` is why the list was not read.
fn scan(target: &Root, extra: &[String], cause: String) -> Result<Mounts, Error> {
    let mut points = BTreeSet::new();
    let root = identify(target.fd(), b"").map_err(|e| io_error(target, b"", "examining", e))?;
    scan_dir(target, target.fd(), &root, b"", SCAN_LEVELS, &mut points)?;
    // wp-content itself, unless it is a mount point (listed above) or not a directory.
    match open_dir(target.fd(), b"wp-content") {
        Ok(dir) => {
            let id = identify(dir.as_fd(), b"")
                .map_err(|e| io_error(target, b"wp-content", "examining", e))?;
            if !id.other_mount(&root) {
                scan_dir(
                    target,
                    dir.as_fd(),
                    &id,
                    b"wp-content",
                    SCAN_LEVELS,
                    &mut points,
                )?;
            }
        }
        Err(Errno::NOENT | Errno::NOTDIR | Errno::LOOP) => {}
        Err(e) => return Err(io_error(target, b"wp-content", "opening", e.into())),
    }
    for rel in extra.iter().map(|rel| rel.trim_end_matches('/')) {
        if is_mount_point(target, rel.as_bytes())? {
            points.insert(rel.to_owned());
        }
    }
    Ok(Mounts {
        points,
        incomplete: Some(cause),
    })
}

/// Adds to `points` the mount points among the entries of `dir` (whose [`Id`] is `id`,
/// at `rel` in TARGET) and, `levels` deep, among those of its subdirectories on its mount.
fn scan_dir(
    target: &Root,
    dir: BorrowedFd<'_>,
    id: &Id,
    rel: &[u8],
    levels: usize,
    points: &mut BTreeSet<String>,
) -> Result<(), Error> {
    let entries =
        rustix::fs::Dir::read_from(dir).map_err(|e| io_error(target, rel, "listing", e.into()))?;
    for entry in entries {
        let entry = entry.map_err(|e| io_error(target, rel, "listing", e.into()))?;
        let name = entry.file_name().to_bytes();
        if name == b"." || name == b".." {
            continue;
        }
        let child_rel = if rel.is_empty() {
            name.to_vec()
        } else {
            [rel, b"/", name].concat()
        };
        let fail = |op: &str, e: io::Error| io_error(target, &child_rel, op, e);
        let child = match identify(dir, name) {
            Ok(child) => child,
            Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
            Err(e) => return Err(fail("examining", e)),
        };
        if child.other_mount(id) {
            points.insert(utf8(target, &child_rel)?);
        } else if child.kind == FileType::Directory && levels > 1 {
            match open_dir(dir, name) {
                Ok(sub) => scan_dir(target, sub.as_fd(), &child, &child_rel, levels - 1, points)?,
                Err(Errno::NOENT | Errno::NOTDIR | Errno::LOOP) => {}
                Err(e) => return Err(fail("opening", e.into())),
            }
        }
    }
    Ok(())
}

/// `rel` as a `String`, or an error: a mount point no relative path can name.
fn utf8(target: &Root, rel: &[u8]) -> Result<String, Error> {
    String::from_utf8(rel.to_vec()).map_err(|_| {
        let cause = "a mount point whose name is not UTF-8 (no relative path names it, so \
                     wp-init cannot keep clear of it)";
        Error::Io(PathError {
            path: display(target, rel),
            cause: cause.to_owned(),
        })
    })
}

/// An I/O error `e` while doing `op` on `rel` in TARGET.
fn io_error(target: &Root, rel: &[u8], op: &str, e: io::Error) -> Error {
    Error::Io(PathError {
        path: display(target, rel),
        cause: format!("{op}: {e}"),
    })
}

/// TARGET joined with `rel`, for messages.
fn display(target: &Root, rel: &[u8]) -> String {
    let rel = OsStr::from_bytes(rel).to_string_lossy();
    target.path_of(&rel).display().to_string()
}

#[cfg(test)]
#[path = "mounts_tests.rs"]
mod tests;
