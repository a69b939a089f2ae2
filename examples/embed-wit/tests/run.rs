//! Runs the example on the bundled tree with the component `wp-init component` ships.

use std::path::Path;
use std::process::{Command, Output};

fn run(wasm: &Path, source: &Path, target: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_embed-wit"))
        .arg(wasm)
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
fn installs_the_bundled_tree_through_its_own_bindings() {
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("../wordpress");
    let dir = tempfile::tempdir().unwrap();
    let wasm = dir.path().join("wp-init.wasm");
    std::fs::write(&wasm, wp_init::COMPONENT_WASM).unwrap();
    let target = dir.path().join("html");
    std::fs::create_dir(&target).unwrap();

    let out = run(&wasm, &source, &target);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("status: InstallStatus::Copied"), "{stdout}");
    assert!(stdout.contains("copied: 12 files"), "{stdout}");
    assert!(
        stdout.contains("wp-config.php: ConfigAction::Written"),
        "{stdout}"
    );
    assert!(stdout.contains("\"WORDPRESS_DB_HOST\""), "{stdout}");
    // The component put the sentinels and the config into place itself, and left no
    // journal behind: of its own names, only the record of the core it installed.
    let own: Vec<String> = std::fs::read_dir(&target)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".wp-init-"))
        .collect();
    assert_eq!(own, [".wp-init-core"], "wp-init's state left behind");
    let record = std::fs::read_to_string(target.join(".wp-init-core")).unwrap();
    assert!(record.contains("\"wp-includes/version.php\""), "{record}");
    assert_eq!(
        std::fs::read(target.join("index.php")).unwrap(),
        std::fs::read(source.join("index.php")).unwrap()
    );
    assert!(target.join("wp-config.php").is_file());
}

#[test]
fn a_source_that_is_not_wordpress_is_a_typed_error() {
    let dir = tempfile::tempdir().unwrap();
    let wasm = dir.path().join("wp-init.wasm");
    std::fs::write(&wasm, wp_init::COMPONENT_WASM).unwrap();
    let (source, target) = (dir.path().join("empty"), dir.path().join("html"));
    std::fs::create_dir(&source).unwrap();
    std::fs::create_dir(&target).unwrap();

    let out = run(&wasm, &source, &target);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("error: invalid SOURCE: "), "{stderr}");
    assert!(stderr.contains(source.to_str().unwrap()), "{stderr}");
    assert_eq!(std::fs::read_dir(&target).unwrap().count(), 0);
}
