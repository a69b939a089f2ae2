//! What a complete install is, written from the README's promises ("What `install` does",
//! "Guarantees"), not from the code: SOURCE's entries copied over the user's TARGET, with
//! the exclusion rule, modes and owners of created entries, a valid `wp-config.php`, and
//! nothing else left behind.

use std::collections::{BTreeMap, BTreeSet};
use std::ffi::OsStr;
use std::fs;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use super::salts;
use super::tree::{Kind, Meta, listing, meta, same_content};

/// TARGET as the user had it before a run: every entry, file contents hashed, and which
/// entries exist when symlinks are followed (the exclusion rule follows them).
pub struct Before {
    entries: BTreeMap<PathBuf, (Meta, u64)>,
    resolving: BTreeSet<PathBuf>,
}

impl Before {
    pub fn take(dst: &Path) -> Before {
        let mut entries = BTreeMap::new();
        let mut resolving = BTreeSet::new();
        for (rel, m) in listing(dst) {
            let p = dst.join(&rel);
            if p.exists() {
                resolving.insert(rel.clone());
            }
            let h = if m.kind == Kind::File {
                file_hash(&p)
            } else {
                0
            };
            entries.insert(rel, (m, h));
        }
        Before { entries, resolving }
    }

    fn get(&self, rel: &Path) -> Option<&Meta> {
        self.entries.get(rel).map(|(m, _)| m)
    }
}

fn file_hash(p: &Path) -> u64 {
    let mut h = DefaultHasher::new();
    fs::read(p).unwrap().hash(&mut h);
    h.finish()
}

/// The owner of created entries and the mode of a written `wp-config.php` (`None`: no
/// config is expected to be written).
#[derive(Clone, Copy, Debug)]
pub struct Want {
    pub owner: (u32, u32),
    pub config_mode: Option<u32>,
}

/// What one TARGET path must be.
enum Expect {
    /// The user's entry, as it was (a directory may have gained entries).
    User,
    /// Copied from SOURCE's entry of the same path.
    Copied,
    /// The written `wp-config.php`.
    Config(u32),
    /// The `wp-content/uploads` mount point, created empty when SOURCE has none.
    MountPoint,
    /// wp-init's record of the core it installed: a regular file, private to the user
    /// that ran it (so that no one else can make it say what was core).
    Record,
}

/// `wp-content/*/*`, neither level hidden: the directories the exclusion rule looks at.
fn pluggable(rel: &Path) -> bool {
    let parts: Vec<&OsStr> = rel.iter().collect();
    parts.len() == 3
        && parts[0] == "wp-content"
        && parts[1..].iter().all(|p| !p.as_bytes().starts_with(b"."))
}

/// Every path of a complete install and what it must be.
fn plan(src: &Path, before: &Before, want: &Want) -> BTreeMap<PathBuf, Expect> {
    let mut out = BTreeMap::new();
    let mut skipped: Vec<PathBuf> = Vec::new();
    for (rel, s) in listing(src) {
        if skipped.iter().any(|k| rel.starts_with(k)) || s.kind == Kind::Special {
            continue;
        }
        let user = before.get(&rel);
        let excluded = user.is_some()
            && (rel == Path::new(".htaccess")
                || (s.kind == Kind::Dir && pluggable(&rel) && before.resolving.contains(&rel)));
        if excluded {
            skipped.push(rel.clone());
        }
        let keep = excluded || (s.kind == Kind::Dir && user.is_some_and(|u| u.kind == Kind::Dir));
        out.insert(rel, if keep { Expect::User } else { Expect::Copied });
    }
    for rel in before.entries.keys() {
        out.entry(rel.clone()).or_insert(Expect::User);
    }
    let uploads = PathBuf::from("wp-content/uploads");
    out.entry(uploads).or_insert(Expect::MountPoint);
    out.insert(PathBuf::from(super::CORE_RECORD), Expect::Record);
    if let Some(mode) = want.config_mode {
        let config = PathBuf::from("wp-config.php");
        let empty = before
            .get(&config)
            .is_none_or(|m| m.kind == Kind::File && m.size == 0);
        if empty {
            out.insert(config, Expect::Config(mode));
        }
    }
    out
}

/// How TARGET differs from a complete install of SOURCE over `before` (empty: complete).
/// `strict` also requires the config and that nothing else is left behind (after a
/// crash, before the rerun, a tree may lack the config and hold staged files).
pub fn differences(
    src: &Path,
    dst: &Path,
    before: &Before,
    want: &Want,
    strict: bool,
) -> Vec<String> {
    let plan = plan(src, before, want);
    let mut out = Vec::new();
    for (rel, e) in &plan {
        let p = dst.join(rel);
        let shown = rel.display();
        if fs::symlink_metadata(&p).is_err() {
            if strict || !matches!(e, Expect::Config(_) | Expect::Record) {
                out.push(format!("{shown}: missing"));
            }
            continue;
        }
        let got = meta(&p);
        let problem = match e {
            Expect::User => {
                let (was, h) = &before.entries[rel];
                let same_meta = if was.kind == Kind::Dir {
                    (&got.kind, got.mode, got.uid, got.gid)
                        == (&was.kind, was.mode, was.uid, was.gid)
                } else {
                    got == *was && (got.kind != Kind::File || file_hash(&p) == *h)
                };
                (!same_meta).then(|| format!("the user's entry changed: was {was:?}, now {got:?}"))
            }
            Expect::Copied => copied(&src.join(rel), &p, &got, want.owner),
            Expect::Config(mode) if strict => config(&p, &got, *mode, want.owner),
            Expect::Config(_) => None,
            // Written by the commit: complete once the rerun is.
            Expect::Record if !strict => None,
            // The running user's: this process's, or the one it ran the install as.
            Expect::Record => {
                let me = rustix::process::geteuid().as_raw();
                let ran_as = [me, want.owner.0];
                (got.kind != Kind::File || got.mode != 0o600 || !ran_as.contains(&got.uid))
                    .then(|| format!("not a file private to uid {ran_as:?}: {got:?}"))
            }
            Expect::MountPoint => {
                (got.kind != Kind::Dir || got.mode != 0o755 || (got.uid, got.gid) != want.owner)
                    .then(|| format!("not an empty 0755 directory of the owner: {got:?}"))
            }
        };
        if let Some(problem) = problem {
            out.push(format!("{shown}: {problem}"));
        }
    }
    if strict {
        for rel in listing(dst).keys().filter(|r| !plan.contains_key(*r)) {
            out.push(format!("{}: left behind", rel.display()));
        }
    }
    out
}

/// One example of each kind of difference (the text after the path), and how many there
/// were in all.
pub fn summary(d: &[String]) -> String {
    let mut seen = BTreeSet::new();
    let examples: Vec<&str> = d
        .iter()
        .filter(|x| seen.insert(x.split_once(": ").map_or(x.as_str(), |(_, why)| why)))
        .take(4)
        .map(String::as_str)
        .collect();
    format!("{} ({} differences)", examples.join("; "), d.len())
}

/// Whether TARGET's `got` at `p` is a faithful copy of SOURCE's `s`.
fn copied(s: &Path, p: &Path, got: &Meta, owner: (u32, u32)) -> Option<String> {
    let want = meta(s);
    if got.kind != want.kind {
        return Some(format!("is {:?}, SOURCE has {:?}", got.kind, want.kind));
    }
    if (got.uid, got.gid) != owner {
        return Some(format!(
            "owner {}:{}, want {}:{}",
            got.uid, got.gid, owner.0, owner.1
        ));
    }
    if !matches!(got.kind, Kind::Link(_)) && got.mode != want.mode {
        return Some(format!("mode {:o}, SOURCE has {:o}", got.mode, want.mode));
    }
    (got.kind == Kind::File && !same_content(s, p)).then(|| "content differs from SOURCE".into())
}

/// Whether a written `wp-config.php` is valid: 8 distinct 64-character salts, the mode, the owner.
fn config(p: &Path, got: &Meta, mode: u32, owner: (u32, u32)) -> Option<String> {
    if got.kind != Kind::File || got.mode != mode || (got.uid, got.gid) != owner {
        return Some(format!("want a {mode:o} file of {owner:?}, got {got:?}"));
    }
    let text = String::from_utf8_lossy(&fs::read(p).unwrap()).into_owned();
    let s = salts(&text);
    let distinct: BTreeSet<_> = s.iter().collect();
    let ok = s.len() == 8 && distinct.len() == 8 && s.iter().all(|v| v.len() == 64);
    (!ok || text.contains("put your unique phrase here")).then(|| format!("bad salts: {s:?}"))
}

/// Whether TARGET passes the installed test (either sentinel exists, not following a
/// symlink out of it: the paths are checked as they are).
pub fn looks_installed(dst: &Path) -> bool {
    ["index.php", "wp-includes/version.php"]
        .iter()
        .any(|s| fs::symlink_metadata(dst.join(s)).is_ok())
}

/// The regular files below `root` that hold a rendered salt line, with their modes: a line
/// defining a key or salt from the template whose placeholder was replaced.
pub fn secret_files(root: &Path) -> Vec<(PathBuf, u32)> {
    listing(root)
        .into_iter()
        .filter(|(_, m)| m.kind == Kind::File && m.size < 1 << 20)
        .filter(|(rel, _)| {
            let text = String::from_utf8_lossy(&fs::read(root.join(rel)).unwrap()).into_owned();
            text.lines().any(|l| {
                l.contains("getenv_docker('WORDPRESS_")
                    && (l.contains("_KEY'") || l.contains("_SALT'"))
                    && !l.contains("put your unique phrase here")
            })
        })
        .map(|(rel, m)| (rel, m.mode))
        .collect()
}
