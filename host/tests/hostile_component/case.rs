//! One row's scratch area and the checks made after every row: nothing outside TARGET
//! changed (SOURCE included: content, modes, owners, times; no entry created, truncated,
//! renamed or linked), TARGET itself kept its mode and owner, the host closed every
//! descriptor the component held, and nothing reached the network.

use std::collections::BTreeMap;
use std::fs;
use std::hash::{DefaultHasher, Hasher};
use std::io::{ErrorKind, Read};
use std::net::{TcpListener, UdpSocket};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use crate::common::mount::Mount;
use crate::common::{build_source, write};

/// SOURCE, TARGET and, beside them, `outside/` (what the attacks aim at).
pub struct Case {
    /// Undone before `dir` is removed (fields drop in order).
    mounts: Vec<Mount>,
    pub dir: tempfile::TempDir,
    pub src: PathBuf,
    pub dst: PathBuf,
    pub outside: PathBuf,
    /// SOURCE as a release archive (`wordpress/…`), once [`Case::make_archive`] made it.
    pub archive: PathBuf,
}

impl Case {
    /// A fresh case; on a tmpfs of its own when `tmpfs` (rows of a million entries).
    pub fn new(tmpfs: bool) -> Case {
        let dir = tempfile::Builder::new()
            .prefix("wp-init-hostile-component.")
            .tempdir()
            .unwrap();
        let mounts = if tmpfs {
            vec![Mount::tmpfs("4g", dir.path())]
        } else {
            Vec::new()
        };
        let (src, dst, outside) = (
            dir.path().join("src"),
            dir.path().join("dst"),
            dir.path().join("outside"),
        );
        build_source(&src);
        fs::create_dir(&dst).unwrap();
        write(&outside, "secret.txt", b"SECRET\n");
        write(&outside, "keep.txt", b"the neighbour's file\n");
        fs::create_dir(outside.join("empty")).unwrap();
        Case {
            mounts,
            archive: PathBuf::new(),
            dir,
            src,
            dst,
            outside,
        }
    }

    /// Writes SOURCE as `archive`: a tar of `wordpress/…` (GNU tar), gzipped if `gzip`.
    pub fn make_archive(&mut self, gzip: bool) {
        let (name, create) = match gzip {
            true => ("wordpress.tar.gz", "-czf"),
            false => ("wordpress.tar", "-cf"),
        };
        self.archive = self.dir.path().join(name);
        let status = std::process::Command::new("tar")
            .arg("-C")
            .arg(&self.src)
            .args(["--transform", "s,^\\.,wordpress,", create])
            .arg(&self.archive)
            .arg(".")
            .status()
            .unwrap();
        assert!(status.success(), "tar could not make {:?}", self.archive);
    }

    pub fn path(p: &Path) -> &str {
        p.to_str().expect("UTF-8 scratch path")
    }

    /// Bind-mounts `from` at `at` (inside TARGET) for as long as the case lives.
    pub fn bind(&mut self, from: &Path, at: &Path) {
        let from = from.to_str().expect("UTF-8 path");
        self.mounts.insert(0, Mount::new(&["--bind", from], at));
    }

    /// TARGET's identity as the host's journals name it (its inode number).
    pub fn target_id(&self) -> String {
        fs::metadata(&self.dst).unwrap().ino().to_string()
    }

    /// `s` with `{src}`, `{dst}` and `{outside}` replaced by this case's paths.
    pub fn fill(&self, s: &str) -> String {
        s.replace("{src}", Case::path(&self.src))
            .replace("{dst}", Case::path(&self.dst))
            .replace("{outside}", Case::path(&self.outside))
    }
}

/// What an entry is, precisely enough that any change shows.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Stamp {
    kind: u32,
    mode: u32,
    uid: u32,
    gid: u32,
    ino: u64,
    nlink: u64,
    size: u64,
    mtime: (i64, i64),
    ctime: (i64, i64),
    /// Content hash (files) or link text (symlinks).
    content: String,
}

impl Stamp {
    /// The fields that differ, `name before -> after`.
    fn differences(&self, now: &Stamp) -> String {
        let fields = [
            (
                "kind",
                format!("{:o}", self.kind),
                format!("{:o}", now.kind),
            ),
            (
                "mode",
                format!("{:o}", self.mode),
                format!("{:o}", now.mode),
            ),
            (
                "owner",
                format!("{}:{}", self.uid, self.gid),
                format!("{}:{}", now.uid, now.gid),
            ),
            ("inode", self.ino.to_string(), now.ino.to_string()),
            ("links", self.nlink.to_string(), now.nlink.to_string()),
            ("size", self.size.to_string(), now.size.to_string()),
            (
                "mtime",
                format!("{:?}", self.mtime),
                format!("{:?}", now.mtime),
            ),
            (
                "ctime",
                format!("{:?}", self.ctime),
                format!("{:?}", now.ctime),
            ),
            ("content", self.content.clone(), now.content.clone()),
        ];
        fields
            .into_iter()
            .filter(|(_, a, b)| a != b)
            .map(|(n, a, b)| format!("{n} {a} -> {b}"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

fn stamp(p: &Path) -> Stamp {
    let m = fs::symlink_metadata(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    let content = if m.file_type().is_symlink() {
        fs::read_link(p).unwrap().display().to_string()
    } else if m.is_file() {
        let mut h = DefaultHasher::new();
        let mut f = fs::File::open(p).unwrap();
        let mut buf = vec![0u8; 1 << 16];
        loop {
            let n = f.read(&mut buf).unwrap();
            if n == 0 {
                break;
            }
            h.write(&buf[..n]);
        }
        format!("{:016x}", h.finish())
    } else {
        String::new()
    };
    Stamp {
        kind: m.mode() & 0o170000,
        mode: m.mode() & 0o7777,
        uid: m.uid(),
        gid: m.gid(),
        ino: m.ino(),
        nlink: m.nlink(),
        size: m.size(),
        mtime: (m.mtime(), m.mtime_nsec()),
        ctime: (m.ctime(), m.ctime_nsec()),
        content,
    }
}

/// Everything a row must leave as it was.
#[derive(Debug, PartialEq, Eq)]
pub struct Outside {
    /// Every entry of the case but TARGET's contents, the case's root included.
    entries: BTreeMap<PathBuf, Stamp>,
    /// TARGET's own kind, mode, owner and inode (its times change as entries come).
    target: (u32, u32, u32, u32, u64),
    /// The host's working directory.
    host: Stamp,
}

impl Outside {
    pub fn take(case: &Case) -> Outside {
        let mut entries = BTreeMap::new();
        walk(case.dir.path(), Path::new(""), &case.dst, &mut entries);
        let t = stamp(&case.dst);
        Outside {
            entries,
            target: (t.kind, t.mode, t.uid, t.gid, t.ino),
            host: stamp(&std::env::current_dir().unwrap()),
        }
    }

    /// What differs from `before`, one line each.
    pub fn changes(&self, before: &Outside) -> Vec<String> {
        let mut out = Vec::new();
        for (p, s) in &before.entries {
            match self.entries.get(p) {
                None => out.push(format!("{} is gone", p.display())),
                Some(now) if now != s => {
                    out.push(format!("{} changed: {}", p.display(), s.differences(now)));
                }
                _ => {}
            }
        }
        for p in self
            .entries
            .keys()
            .filter(|p| !before.entries.contains_key(*p))
        {
            out.push(format!("{} appeared", p.display()));
        }
        if self.target != before.target {
            out.push(format!(
                "TARGET itself changed (kind, mode, uid, gid, inode): {:?} -> {:?}",
                before.target, self.target
            ));
        }
        if self.host != before.host {
            out.push(format!(
                "the host's working directory changed: {}",
                before.host.differences(&self.host)
            ));
        }
        out
    }
}

fn walk(root: &Path, rel: &Path, skip: &Path, out: &mut BTreeMap<PathBuf, Stamp>) {
    let dir = root.join(rel);
    out.insert(rel.to_owned(), stamp(&dir));
    for entry in fs::read_dir(&dir).unwrap() {
        let entry = entry.unwrap();
        let (path, r) = (entry.path(), rel.join(entry.file_name()));
        if path == skip {
            continue;
        }
        if entry.file_type().unwrap().is_dir() {
            walk(root, &r, skip, out);
        } else {
            out.insert(r, stamp(&path));
        }
    }
}

/// This process's open descriptors, by what they are open on, sorted.
pub fn open_descriptors() -> Vec<String> {
    let mut fds: Vec<String> = fs::read_dir("/proc/self/fd")
        .unwrap()
        .filter_map(|e| fs::read_link(e.ok()?.path()).ok())
        .map(|p| p.display().to_string())
        .collect();
    fds.sort();
    fds
}

/// Resets this process's peak resident memory and returns the current one, in bytes.
pub fn reset_peak_memory() -> u64 {
    fs::write("/proc/self/clear_refs", "5").expect("resetting the peak RSS (Linux >= 4.0)");
    status_kib("VmRSS") * 1024
}

/// This process's peak resident memory since the last reset, in bytes.
pub fn peak_memory() -> u64 {
    status_kib("VmHWM") * 1024
}

fn status_kib(field: &str) -> u64 {
    let status = fs::read_to_string("/proc/self/status").unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or_else(|| panic!("no {field} in /proc/self/status"))
}

/// A TCP listener and a UDP socket on one loopback port, for the socket attacks to aim
/// at: after every row, neither may have received anything.
pub struct Net {
    tcp: TcpListener,
    udp: UdpSocket,
}

impl Net {
    pub fn new() -> Net {
        for _ in 0..20 {
            let udp = UdpSocket::bind("127.0.0.1:0").unwrap();
            let port = udp.local_addr().unwrap().port();
            if let Ok(tcp) = TcpListener::bind(("127.0.0.1", port)) {
                tcp.set_nonblocking(true).unwrap();
                udp.set_nonblocking(true).unwrap();
                return Net { tcp, udp };
            }
        }
        panic!("no loopback port free for both TCP and UDP");
    }

    pub fn port(&self) -> u16 {
        self.udp.local_addr().unwrap().port()
    }

    /// What reached the sockets, if anything.
    pub fn reached(&self) -> Option<String> {
        match self.tcp.accept() {
            Ok((_, from)) => return Some(format!("a TCP connection from {from}")),
            Err(e) if e.kind() == ErrorKind::WouldBlock => {}
            Err(e) => return Some(format!("accept failed: {e}")),
        }
        let mut buf = [0u8; 64];
        match self.udp.recv_from(&mut buf) {
            Ok((n, from)) => Some(format!("a {n}-byte datagram from {from}")),
            Err(e) if e.kind() == ErrorKind::WouldBlock => None,
            Err(e) => Some(format!("recv failed: {e}")),
        }
    }
}

/// Whether the outcome line `got` (`op=outcome ...`) fits `spec`: each token of `spec`
/// is `op=outcome`, where `op` may end in `*` (any op with that prefix); each op of
/// `got` takes the outcome of the first token that names it exactly, else of the
/// longest prefix; every op must be covered, reported once, and every exact token must
/// be used.
pub fn fits(spec: &str, got: &str) -> Result<(), String> {
    let tokens: Vec<(&str, &str)> = spec
        .split_whitespace()
        .map(|t| {
            t.split_once('=')
                .unwrap_or_else(|| panic!("bad spec token {t}"))
        })
        .collect();
    let mut bad = Vec::new();
    let mut used = vec![false; tokens.len()];
    let mut seen = std::collections::BTreeSet::new();
    for op in got.split_whitespace() {
        let (name, outcome) = op.split_once('=').unwrap_or((op, ""));
        if !seen.insert(name) {
            bad.push(format!("{name} reported twice"));
        }
        let exact = tokens.iter().position(|(n, _)| *n == name);
        let prefix = || {
            tokens
                .iter()
                .enumerate()
                .filter(|(_, (n, _))| n.strip_suffix('*').is_some_and(|p| name.starts_with(p)))
                .max_by_key(|(_, (n, _))| n.len())
                .map(|(i, _)| i)
        };
        match exact.or_else(prefix) {
            Some(i) => {
                used[i] = true;
                if tokens[i].1 != outcome {
                    bad.push(format!("{name}={outcome} (want {})", tokens[i].1));
                }
            }
            None => bad.push(format!("{name}={outcome} (not in the table)")),
        }
    }
    for (i, (n, o)) in tokens.iter().enumerate() {
        if !used[i] && !n.ends_with('*') {
            bad.push(format!("{n}={o} missing"));
        }
    }
    match bad.is_empty() {
        true => Ok(()),
        false => Err(bad.join(", ")),
    }
}
