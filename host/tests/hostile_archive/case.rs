//! A row's scratch directory (the archive, TARGET, the canary beside it), the archive's
//! bytes, directory SOURCEs of the same trees, and snapshots of what a run may change.

use std::collections::BTreeMap;
use std::fs;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{MetadataExt, symlink};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::build::{self, E, Fill, Format};
use super::common::run::Invocation;
use super::common::synth::{chmod, user_files};
use super::common::tree::{Kind, Meta, listing};
use super::common::{stderr, write};
use super::rows::GOOD;
use super::{Archive, Pre, Row};

/// A scratch directory: the archive, TARGET, the canary beside it.
pub struct Case {
    pub dir: tempfile::TempDir,
    pub dst: PathBuf,
    pub archive: PathBuf,
    pub fill: Fill,
    pub sha256: String,
}

impl Case {
    pub fn new(row: &Row) -> Result<Case, String> {
        let dir = tempfile::Builder::new()
            .prefix("wp-init-harch.")
            .tempdir()
            .unwrap();
        chmod(dir.path(), 0o755);
        let outside = dir.path().join("outside");
        write(&outside, "secret", b"the neighbour's secret\n");
        chmod(&outside.join("secret"), 0o600);
        write(&outside, "dir/inner.txt", b"the neighbour's file\n");
        let fill = Fill {
            outside: outside.as_os_str().as_bytes().to_vec(),
        };
        let bytes = archive_bytes(&row.archive, &fill);
        let archive = dir.path().join(row.archive.format.file_name());
        fs::write(&archive, &bytes).unwrap();
        chmod(&archive, 0o644);
        let dst = dir.path().join("dst");
        prepare(&dst, row.target, row.command, &dir.path().join("pre-src"))?;
        Ok(Case {
            sha256: hex(&Sha256::digest(&bytes)),
            dir,
            dst,
            archive,
            fill,
        })
    }

    pub fn fill(&self, s: &str) -> String {
        let outside = String::from_utf8_lossy(&self.fill.outside);
        s.replace("{outside}", &outside)
            .replace("{sha256-other}", &hex(&Sha256::digest(b"other bytes")))
            .replace("{sha256}", &self.sha256)
    }
}

pub fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// The archive's bytes: the trees, the row's entries, the format, the edit.
pub fn archive_bytes(a: &Archive, fill: &Fill) -> Vec<u8> {
    let mut entries: Vec<(Vec<u8>, E)> = Vec::new();
    for top in a.trees {
        let good = GOOD.iter().filter(|e| !(a.bare && matches!(e, E::Dir(..))));
        entries.extend(good.map(|e| (top.as_bytes().to_vec(), *e)));
    }
    entries.extend(a.entries.iter().map(|e| (Vec::new(), *e)));
    let bytes = match a.format {
        Format::Tar => build::tar(&entries, fill),
        Format::TarGz | Format::Tgz => build::gzip(&build::tar(&entries, fill)),
        Format::Zip => build::zip(&entries, fill),
    };
    match a.edit {
        Some(edit) => edit(bytes),
        None => bytes,
    }
}

/// Writes `entries` (names relative to `root`) as a directory SOURCE, with the modes the
/// archive rule gives: directories 0755, files 0755 with any execute bit, else 0644.
pub fn materialize(root: &Path, entries: &[E]) {
    fs::create_dir_all(root).unwrap();
    chmod(root, 0o755);
    for e in entries {
        let path = |n: &[u8]| root.join(std::ffi::OsStr::from_bytes(n));
        match *e {
            E::Dir(n, _) => {
                fs::create_dir_all(path(n)).unwrap();
                chmod(&path(n), 0o755);
            }
            E::File(n, mode, data) => {
                write(root, std::str::from_utf8(n).unwrap(), data);
                chmod(&path(n), if mode & 0o111 != 0 { 0o755 } else { 0o644 });
            }
            E::Symlink(n, to) => {
                fs::create_dir_all(path(n).parent().unwrap()).unwrap();
                symlink(std::ffi::OsStr::from_bytes(to), path(n)).unwrap();
            }
            ref other => panic!("no directory form: {other:?}"),
        }
    }
}

/// Makes TARGET as `pre` says; `src` is where an installed tree's SOURCE is built.
pub fn prepare(dst: &Path, pre: Pre, command: &str, src: &Path) -> Result<(), String> {
    fs::create_dir_all(dst).unwrap();
    chmod(dst, 0o755);
    user_files(dst);
    let version: &[u8] = match pre {
        Pre::UserFiles => return Ok(()),
        Pre::Planted => {
            symlink(
                "../outside",
                dst.join(".wp-init-tmp.0123456789abcdef.source"),
            )
            .unwrap();
            let dir = dst.join(".wp-init-tmp.fedcba9876543210.source");
            fs::create_dir(&dir).unwrap();
            symlink("../../outside", dir.join("wordpress")).unwrap();
            return Ok(());
        }
        Pre::Installed => b"<?php\n$wp_version = '6.8.1';\n$wp_db_version = 58975;\n",
        Pre::Older => b"<?php\n$wp_version = '6.7.2';\n$wp_db_version = 57155;\n",
    };
    if !src.exists() {
        materialize(src, GOOD);
        write(src, "wp-includes/version.php", version);
        chmod(&src.join("wp-includes/version.php"), 0o644);
    }
    let out = Invocation::install(src, dst).output();
    if !out.status.success() {
        return Err(format!("setting up TARGET for {command}: {}", stderr(&out)));
    }
    Ok(())
}

/// One entry's state, as far as a change would show: metadata, inode, change and
/// modification times, and a hash of a file's content.
pub type Stamp = (Meta, u64, (i64, i64), (i64, i64), u64);

/// Every entry below `root` (not `root` itself) and its [`Stamp`].
pub fn stamps(root: &Path) -> BTreeMap<PathBuf, Stamp> {
    listing(root)
        .into_iter()
        .map(|(rel, meta)| {
            let p = root.join(&rel);
            let m = fs::symlink_metadata(&p).unwrap();
            let mut h = DefaultHasher::new();
            if meta.kind == Kind::File {
                fs::read(&p).unwrap().hash(&mut h);
            }
            let times = ((m.ctime(), m.ctime_nsec()), (m.mtime(), m.mtime_nsec()));
            let stamp = (meta, m.ino(), times.0, times.1, h.finish());
            (rel, stamp)
        })
        .collect()
}

/// The paths whose stamps differ, or that only one side has (at most 4, and a count).
pub fn changed<V: PartialEq>(
    before: &BTreeMap<PathBuf, V>,
    after: &BTreeMap<PathBuf, V>,
) -> Option<String> {
    let mut d: Vec<String> = Vec::new();
    for (k, v) in before {
        match after.get(k) {
            None => d.push(format!("{} removed", k.display())),
            Some(w) if w != v => d.push(format!("{} changed", k.display())),
            _ => {}
        }
    }
    d.extend(
        after
            .keys()
            .filter(|k| !before.contains_key(*k))
            .map(|k| format!("{} added", k.display())),
    );
    (!d.is_empty()).then(|| {
        format!(
            "{} ({} in all)",
            d.iter().take(4).cloned().collect::<Vec<_>>().join(", "),
            d.len()
        )
    })
}
