//! The `wp-init` binary: messages, exit codes, JSON, limits, bad input.

mod common;

use std::fs;
use std::os::unix::fs::symlink;

use common::*;

#[test]
fn install_with_json_report() {
    let f = Fixture::new();
    let (out, v) = f.install_json();
    assert_eq!(v["status"], "copied");
    assert_eq!(v["files_copied"], 17);
    assert!(v["bytes_copied"].as_u64().unwrap() > 400_000);
    assert_eq!(v["config"]["action"], "written");
    assert_eq!(
        v["config"]["variables"],
        serde_json::json!(["WORDPRESS_DB_HOST"])
    );
    assert!(v["warnings"].as_array().unwrap().is_empty());
    let created = v["created"].as_array().unwrap();
    assert!(
        created
            .iter()
            .any(|c| c["path"] == "wp-admin/index.php" && c["kind"] == "file")
    );
    // Messages go to stderr only.
    assert!(stderr(&out).contains("Complete! WordPress has been successfully copied to"));
}

#[test]
fn missing_source_is_a_usage_error_naming_it() {
    let f = Fixture::new();
    fs::remove_dir_all(&f.src).unwrap();
    let out = f.cli().output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains(&f.src_str()), "{}", stderr(&out));
}

#[test]
fn source_that_is_not_wordpress_is_refused() {
    let f = Fixture::new();
    fs::remove_file(f.src.join("wp-includes/version.php")).unwrap();
    let out = f.cli().output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("wp-includes/version.php"),
        "{}",
        stderr(&out)
    );
    assert_eq!(fs::read_dir(&f.dst).unwrap().count(), 0);
}

#[test]
fn missing_or_non_directory_target_is_refused() {
    let f = Fixture::new();
    fs::remove_dir(&f.dst).unwrap();
    let out = f.cli().output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains(&f.dst_str()), "{}", stderr(&out));

    fs::write(&f.dst, b"a file").unwrap();
    let out = f.cli().output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("not a directory"), "{}", stderr(&out));
}

#[test]
fn target_inside_source_is_refused() {
    let f = Fixture::new();
    let inner = f.src.join("wp-content/uploads");
    let out = f
        .cli()
        .args(["--target", inner.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
}

#[test]
fn absolute_symlink_in_source_fails_with_code_4() {
    let f = Fixture::new();
    symlink("/etc/passwd", f.src.join("passwd.php")).unwrap();
    let out = f.cli().output().unwrap();
    assert_eq!(out.status.code(), Some(4));
    assert!(
        stderr(&out).contains(&format!("{}/passwd.php", f.src_str())),
        "{}",
        stderr(&out)
    );
}

#[test]
fn unknown_flag_is_a_usage_error() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_wp-init"))
        .args(["install", "--frobnicate"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn time_limit_is_enforced_and_a_rerun_completes() {
    let f = Fixture::new();
    // A sparse 1 TiB file: no run can copy it within the limit, however fast the machine.
    let huge = f.src.join("wp-includes/huge.bin");
    fs::File::create(&huge).unwrap().set_len(1 << 40).unwrap();
    let out = f.cli().args(["--timeout", "0.2"]).output().unwrap();
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    assert!(stderr(&out).contains("time limit"), "{}", stderr(&out));
    assert!(
        !f.dst.join("index.php").exists(),
        "an interrupted copy must not look installed"
    );

    // The rerun (of a SOURCE without the file) removes the leftovers and completes.
    fs::remove_file(&huge).unwrap();
    let out = f.cli().arg("--json").output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        snapshot(&f.src).keys().collect::<Vec<_>>(),
        snapshot(&f.dst).keys().collect::<Vec<_>>()
    );
}

#[test]
fn component_subcommand_writes_the_wasm() {
    let f = Fixture::new();
    let path = f.dir.path().join("wp-init.wasm");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_wp-init"))
        .args(["component", "--output", path.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let bytes = fs::read(&path).unwrap();
    assert_eq!(bytes, wp_init::COMPONENT_WASM);
    // A component (layer 1), not a core module.
    assert_eq!(&bytes[..8], b"\0asm\x0d\x00\x01\x00");
}

#[test]
fn a_closed_stdout_is_an_error_not_a_panic() {
    let f = Fixture::new();
    let mut child = f
        .cli()
        .arg("--json")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("cannot write the JSON report"),
        "{}",
        stderr(&out)
    );
    assert!(!stderr(&out).contains("panicked"), "{}", stderr(&out));
    assert!(
        f.dst.join("index.php").is_file(),
        "the install itself completed"
    );
}
