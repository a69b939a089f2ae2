//! Lying to the host through its own protocol: the journal the component writes to
//! stdout in the host's calls (whose `created` lines get modes and owners from the host's
//! pass), the staged renames it returns (the host's commit), and the journal file at
//! TARGET's root that the next run's recovery obeys — written to through stdout, written
//! to directly, planted from scratch, or made of a file that was already there.

use wasip2::filesystem::types::{DescriptorFlags, OpenFlags, PathFlags};
use wp_init_core::commit::{DirFinal, Journal, Rename, Time};
use wp_init_core::journal::{FORMAT, JOURNAL_PREFIX, Line, journal_name};
use wp_init_core::report::EntryKind;

use crate::bindings::exports::wp_init::installer::installer::{Error, PathError};
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
/// file beside SOURCE, by `..` and by its absolute path.
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

/// Claims entries of TARGET it did not create: the user's file and the user's private
/// directory, which the test put there (root's, 0644 and 0700).
pub fn created_not_created(c: &mut Ctx) {
    c.claim("user.txt", EntryKind::File, "wp-includes/version.php");
    c.claim("private", EntryKind::Directory, "wp-admin");
    c.note("claimed", "user-entries");
}

/// Claims the mount points the test made in TARGET: a file and a directory from beside
/// TARGET, bind-mounted there (what a volume or a mounted secret is).
pub fn created_mount_point(c: &mut Ctx) {
    c.claim("mounted.txt", EntryKind::File, "index.php");
    c.claim("mounted", EntryKind::Directory, "wp-admin");
    c.note("claimed", "mount-points");
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

/// A commit that gives the user's private directory (root's, 0700) mode 0777.
fn commit_on_user_entries() -> Line {
    Line::Commit(Journal::new(Vec::new(), vec![wide_open("private")]))
}

/// A directory's final mode 0777 and time 0.
fn wide_open(path: &str) -> DirFinal {
    DirFinal {
        path: path.into(),
        mode: Some(0o777),
        mtime: Some(Time { secs: 0, nanos: 0 }),
    }
}

/// Ends the call with an error (an interrupted run, for the next run's recovery).
fn fail(c: &mut Ctx, why: &str) {
    c.fail = Some(Error::Io(PathError {
        path: c.target_path.clone(),
        cause: why.into(),
    }));
    c.note("failed", "on-purpose");
}

/// Writes a commit to its journal through stdout, as if the host had, and fails.
pub fn journal_commit_stdout(c: &mut Ctx) {
    c.claim("x.php", EntryKind::File, "index.php");
    c.journal_line(&commit_on_user_entries());
    c.flush_journal();
    fail(c, "interrupted");
}

/// This run's journal file at TARGET's root, opened for writing directly (the component
/// can list TARGET's root and open whatever it finds there).
fn own_journal(c: &mut Ctx) -> Option<(wasip2::filesystem::types::Descriptor, u64)> {
    c.flush_journal();
    let name = c.op("find-journal", journal_names(c))?.into_iter().next();
    let Some(name) = name else {
        c.note("find-journal", "none");
        return None;
    };
    let file = c.op(
        "open-journal",
        c.target.open_at(
            PathFlags::empty(),
            &name,
            OpenFlags::empty(),
            DescriptorFlags::WRITE | DescriptorFlags::READ,
        ),
    )?;
    let size = c.op("stat-journal", file.stat())?.size;
    Some((file, size))
}

/// The names at TARGET's root that are journals.
fn journal_names(c: &Ctx) -> Result<Vec<String>, wasip2::filesystem::types::ErrorCode> {
    let dir = c.target.read_directory()?;
    let mut names = Vec::new();
    while let Some(e) = dir.read_directory_entry()? {
        if e.name.starts_with(JOURNAL_PREFIX) {
            names.push(e.name);
        }
    }
    Ok(names)
}

/// Appends `lines` to this run's journal file directly, past what stdout wrote, and fails.
fn append_to_own_journal(c: &mut Ctx, lines: &[Line]) {
    c.claim("x.php", EntryKind::File, "index.php");
    if let Some((file, size)) = own_journal(c) {
        let text: String = lines.iter().map(Line::to_text).collect();
        c.op("append", file.write(text.as_bytes(), size));
    }
    fail(c, "interrupted");
}

/// A commit on the user's entries appended to its journal file directly.
pub fn journal_commit_direct(c: &mut Ctx) {
    append_to_own_journal(c, &[commit_on_user_entries()]);
}

/// A commit appended directly whose paths leave TARGET by `..` and by absolute paths.
pub fn journal_outside(c: &mut Ctx) {
    let (up, secret) = (c.out_of_target(""), c.out_of_target("secret.txt"));
    let commit = Line::Commit(Journal::new(
        vec![Rename {
            temporary: c.out_of_target("keep.txt"),
            path: secret,
        }],
        vec![wide_open(&up), wide_open(&format!("{}/empty", c.outside))],
    ));
    append_to_own_journal(c, &[commit]);
}

/// A commit appended directly that gives a directory beside TARGET a mode through a
/// symlink it plants in TARGET.
pub fn journal_through_symlink(c: &mut Ctx) {
    let up = c.out_of_target("");
    c.op("symlink", c.target.symlink_at(&up, "out"));
    let commit = Line::Commit(Journal::new(Vec::new(), vec![wide_open("out/empty")]));
    append_to_own_journal(c, &[commit]);
}

/// A commit appended directly that gives TARGET itself a mode and a time.
pub fn journal_target_root(c: &mut Ctx) {
    let commit = Line::Commit(Journal::new(
        Vec::new(),
        vec![wide_open(""), wide_open("/"), wide_open(".")],
    ));
    append_to_own_journal(c, &[commit]);
}

/// Plants a journal of its own making at TARGET's root, with TARGET's identity (which
/// the test hands over: a volume's root has a predictable inode) and a commit on the
/// user's entries, for the next run's recovery.
pub fn journal_planted(c: &mut Ctx) {
    let text = forged_journal(0xab);
    c.op(
        "plant",
        plant(&c.target, &journal_name(0xab), text.as_bytes()),
    );
}

/// Makes the user's file (old, root's, one link) a journal: renames it to a journal's
/// name and writes a forged journal into it.
pub fn journal_renamed(c: &mut Ctx) {
    let name = journal_name(0xac);
    c.op("rename", c.target.rename_at("user.txt", &c.target, &name));
    let text = forged_journal(0xac);
    if let Some(f) = c.op(
        "open",
        c.target.open_at(
            PathFlags::empty(),
            &name,
            OpenFlags::TRUNCATE,
            DescriptorFlags::WRITE,
        ),
    ) {
        c.op("write", f.write(text.as_bytes(), 0));
    }
}

/// A journal of the run with `nonce` in this TARGET (`WP_INIT_TARGET_ID`), ending in a
/// commit on the user's entries.
fn forged_journal(nonce: u64) -> String {
    let begin = Line::Begin {
        format: FORMAT,
        nonce,
        target: std::env::var("WP_INIT_TARGET_ID").ok(),
    };
    begin.to_text() + &commit_on_user_entries().to_text()
}

/// Writes a `begin` line of another run (another nonce, another TARGET) to its journal,
/// and claims a file it made.
pub fn journal_begin(c: &mut Ctx) {
    c.journal_line(&Line::Begin {
        format: FORMAT,
        nonce: 7,
        target: Some("1".into()),
    });
    c.op("create", create(&c.target, "x.php", false));
    c.claim("x.php", EntryKind::File, "index.php");
}

/// Writes lines that are not journal lines: garbage, a cut line, a line of another
/// format, not UTF-8.
pub fn journal_malformed(c: &mut Ctx) {
    c.journal_text(b"garbage\n");
    c.journal_text(b"{\"created\":{\"path\":\"x.php\"}}\n");
    c.journal_text(b"{\"created\":{\"path\":\"\xff.php\",\"kind\":\"file\",\"source\":\"\"}}\n");
}

/// Lines created by [`journal_huge`].
const HUGE_LINES: usize = 1_000_000;

/// A million well-formed `created` lines (about 80 MB) for files that do not exist, in a
/// directory it made.
pub fn journal_huge(c: &mut Ctx) {
    c.op("mkdir", c.target.create_directory_at("huge"));
    c.claim("huge", EntryKind::Directory, "wp-admin");
    for i in 0..HUGE_LINES {
        let path = format!("huge/no-such-file-{i:08}.php");
        c.claim(&path, EntryKind::File, "index.php");
    }
    c.note("lines", HUGE_LINES);
}
