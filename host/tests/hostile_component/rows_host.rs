//! The rows of the host's own limits and trust: resources, and lies to its pass and
//! commit (today's protocol: `report.created`, `report.staged`, the commit journal; port
//! them when `.wp-init-journal` replaces it).

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
        attack: "stdout-flood",
        want: Want::Line("stdout-mib=1024"),
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
        memory: 1024 * MIB,
        tmpfs: true,
        want: Want::Line("files=1000000"),
        host_memory: Some(512 * MIB),
        ..RES
    },
];

pub const LIES: &[Row] = &[
    Row {
        attack: "lie-created-dotdot",
        want: Want::Refused("'.' or '..' component"),
        ..LIE
    },
    Row {
        attack: "lie-created-inner-dotdot",
        want: Want::Refused("'.' or '..' component"),
        ..LIE
    },
    Row {
        attack: "lie-created-absolute",
        want: Want::Refused("absolute"),
        ..LIE
    },
    Row {
        attack: "lie-created-target-root",
        want: Want::Refused("not a safe relative path"),
        ..LIE
    },
    Row {
        attack: "lie-created-through-symlink",
        want: Want::Refused("out"),
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
        want: Want::Refused(
            "cannot take the mode of {outside}/secret.txt: not a safe relative path in the \
             install report (absolute) (and 1 more entries failed)",
        ),
        ..LIE
    },
    Row {
        attack: "lie-created-not-created",
        setup: Some(user_file),
        want: Want::Line("claimed=user-file"),
        ..LIE
    },
    Row {
        attack: "lie-staged-dotdot",
        want: Want::Refused("{dst}/../outside: opening without following symlinks"),
        ..LIE
    },
    Row {
        attack: "lie-staged-absolute",
        want: Want::Line("staged=absolute"),
        ..LIE
    },
    Row {
        attack: "lie-staged-into-outside",
        want: Want::Refused("staged in another directory"),
        ..LIE
    },
    Row {
        attack: "lie-staged-cross-dir",
        want: Want::Refused("staged in another directory"),
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
    Row {
        attack: "lie-journal-outside",
        run: Run::Twice,
        want: Want::Refused("{dst}/../outside: opening without following symlinks"),
        ..LIE
    },
    Row {
        attack: "lie-journal-target-root",
        run: Run::Twice,
        want: Want::Line(""),
        ..LIE
    },
];

/// A hard link in TARGET to the file beside it, as whoever can write TARGET could make.
fn hard_link_to_outside(case: &Case) {
    std::fs::hard_link(case.outside.join("secret.txt"), case.dst.join("hl.php")).unwrap();
}

/// The user's own file in TARGET.
fn user_file(case: &Case) {
    crate::common::write(&case.dst, "user.txt", b"the user's file\n");
}
