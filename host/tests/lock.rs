//! The lock on TARGET against a co-tenant (issue 23, hole 8) and on a file system without
//! locks: who can hold it, what the wait says, what a planted entry does.
//!
//! The co-tenant is `nobody` with TARGET's root its own (as `www-data` has the docroot in
//! the upstream image), against `wp-init` as root; run as root (CI is root).

mod common;

use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

use common::*;
use wp_init::lock::{Access, LOCK_FILE};

const NOBODY: u32 = 65534;

/// Runs a command as `nobody` (no groups).
fn as_nobody(args: &[&str]) -> Command {
    let mut cmd = Command::new("setpriv");
    cmd.args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
        .args(args);
    cmd
}

/// A fixture whose TARGET root belongs to `nobody`, reachable by it.
fn cotenant_fixture() -> Fixture {
    let f = Fixture::new();
    fs::set_permissions(f.dir.path(), fs::Permissions::from_mode(0o755)).unwrap();
    std::os::unix::fs::chown(&f.dst, Some(NOBODY), Some(NOBODY)).unwrap();
    f
}

/// Starts `args` as nobody and waits until it printed its first line (it holds what it
/// took by then).
fn nobody_holding(args: &[&str]) -> Child {
    let mut child = as_nobody(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut line = String::new();
    let mut out = std::io::BufReader::new(child.stdout.take().unwrap());
    std::io::BufRead::read_line(&mut out, &mut line).unwrap();
    assert!(
        line.starts_with("holding"),
        "the co-tenant did not take its lock: {args:?}"
    );
    child
}

fn json(out: &Output) -> serde_json::Value {
    assert!(out.status.success(), "{}", stderr(out));
    serde_json::from_slice(&out.stdout).unwrap()
}

/// What `nobody` does to TARGET while root's `wp-init install` runs, and what the run's
/// report must say of the lock file's name (`None`: nothing was there to replace).
struct Row {
    name: &'static str,
    /// Run as nobody; prints "holding" once it holds what it took, then sleeps.
    cotenant: &'static [&'static str],
    replaced: Option<&'static str>,
}

#[test]
#[ignore = "needs root (setpriv to nobody, chown): scripts/test.sh runs it"]
fn a_user_who_cannot_write_what_wp_init_writes_cannot_hold_the_lock() {
    let rows = [
        Row {
            // The hole: a shared flock on TARGET's directory, which any reader can take,
            // held the lock of the old design ("waiting ... held by another wp-init").
            name: "flock -s on TARGET",
            cotenant: &[
                "flock",
                "-s",
                "{dst}",
                "sh",
                "-c",
                "echo holding; exec sleep 600",
            ],
            replaced: None,
        },
        Row {
            // Its own file at the lock file's name, private, with the OFD lock wp-init
            // takes held on it.
            name: "a lock file of nobody's, locked",
            cotenant: &[
                "sh",
                "-c",
                "umask 077 && : > {dst}/.wp-init-lock && exec {hold} {dst}/.wp-init-lock",
            ],
            replaced: Some("a file owned by uid 65534, not this user"),
        },
        Row {
            name: "a FIFO at the lock file's name",
            cotenant: &[
                "sh",
                "-c",
                "mkfifo {dst}/.wp-init-lock && echo holding && exec sleep 600",
            ],
            replaced: Some("a FIFO owned by uid 65534"),
        },
        Row {
            name: "a symlink to a file of root's",
            cotenant: &[
                "sh",
                "-c",
                "ln -s {dir}/root-only {dst}/.wp-init-lock && echo holding && exec sleep 600",
            ],
            replaced: Some("a symlink owned by uid 65534"),
        },
    ];
    for row in rows {
        let f = cotenant_fixture();
        let root_only = f.dir.path().join("root-only");
        fs::write(&root_only, "root's").unwrap();
        fs::set_permissions(&root_only, fs::Permissions::from_mode(0o600)).unwrap();
        let hold = compile(f.dir.path(), "../tests/nfs/hold-lock.c");
        let fill = |a: &str| {
            a.replace("{dst}", &f.dst_str())
                .replace("{dir}", f.dir.path().to_str().unwrap())
                .replace("{hold}", hold.to_str().unwrap())
        };
        let args: Vec<String> = row.cotenant.iter().map(|a| fill(a)).collect();
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let mut cotenant = nobody_holding(&args);

        let out = f
            .cli()
            .args(["--json", "--lock-timeout", "30"])
            .output()
            .unwrap();
        let _ = cotenant.kill();
        let _ = cotenant.wait();
        let v = json(&out);
        let err = stderr(&out);
        assert!(!err.contains("waiting for the lock"), "{}: {err}", row.name);
        assert_eq!(v["lock"]["mode"], "exclusive", "{}: {v}", row.name);
        assert_eq!(v["lock"]["waited_secs"], 0.0, "{}: {v}", row.name);
        let replaced = v["lock"]["replaced"].as_array().unwrap();
        match row.replaced {
            None => assert!(replaced.is_empty(), "{}: {v}", row.name),
            Some(what) => {
                assert_eq!(replaced.len(), 1, "{}: {v}", row.name);
                assert!(
                    replaced[0].as_str().unwrap().contains(what),
                    "{}: {v}",
                    row.name
                );
                let lock_path = f.dst.join(LOCK_FILE);
                assert!(
                    err.contains(&format!("{}: {what}", lock_path.display())),
                    "{}: the warning names the path and what was there: {err}",
                    row.name
                );
            }
        }
        assert_eq!(v["status"], "copied", "{}: {v}", row.name);
        assert_eq!(fs::read(&root_only).unwrap(), b"root's", "{}", row.name);
        assert!(
            !f.dst.join(LOCK_FILE).exists(),
            "{}: lock file left",
            row.name
        );
    }
}

#[test]
#[ignore = "needs root (setpriv to nobody): scripts/test.sh runs it"]
fn the_lock_file_opens_for_no_one_else_and_the_wait_names_its_holder() {
    let f = cotenant_fixture();
    let held = wp_init::lock::acquire(
        &f.dst,
        Access::Exclusive,
        Duration::ZERO,
        &|| false,
        &mut |_| {},
    )
    .unwrap()
    .lock
    .unwrap();
    let meta = fs::symlink_metadata(held.path()).unwrap();
    assert_eq!(
        (meta.uid(), meta.mode() & 0o7777, meta.nlink()),
        (0, 0o600, 1)
    );
    // nobody can neither open it to lock it nor read it.
    let lock_file = held.path().to_str().unwrap();
    let attempts: [&[&str]; 3] = [
        &["flock", "-n", lock_file, "true"],
        &["flock", "-s", "-n", lock_file, "true"],
        &["cat", lock_file],
    ];
    for args in attempts {
        let out = as_nobody(args).output().unwrap();
        assert!(!out.status.success(), "{args:?} succeeded as nobody");
        assert!(
            stderr(&out).contains("Permission denied"),
            "{args:?}: {}",
            stderr(&out)
        );
    }
    // A root run waits for this holder and names it: a wp-init, its pid and host.
    let out = f.cli().args(["--lock-timeout", "0.3"]).output().unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(3), "{err}");
    let holder = format!(
        "held by wp-init {} (pid {} on ",
        env!("CARGO_PKG_VERSION"),
        std::process::id()
    );
    assert!(
        err.contains(&format!("waiting for the lock on {} {holder}", f.dst_str())),
        "{err}"
    );
    assert!(
        err.contains(&format!("waiting for the lock {holder}")),
        "{err}"
    );
    drop(held);
}

/// Compiles the C helper at `source` (relative to the host crate) into `dir`.
fn compile(dir: &Path, source: &str) -> std::path::PathBuf {
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join(source);
    let exe = dir.join(source.file_stem().unwrap());
    let out = Command::new("cc")
        .args(["-O2", "-o"])
        .arg(&exe)
        .arg(&source)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "cc {}: {}",
        source.display(),
        stderr(&out)
    );
    exe
}

/// `no-locks.c`: runs a command under a seccomp filter that fails every `F_OFD_SETLK`
/// with ENOLCK, what a file system without locks answers (NFSv3 without a lock manager).
fn no_locks_wrapper(dir: &Path) -> std::path::PathBuf {
    compile(dir, "tests/lock/no-locks.c")
}

#[test]
fn a_file_system_without_locks_is_refused_with_code_4_unless_no_lock() {
    let f = Fixture::new();
    let wrapper = no_locks_wrapper(f.dir.path());
    let run = |extra: &[&str]| {
        let mut cmd = Command::new(&wrapper);
        cmd.env_clear()
            .arg(env!("CARGO_BIN_EXE_wp-init"))
            .args([
                "install",
                "--source",
                &f.src_str(),
                "--target",
                &f.dst_str(),
            ])
            .args(extra);
        cmd.output().unwrap()
    };
    let out = run(&["--json"]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(4), "{err}");
    assert!(err.contains("supports no file locks"), "{err}");
    assert!(err.contains("--no-lock"), "{err}");
    assert!(
        err.contains(&f.dst.join(LOCK_FILE).display().to_string()),
        "{err}"
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["exit_code"], 4, "{v}");
    assert!(
        !f.dst.join("index.php").exists(),
        "nothing installed without the lock"
    );
    // With --no-lock the same file system installs.
    let out = run(&["--no-lock", "--json"]);
    let v = json(&out);
    assert_eq!(v["status"], "copied");
    assert_eq!(v["lock"]["mode"], "none");
    assert_eq!(v["lock"]["reason"], "--no-lock");
}
