//! Hostile archives as data (issue 18): one table, each row an archive built here in Rust
//! (tar, tar.gz/.tgz or zip, and its entries; raw header bytes where a crate refuses to
//! write a lie), the flags, and what the run must give: exit code, message fragments, what
//! TARGET holds after. `hostile_archive/rows.rs` holds the table, `hostile_archive/build.rs`
//! the archive writers.
//!
//! # The contract (shared with the implementation)
//! `wp-init install|upgrade|verify --source FILE.tar|.tar.gz|.tgz|.zip --target DIR
//! [--source-path SUBTREE] [--max-source-bytes N] [--sha256 HEX]`; a release archive's
//! WordPress is its `wordpress/` directory unless `--source-path` names another.
//!
//! - A refused archive entry: exit 4; stderr holds `invalid archive`, the entry's name as
//!   the archive spells it (lossy UTF-8) and one cause of: `absolute name`,
//!   `'..' in the name`, `through a symlink`, `symlink leaving the tree`,
//!   `hard link to outside the subtree`, `hard link to an entry not yet unpacked`,
//!   `unsupported entry type`, `duplicate entry`, `name longer than 4096 bytes`,
//!   `expands to more than`, `overlaps another entry`, `truncated`, `corrupt`,
//!   `not a valid archive` (garbage).
//! - The subtree missing: exit 4; the message names the subtree, says `not in the archive`
//!   and `--source-path`.
//! - `--sha256` not the file's: exit 4, `SHA-256`, and nothing written.
//! - setuid, setgid and sticky bits: dropped with a warning, exit 0: stderr holds
//!   `WARNING`, the entry's name and `setuid`/`setgid`/`sticky`; files get 0755 (any
//!   execute bit) or 0644, directories 0755.
//! - Where the cause is a lie the `tar` crate itself refuses (PAX records), `corrupt` or
//!   `truncated`: rows list alternatives (`any`: one of them must appear).
//! - A name with a NUL or not UTF-8: refused; the list above names no cause for it, so
//!   these rows accept `NUL`/`UTF-8`/`corrupt`.
//!
//! # What every row checks
//! The exit code; every `all` fragment and one `any` fragment on stderr (case-insensitive);
//! TARGET: for a refused row exactly as before (every entry's kind, mode, owner, content,
//! inode and change time; no `.wp-init-*` left), for a good row the same listing, kinds,
//! modes, owners, symlink texts and contents as the same command gives from a directory
//! SOURCE of the same tree (modes as the archive rule gives them) on an identical TARGET;
//! nothing beside TARGET changed (a canary directory, `outside/`, that hostile names and
//! links point at; the archive file itself; the scratch directory's other entries); no
//! stray path at the filesystem's root; no symlink in TARGET resolving outside it.
//!
//! Run: `cargo test -p wp-init --test hostile_archive -- --nocapture`;
//! `WP_INIT_ROWS=name,name` (substrings of row names) runs only those rows.

#[path = "hostile_archive/build.rs"]
mod build;
mod common;
#[path = "hostile_archive/rows.rs"]
mod rows;

use std::collections::BTreeMap;
use std::fs;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{MetadataExt, symlink};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use build::{E, Fill, Format};
use common::run::Invocation;
use common::synth::{chmod, user_files};
use common::tree::{Kind, Meta, listing, same_content};
use common::{stderr, write};
use rows::{GOOD, ROWS};
use sha2::{Digest, Sha256};

/// One hostile (or good) archive and what a run on it must give.
struct Row {
    name: &'static str,
    /// `install`, `upgrade` or `verify`.
    command: &'static str,
    target: Pre,
    archive: Archive,
    /// Extra flags; `{sha256}` is the archive's digest, `{sha256-other}` another's.
    flags: &'static [&'static str],
    expect: Expect,
}

/// What TARGET holds before the run (the same for the reference run of a good row).
#[derive(Clone, Copy)]
enum Pre {
    /// The user's files (an upload, a plugin of their own, `.htaccess`), not installed.
    UserFiles,
    /// The user's files and [`GOOD`] installed from a directory SOURCE.
    Installed,
    /// As `Installed`, from a tree that says 6.7.2 (an upgrade has work to do).
    Older,
    /// The user's files and names like a dead run's scratch directory leading outside:
    /// a symlink to the canary, and a directory holding one.
    Planted,
}

/// How the archive is built.
#[derive(Clone, Copy)]
struct Archive {
    format: Format,
    /// The top directories that hold a copy of [`GOOD`], first in the archive.
    trees: &'static [&'static str],
    /// Leave out the copies' directory entries (parents are implied by the names).
    bare: bool,
    /// Entries after the trees, named as in the archive.
    entries: &'static [E],
    /// Applied to the finished file's bytes.
    edit: Option<fn(Vec<u8>) -> Vec<u8>>,
}

/// What a run must give.
#[derive(Clone, Copy)]
struct Expect {
    code: i32,
    /// Fragments that must all be on stderr (`{outside}` is the canary's path).
    all: &'static [&'static str],
    /// Fragments of which one must be on stderr (empty: no such check).
    any: &'static [&'static str],
    after: After,
}

/// What TARGET holds after the run.
#[derive(Clone, Copy)]
enum After {
    /// Exactly what it held before.
    Untouched,
    /// What the same command gives from a directory SOURCE holding [`GOOD`] and these
    /// entries (named relative to the subtree; modes as installed).
    Like(&'static [E]),
    /// Passes the installed test (the canary's checks are the point).
    Installed,
}

/// Paths at the filesystem's root that a hostile name could make.
const STRAY: &[&str] = &["/wordpress", "/x.php", "/outside", "/abs.php"];

/// A scratch directory: the archive, TARGET, the canary beside it.
struct Case {
    dir: tempfile::TempDir,
    dst: PathBuf,
    archive: PathBuf,
    fill: Fill,
    sha256: String,
}

impl Case {
    fn new(row: &Row) -> Result<Case, String> {
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

    fn fill(&self, s: &str) -> String {
        let outside = String::from_utf8_lossy(&self.fill.outside);
        s.replace("{outside}", &outside)
            .replace("{sha256-other}", &hex(&Sha256::digest(b"other bytes")))
            .replace("{sha256}", &self.sha256)
    }
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// The archive's bytes: the trees, the row's entries, the format, the edit.
fn archive_bytes(a: &Archive, fill: &Fill) -> Vec<u8> {
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
fn materialize(root: &Path, entries: &[E]) {
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
fn prepare(dst: &Path, pre: Pre, command: &str, src: &Path) -> Result<(), String> {
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
type Stamp = (Meta, u64, (i64, i64), (i64, i64), u64);

/// Every entry below `root` (not `root` itself) and its [`Stamp`].
fn stamps(root: &Path) -> BTreeMap<PathBuf, Stamp> {
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
fn changed<V: PartialEq>(
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

/// Runs one row; `Err` says what differed.
fn run_row(row: &Row) -> Result<(), String> {
    let case = Case::new(row)?;
    let beside_of = |c: &Case| {
        let mut s = stamps(c.dir.path());
        s.retain(|p, _| !p.starts_with("dst"));
        s
    };
    let (target, beside) = (stamps(&case.dst), beside_of(&case));
    let stray: Vec<bool> = STRAY.iter().map(|p| Path::new(p).exists()).collect();
    let mut run = Invocation::new(row.command, &case.archive, &case.dst);
    for f in row.flags {
        run = run.arg(case.fill(f));
    }
    let out = run.output();
    let err = stderr(&out).trim().replace('\n', " | ");
    if out.status.code() != Some(row.expect.code) {
        return Err(format!(
            "exit {:?}, want {}: {err}",
            out.status.code(),
            row.expect.code
        ));
    }
    says(&case, &row.expect, &err)?;
    if let Some(d) = changed(&beside, &beside_of(&case)) {
        return Err(format!("beside TARGET: {d}"));
    }
    for (p, was) in STRAY.iter().zip(stray) {
        if !was && Path::new(p).exists() {
            return Err(format!("{p} appeared"));
        }
    }
    escaping_links(&case.dst, &target)?;
    match row.expect.after {
        After::Untouched => match changed(&target, &stamps(&case.dst)) {
            Some(d) => Err(format!("TARGET: {d}; stderr: {err}")),
            None => Ok(()),
        },
        After::Like(extra) => like_directory(&case, row, extra),
        After::Installed if common::expect::looks_installed(&case.dst) => Ok(()),
        After::Installed => Err("TARGET does not pass the installed test".into()),
    }
}

/// Checks the message fragments.
fn says(case: &Case, expect: &Expect, err: &str) -> Result<(), String> {
    let has = |s: &str| err.to_lowercase().contains(&case.fill(s).to_lowercase());
    if let Some(s) = expect.all.iter().find(|s| !has(s)) {
        return Err(format!("stderr lacks {s:?}: {err}"));
    }
    if !expect.any.is_empty() && !expect.any.iter().any(|s| has(s)) {
        return Err(format!("stderr has none of {:?}: {err}", expect.any));
    }
    Ok(())
}

/// Compares TARGET with what the same command gives from a directory SOURCE of the
/// tree taken (an identical TARGET set up beside).
fn like_directory(case: &Case, row: &Row, extra: &[E]) -> Result<(), String> {
    let (src, dst) = (case.dir.path().join("ref-src"), case.dir.path().join("ref"));
    for d in [&src, &dst] {
        if d.exists() {
            fs::remove_dir_all(d).unwrap();
        }
    }
    materialize(&src, GOOD);
    materialize(&src, extra);
    prepare(
        &dst,
        row.target,
        row.command,
        &case.dir.path().join("pre-src"),
    )?;
    let out = Invocation::new(row.command, &src, &dst).output();
    if !out.status.success() {
        return Err(format!(
            "the directory SOURCE's run failed: {}",
            stderr(&out)
        ));
    }
    let (got, want) = (listing(&case.dst), listing(&dst));
    if let Some(d) = changed(&want, &got) {
        return Err(format!("TARGET differs from the directory SOURCE's: {d}"));
    }
    for (rel, m) in &got {
        if m.kind == Kind::File && !same_content(&case.dst.join(rel), &dst.join(rel)) {
            return Err(format!(
                "{}: content differs from the directory SOURCE's",
                rel.display()
            ));
        }
    }
    Ok(())
}

/// Fails when a symlink in TARGET that was not there `before` resolves outside it.
fn escaping_links<V>(dst: &Path, before: &BTreeMap<PathBuf, V>) -> Result<(), String> {
    let root = dst.canonicalize().unwrap();
    for (rel, m) in listing(dst) {
        if let Kind::Link(_) = m.kind
            && !before.contains_key(&rel)
            && let Ok(to) = dst.join(&rel).canonicalize()
            && !to.starts_with(&root)
        {
            return Err(format!(
                "{} resolves outside TARGET, to {}",
                rel.display(),
                to.display()
            ));
        }
    }
    Ok(())
}

/// The rows `WP_INIT_ROWS` names (all when unset).
fn chosen() -> Vec<&'static Row> {
    let only = std::env::var("WP_INIT_ROWS").ok();
    ROWS.iter()
        .filter(|r| {
            only.as_ref()
                .is_none_or(|o| o.split(',').any(|n| r.name.contains(n.trim())))
        })
        .collect()
}

#[test]
fn hostile_archives() {
    let rows = chosen();
    let next = AtomicUsize::new(0);
    let results = Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..2 {
            s.spawn(|| {
                while let Some(row) = rows.get(next.fetch_add(1, Ordering::SeqCst)) {
                    let start = Instant::now();
                    let r = std::panic::catch_unwind(|| run_row(row))
                        .unwrap_or_else(|p| Err(format!("panicked: {p:?}")));
                    results.lock().unwrap().push((row.name, r, start.elapsed()));
                }
            });
        }
    });
    let mut results = results.into_inner().unwrap();
    results.sort_by_key(|(name, ..)| ROWS.iter().position(|r| r.name == *name));
    let mut failed = Vec::new();
    for (name, r, took) in &results {
        let verdict = if r.is_ok() { "held" } else { "FAIL" };
        println!("{verdict} {:>5.2}s  {name}", took.as_secs_f64());
        if let Err(e) = r {
            println!("       {e}");
            failed.push(format!("{name}: {e}"));
        }
    }
    println!(
        "hostile archive: {} rows, {} held",
        results.len(),
        results.len() - failed.len()
    );
    assert!(
        failed.is_empty(),
        "{} rows failed:\n{}",
        failed.len(),
        failed.join("\n")
    );
}

/// The archives hold what the rows say, as the crates the component reads them with see
/// them (runs without the implementation): every row's archive builds; the good trees
/// list [`GOOD`]; the smuggled entry is what `tar` reads; the zip edits land.
#[test]
fn archives_hold_what_the_rows_say() {
    let fill = Fill {
        outside: b"/tmp/outside".to_vec(),
    };
    let by_name = |n: &str| ROWS.iter().find(|r| r.name.starts_with(n)).unwrap();
    for row in ROWS {
        archive_bytes(&row.archive, &fill);
    }
    let names = tar_names(&archive_bytes(&by_name("good: tar").archive, &fill));
    assert_eq!(names.len(), GOOD.len(), "{names:?}");
    assert!(names.contains(&b"wordpress/wp-includes/version.php".to_vec()));
    let names = tar_names(&archive_bytes(&by_name("good: a name past").archive, &fill));
    assert!(
        names.iter().any(|n| n.ends_with(b"can-hold.php")),
        "{names:?}"
    );
    let smuggled = by_name("PAX size smaller than the data, hiding an entry");
    let names = tar_names(&archive_bytes(&smuggled.archive, &fill));
    assert!(
        names.contains(&b"wordpress/smuggled.php".to_vec()),
        "{names:?}"
    );
    let sparse = tar_names(&archive_bytes(&by_name("GNU sparse").archive, &fill));
    assert!(
        sparse.contains(&b"wordpress/sparse.bin".to_vec()),
        "{sparse:?}"
    );
    let zip = archive_bytes(&by_name("good: zip").archive, &fill);
    let mut z = zip::ZipArchive::new(std::io::Cursor::new(zip)).unwrap();
    let suid = archive_bytes(&by_name("dropped: a setuid file (zip)").archive, &fill);
    let mut s = zip::ZipArchive::new(std::io::Cursor::new(suid)).unwrap();
    // zip 9's `unix_mode()` clears these bits: the raw attributes keep them.
    let attrs = s
        .by_name("wordpress/wp-admin/suid.php")
        .unwrap()
        .external_attributes();
    assert_eq!(attrs >> 16, 0o104_644);
    assert!(
        z.by_name("wordpress/wp-includes/functions-link.php")
            .unwrap()
            .is_symlink()
    );
    let dup = archive_bytes(&by_name("zip: duplicate entry").archive, &fill);
    let count = build::central(&dup)
        .iter()
        .filter(|c| c.name(&dup) == b"wordpress/index.php")
        .count();
    assert_eq!(count, 2);
}

/// The entry names the `tar` crate reads from a tar or tar.gz.
fn tar_names(b: &[u8]) -> Vec<Vec<u8>> {
    let plain = if b.starts_with(b"\x1f\x8b") {
        let mut out = Vec::new();
        std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(b), &mut out).unwrap();
        out
    } else {
        b.to_vec()
    };
    let mut a = tar::Archive::new(plain.as_slice());
    a.entries()
        .unwrap()
        .map(|e| e.unwrap().path_bytes().into_owned())
        .collect()
}

/// The harness against a perfect unpacker (runs without the implementation): TARGET made
/// by the same command from a directory holding the row's tree passes the row's
/// comparison, and a mode changed afterwards fails it.
#[test]
fn the_comparison_holds_for_a_perfect_unpacker() {
    let rows = [
        "good: tar",
        "dropped: setuid, setgid",
        "upgrade: a good zip",
    ];
    for name in rows {
        let row = ROWS.iter().find(|r| r.name.starts_with(name)).unwrap();
        let After::Like(extra) = row.expect.after else {
            panic!("{name}: not a good row");
        };
        let case = Case::new(row).unwrap();
        let src = case.dir.path().join("perfect");
        materialize(&src, GOOD);
        materialize(&src, extra);
        let out = Invocation::new(row.command, &src, &case.dst).output();
        assert!(out.status.success(), "{name}: {}", stderr(&out));
        like_directory(&case, row, extra).unwrap_or_else(|e| panic!("{name}: {e}"));
        escaping_links(&case.dst, &BTreeMap::<PathBuf, ()>::new()).unwrap();
        chmod(&case.dst.join("wp-cron.php"), 0o644);
        assert!(like_directory(&case, row, extra).is_err(), "{name}");
    }
}
