//! The table: one row per attack of `tests/hostile-component`, with what the host must
//! give. An outcome spec is `op=outcome ...` (see `case::fits`): `ok`, or the WASI error
//! code the runtime answered; `op*` covers every op with that prefix. A refusal names a
//! fragment of the host's error. `{src}`, `{dst}`, `{outside}` are the case's paths.
//!
//! The rows of the group `Lies` are written against today's protocol (`report.created`,
//! `report.staged`, the commit journal): port them when `.wp-init-journal` replaces it.

use crate::case::Case;

/// One attack and what it must give.
pub struct Row {
    /// The component's attack (`WP_INIT_ATTACK`).
    pub attack: &'static str,
    pub group: Group,
    /// The wasmtime advisory whose regression this row is.
    pub advisory: Option<&'static str>,
    /// How the host runs the component.
    pub run: Run,
    /// Done to the case before the run (what someone else planted).
    pub setup: Option<fn(&Case)>,
    /// The component's memory cap and deadline.
    pub memory: u64,
    pub timeout_secs: u64,
    /// The case on a tmpfs of its own (rows of a million entries).
    pub tmpfs: bool,
    /// Through the library.
    pub want: Want,
    /// The outcome spec where it differs when the runtime resolves paths itself, as on
    /// kernels without `openat2` (before 5.6; the code GHSA-vqjp-4c8c-hfgg was in).
    pub fallback: Option<&'static str>,
    /// Under plain `wasmtime run`.
    pub cli: Cli,
    /// How much the host's peak memory may grow during the row.
    pub host_memory: Option<u64>,
    /// A check of TARGET after the row.
    pub check: Option<Check>,
}

/// A check of TARGET after a row; `Err` says what is wrong.
pub type Check = fn(&Case) -> Result<(), String>;

/// What the attack is against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Group {
    /// SOURCE, the read-only preopen, beside a read-write TARGET.
    ReadOnlySource,
    /// Leaving TARGET: `..`, absolute paths, symlinks, hard links.
    OutOfTarget,
    /// What was not granted: descriptors, preopens, `/proc`, `/dev`, cwd, env, sockets,
    /// stdin, a read-only TARGET.
    NotGranted,
    /// Memory, time, output, descriptors, handles, depth, number of entries.
    Resources,
    /// Lying to the host (today's protocol: port to the journal).
    Lies,
}

/// How the host runs the component.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Run {
    /// `Installer::install`.
    Install,
    /// `Installer::dry_run(true).install()`: TARGET granted read-only.
    Plan,
    /// `Installer::verify`: TARGET granted read-only.
    Verify,
    /// `Installer::run_command` (`wasi:cli/run`, stdout captured).
    Command,
    /// Two installs: the attack, then a harmless run whose host meets what it planted.
    Twice,
}

/// What the library run must give.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Want {
    /// The run finishes and the component's outcome line fits this spec.
    Line(&'static str),
    /// The host refuses: its error (with causes) contains this.
    Refused(&'static str),
}

/// What `wasmtime run` must give.
#[derive(Debug, Clone, Copy)]
pub enum Cli {
    Line(&'static str),
    /// Why the attack does not apply there.
    NotApplicable(&'static str),
}

const MIB: u64 = 1 << 20;

const NO_HOST_PASS: Cli = Cli::NotApplicable("no host pass or commit: the CLI trusts nothing");

const R: Row = Row {
    attack: "",
    group: Group::ReadOnlySource,
    advisory: None,
    run: Run::Install,
    setup: None,
    memory: 128 * MIB,
    timeout_secs: 120,
    tmpfs: false,
    want: Want::Line(""),
    fallback: None,
    cli: NO_HOST_PASS,
    host_memory: None,
    check: None,
};

const SOURCE: Row = Row {
    group: Group::ReadOnlySource,
    ..R
};
const OUT: Row = Row {
    group: Group::OutOfTarget,
    ..R
};
const GRANT: Row = Row {
    group: Group::NotGranted,
    ..R
};
const RES: Row = Row {
    group: Group::Resources,
    cli: Cli::NotApplicable("the CLI sets no memory, time or output cap unless told"),
    ..R
};
const LIE: Row = Row {
    group: Group::Lies,
    ..R
};

const GHSA_2R75: Option<&str> = Some("GHSA-2r75-cxrj-cmph");
const GHSA_4CH3: Option<&str> = Some("GHSA-4ch3-9j33-3pmj");
const GHSA_VQJP: Option<&str> = Some("GHSA-vqjp-4c8c-hfgg");

/// `symlink-trailing-slash`: every use of the links refused; where a call fails for
/// another reason first, that reason names the link in TARGET itself (`lstat` of `ts/`
/// gives the link, `mkdir ts/` finds it, `create ts/` is a directory name), never what
/// it leads to.
const TRAILING_SLASH: &str = "link-*=ok ts-end-create=is-directory \
    ts-end-lstat=symbolic-link ts-end-mkdir=exist out-end-create=is-directory \
    out-end-lstat=symbolic-link out-end-mkdir=exist tf-open-dir-nofollow=loop \
    tf-lstat=symbolic-link tf-mkdir=exist tf-rmdir=not-directory tf-end-create=is-directory \
    tf-end-lstat=symbolic-link tf-end-mkdir=exist *=not-permitted";

/// `symlink-trailing-slash` when the runtime resolves paths itself: the same, but
/// creating a name that ends in `/` is `invalid` there.
const TRAILING_SLASH_FALLBACK: &str = "link-*=ok ts-end-create=invalid \
    ts-end-lstat=symbolic-link ts-end-mkdir=exist out-end-create=invalid \
    out-end-lstat=symbolic-link out-end-mkdir=exist tf-open-dir-nofollow=loop \
    tf-lstat=symbolic-link tf-mkdir=exist tf-rmdir=not-directory tf-end-create=invalid \
    tf-end-lstat=symbolic-link tf-end-mkdir=exist *=not-permitted";

/// `symlink-slash-dot`: likewise; `lstat` of `out/.` gives the link, not its target.
const SLASH_DOT: &str =
    "link-*=ok lstat-out-dot=symbolic-link lstat-sd=symbolic-link *=not-permitted";

pub const ROWS: &[Row] = &[
    // SOURCE, read-only, beside TARGET read-write.
    Row {
        attack: "source-create-or-write",
        want: Want::Line("*=not-permitted"),
        cli: Cli::Line("*=io"),
        ..SOURCE
    },
    Row {
        attack: "source-truncate-on-open",
        advisory: GHSA_2R75,
        want: Want::Line("open-subdir=ok *=not-permitted"),
        cli: Cli::Line("open-subdir=ok *=io"),
        ..SOURCE
    },
    Row {
        attack: "source-write-through-read-descriptor",
        want: Want::Line("open-read=ok *=not-permitted"),
        cli: Cli::Line(
            "open-read=ok write=bad-descriptor set-size=invalid write-via-stream=ok \
             stream-write=failed append-via-stream=ok set-times=io",
        ),
        ..SOURCE
    },
    Row {
        attack: "source-mkdir-rmdir",
        want: Want::Line("open-dir=ok open-dir-mutate=ok *=not-permitted"),
        cli: Cli::Line("open-dir=ok open-dir-mutate=ok *=io"),
        ..SOURCE
    },
    Row {
        attack: "source-unlink",
        want: Want::Line("*=not-permitted"),
        cli: Cli::Line("*=io"),
        ..SOURCE
    },
    Row {
        attack: "source-rename-within",
        want: Want::Line("*=not-permitted"),
        cli: Cli::Line("*=io"),
        ..SOURCE
    },
    Row {
        attack: "source-rename-out",
        advisory: GHSA_4CH3,
        want: Want::Line("*=not-permitted"),
        cli: Cli::Line("*=io"),
        ..SOURCE
    },
    Row {
        attack: "source-rename-in",
        advisory: GHSA_4CH3,
        want: Want::Line("plant=ok *=not-permitted"),
        cli: Cli::Line("plant=ok *=io"),
        ..SOURCE
    },
    Row {
        attack: "source-set-times",
        want: Want::Line("*=not-permitted"),
        cli: Cli::Line("set-times-root=bad-descriptor *=io"),
        ..SOURCE
    },
    Row {
        attack: "source-symlink",
        want: Want::Line("*=not-permitted"),
        cli: Cli::Line("*=io"),
        ..SOURCE
    },
    Row {
        attack: "source-link-into-target",
        advisory: GHSA_4CH3,
        want: Want::Line("open-subdir=ok write-link=no-entry *=not-permitted"),
        cli: Cli::Line("open-subdir=ok write-link=no-entry *=io"),
        ..SOURCE
    },
    Row {
        attack: "source-link-from-target",
        advisory: GHSA_4CH3,
        want: Want::Line("plant=ok *=not-permitted"),
        cli: Cli::Line("plant=ok *=io"),
        ..SOURCE
    },
    Row {
        attack: "source-through-target",
        want: Want::Line("symlink=ok *=not-permitted"),
        cli: Cli::Line("symlink=ok *=not-permitted"),
        ..SOURCE
    },
    // Out of TARGET.
    Row {
        attack: "dotdot",
        want: Want::Line("mkdir-wp-content=ok *=not-permitted"),
        cli: Cli::Line("mkdir-wp-content=ok *=not-permitted"),
        ..OUT
    },
    Row {
        attack: "absolute",
        want: Want::Line("*=not-permitted"),
        cli: Cli::Line("*=not-permitted"),
        ..OUT
    },
    Row {
        attack: "symlink-absolute",
        want: Want::Line("*=not-permitted"),
        cli: Cli::Line("*=not-permitted"),
        ..OUT
    },
    Row {
        attack: "symlink-relative",
        want: Want::Line("symlink=ok symlink-file=ok truncate-nofollow=loop *=not-permitted"),
        cli: Cli::Line("symlink=ok symlink-file=ok truncate-nofollow=loop *=not-permitted"),
        ..OUT
    },
    Row {
        attack: "symlink-chain",
        want: Want::Line("link-*=ok mkdir-sub=ok read-loop=loop *=not-permitted"),
        cli: Cli::Line("link-*=ok mkdir-sub=ok read-loop=loop *=not-permitted"),
        ..OUT
    },
    Row {
        attack: "symlink-trailing-slash",
        advisory: GHSA_VQJP,
        want: Want::Line(TRAILING_SLASH),
        fallback: Some(TRAILING_SLASH_FALLBACK),
        cli: Cli::Line(TRAILING_SLASH),
        ..OUT
    },
    Row {
        attack: "symlink-slash-dot",
        advisory: GHSA_VQJP,
        want: Want::Line(SLASH_DOT),
        cli: Cli::Line(SLASH_DOT),
        ..OUT
    },
    Row {
        attack: "rename-trailing-slash",
        advisory: GHSA_VQJP,
        want: Want::Line(
            "link=ok plant=ok mkdir=ok link-slash-away=not-directory \
             file-onto-link-slash=not-directory dir-onto-link-slash=not-directory *=not-permitted",
        ),
        cli: Cli::Line(
            "link=ok plant=ok mkdir=ok link-slash-away=not-directory \
             file-onto-link-slash=not-directory dir-onto-link-slash=not-directory *=not-permitted",
        ),
        ..OUT
    },
    Row {
        attack: "hard-link-out",
        want: Want::Line(
            "symlink=ok symlink-file=ok link-the-link=ok link-following=invalid \
             *=not-permitted",
        ),
        cli: Cli::Line(
            "symlink=ok symlink-file=ok link-the-link=ok link-following=invalid \
             *=not-permitted",
        ),
        ..OUT
    },
    Row {
        attack: "swap",
        want: Want::Line(
            "mkdir=ok open-d=ok rename-d=ok symlink-d=ok create-via-old-descriptor=ok \
             symlink-e=ok unlink-e=ok mkdir-e=ok create-in-e=ok *=not-permitted",
        ),
        cli: Cli::Line(
            "mkdir=ok open-d=ok rename-d=ok symlink-d=ok create-via-old-descriptor=ok \
             symlink-e=ok unlink-e=ok mkdir-e=ok create-in-e=ok *=not-permitted",
        ),
        check: Some(swapped_entries_stayed_in_target),
        ..OUT
    },
    // Not granted.
    Row {
        attack: "preopens",
        want: Want::Line("preopens={dst},{src}"),
        cli: Cli::Line("preopens={dst},{src}"),
        ..GRANT
    },
    Row {
        attack: "forged-handle",
        want: Want::Refused("unknown handle index"),
        cli: Cli::NotApplicable("a trap ends the run before the outcome line"),
        ..GRANT
    },
    Row {
        attack: "libc-descriptors",
        want: Want::Line("writable-above-stderr=[] readable=[]"),
        cli: Cli::Line("writable-above-stderr=[] readable=[]"),
        ..GRANT
    },
    Row {
        attack: "proc-dev",
        want: Want::Line("libc-*=NotFound *=not-permitted"),
        cli: Cli::Line("libc-*=NotFound *=not-permitted"),
        ..GRANT
    },
    Row {
        attack: "host-cwd",
        want: Want::Line("initial-cwd=none libc-*=NotFound"),
        cli: Cli::Line("initial-cwd=none libc-*=NotFound"),
        ..GRANT
    },
    Row {
        attack: "environment",
        want: Want::Line(
            "env=WORDPRESS_DB_HOST,WP_INIT_ATTACK,WP_INIT_OUTSIDE,WP_INIT_PORT args=0",
        ),
        cli: Cli::Line("env=WP_INIT_ATTACK,WP_INIT_OUTSIDE args=3"),
        ..GRANT
    },
    Row {
        attack: "tcp",
        want: Want::Line("create=access-denied"),
        cli: Cli::Line("create=access-denied"),
        ..GRANT
    },
    Row {
        attack: "udp",
        want: Want::Line("create=access-denied"),
        cli: Cli::Line("create=access-denied"),
        ..GRANT
    },
    Row {
        attack: "name-lookup",
        want: Want::Line("*=permanent-resolver-failure"),
        cli: Cli::Line("*=permanent-resolver-failure"),
        ..GRANT
    },
    Row {
        attack: "stdin",
        want: Want::Line("read=closed libc-read=ok"),
        cli: Cli::NotApplicable("the CLI gives the component its own stdin"),
        ..GRANT
    },
    Row {
        attack: "target-write",
        run: Run::Plan,
        want: Want::Line("open-dir-mutate=ok *=not-permitted"),
        cli: Cli::NotApplicable("the CLI has no read-only preopen"),
        ..GRANT
    },
    Row {
        attack: "target-write",
        run: Run::Verify,
        want: Want::Line("open-dir-mutate=ok *=not-permitted"),
        cli: Cli::NotApplicable("the CLI has no read-only preopen"),
        ..GRANT
    },
    // Resources.
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
    // Lying to the host (today's protocol: port to the journal).
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

/// `swap`'s writes through the old descriptor and into the new directory landed in TARGET.
fn swapped_entries_stayed_in_target(case: &Case) -> Result<(), String> {
    for p in ["d.old/x.txt", "e/x.txt"] {
        if !case.dst.join(p).is_file() {
            return Err(format!("TARGET/{p} is missing"));
        }
    }
    Ok(())
}
