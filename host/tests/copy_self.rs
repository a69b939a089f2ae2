//! `wp-init copy-self`: the binary a FROM-scratch image hands to another container.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_wp-init");

fn copy_self(output: &std::path::Path) -> std::process::Output {
    Command::new(BIN)
        .args(["copy-self", "--output"])
        .arg(output)
        .output()
        .unwrap()
}

#[test]
fn copy_is_the_running_binary_with_mode_0755_and_runs() {
    let dir = tempfile::tempdir().unwrap();
    let out_path = dir.path().join("wp-init");
    // An existing file is replaced whole.
    fs::write(&out_path, b"old").unwrap();
    let out = copy_self(&out_path);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(fs::read(&out_path).unwrap(), fs::read(BIN).unwrap());
    let mode = fs::metadata(&out_path).unwrap().permissions().mode();
    assert_eq!(mode & 0o7777, 0o755, "mode {mode:o}");
    // Nothing but the copy is left in the directory (no temporary file).
    let names: Vec<_> = fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, ["wp-init"]);
    // The copy is a working wp-init.
    let run = Command::new(&out_path).arg("--version").output().unwrap();
    assert!(run.status.success());
    assert!(String::from_utf8_lossy(&run.stdout).starts_with("wp-init "));
}

#[test]
fn missing_directory_fails_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no-such-dir");
    let out = copy_self(&missing.join("wp-init"));
    assert_eq!(out.status.code(), Some(4));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(missing.to_str().unwrap()),
        "error does not name the directory: {stderr}"
    );
}
