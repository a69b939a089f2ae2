//! The rows of the sandbox itself: SOURCE read-only, staying inside TARGET, what was not
//! granted.

use super::{Cli, GHSA_2R75, GHSA_4CH3, GHSA_VQJP, GRANT, OUT, Row, Run, SOURCE, Want};
use crate::case::Case;

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
            "env=WORDPRESS_DB_HOST,WP_INIT_ATTACK,WP_INIT_OUTSIDE,WP_INIT_PORT,WP_INIT_TARGET_ID args=0",
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
];

/// `swap`'s writes through the old descriptor and into the new directory landed in TARGET.
fn swapped_entries_stayed_in_target(case: &Case) -> Result<(), String> {
    for p in ["d.old/x.txt", "e/x.txt"] {
        if !case.dst.join(p).is_file() {
            return Err(format!("TARGET/{p} is missing"));
        }
    }
    Ok(())
}
