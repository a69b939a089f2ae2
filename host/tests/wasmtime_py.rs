//! The component under wasmtime-py (PyPI `wasmtime`, the Bytecode Alliance's Python
//! embedding), driven by `runners/wasmtime_py.py`: the typed `install` export gives the host's
//! report and tree, and its read-only preopen keeps SOURCE unwritten.

mod common;
mod runners;

use std::fs;
use std::process::Command;

use common::*;
use runners::{assert_same_tree, comparable};
use serde_json::Value;

/// Runs the Python driver on this fixture's SOURCE (read-only) and TARGET (read-write);
/// returns its JSON line and the component's messages.
fn python(f: &Fixture, mode: &[&str], env: &[&str], args: &[&str]) -> (Value, String) {
    let wasm = runners::component_file(f.dir.path());
    let mut cmd = Command::new(runners::python());
    cmd.arg(runners::workspace().join("host/tests/runners/wasmtime_py.py"))
        .arg(&wasm)
        .arg(&f.src)
        .arg(&f.dst)
        .args(mode)
        .args(env);
    if !args.is_empty() {
        cmd.arg("--").args(args);
    }
    let out = cmd.output().expect("run python");
    assert!(out.status.success(), "the driver failed: {}", stderr(&out));
    let v = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)));
    (v, stderr(&out))
}

#[test]
#[ignore = "needs wasmtime-py from scripts/runners-setup.sh: scripts/test.sh runs it"]
fn typed_install_gives_the_hosts_report_and_tree() {
    let (f, g) = (Fixture::new(), Fixture::new());
    let (v, msgs) = python(&f, &["typed"], &["WORDPRESS_DB_HOST=db"], &[]);
    let report = v["ok"].clone();
    assert!(report.is_object(), "{v} {msgs}");

    let host = g
        .cli()
        .arg("--json")
        .env("WORDPRESS_DB_HOST", "db")
        .output()
        .unwrap();
    assert!(host.status.success(), "{}", stderr(&host));
    let host: Value = serde_json::from_slice(&host.stdout).unwrap();
    assert_eq!(
        comparable(report, &f.dst_str()),
        comparable(host, &g.dst_str())
    );
    assert_same_tree(&f.dst, &g.dst);
}

#[test]
#[ignore = "needs wasmtime-py from scripts/runners-setup.sh: scripts/test.sh runs it"]
fn typed_errors_arrive_as_the_wit_variant() {
    let f = Fixture::new();
    fs::remove_file(f.src.join("wp-includes/version.php")).unwrap();
    let (v, msgs) = python(&f, &["typed"], &[], &[]);
    assert_eq!(v["err"]["case"], "invalid-source", "{v} {msgs}");
    assert_eq!(v["err"]["value"]["path"], f.src_str(), "{v}");
    assert_eq!(fs::read_dir(&f.dst).unwrap().count(), 0);
}

#[test]
#[ignore = "needs wasmtime-py from scripts/runners-setup.sh: scripts/test.sh runs it"]
fn read_only_preopen_keeps_source_unwritten() {
    // The command line told to configure SOURCE: the read-only grant refuses the write.
    let f = Fixture::new();
    let before = snapshot(&f.src);
    let src = f.src_str();
    let (v, msgs) = python(
        &f,
        &["run"],
        &["WORDPRESS_DB_HOST=db"],
        &["install", "--source", &src, "--target", &src, "--json"],
    );
    assert_eq!(v["exit_code"], 4, "{v} {msgs}");
    let report: Value = serde_json::from_str(v["stdout"].as_str().unwrap()).unwrap();
    let error = report["error"].as_str().unwrap();
    assert!(
        error.starts_with(&format!("{src}/")) && error.contains("not permitted"),
        "{error}"
    );
    assert_eq!(snapshot(&f.src), before);
}

#[test]
#[ignore = "needs wasmtime-py from scripts/runners-setup.sh: scripts/test.sh runs it"]
fn command_line_exit_codes_are_the_documented_ones() {
    let f = Fixture::new();
    let (v, msgs) = python(&f, &["run"], &[], &["install", "--bogus"]);
    assert_eq!(v["exit_code"], 2, "{v} {msgs}");
    let (src, dst) = (f.src_str(), f.dst_str());
    let (v, msgs) = python(
        &f,
        &["run"],
        &[],
        &["install", "--source", &src, "--target", &dst],
    );
    assert_eq!(v["exit_code"], 0, "{v} {msgs}");
    assert!(f.dst.join("wp-includes/version.php").is_file());
}
