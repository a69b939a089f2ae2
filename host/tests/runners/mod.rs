//! The independent runtimes the runner tests drive, from `scripts/runners-setup.sh`.
//!
//! `WP_INIT_WASMTIME` / `WP_INIT_PYTHON` name them when set (scripts/test.sh sets both);
//! otherwise the setup script is run once per test binary (it installs what is missing, cached
//! under ~/.cache/wp-init-runners). A runtime that cannot be had fails the test: never a skip.
#![allow(dead_code, reason = "each test binary uses a different subset")]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use serde_json::Value;

use crate::common::{self, Entry};

/// The `wasmtime` CLI binary.
pub fn wasmtime() -> PathBuf {
    runtime("WP_INIT_WASMTIME")
}

/// A Python interpreter with wasmtime-py.
pub fn python() -> PathBuf {
    runtime("WP_INIT_PYTHON")
}

fn runtime(name: &str) -> PathBuf {
    if let Some(path) = std::env::var_os(name) {
        return path.into();
    }
    static SETUP: OnceLock<String> = OnceLock::new();
    let lines = SETUP.get_or_init(|| {
        let script = workspace().join("scripts/runners-setup.sh");
        let out = Command::new("bash")
            .arg(&script)
            .output()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", script.display()));
        assert!(
            out.status.success(),
            "{} failed ({}): {}",
            script.display(),
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("setup output is UTF-8")
    });
    let path = lines
        .lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix('='))
        .unwrap_or_else(|| panic!("scripts/runners-setup.sh printed no {name}: {lines}"));
    PathBuf::from(path)
}

/// The repository's root.
pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The component as `wp-init component --output` writes it, into `dir`.
pub fn component_file(dir: &Path) -> PathBuf {
    let path = dir.join("wp-init.wasm");
    let out = Command::new(env!("CARGO_BIN_EXE_wp-init"))
        .args(["component", "--output"])
        .arg(&path)
        .output()
        .expect("run wp-init component");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(std::fs::read(&path).unwrap(), wp_init::COMPONENT_WASM);
    path
}

/// A `--json` report as another runner prints it: without what only the `wp-init` host
/// adds, and with `config.template` named relative to TARGET (`TARGET/...`).
pub fn comparable(mut v: Value, target: &str) -> Value {
    let obj = v.as_object_mut().expect("a JSON object");
    for host_only in [
        "modes_set",
        "owners_set",
        "owner",
        "lock_wait_secs",
        "lock",
        "guest_memory_peak",
        "instances",
        "source_digest",
        "image_digest",
    ] {
        obj.remove(host_only);
    }
    let template = &mut v["config"]["template"];
    if let Some(t) = template.as_str().and_then(|t| t.strip_prefix(target)) {
        *template = Value::from(format!("TARGET{t}"));
    }
    v
}

/// Asserts that two installed trees hold the same entries (content, mtime, symlink target),
/// what is new in `wp-config.php` aside; names the paths that differ.
pub fn assert_same_tree(a: &Path, b: &Path) {
    let (ta, tb) = (tree(a), tree(b));
    let keys: std::collections::BTreeSet<&String> = ta.keys().chain(tb.keys()).collect();
    let differ: Vec<String> = keys
        .into_iter()
        .filter(|k| ta.get(*k) != tb.get(*k))
        .map(|k| format!("{k}: {} / {}", brief(ta.get(k)), brief(tb.get(k))))
        .collect();
    assert!(
        differ.is_empty(),
        "{} and {} differ:\n{}",
        a.display(),
        b.display(),
        differ.join("\n")
    );
}

fn brief(e: Option<&Entry>) -> String {
    match e {
        None => "absent".into(),
        Some(Entry::File { content, mtime }) => {
            format!("file of {} bytes, {mtime:?}", content.len())
        }
        Some(Entry::Dir { mtime }) => format!("dir, {mtime:?}"),
        Some(Entry::Link(t)) => format!("symlink to {}", t.display()),
    }
}

/// A tree snapshot with what is new in each `wp-config.php` masked: its salts and its mtime.
fn tree(root: &Path) -> BTreeMap<String, Entry> {
    let mut t = common::snapshot(root);
    if let Some(Entry::File { content, mtime }) = t.get_mut("wp-config.php") {
        *mtime = std::time::SystemTime::UNIX_EPOCH;
        let mut text = String::from_utf8(content.clone()).unwrap();
        for salt in common::salts(&text) {
            text = text.replace(&salt, "SALT");
        }
        *content = text.into_bytes();
    }
    t
}
