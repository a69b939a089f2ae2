//! Runs the example on the bundled tree: an install, a second run, and a clear error.

use std::path::Path;
use std::process::{Command, Output};

fn run(source: &Path, target: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_embed-library"))
        .arg(source)
        .arg(target)
        .env_clear()
        .env("WORDPRESS_DB_HOST", "db")
        .output()
        .expect("run the example")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn installs_the_bundled_tree_then_finds_it_installed() {
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("../wordpress");
    let dir = tempfile::tempdir().unwrap();

    let out = run(&source, dir.path());
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("status: Copied"), "{stdout}");
    assert!(stdout.contains("copied: 12 files"), "{stdout}");
    assert!(stdout.contains("wp-config.php: Written"), "{stdout}");
    assert_eq!(
        std::fs::read(dir.path().join("wp-includes/version.php")).unwrap(),
        std::fs::read(source.join("wp-includes/version.php")).unwrap()
    );
    assert!(dir.path().join("wp-config.php").is_file());

    let again = run(&source, dir.path());
    assert!(again.status.success(), "{}", text(&again.stderr));
    assert!(text(&again.stdout).contains("status: AlreadyInstalled"));
}

#[test]
fn a_missing_target_is_a_usage_error_naming_it() {
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("../wordpress");
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing");
    let out = run(&source, &missing);
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(stderr.contains(missing.to_str().unwrap()), "{stderr}");
    assert!(out.stdout.is_empty());
}
