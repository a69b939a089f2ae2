//! Crash injection into `upgrade`: a WordPress-sized tree installed (with the user's files
//! and a config), then upgraded to a newer tree that changes, adds and drops files and
//! directories; a SIGKILL at chosen calls of each kind of mutating system call (the
//! points of `common::points`), then the README's promises ("Guarantees", "Upgrade and
//! verify"): an interrupted upgrade still reads as the old version unless it is
//! complete (or its commit journal is there), and the next run completes it: `wp-admin/`
//! and `wp-includes/` identical to the new tree, the user's files and config untouched,
//! `verify` clean. Needs root and Debian's `strace`, like `crash.rs`.

mod common;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::expect::secret_files;
use common::mount::Mount;
use common::points::{KINDS, assert_all_survived, inject, points, until_reached};
use common::run::{Call, Invocation, kill_at, killed, record, require_strace};
use common::synth::{WORDPRESS_SIZED, user_files, wordpress};
use common::tree::{Kind, Meta, listing, same_content, tree_hash};
use common::{CORE_RECORD, committing, stderr, write};

/// The new version's `version.php`.
const NEW_VERSION: &[u8] = b"<?php\n$wp_version = '6.9';\n$wp_db_version = 60000;\n";

/// Fewest crash points the suite must inject.
const MIN_POINTS: usize = 40;

/// Makes `new` from a copy of `old`: a newer version that changes every third core file,
/// drops some files and a whole directory, adds files, a directory and a theme.
fn newer(old: &Path, new: &Path) {
    copy_tree(old, new);
    write(new, "wp-includes/version.php", NEW_VERSION);
    let files: Vec<PathBuf> = listing(new)
        .into_iter()
        .filter(|(p, m)| m.kind == Kind::File && p.starts_with("wp-includes"))
        .map(|(p, _)| p)
        .collect();
    for (i, rel) in files.iter().enumerate() {
        if rel.ends_with("version.php") {
            continue;
        }
        match i % 9 {
            0 | 3 | 6 => write(
                new,
                rel.to_str().unwrap(),
                format!("<?php // 6.9 {i}\n").as_bytes(),
            ),
            1 => fs::remove_file(new.join(rel)).unwrap(),
            _ => {}
        }
    }
    let dropped = listing(&new.join("wp-admin"))
        .into_iter()
        .find(|(p, m)| m.kind == Kind::Dir && p.components().count() == 1)
        .map(|(p, _)| new.join("wp-admin").join(p))
        .expect("a directory in wp-admin");
    fs::remove_dir_all(dropped).unwrap();
    for i in 0..20 {
        write(
            new,
            &format!("wp-includes/blocks/new-{i}/block.php"),
            b"<?php // new\n",
        );
    }
    write(
        new,
        "wp-content/themes/twentytwentysix/style.css",
        b"/* 2026 */\n",
    );
    common::set_dir_times(new);
}

fn copy_tree(from: &Path, to: &Path) {
    let st = Command::new("cp")
        .arg("-a")
        .arg(from)
        .arg(to)
        .status()
        .unwrap();
    assert!(st.success(), "cp -a {} {}", from.display(), to.display());
}

/// The run every point makes: as root, with a config requested (it exists: untouched).
fn upgrade(src: &Path, dst: &Path) -> Invocation {
    Invocation::new("upgrade", src, dst).env("WORDPRESS_DB_HOST", "db")
}

/// Entries of a listing under the core trees.
fn core(list: &BTreeMap<PathBuf, Meta>) -> BTreeMap<&PathBuf, &Meta> {
    list.iter()
        .filter(|(p, _)| p.starts_with("wp-admin") || p.starts_with("wp-includes"))
        .collect()
}

/// What differs between TARGET's core trees and `new`'s after a complete upgrade: kind,
/// mode and content as in `new`, owner www-data.
fn core_differences(new: &Path, dst: &Path) -> Vec<String> {
    let (want, got) = (listing(new), listing(dst));
    let (want, got) = (core(&want), core(&got));
    let mut out = Vec::new();
    for (p, w) in &want {
        match got.get(p) {
            None => out.push(format!("{} missing", p.display())),
            Some(g) if (&g.kind, g.mode) != (&w.kind, w.mode) => {
                out.push(format!(
                    "{} is {:?} {:o}, want {:?} {:o}",
                    p.display(),
                    g.kind,
                    g.mode,
                    w.kind,
                    w.mode
                ));
            }
            Some(g) if (g.uid, g.gid) != (33, 33) => {
                out.push(format!("{} owned {}:{}", p.display(), g.uid, g.gid));
            }
            Some(_) if w.kind == Kind::File && !same_content(&new.join(p), &dst.join(p)) => {
                out.push(format!("{} has other content", p.display()));
            }
            Some(_) => {}
        }
    }
    out.extend(
        got.keys()
            .filter(|p| !want.contains_key(*p))
            .map(|p| format!("{} is stale", p.display())),
    );
    out
}

/// The user's things: their files and the config, with their metadata and content.
fn users(dst: &Path) -> Vec<(Meta, Vec<u8>)> {
    [
        "wp-content/uploads/photo.jpg",
        "wp-content/plugins/mine/mine.php",
        ".htaccess",
        "wp-config.php",
    ]
    .iter()
    .map(|rel| {
        (
            common::tree::meta(&dst.join(rel)),
            fs::read(dst.join(rel)).unwrap(),
        )
    })
    .collect()
}

/// Kills the upgrade of `dst` at `call`, checks the crashed tree, reruns, checks.
fn crash_point(new: &Path, dst: &Path, call: &Call) -> Result<(), String> {
    let before = users(dst);
    let run = upgrade(new, dst);
    let out = kill_at(&run, call);
    if !killed(&out) {
        return Err(format!(
            "not reached: the run ended with {}: {}",
            out.status,
            stderr(&out)
        ));
    }
    if secret_files(dst).iter().any(|(_, m)| m & 0o004 != 0) {
        return Err("salts readable by others after the crash".into());
    }
    let reads_new = fs::read(dst.join("wp-includes/version.php")).is_ok_and(|v| v == NEW_VERSION);
    if reads_new && !committing(dst) {
        let d = core_differences(new, dst);
        if !d.is_empty() {
            return Err(format!(
                "reads as the new version, no journal, but: {}",
                d.join("; ")
            ));
        }
    }
    let out = run.output();
    if !out.status.success() {
        return Err(format!(
            "rerun failed ({}): {}",
            out.status,
            stderr(&out).trim_end()
        ));
    }
    let mut d = core_differences(new, dst);
    if users(dst) != before {
        d.push("the user's files or config changed".into());
    }
    if !dst
        .join("wp-content/themes/twentytwentysix/style.css")
        .is_file()
    {
        d.push("the new theme is missing".into());
    }
    let own: Vec<_> = listing(dst)
        .into_keys()
        .filter(|p| {
            p.as_os_str() != CORE_RECORD
                && p.components()
                    .any(|c| c.as_os_str().to_string_lossy().starts_with(".wp-init-"))
        })
        .collect();
    if !dst.join(CORE_RECORD).is_file() {
        d.push("no record of core".into());
    }
    if !own.is_empty() {
        d.push(format!("left behind: {own:?}"));
    }
    let verify = Invocation::new("verify", new, dst).output();
    if !verify.status.success() {
        d.push(format!("verify failed: {}", stderr(&verify).trim_end()));
    }
    if d.is_empty() {
        Ok(())
    } else {
        Err(format!("rerun exit 0 but: {}", d.join("; ")))
    }
}

#[test]
#[ignore = "needs root and strace (tmpfs, SIGKILL injection): scripts/test.sh runs it"]
fn a_crash_at_any_point_of_an_upgrade_is_completed_by_the_next_run() {
    require_strace();
    let dir = tempfile::Builder::new()
        .prefix("wp-init-crash-upgrade.")
        .tempdir()
        .unwrap();
    let _tmpfs = Mount::tmpfs("1g", dir.path());
    let scratch = dir.path();
    let (old, new) = (scratch.join("old"), scratch.join("new"));
    let files = wordpress(&old, &WORDPRESS_SIZED, 7);
    newer(&old, &new);
    let new_hash = tree_hash(&new);

    // The installed site every point starts from.
    let installed = scratch.join("installed");
    fs::create_dir(&installed).unwrap();
    user_files(&installed);
    let out = Invocation::install(&old, &installed)
        .env("WORDPRESS_DB_HOST", "db")
        .output();
    assert!(out.status.success(), "install: {}", stderr(&out));
    let fresh = |name: &str| {
        let dst = scratch.join(name);
        copy_tree(&installed, &dst);
        dst
    };

    let all: Vec<&str> = KINDS
        .iter()
        .flat_map(|k| k.syscalls.iter().copied())
        .collect();
    let dst = fresh("trace");
    let (out, calls) = record(&upgrade(&new, &dst), &all, &scratch.join("trace.log"));
    assert!(
        out.status.success(),
        "the traced upgrade failed: {}",
        stderr(&out)
    );
    let d = core_differences(&new, &dst);
    assert!(
        d.is_empty(),
        "the uninterrupted upgrade is incomplete: {}",
        d.join("; ")
    );

    let points = points(&calls);
    let title = format!(
        "upgrade crash points ({files}-file tree, installed with user files and a config):"
    );
    let failures = inject(&points, &title, |n, call| {
        until_reached(|attempt| {
            let dst = fresh(&format!("p{n}.{attempt}"));
            let r = crash_point(&new, &dst, call);
            fs::remove_dir_all(&dst).unwrap();
            r
        })
    });
    assert_eq!(tree_hash(&new), new_hash, "SOURCE changed");
    assert_all_survived(&points, &failures, MIN_POINTS);
}
