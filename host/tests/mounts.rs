//! Failures only a file system can produce: a full disk, a read-only TARGET, an unreadable
//! SOURCE file. Needs root with mount rights (CI has them); a `mount` that fails fails the
//! test.

mod common;

use std::fs;

use common::mount::Mount;
use common::*;

#[test]
#[ignore = "needs root (mounts): scripts/test.sh runs it"]
fn disk_full_is_a_clear_error_and_never_looks_installed() {
    let f = Fixture::new();
    let _m = Mount::new(&["-t", "tmpfs", "-o", "size=64k", "tmpfs"], &f.dst);
    let out = f
        .cli()
        .args(["--user", "0:0"])
        .env("WORDPRESS_DB_HOST", "db")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("no space left on device"), "{err}");
    assert!(
        err.contains(&f.dst_str()),
        "the error names the path: {err}"
    );
    assert!(!f.dst.join("index.php").exists() && !f.dst.join("wp-includes/version.php").exists());
}

#[test]
#[ignore = "needs root (mounts): scripts/test.sh runs it"]
fn read_only_target_is_a_clear_error() {
    let f = Fixture::new();
    let _m = Mount::new(&["--bind", "-o", "ro", f.dst.to_str().unwrap()], &f.dst);
    let out = f.cli().output().unwrap();
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("read-only file system"), "{err}");
    assert!(err.contains(&f.dst_str()), "{err}");
    assert_eq!(fs::read_dir(&f.dst).unwrap().count(), 0);
    // A dry run on the same read-only TARGET works: it writes nothing anyway.
    let out = f.cli().args(["--dry-run", "--json"]).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
}

#[test]
#[ignore = "needs root (mounts): scripts/test.sh runs it"]
fn installed_and_configured_target_may_be_read_only() {
    // A runtime container re-running the install step on its read-only document root:
    // nothing to do, nothing written, success (upstream failed here without a config).
    let f = Fixture::new();
    let out = f.cli().env("WORDPRESS_DB_HOST", "db").output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let _m = Mount::new(&["--bind", "-o", "ro", f.dst.to_str().unwrap()], &f.dst);
    let (_, v) = f.install_json();
    assert_eq!(v["status"], "already-installed");
    assert_eq!(v["config"]["action"], "kept-existing");
}

#[test]
#[ignore = "needs root (mounts): scripts/test.sh runs it"]
fn unreadable_source_file_is_a_clear_error() {
    // Root can read any file by its mode, so bind a file the kernel refuses to read as
    // a plain one (`/proc/1/mem`) over an entry of SOURCE.
    let f = Fixture::new();
    let broken = f.src.join("wp-admin/broken.php");
    fs::write(&broken, b"").unwrap();
    let _m = Mount::new(&["--bind", "/proc/1/mem"], &broken);
    let out = f.cli().output().unwrap();
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains(&format!("{}/wp-admin/broken.php: ", f.src_str())),
        "{err}"
    );
    assert!(!f.dst.join("index.php").exists() && !f.dst.join("wp-includes/version.php").exists());
}
