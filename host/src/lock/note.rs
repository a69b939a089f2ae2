//! Who holds the lock. The kernel cannot say for an OFD lock (its `l_pid` is -1) nor for
//! a lock held on another NFS node, so the holder writes a one-line note into the lock
//! file — `wp-init 0.1.0 pid=4711 host=node1 since=1733255281` — and a waiting run reads it.

use std::fmt;
use std::os::fd::{BorrowedFd, OwnedFd};
use std::time::{SystemTime, UNIX_EPOCH};

use rustix::fs;

use super::file::{self, Found};

/// The longest note read (a note is about 60 bytes).
const MAX_NOTE: usize = 256;

/// Who holds the lock, as far as can be known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Holder {
    /// A process on this machine, named by the kernel (a POSIX lock, not wp-init's).
    Process {
        /// Its process ID.
        pid: i32,
    },
    /// A wp-init, by the note it wrote.
    WpInit(Note),
    /// No note: a wp-init that is just starting, or another program of the lock file's
    /// owner.
    Unknown {
        /// The effective user (only it and root can open the lock file).
        uid: u32,
    },
}

/// What a holding wp-init wrote about itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    /// Its version.
    pub version: String,
    /// Its process ID, on its host.
    pub pid: u32,
    /// Its host name (the node, or the Pod's name in Kubernetes).
    pub host: String,
    /// When it took the lock, in seconds since the Unix epoch.
    pub since: u64,
}

impl fmt::Display for Holder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Holder::Process { pid } => write!(f, "process {pid} on this machine"),
            Holder::WpInit(n) => write!(
                f,
                "wp-init {} (pid {} on {}, since {})",
                n.version,
                n.pid,
                n.host,
                utc(n.since)
            ),
            Holder::Unknown { uid } => write!(
                f,
                "a process that left no note (a wp-init that is starting, or a program of uid {uid}, \
                 the only user besides root that can open the lock file)"
            ),
        }
    }
}

/// Writes this process's note into the lock file it holds. Best effort: the note only
/// informs waiters (a full disk must not fail the run here).
pub(super) fn write(fd: &OwnedFd) {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap_or_default();
    let since = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let text = format!(
        "wp-init {} pid={} host={} since={since}\n",
        env!("CARGO_PKG_VERSION"),
        std::process::id(),
        clean(host.trim()),
    );
    // Over whatever a holder that died left.
    let _ = rustix::io::pwrite(fd, text.as_bytes(), 0);
    let _ = fs::ftruncate(fd, text.len() as u64);
    if file::is_network(fd) {
        let _ = fs::fdatasync(fd);
    }
}

/// Who holds the lock that `fd` (the lock file, open) could not take.
pub(super) fn holder(dir: BorrowedFd<'_>, fd: &OwnedFd, exclusive: bool) -> Holder {
    if let Some(pid) = file::conflicting_pid(fd, exclusive) {
        return Holder::Process { pid };
    }
    match read(dir) {
        Some(note) => Holder::WpInit(note),
        None => Holder::Unknown {
            uid: rustix::process::geteuid().as_raw(),
        },
    }
}

/// The note in the lock file, opened anew (on NFS an open fetches what the holder flushed;
/// a descriptor opened earlier may read a cached page).
fn read(dir: BorrowedFd<'_>) -> Option<Note> {
    let Ok(Found::Trusted(fd)) = file::open(dir, false) else {
        return None;
    };
    let mut buf = [0u8; MAX_NOTE];
    let n = rustix::io::pread(&fd, &mut buf, 0).ok()?;
    parse(std::str::from_utf8(&buf[..n]).ok()?)
}

/// Parses a note; `None` unless it is complete.
fn parse(text: &str) -> Option<Note> {
    let line = text.strip_suffix('\n')?;
    let mut words = line.split(' ');
    if words.next()? != "wp-init" {
        return None;
    }
    let version = clean(words.next()?);
    let (mut pid, mut host, mut since) = (None, None, None);
    for word in words {
        match word.split_once('=')? {
            ("pid", v) => pid = v.parse().ok(),
            ("host", v) => host = Some(clean(v)),
            ("since", v) => since = v.parse().ok(),
            _ => {}
        }
    }
    Some(Note {
        version,
        pid: pid?,
        host: host.filter(|h| !h.is_empty())?,
        since: since?,
    })
}

/// A host name or version as shown: printable ASCII without spaces, at most 64 bytes.
fn clean(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_ascii_graphic())
        .take(64)
        .collect()
}

/// Seconds since the Unix epoch as a UTC date and time (`2024-12-03 19:48:01 UTC`).
fn utc(secs: u64) -> String {
    let (days, rem) = (secs / 86_400, secs % 86_400);
    // Howard Hinnant's days-to-civil, on days since 0000-03-01.
    let z = days + 719_468;
    let (era, doe) = (z / 146_097, z % 146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + u64::from(m <= 2);
    let (h, min, s) = (rem / 3_600, rem / 60 % 60, rem % 60);
    format!("{y:04}-{m:02}-{d:02} {h:02}:{min:02}:{s:02} UTC")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_dates() {
        // Checked with `date -u -d @N`.
        assert_eq!(utc(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(utc(1_733_255_281), "2024-12-03 19:48:01 UTC");
        assert_eq!(utc(951_782_400), "2000-02-29 00:00:00 UTC");
        assert_eq!(utc(4_107_542_399), "2100-02-28 23:59:59 UTC");
    }

    #[test]
    fn notes_parse_or_are_rejected() {
        let good = "wp-init 0.1.0 pid=4711 host=node1 since=1733255281\n";
        let note = parse(good).unwrap();
        assert_eq!(
            Holder::WpInit(note).to_string(),
            "wp-init 0.1.0 (pid 4711 on node1, since 2024-12-03 19:48:01 UTC)"
        );
        let rows = [
            "",
            "wp-init 0.1.0 pid=4711 host=node1 since=1733255281", // cut short
            "wp-init 0.1.0 pid=4711 host=node1\n",
            "wp-init 0.1.0 pid=x host=node1 since=1\n",
            "wp-init 0.1.0 pid=1 host= since=1\n",
            "cron pid=1 host=a since=1\n",
            "wp-init 0.1.0 pid=1 host=a since=1 junk\n",
        ];
        for row in rows {
            assert_eq!(parse(row), None, "{row:?}");
        }
        // A host name is shown printable and bounded.
        let odd = format!(
            "wp-init 1 pid=1 host=a\u{1b}[2J{} since=1\n",
            "x".repeat(99)
        );
        let host = parse(&odd).unwrap().host;
        assert_eq!(host.len(), 64);
        assert!(host.chars().all(|c| c.is_ascii_graphic()), "{host:?}");
    }
}
