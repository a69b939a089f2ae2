//! Hostile archives as data (issue 18): one table, each row an archive built here in Rust
//! (tar, tar.gz/.tgz or zip, and its entries; raw header bytes where a crate refuses to
//! write a lie), the flags, and what the run must give: exit code, message fragments, what
//! TARGET holds after. In `hostile_archive/`: `rows.rs` the table, `build.rs` the archive
//! writers, `case.rs` a row's scratch directory and snapshots, `selftest.rs` the harness's
//! own checks (they run without the implementation).
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
#[path = "hostile_archive/case.rs"]
mod case;
mod common;
#[path = "hostile_archive/rows.rs"]
mod rows;
#[path = "hostile_archive/selftest.rs"]
mod selftest;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use build::{E, Format};
use case::{Case, changed, materialize, prepare, stamps};
use common::run::Invocation;
use common::stderr;
use common::tree::{Kind, listing, same_content};
use rows::{GOOD, ROWS};

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
