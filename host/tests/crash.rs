//! Crash injection: a SIGKILL at chosen calls of each kind of mutating system call, on a
//! WordPress-sized tree installed into a TARGET that holds the user's files; then the
//! promise of behaviour.md › "Crash safety" is checked before and after a rerun.
//!
//! A tracing run (strace) records every call of each kind; the injected runs kill at the
//! first, at fractions of the way and at each of the last few calls of each kind (the
//! [`POINTS`] table). strace counts `when=` per system call and per thread, so a point is
//! "the Nth call of this system call by this thread" of a run that is otherwise identical.
//! Needs root (owners, a tmpfs for speed) and Debian's `strace`; fails without them.

mod common;

use std::path::Path;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use common::expect::{Before, Want, differences, looks_installed, secret_files, summary};
use common::mount::Mount;
use common::points::{KINDS, MIN_POINTS, POINTS};
use common::run::{Call, Invocation, kill_at, killed, record, require_strace};
use common::stderr;
use common::synth::{WORDPRESS_SIZED, user_files, wordpress};
use common::tree::tree_hash;

/// The journal an unfinished commit leaves at TARGET's root: with it, a tree may pass the
/// installed test while incomplete, because the next run finishes the commit.
const JOURNAL: &str = ".wp-init-commit";

/// The run every point makes: as root (default owner www-data), with a config requested.
fn install(src: &Path, dst: &Path) -> Invocation {
    Invocation::install(src, dst)
        .env("WORDPRESS_DB_HOST", "db")
        .env("WORDPRESS_DB_PASSWORD", "secret")
}

const WANT: Want = Want {
    owner: (33, 33),
    config_mode: Some(0o640),
};

/// A fresh TARGET with the user's files, in its own directory.
fn target(scratch: &Path, name: &str) -> std::path::PathBuf {
    let dst = scratch.join(name).join("dst");
    std::fs::create_dir_all(&dst).unwrap();
    user_files(&dst);
    dst
}

/// Kills a run at `call`, checks the crashed tree, reruns and checks the result. `Err`
/// says what broke the promise.
fn crash_point(src: &Path, dst: &Path, call: &Call) -> Result<(), String> {
    let before = Before::take(dst);
    let run = install(src, dst);
    let out = kill_at(&run, call);
    if !killed(&out) {
        return Err(format!(
            "not reached: the run ended with {}: {}",
            out.status,
            stderr(&out)
        ));
    }
    let readable: Vec<_> = secret_files(dst)
        .into_iter()
        .filter(|(_, m)| m & 0o004 != 0)
        .collect();
    if !readable.is_empty() {
        return Err(format!(
            "salts readable by others after the crash: {readable:?}"
        ));
    }
    if looks_installed(dst) && !dst.join(JOURNAL).exists() {
        let d = differences(src, dst, &before, &WANT, false);
        if !d.is_empty() {
            return Err(format!(
                "looks installed but incomplete, no {JOURNAL}: {}",
                summary(&d)
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
    let d = differences(src, dst, &before, &WANT, true);
    if !d.is_empty() {
        return Err(format!("rerun exit 0 but: {}", summary(&d)));
    }
    Ok(())
}

#[test]
fn a_crash_at_any_mutating_call_is_finished_by_the_next_run() {
    require_strace();
    let dir = tempfile::Builder::new()
        .prefix("wp-init-crash.")
        .tempdir()
        .unwrap();
    let _tmpfs = Mount::tmpfs("1g", dir.path());
    let scratch = dir.path();
    let src = scratch.join("src");
    let files = wordpress(&src, &WORDPRESS_SIZED, 7);
    let src_hash = tree_hash(&src);

    let all: Vec<&str> = KINDS
        .iter()
        .flat_map(|k| k.syscalls.iter().copied())
        .collect();
    let dst = target(scratch, "trace");
    let before = Before::take(&dst);
    let (out, calls) = record(&install(&src, &dst), &all, &scratch.join("trace.log"));
    assert!(
        out.status.success(),
        "the traced run failed: {}",
        stderr(&out)
    );
    let d = differences(&src, &dst, &before, &WANT, true);
    assert!(
        d.is_empty(),
        "the uninterrupted run is incomplete: {}",
        summary(&d)
    );

    let mut points = Vec::new();
    for (k, kind) in KINDS.iter().enumerate() {
        let of_kind: Vec<&Call> = calls
            .iter()
            .filter(|c| kind.syscalls.contains(&c.syscall.as_str()) && (kind.counts)(c))
            .collect();
        for i in POINTS.pick(of_kind.len()) {
            points.push((k, i, of_kind.len(), of_kind[i].clone()));
        }
    }

    // Two workers: each point is independent (its own TARGET).
    let next = AtomicUsize::new(0);
    let results = Mutex::new(vec![None; points.len()]);
    std::thread::scope(|s| {
        for _ in 0..2 {
            s.spawn(|| {
                loop {
                    let p = next.fetch_add(1, Ordering::SeqCst);
                    let Some((_, _, _, call)) = points.get(p) else {
                        break;
                    };
                    let dst = target(scratch, &format!("p{p}"));
                    let r = crash_point(&src, &dst, call);
                    std::fs::remove_dir_all(dst.parent().unwrap()).unwrap();
                    results.lock().unwrap()[p] = Some(r);
                }
            });
        }
    });
    let results: Vec<Result<(), String>> = results
        .into_inner()
        .unwrap()
        .into_iter()
        .map(Option::unwrap)
        .collect();

    println!("crash points on a {files}-file tree into a TARGET with user files:");
    let mut failures = Vec::new();
    for (k, kind) in KINDS.iter().enumerate() {
        let mine: Vec<_> = points
            .iter()
            .zip(&results)
            .filter(|((pk, ..), _)| *pk == k)
            .collect();
        let survived = mine.iter().filter(|(_, r)| r.is_ok()).count();
        let calls = mine.first().map_or(0, |((_, _, n, _), _)| *n);
        println!(
            "  {:<15} {calls:>6} calls, {:>2} injected, {survived:>2} survived",
            kind.name,
            mine.len()
        );
        for ((_, i, n, call), r) in mine {
            if let Err(e) = r {
                let line: String = call.line.chars().take(160).collect();
                failures.push(format!("{} call {}/{n} [{line}]: {e}", kind.name, i + 1));
            }
        }
    }
    println!(
        "  total: {} injected, {} survived",
        points.len(),
        points.len() - failures.len()
    );
    assert_eq!(tree_hash(&src), src_hash, "SOURCE changed");
    assert!(
        failures.is_empty(),
        "{} crash points broke the promise:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(
        points.len() >= MIN_POINTS,
        "only {} crash points (want {MIN_POINTS})",
        points.len()
    );
}
