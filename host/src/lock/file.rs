//! The lock file itself, at TARGET's root: opened without following a link or blocking,
//! trusted only when it is what wp-init makes, and locked with OFD locks.
//!
//! Trusted means: a regular file, owned by the effective user, with no access for group
//! or others, one link. Only that user (and root) can then open it, so only they can hold
//! the lock: a shared lock needs a readable descriptor, an exclusive one a writable one.

use std::os::fd::{AsFd, BorrowedFd, OwnedFd};

use nix::fcntl::FcntlArg;
use nix::libc;
use rustix::fs::{self, AtFlags, FileType, Mode, OFlags, Stat, StatxFlags};
use rustix::io::Errno;

use super::LOCK_FILE;

/// Flags of every open of the lock file: never through a symlink, never blocking (a FIFO
/// opens at once), never inherited by the command run after the install.
const OPEN: OFlags = OFlags::NOFOLLOW
    .union(OFlags::NONBLOCK)
    .union(OFlags::CLOEXEC)
    .union(OFlags::NOCTTY);

/// What is at the lock file's name.
pub(super) enum Found {
    /// The lock file, trusted, open (read-write when asked to create it, else read-only).
    Trusted(OwnedFd),
    /// Something wp-init did not make.
    Untrusted(Untrusted),
    /// Nothing (only when not asked to create it).
    Missing,
}

/// An entry at the lock file's name that is not to be trusted.
pub(super) struct Untrusted {
    /// What it is, in words ("a FIFO owned by uid 33").
    pub what: String,
    dev: u64,
    ino: u64,
    is_dir: bool,
}

/// Opens the lock file: read-write, and created (mode 0600) when missing, for `create`;
/// read-only and never created otherwise.
pub(super) fn open(dir: BorrowedFd<'_>, create: bool) -> Result<Found, Errno> {
    let (flags, mode) = match create {
        true => (
            OFlags::RDWR | OFlags::CREATE | OPEN,
            Mode::RUSR | Mode::WUSR,
        ),
        false => (OFlags::RDONLY | OPEN, Mode::empty()),
    };
    match fs::openat(dir, LOCK_FILE, flags, mode) {
        Ok(fd) => {
            let st = fs::fstat(&fd)?;
            Ok(match distrust(&st) {
                Some(what) => Found::Untrusted(Untrusted::new(what, &st)),
                None => Found::Trusted(fd),
            })
        }
        // Not something this user can open as a file: look at it without opening it.
        Err(e) => match fs::statat(dir, LOCK_FILE, AtFlags::SYMLINK_NOFOLLOW) {
            Ok(st) => match (distrust(&st), e) {
                (Some(what), _) => Ok(Found::Untrusted(Untrusted::new(what, &st))),
                // This user's file, but its mode keeps this user out (a umask took the
                // owner's bits before the run that made it could set them).
                (None, Errno::ACCESS) => Ok(Found::Untrusted(Untrusted::new(
                    format!(
                        "a file with mode {:04o}, which this user cannot open",
                        st.st_mode & 0o7777
                    ),
                    &st,
                ))),
                // A trusted file that would not open: the open's own error.
                (None, e) => Err(e),
            },
            Err(Errno::NOENT) if !create => Ok(Found::Missing),
            // Nothing there: creating it was refused (a read-only or unwritable root).
            Err(Errno::NOENT) => Err(e),
            Err(stat_error) => Err(stat_error),
        },
    }
}

/// Why `st` is not a lock file wp-init made, if it is not.
fn distrust(st: &Stat) -> Option<String> {
    let kind = match FileType::from_raw_mode(st.st_mode) {
        FileType::RegularFile => "file",
        FileType::Directory => "directory",
        FileType::Symlink => "symlink",
        FileType::Fifo => "FIFO",
        FileType::Socket => "socket",
        FileType::CharacterDevice => "character device",
        FileType::BlockDevice => "block device",
        FileType::Unknown => "entry of unknown type",
    };
    let owner = st.st_uid;
    let perm = st.st_mode & 0o7777;
    if kind != "file" {
        Some(format!("a {kind} owned by uid {owner}"))
    } else if owner != rustix::process::geteuid().as_raw() {
        Some(format!("a file owned by uid {owner}, not this user"))
    } else if perm & 0o077 != 0 {
        Some(format!(
            "a file with mode {perm:04o}, which others can open"
        ))
    } else if st.st_nlink != 1 {
        Some(format!("a file with {} links", st.st_nlink))
    } else {
        None
    }
}

impl Untrusted {
    fn new(what: String, st: &Stat) -> Untrusted {
        Untrusted {
            what,
            dev: st.st_dev,
            ino: st.st_ino,
            is_dir: FileType::from_raw_mode(st.st_mode) == FileType::Directory,
        }
    }

    /// Removes it, if it is still what was found at the name (a directory only when
    /// empty). Whoever can put an entry at TARGET's root can remove it too: this does
    /// nothing that user could not do.
    pub(super) fn remove(&self, dir: BorrowedFd<'_>) -> Result<(), Errno> {
        match fs::statat(dir, LOCK_FILE, AtFlags::SYMLINK_NOFOLLOW) {
            Ok(st) if st.st_dev == self.dev && st.st_ino == self.ino => {}
            // Gone, or replaced by another run meanwhile: not ours to remove.
            Ok(_) | Err(Errno::NOENT) => return Ok(()),
            Err(e) => return Err(e),
        }
        let flags = match self.is_dir {
            true => AtFlags::REMOVEDIR,
            false => AtFlags::empty(),
        };
        match fs::unlinkat(dir, LOCK_FILE, flags) {
            Ok(()) | Err(Errno::NOENT) => Ok(()),
            Err(e) => Err(e),
        }
    }
}

/// Gives a lock file this user just opened read-write its mode (a umask can take the
/// owner's bits away, and the next run must open it again).
pub(super) fn make_private(fd: &OwnedFd) -> Result<(), Errno> {
    let st = fs::fstat(fd)?;
    if st.st_mode & 0o777 != 0o600 {
        fs::fchmod(fd, Mode::RUSR | Mode::WUSR)?;
    }
    Ok(())
}

/// Whether the lock file's name still leads to `fd`'s file. A holder that finishes
/// removes the file while it still holds the lock, so a waiter can end up holding a file
/// with no name. The name is opened, not `stat`ed: on NFS an open asks the server, where a
/// stat may answer from the node's cache.
pub(super) fn still_named(dir: BorrowedFd<'_>, fd: &OwnedFd) -> Result<bool, Errno> {
    let mine = match fs::fstat(fd) {
        Ok(st) => st,
        Err(Errno::STALE) => return Ok(false),
        Err(e) => return Err(e),
    };
    if mine.st_nlink == 0 {
        return Ok(false);
    }
    match fs::openat(dir, LOCK_FILE, OFlags::RDONLY | OPEN, Mode::empty()) {
        Ok(named) => {
            let st = fs::fstat(&named)?;
            Ok(st.st_dev == mine.st_dev && st.st_ino == mine.st_ino)
        }
        Err(Errno::NOENT | Errno::LOOP | Errno::ACCESS | Errno::ISDIR | Errno::NXIO) => Ok(false),
        Err(e) => Err(e),
    }
}

/// Removes the lock file if its name still leads to `fd`'s file (called holding the
/// exclusive lock, before closing it).
pub(super) fn remove_if_named(dir: BorrowedFd<'_>, fd: &OwnedFd) {
    if still_named(dir, fd).unwrap_or(false) {
        // A failure leaves the file for the next run, which reuses it.
        let _ = fs::unlinkat(dir, LOCK_FILE, AtFlags::empty());
    }
}

/// How a non-blocking lock attempt went.
pub(super) enum Attempt {
    /// The lock is this descriptor's.
    Held,
    /// Another descriptor holds a conflicting lock.
    Busy,
    /// The file went away under the descriptor (NFS: removed on the server).
    Stale,
}

/// One non-blocking OFD lock attempt on the whole file: a write lock for `exclusive`,
/// else a read lock. OFD locks belong to the open file description, as `flock`'s do (two
/// opens in one process exclude each other, closing releases), and NFS carries them to
/// the server, where `flock` on a directory stays on the node.
pub(super) fn try_lock(fd: &OwnedFd, exclusive: bool) -> Result<Attempt, Errno> {
    let request = whole_file(exclusive);
    loop {
        return match nix::fcntl::fcntl(fd.as_fd(), FcntlArg::F_OFD_SETLK(&request)) {
            Ok(_) => Ok(Attempt::Held),
            Err(nix::errno::Errno::EINTR) => continue,
            Err(nix::errno::Errno::EAGAIN | nix::errno::Errno::EACCES) => Ok(Attempt::Busy),
            Err(nix::errno::Errno::ESTALE) => Ok(Attempt::Stale),
            Err(e) => Err(Errno::from_raw_os_error(e as i32)),
        };
    }
}

/// The process holding a lock that conflicts with `exclusive`, when the kernel names one
/// (a classic POSIX lock on this node; an OFD lock, or a lock held on another NFS
/// node, has no process the kernel can name).
pub(super) fn conflicting_pid(fd: &OwnedFd, exclusive: bool) -> Option<i32> {
    let mut probe = whole_file(exclusive);
    nix::fcntl::fcntl(fd.as_fd(), FcntlArg::F_OFD_GETLK(&mut probe)).ok()?;
    (i32::from(probe.l_type) != libc::F_UNLCK && probe.l_pid > 0).then_some(probe.l_pid)
}

fn whole_file(exclusive: bool) -> libc::flock {
    let kind = if exclusive {
        libc::F_WRLCK
    } else {
        libc::F_RDLCK
    };
    libc::flock {
        // The constants are small (0..2): they fit the C struct's short fields.
        l_type: kind as libc::c_short,
        l_whence: libc::SEEK_SET as libc::c_short,
        l_start: 0,
        l_len: 0, // to the end of the file, however long
        l_pid: 0,
    }
}

/// Whether an error of a lock attempt means that the file system supports no locks.
pub(super) fn unsupported(e: Errno) -> bool {
    matches!(
        e,
        Errno::NOLCK | Errno::OPNOTSUPP | Errno::NOSYS | Errno::INVAL
    )
}

/// Makes this node ask the file server again about TARGET's root and `wp-includes/`,
/// whose entries decide what the run does (the installed test, the journal, the
/// created-logs). An NFS client keeps a name it looked up and did not find as "not found"
/// for as long as it trusts its cached attributes of the directory (measured: 16 to more
/// than 50 s after another node created it); fetching the directory's attributes again
/// makes it look such names up anew. On a local file system this is a plain `statx`.
pub(super) fn refresh(dir: BorrowedFd<'_>) {
    let sync = AtFlags::STATX_FORCE_SYNC;
    // Best effort: a kernel without statx has no such cache to refresh either.
    let _ = fs::statx(dir, "", sync | AtFlags::EMPTY_PATH, StatxFlags::BASIC_STATS);
    let _ = fs::statx(
        dir,
        "wp-includes",
        sync | AtFlags::SYMLINK_NOFOLLOW,
        StatxFlags::BASIC_STATS,
    );
}

/// Whether TARGET's file system is one whose clients cache writes until a flush (the
/// holder's note must reach the server for waiters on other nodes to read it).
pub(super) fn is_network(fd: &OwnedFd) -> bool {
    const NFS: i64 = 0x6969;
    const SMB2: i64 = 0xfe53_4d42;
    const CIFS: i64 = 0xff53_4d42;
    const CEPH: i64 = 0x00c3_6400;
    fs::fstatfs(fd).is_ok_and(|s| {
        #[allow(
            clippy::unnecessary_cast,
            reason = "f_type's width differs between libcs"
        )]
        let kind = s.f_type as i64;
        [NFS, SMB2, CIFS, CEPH].contains(&kind)
    })
}
