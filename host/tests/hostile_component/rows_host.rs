//! The rows of the host's own limits and trust: resources, and lies to its pass, its
//! commit and the next run's recovery, through the host's protocol: the journal the
//! component writes to stdout (its `created` lines get modes and owners), the staged
//! renames it returns, and the journal file at TARGET's root (which the component can
//! also write to directly, plant, or make of a file that was there).

use std::fs::Permissions;
use std::os::unix::fs::{MetadataExt, PermissionsExt};

use super::{LIE, MIB, RES, Row, Run, Want};
use crate::case::Case;

pub const RESOURCES: &[Row] = &[
    Row {
        attack: "memory",
        memory: 64 * MIB,
        want: Want::Refused("memory limit of 67108864 bytes"),
        ..RES
    },
    Row {
        attack: "busy-loop",
        timeout_secs: 1,
        want: Want::Refused("time limit of 1 s"),
        ..RES
    },
    Row {
        attack: "host-call-loop",
        timeout_secs: 1,
        want: Want::Refused("time limit of 1 s"),
        ..RES
    },
    Row {
        attack: "stderr-flood",
        want: Want::Line("stderr=closed"),
        host_memory: Some(32 * MIB),
        ..RES
    },
    Row {
        // In the host's calls stdout is the journal: 1 GiB without a newline is one line
        // longer than any journal line, refused at its first 64 KiB.
        attack: "stdout-flood",
        want: Want::Refused("a line longer than 65536 bytes"),
        host_memory: Some(32 * MIB),
        ..RES
    },
    Row {
        attack: "stdout-flood",
        run: Run::Command,
        want: Want::Line("stdout=closed"),
        host_memory: Some(32 * MIB),
        ..RES
    },
    Row {
        // A tar.gz: the `gunzip` instance writes into the pipe without end, while the host
        // drains what `unpack` left unread; only the time limit ends it, the host's memory
        // flat. (Granted a directory, `gunzip` would fail at once, saying so: both rows.)
        attack: "endless-stdout",
        run: Run::ArchiveGz,
        timeout_secs: 1,
        want: Want::Refused("time limit of 1 s"),
        host_memory: Some(32 * MIB),
        ..RES
    },
    Row {
        // Both instances of a tar.gz spin: neither waits on the other for ever.
        attack: "busy-loop",
        run: Run::ArchiveGz,
        timeout_secs: 1,
        want: Want::Refused("time limit of 1 s"),
        ..RES
    },
    Row {
        attack: "empty-writes",
        want: Want::Line("empty-writes=2000000"),
        host_memory: Some(32 * MIB),
        ..RES
    },
    Row {
        attack: "many-descriptors",
        want: Want::Line("open=io opened-over-1000=true"),
        host_memory: Some(64 * MIB),
        ..RES
    },
    Row {
        attack: "many-handles",
        memory: 512 * MIB,
        want: Want::Refused("cannot allocate another handle: store handle limit exceeded"),
        host_memory: Some(32 * MIB),
        ..RES
    },
    Row {
        attack: "deep-chain",
        want: Want::Line("create-at-bottom=ok depth=1000"),
        host_memory: Some(64 * MIB),
        ..RES
    },
    Row {
        attack: "million-files",
        tmpfs: true,
        want: Want::Line("files=1000000"),
        // The journal is read back a line at a time: a whole read (70 MB) breaks the bound.
        host_memory: Some(64 * MIB),
        ..RES
    },
];

pub const LIES: &[Row] = &[
    // `created` lines on stdout: the host's pass gives what they name modes and owners.
    Row {
        attack: "lie-created-dotdot",
        want: Want::Refused(JOURNAL_OUTSIDE),
        ..LIE
    },
    Row {
        attack: "lie-created-inner-dotdot",
        want: Want::Refused(JOURNAL_OUTSIDE),
        ..LIE
    },
    Row {
        attack: "lie-created-absolute",
        want: Want::Refused(JOURNAL_OUTSIDE),
        ..LIE
    },
    Row {
        attack: "lie-created-target-root",
        want: Want::Refused(JOURNAL_OUTSIDE),
        ..LIE
    },
    Row {
        attack: "lie-created-through-symlink",
        want: Want::Refused("{dst}/out: changed type since it was created"),
        ..LIE
    },
    Row {
        attack: "lie-created-symlink-as-file",
        want: Want::Refused("changed type since it was created"),
        ..LIE
    },
    Row {
        attack: "lie-created-symlink-as-dir",
        want: Want::Refused("changed type since it was created"),
        ..LIE
    },
    Row {
        attack: "lie-created-hard-link",
        setup: Some(hard_link_to_outside),
        want: Want::Refused("hard links"),
        ..LIE
    },
    Row {
        attack: "lie-created-source-escape",
        want: Want::Refused(JOURNAL_OUTSIDE),
        ..LIE
    },
    Row {
        attack: "lie-created-not-created",
        setup: Some(user_entries),
        want: Want::Refused("existed before this run"),
        check: Some(user_entries_untouched),
        ..LIE
    },
    Row {
        attack: "lie-created-mount-point",
        setup: Some(mount_points),
        want: Want::Refused("a mount point"),
        ..LIE
    },
    // The staged renames returned: the host's commit makes them.
    Row {
        attack: "lie-staged-dotdot",
        want: Want::Refused(STAGED_BAD),
        ..LIE
    },
    Row {
        attack: "lie-staged-absolute",
        want: Want::Refused(STAGED_BAD),
        ..LIE
    },
    Row {
        attack: "lie-staged-into-outside",
        want: Want::Refused(STAGED_BAD),
        ..LIE
    },
    Row {
        attack: "lie-staged-cross-dir",
        want: Want::Refused("renames across directories"),
        ..LIE
    },
    Row {
        attack: "lie-staged-swapped-for-symlink",
        want: Want::Refused("changed type since it was created"),
        ..LIE
    },
    Row {
        attack: "lie-staged-symlink-as-symlink",
        want: Want::Line("symlink=ok"),
        ..LIE
    },
    // The journal file: what the next run's recovery obeys.
    Row {
        attack: "lie-journal-commit-stdout",
        run: Run::Twice,
        setup: Some(user_entries),
        first: Some(Want::Refused("a commit line, which only the host writes")),
        want: Want::Line(""),
        check: Some(user_entries_untouched),
        ..LIE
    },
    Row {
        attack: "lie-journal-commit-direct",
        run: Run::Twice,
        setup: Some(user_entries),
        first: Some(Want::Refused("interrupted")),
        want: Want::Refused("{dst}/private: existed before this run"),
        check: Some(user_entries_untouched),
        ..LIE
    },
    Row {
        attack: "lie-journal-outside",
        run: Run::Twice,
        first: Some(Want::Refused("interrupted")),
        want: Want::Line(""),
        check: Some(journal_refused),
        ..LIE
    },
    Row {
        attack: "lie-journal-through-symlink",
        run: Run::Twice,
        first: Some(Want::Refused("interrupted")),
        want: Want::Refused("{dst}/out: opening without following symlinks"),
        ..LIE
    },
    Row {
        attack: "lie-journal-target-root",
        run: Run::Twice,
        first: Some(Want::Refused("interrupted")),
        want: Want::Line(""),
        check: Some(journal_refused),
        ..LIE
    },
    Row {
        attack: "lie-journal-planted",
        run: Run::Twice,
        setup: Some(user_entries),
        want: Want::Line(""),
        check: Some(planted_refused),
        ..LIE
    },
    Row {
        attack: "lie-journal-renamed",
        run: Run::Twice,
        setup: Some(user_entries),
        want: Want::Line(""),
        check: Some(planted_refused),
        ..LIE
    },
    Row {
        attack: "lie-journal-begin",
        want: Want::Refused("a begin line, which only the host writes"),
        ..LIE
    },
    Row {
        attack: "lie-journal-malformed",
        want: Want::Refused("not a wp-init journal line"),
        ..LIE
    },
    Row {
        attack: "lie-journal-huge",
        want: Want::Refused("no-such-file-"),
        host_memory: Some(64 * MIB),
        ..LIE
    },
];

/// The host's refusal of a journal line naming a path that is not plain and relative.
const JOURNAL_OUTSIDE: &str = "refused what the component wrote to its journal";

/// The host's refusal of a staged rename whose paths are not plain and relative.
const STAGED_BAD: &str = "not a plain relative path";

/// A hard link in TARGET to the file beside it, as whoever can write TARGET could make.
fn hard_link_to_outside(case: &mut Case) {
    std::fs::hard_link(case.outside.join("secret.txt"), case.dst.join("hl.php")).unwrap();
}

/// The user's own entries in TARGET, root's: a file (0644) and a private directory
/// (0700).
fn user_entries(case: &mut Case) {
    crate::common::write(&case.dst, "user.txt", b"the user's file\n");
    std::fs::create_dir(case.dst.join("private")).unwrap();
    std::fs::set_permissions(case.dst.join("private"), Permissions::from_mode(0o700)).unwrap();
}

/// The user's entries are as [`user_entries`] made them.
fn user_entries_untouched(case: &Case) -> Result<(), String> {
    for (name, want) in [("user.txt", 0o644), ("private", 0o700)] {
        let m =
            std::fs::symlink_metadata(case.dst.join(name)).map_err(|e| format!("{name}: {e}"))?;
        let (mode, uid, gid) = (m.mode() & 0o7777, m.uid(), m.gid());
        let (me, my_group) = (
            rustix::process::geteuid().as_raw(),
            rustix::process::getegid().as_raw(),
        );
        if (mode, uid, gid) != (want, me, my_group) {
            return Err(format!(
                "{name} is now {mode:o} {uid}:{gid}, was {want:o} {me}:{my_group}"
            ));
        }
    }
    Ok(())
}

/// A file and a directory from beside TARGET, bind-mounted into it.
fn mount_points(case: &mut Case) {
    let (file, dir) = (case.dst.join("mounted.txt"), case.dst.join("mounted"));
    std::fs::write(&file, b"").unwrap();
    std::fs::create_dir(&dir).unwrap();
    case.bind(&case.outside.join("keep.txt"), &file);
    case.bind(&case.outside.join("empty"), &dir);
}

/// The journal the first run left is gone: refused and removed, not obeyed.
fn journal_refused(case: &Case) -> Result<(), String> {
    let left: Vec<String> = std::fs::read_dir(&case.dst)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".wp-init-journal."))
        .collect();
    match left.is_empty() {
        true => Ok(()),
        false => Err(format!("journals left: {left:?}")),
    }
}

/// The planted journal was not obeyed: the user's directory is untouched (the user's
/// file of `lie-journal-renamed` is gone, by the attack's own rename, which the
/// component may make), and the journal is gone.
fn planted_refused(case: &Case) -> Result<(), String> {
    let private = std::fs::symlink_metadata(case.dst.join("private")).unwrap();
    if (private.mode() & 0o7777, private.uid()) != (0o700, rustix::process::geteuid().as_raw()) {
        return Err(format!(
            "private is now {:o} uid {}",
            private.mode() & 0o7777,
            private.uid()
        ));
    }
    journal_refused(case)
}

/// Lies in `unpack`'s answer (an install from SOURCE as a release archive): entries whose
/// modes the host is to set in the scratch tree, named by `..`, by an absolute path, as a
/// symlink leading out, or with setuid, setgid and sticky bits.
pub const UNPACK_LIES: &[Row] = &[
    Row {
        attack: "lie-unpack-dotdot",
        run: Run::Archive,
        want: Want::Refused("setting its mode"),
        check: Some(no_scratch_left),
        ..LIE
    },
    Row {
        attack: "lie-unpack-absolute",
        run: Run::Archive,
        want: Want::Refused("setting its mode"),
        check: Some(no_scratch_left),
        ..LIE
    },
    Row {
        // Skipped: the host never sets a mode through a symlink (`secret.txt` beside
        // TARGET keeps its own: the check of everything outside TARGET).
        attack: "lie-unpack-symlink",
        run: Run::Archive,
        want: Want::Line("install=nothing"),
        check: Some(no_scratch_left),
        ..LIE
    },
    Row {
        attack: "lie-unpack-setuid",
        run: Run::Archive,
        want: Want::Line("link=ok"),
        check: Some(setuid_dropped),
        ..LIE
    },
];

/// No scratch directory is left in TARGET.
fn no_scratch_left(case: &Case) -> Result<(), String> {
    let left: Vec<String> = std::fs::read_dir(&case.dst)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".wp-init-source."))
        .collect();
    match left.is_empty() {
        true => Ok(()),
        false => Err(format!("scratch directories left: {left:?}")),
    }
}

/// `evil.php`, claimed 7777 in the scratch tree and linked into TARGET, is 0755 there.
fn setuid_dropped(case: &Case) -> Result<(), String> {
    let m = std::fs::symlink_metadata(case.dst.join("evil.php"))
        .map_err(|e| format!("evil.php: {e}"))?;
    match m.mode() & 0o7777 {
        0o755 => no_scratch_left(case),
        mode => Err(format!("evil.php is {mode:o}, want 755 (7777 masked)")),
    }
}
