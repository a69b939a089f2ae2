//! `wp-init` in a bare root: a `chroot` that holds the binary (and the shared libraries it
//! loads), SOURCE and TARGET, and nothing else — no `/proc`, no `/etc` (no user or group
//! database), as in a minimal image. A root given by path is granted by that path when it
//! still names the directory that was opened; `--user UID:GID` in numbers needs no
//! database. Needs root (chroot); `chroot(1)` from coreutils.

mod common;

use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt, symlink};
use std::path::Path;
use std::process::Command;

use common::expect::{Before, Want, differences, summary};
use common::*;

/// One run in a fresh bare root: `wp-init install ARGS` and what it must give.
struct Case {
    name: &'static str,
    /// `chroot --userspec` (numbers), or `None` to run as root.
    userspec: Option<&'static str>,
    args: &'static [&'static str],
    /// The exit code; 0 also requires a complete tree owned by `owner`.
    code: i32,
    /// A fragment of stderr.
    message: &'static str,
    /// The owner of the created entries, on success.
    owner: (u32, u32),
}

const CASES: &[Case] = &[
    Case {
        name: "as root, --user in numbers",
        userspec: None,
        args: &["--source", "/src", "--target", "/dst", "--user", "33:33"],
        code: 0,
        message: "Complete!",
        owner: (33, 33),
    },
    Case {
        name: "not root, no --user",
        userspec: Some("65534:65534"),
        args: &["--source", "/src", "--target", "/dst"],
        code: 0,
        message: "Complete!",
        owner: (65534, 65534),
    },
    Case {
        name: "TARGET given as a symlink to the directory",
        userspec: None,
        args: &["--source", "/src", "--target", "/html", "--user", "33:33"],
        code: 0,
        message: "Complete!",
        owner: (33, 33),
    },
    Case {
        name: "SOURCE inside TARGET is still told apart",
        userspec: None,
        args: &[
            "--source",
            "/dst/inner",
            "--target",
            "/dst",
            "--user",
            "0:0",
        ],
        code: 2,
        message: "must not be the same directory or inside each other",
        owner: (0, 0),
    },
    Case {
        name: "a group name needs the database",
        userspec: None,
        args: &[
            "--source",
            "/src",
            "--target",
            "/dst",
            "--user",
            "33:www-data",
        ],
        code: 4,
        message: "cannot look up 'www-data'",
        owner: (0, 0),
    },
];

/// Copies `file` to the same absolute path under `root`.
fn copy_into(root: &Path, file: &Path) {
    let to = root.join(file.strip_prefix("/").unwrap());
    fs::create_dir_all(to.parent().unwrap()).unwrap();
    fs::copy(file, &to).unwrap();
}

/// Makes the fixture's directory a root `chroot` can run the binary in: the binary as
/// `/wp-init` and the libraries `ldd` names (none for a static binary), nothing else.
fn bare_root(f: &Fixture) {
    let bin = Path::new(env!("CARGO_BIN_EXE_wp-init"));
    fs::copy(bin, f.dir.path().join("wp-init")).unwrap();
    let ldd = Command::new("ldd").arg(bin).output().unwrap();
    // `ldd` fails on a static binary ("not a dynamic executable"): nothing to copy.
    if ldd.status.success() {
        let libs = String::from_utf8(ldd.stdout).unwrap();
        for lib in libs.split_whitespace().filter(|w| w.starts_with('/')) {
            copy_into(f.dir.path(), Path::new(lib));
        }
    }
    fs::set_permissions(f.dir.path(), fs::Permissions::from_mode(0o755)).unwrap();
    symlink("/dst", f.dir.path().join("html")).unwrap();
    fs::create_dir(f.dst.join("inner")).unwrap();
    for absent in ["proc", "etc"] {
        assert!(!f.dir.path().join(absent).exists(), "{absent} in the root");
    }
}

#[test]
#[ignore = "needs root (chroot): scripts/test.sh runs it"]
fn a_bare_root_without_proc_or_user_database() {
    let mut failures = Vec::new();
    for case in CASES {
        let f = Fixture::new();
        bare_root(&f);
        if let Some(spec) = case.userspec {
            let (uid, gid) = spec.split_once(':').unwrap();
            rustix::fs::chown(
                &f.dst,
                Some(rustix::fs::Uid::from_raw(uid.parse().unwrap())),
                Some(rustix::fs::Gid::from_raw(gid.parse().unwrap())),
            )
            .unwrap();
        }
        // The user's entry in TARGET (made before the run, so `Before` lists it).
        let before = Before::take(&f.dst);
        let mut chroot = Command::new("chroot");
        if let Some(spec) = case.userspec {
            chroot.arg(format!("--userspec={spec}"));
        }
        let out = chroot
            .env_clear()
            // For `chroot` itself; the component sees no variable but `WORDPRESS_*` ones.
            .env("PATH", "/usr/sbin:/usr/bin:/sbin:/bin")
            .arg(f.dir.path())
            .args(["/wp-init", "install"])
            .args(case.args)
            .output()
            .unwrap();
        let err = stderr(&out);
        let mut problems = Vec::new();
        if out.status.code() != Some(case.code) {
            problems.push(format!("exit {:?}, want {}", out.status.code(), case.code));
        }
        if !err.contains(case.message) {
            problems.push(format!("no '{}' in stderr", case.message));
        }
        if case.code == 0 {
            let want = Want {
                owner: case.owner,
                config_mode: None,
            };
            let d = differences(&f.src, &f.dst, &before, &want, true);
            if !d.is_empty() {
                problems.push(format!("TARGET incomplete: {}", summary(&d)));
            }
            let owner = fs::metadata(f.dst.join("index.php")).map(|m| (m.uid(), m.gid()));
            if owner.as_ref().ok() != Some(&case.owner) {
                problems.push(format!("index.php owned by {owner:?}"));
            }
        }
        if !problems.is_empty() {
            failures.push(format!(
                "{}: {}\n  stderr: {err}",
                case.name,
                problems.join("; ")
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
