//! Lying to the host, against today's protocol: `report.created` (the entries the host
//! gives modes and owners) and `report.staged` (the renames of its commit) naming paths
//! outside TARGET, `..`, absolute paths, entries swapped for symlinks before the host's
//! pass, and a commit journal planted for the next run's recovery. To be ported to the
//! `.wp-init-journal` protocol when it replaces `created`.

use wp_init_core::commit::{CREATED_LOG_PREFIX, DirFinal, JOURNAL, Journal, Rename, Time};

use crate::bindings::exports::wp_init::installer::installer::EntryKind;
use crate::ctx::{Ctx, create, plant};

/// Claims a file beside TARGET, by `..`.
pub fn created_dotdot(c: &mut Ctx) {
    let p = c.out_of_target("secret.txt");
    c.claim(&p, EntryKind::File, "index.php");
    c.note("claimed", "dotdot");
}

/// Claims a file beside TARGET, by `..` after going down (into a directory it made).
pub fn created_inner_dotdot(c: &mut Ctx) {
    c.op("mkdir", c.target.create_directory_at("wp-content"));
    let p = format!("wp-content/../{}", c.out_of_target("secret.txt"));
    c.claim(&p, EntryKind::File, "index.php");
    c.note("claimed", "inner-dotdot");
}

/// Claims a file beside TARGET by its absolute path.
pub fn created_absolute(c: &mut Ctx) {
    let p = format!("{}/secret.txt", c.outside);
    c.claim(&p, EntryKind::File, "index.php");
    c.note("claimed", "absolute");
}

/// Claims TARGET itself (`.`) and the empty path.
pub fn created_target_root(c: &mut Ctx) {
    c.claim(".", EntryKind::Directory, "wp-admin");
    c.claim("", EntryKind::Directory, "wp-admin");
    c.note("claimed", "root");
}

/// Plants a symlink to the directory beside TARGET and claims a file through it.
pub fn created_through_symlink(c: &mut Ctx) {
    let up = c.out_of_target("");
    c.op("symlink", c.target.symlink_at(&up, "out"));
    c.claim("out/secret.txt", EntryKind::File, "index.php");
}

/// Plants `wp-config.php` as a symlink to a file beside TARGET and claims it is the
/// written config (a file).
pub fn created_symlink_as_file(c: &mut Ctx) {
    let file = c.out_of_target("secret.txt");
    c.op("symlink", c.target.symlink_at(&file, "wp-config.php"));
    c.claim("wp-config.php", EntryKind::File, "");
}

/// Plants `wp-admin` as a symlink to the directory beside TARGET and claims it is a
/// created directory.
pub fn created_symlink_as_dir(c: &mut Ctx) {
    let up = c.out_of_target("");
    c.op("symlink", c.target.symlink_at(&up, "wp-admin"));
    c.claim("wp-admin", EntryKind::Directory, "wp-admin");
}

/// Claims `hl.php`, which the test planted as a hard link to a file beside TARGET.
pub fn created_hard_link(c: &mut Ctx) {
    c.claim("hl.php", EntryKind::File, "index.php");
    c.note("claimed", "hard-link");
}

/// Creates a file and names, as its SOURCE counterpart (whose mode the host copies), a
/// file beside SOURCE.
pub fn created_source_escape(c: &mut Ctx) {
    c.op("create", create(&c.target, "x.php", false));
    let beside = format!("../{}", c.out_of_target("secret.txt"));
    c.claim("x.php", EntryKind::File, &beside);
    c.claim(
        "y.php",
        EntryKind::File,
        &format!("{}/secret.txt", c.outside),
    );
}

/// Claims an entry it did not create: the user's file, which the test put in TARGET.
pub fn created_not_created(c: &mut Ctx) {
    c.claim("user.txt", EntryKind::File, "wp-includes/version.php");
    c.note("claimed", "user-file");
}

/// Stages a rename whose temporary name is beside TARGET.
pub fn staged_dotdot(c: &mut Ctx) {
    let from = c.out_of_target("secret.txt");
    c.stage(&from, "index.php");
    c.note("staged", "dotdot");
}

/// Stages a rename whose temporary name is absolute.
pub fn staged_absolute(c: &mut Ctx) {
    let from = format!("{}/secret.txt", c.outside);
    c.stage(&from, "index.php");
    c.note("staged", "absolute");
}

/// Stages renames whose final name is beside TARGET.
pub fn staged_into_outside(c: &mut Ctx) {
    c.op("plant", plant(&c.target, "x.php", b"<?php // hostile\n"));
    let to = c.out_of_target("secret.txt");
    c.stage("x.php", &to);
    let from = c.out_of_target("keep.txt");
    c.stage(&from, &to);
}

/// Stages a rename across directories.
pub fn staged_cross_dir(c: &mut Ctx) {
    c.op("mkdir", c.target.create_directory_at("wp-admin"));
    c.op("plant", plant(&c.target, "wp-admin/x.php", b"<?php\n"));
    c.stage("wp-admin/x.php", "index.php");
}

/// Stages `index.php` as a symlink to a file beside TARGET and claims it is a file.
pub fn staged_swapped_for_symlink(c: &mut Ctx) {
    let file = c.out_of_target("secret.txt");
    let tmp = ".wp-init-tmp.1.index.php";
    c.op("symlink", c.target.symlink_at(&file, tmp));
    c.stage(tmp, "index.php");
    c.claim("index.php", EntryKind::File, "index.php");
}

/// The same, claiming honestly that it is a symlink: the host sets no mode on a symlink
/// and renames it into place; nothing beside TARGET changes (what TARGET holds is the
/// component's to decide).
pub fn staged_symlink_as_symlink(c: &mut Ctx) {
    let file = c.out_of_target("secret.txt");
    let tmp = ".wp-init-tmp.1.index.php";
    c.op("symlink", c.target.symlink_at(&file, tmp));
    c.stage(tmp, "index.php");
    c.claim("index.php", EntryKind::Symlink, "index.php");
}

/// Plants a commit journal for the next run's recovery to finish: renames and directory
/// modes beside TARGET, by `..`, by absolute paths and through a symlink.
pub fn journal_outside(c: &mut Ctx) {
    let up = c.out_of_target("");
    c.op("symlink", c.target.symlink_at(&up, "out"));
    let secret = c.out_of_target("secret.txt");
    let dir = |path: String| DirFinal {
        path,
        mode: Some(0o777),
        mtime: Some(Time { secs: 0, nanos: 0 }),
    };
    let journal = Journal::new(
        vec![Rename {
            temporary: c.out_of_target("keep.txt"),
            path: secret.clone(),
        }],
        vec![
            dir(up.clone()),
            dir("out".into()),
            dir("out/empty".into()),
            dir(format!("{}/empty", c.outside)),
        ],
    );
    c.op(
        "plant-journal",
        plant(&c.target, JOURNAL, journal.to_text().as_bytes()),
    );
    let log = format!("{CREATED_LOG_PREFIX}1");
    c.op("plant-log", plant(&c.target, &log, b"\"../outside\"\n"));
}

/// Plants a commit journal that gives TARGET itself a mode and a time.
pub fn journal_target_root(c: &mut Ctx) {
    let journal = Journal::new(
        Vec::new(),
        ["", "/"]
            .into_iter()
            .map(|p| DirFinal {
                path: p.into(),
                mode: Some(0o777),
                mtime: Some(Time { secs: 0, nanos: 0 }),
            })
            .collect(),
    );
    c.op(
        "plant-journal",
        plant(&c.target, JOURNAL, journal.to_text().as_bytes()),
    );
}
