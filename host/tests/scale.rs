//! The component's memory does not grow with the tree: synthetic trees of 10,000 and of
//! 1,000,000 entries (empty files, on a tmpfs) install under the default memory cap, and
//! the component's peak memory stays under 8 MiB at both sizes. The time per entry is
//! `scripts/bench.sh`'s to measure.

mod common;

use common::mount::Mount;
use std::fs;
use std::path::Path;

/// The bound on `guest_memory_peak`, at every size.
const PEAK: u64 = 8 << 20;

/// Files per directory of the synthetic part.
const PER_DIR: usize = 1000;

/// Adds `n` empty files (and `n / PER_DIR` directories) under `wp-content/many` of `src`.
fn add_entries(src: &Path, n: usize) {
    for d in 0..n.div_ceil(PER_DIR) {
        let dir = src.join(format!("wp-content/many/{d:04}"));
        fs::create_dir_all(&dir).unwrap();
        for f in 0..PER_DIR.min(n - d * PER_DIR) {
            fs::File::create(dir.join(format!("{f}.php"))).unwrap();
        }
    }
}

/// How many files TARGET holds under `rel`.
fn files_under(root: &Path, rel: &str) -> usize {
    let mut n = 0;
    for d in fs::read_dir(root.join(rel)).unwrap() {
        n += fs::read_dir(d.unwrap().path()).unwrap().count();
    }
    n
}

/// Installs the small tree plus `n` entries with the default cap; returns the report.
fn install(n: usize) -> serde_json::Value {
    let dir = tempfile::Builder::new()
        .prefix("wp-init-scale.")
        .tempdir()
        .unwrap();
    // Sized for the inodes: a small machine's default tmpfs has too few for 2 x 1M.
    let inodes = format!("size=1g,nr_inodes={}", 2 * n + 100_000);
    let _tmpfs = Mount::new(&["-t", "tmpfs", "-o", &inodes, "tmpfs"], dir.path());
    let (src, dst) = (dir.path().join("src"), dir.path().join("dst"));
    common::build_source(&src);
    fs::create_dir(&dst).unwrap();
    add_entries(&src, n);
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_wp-init"))
        .env_clear()
        .args(["install", "--json", "--source"])
        .arg(&src)
        .arg("--target")
        .arg(&dst)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{n} entries: {}",
        common::stderr(&out)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["status"], "copied");
    assert_eq!(files_under(&dst, "wp-content/many"), n, "{n} entries");
    report
}

#[test]
#[ignore = "root: mounts a tmpfs; scripts/test.sh runs it"]
fn the_components_memory_does_not_grow_with_the_tree() {
    for n in [10_000, 1_000_000] {
        let report = install(n);
        let peak = report["guest_memory_peak"].as_u64().unwrap();
        eprintln!(
            "scale: {n} entries: {} files copied, guest_memory_peak {peak} bytes",
            report["files_copied"]
        );
        assert!(
            peak <= PEAK,
            "{n} entries: the component peaked at {peak} bytes, over {PEAK}"
        );
    }
}
