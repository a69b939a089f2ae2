//! An archive SOURCE (issue 18) gives what its directory gives: install, upgrade and verify
//! from `.tar`, `.tar.gz` and `.zip` made by the usual tools (GNU tar, Info-ZIP's zip)
//! from the same tree, and from an image umoci built with whiteouts and an opaque
//! directory (what `umoci unpack` gives); the scratch directory gone after every run, and
//! one an interrupted run left removed by the next.
//!
//! The refusals of hostile archives are `hostile_archive.rs`'s table.

mod common;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::run::Invocation;
use common::tree::{listing, same_content};
use common::{build_source, stderr, write};

/// The archive forms, the tool command that makes each from `dir/wordpress`.
const FORMATS: [&str; 3] = ["tar", "tar.gz", "zip"];

/// Makes `wordpress.<ext>` from `parent/wordpress` with the system's tools.
fn archive(parent: &Path, ext: &str) -> PathBuf {
    let out = parent.join(format!("wordpress.{ext}"));
    let status = match ext {
        "tar" => Command::new("tar")
            .arg("-C")
            .arg(parent)
            .arg("-cf")
            .arg(&out)
            .arg("wordpress")
            .status(),
        "tar.gz" => Command::new("tar")
            .arg("-C")
            .arg(parent)
            .arg("-czf")
            .arg(&out)
            .arg("wordpress")
            .status(),
        _ => Command::new("zip")
            .current_dir(parent)
            .args(["-qry"])
            .arg(&out)
            .arg("wordpress")
            .status(),
    };
    assert!(
        status
            .expect("tar and zip are installed (scripts/test.sh)")
            .success(),
        "making {}",
        out.display()
    );
    out
}

fn ok(out: &Output) {
    assert!(out.status.success(), "{}", stderr(out));
}

/// Names at TARGET's root that are a scratch directory.
fn scratches(target: &Path) -> Vec<String> {
    fs::read_dir(target)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".wp-init-source."))
        .collect()
}

/// Two TARGETs are the same tree: kinds, modes, owners, sizes, contents.
fn assert_same(a: &Path, b: &Path) {
    let (la, lb) = (listing(a), listing(b));
    assert_eq!(la, lb, "{} and {} differ", a.display(), b.display());
    for (rel, meta) in &la {
        if meta.kind == common::tree::Kind::File {
            assert!(
                same_content(&a.join(rel), &b.join(rel)),
                "{}",
                rel.display()
            );
        }
    }
}

#[test]
fn each_archive_form_installs_what_its_directory_does() {
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("src");
    build_source(&src.join("wordpress"));
    // A mode the archive keeps (execute) and two it does not (0600 file, 0700 directory).
    write(&src.join("wordpress"), "wp-admin/tool.sh", b"#!/bin/sh\n");
    fs::set_permissions(
        src.join("wordpress/wp-admin/tool.sh"),
        fs::Permissions::from_mode(0o755),
    )
    .unwrap();
    let from_dir = tmp.path().join("from-dir");
    fs::create_dir(&from_dir).unwrap();
    ok(&Invocation::install(&src.join("wordpress"), &from_dir).output());
    for ext in FORMATS {
        let file = archive(&src, ext);
        let target = tmp.path().join(format!("t-{ext}"));
        fs::create_dir(&target).unwrap();
        let out = Invocation::install(&file, &target).output();
        ok(&out);
        assert!(
            stderr(&out).contains("Complete!"),
            "{ext}: {}",
            stderr(&out)
        );
        assert_same(&from_dir, &target);
        assert_eq!(scratches(&target), Vec::<String>::new(), "{ext}");
        let mode =
            |rel: &str| fs::metadata(target.join(rel)).unwrap().permissions().mode() & 0o7777;
        assert_eq!(mode("wp-admin/tool.sh"), 0o755, "{ext}");
        assert_eq!(mode("index.php"), 0o644, "{ext}");
        assert_eq!(mode("wp-admin"), 0o755, "{ext}");
    }
}

/// `umoci ARGS`, which must succeed.
fn umoci(args: &[&str]) {
    let status = Command::new("umoci")
        .args(args)
        .status()
        .expect("umoci is installed (scripts/test.sh)");
    assert!(status.success(), "umoci {args:?}");
}

/// A path as umoci takes it.
fn arg(p: &Path) -> &str {
    p.to_str().expect("UTF-8 path")
}

#[test]
#[ignore = "needs root and umoci: scripts/test.sh runs it"]
fn an_image_umoci_built_installs_what_umoci_unpacks() {
    let tmp = tempfile::tempdir().unwrap();
    let at = |name: &str| tmp.path().join(name);
    let (tree, opaque, after) = (at("tree"), at("opaque"), at("after"));
    build_source(&tree);
    write(&tree, "wp-admin/gone.php", b"<?php // whited out\n");
    write(
        &tree,
        "wp-content/replaced/old.txt",
        b"hidden by an opaque layer\n",
    );
    write(&opaque, "new.txt", b"the opaque layer's own\n");
    build_source(&after);
    write(
        &after,
        "wp-includes/after.php",
        b"<?php // after /usr/src went\n",
    );
    let layout = at("layout");
    let image = |tag: &str| format!("{}:{tag}", arg(&layout));
    umoci(&["init", "--layout", arg(&layout)]);
    umoci(&["new", "--image", &image("wp")]);
    umoci(&[
        "insert",
        "--image",
        &image("wp"),
        arg(&tree),
        "/usr/src/wordpress",
    ]);
    let gone = "/usr/src/wordpress/wp-admin/gone.php";
    umoci(&["insert", "--image", &image("wp"), "--whiteout", gone]);
    let replaced = "/usr/src/wordpress/wp-content/replaced";
    umoci(&[
        "insert",
        "--image",
        &image("wp"),
        "--opaque",
        arg(&opaque),
        replaced,
    ]);
    // An ancestor of the source path whited out, then a tree put there again.
    umoci(&[
        "insert",
        "--image",
        &image("wp"),
        "--tag",
        "again",
        "--whiteout",
        "/usr/src",
    ]);
    umoci(&[
        "insert",
        "--image",
        &image("again"),
        arg(&after),
        "/usr/src/wordpress",
    ]);
    for tag in ["wp", "again"] {
        let bundle = at(&format!("bundle-{tag}"));
        umoci(&["unpack", "--image", &image(tag), arg(&bundle)]);
        let (want, got) = (at(&format!("want-{tag}")), at(&format!("got-{tag}")));
        fs::create_dir(&want).unwrap();
        fs::create_dir(&got).unwrap();
        let unpacked = bundle.join("rootfs/usr/src/wordpress");
        ok(&Invocation::install(&unpacked, &want).output());
        let source = PathBuf::from(format!("oci:{}", image(tag)));
        ok(&Invocation::install(&source, &got).output());
        assert_same(&want, &got);
        assert_eq!(scratches(&got), Vec::<String>::new(), "{tag}");
    }
    let has = |rel: &str| at(rel).exists();
    assert!(!has("got-wp/wp-admin/gone.php") && has("got-wp/wp-admin/index.php"));
    assert!(has("got-wp/wp-content/replaced/new.txt"));
    assert!(!has("got-wp/wp-content/replaced/old.txt"));
    assert!(has("got-again/wp-includes/after.php"));
    assert!(!has("got-again/wp-content/replaced") && !has("got-again/wp-admin/gone.php"));
}

#[test]
fn upgrade_and_verify_read_an_archive() {
    let tmp = tempfile::tempdir().unwrap();
    let (old, new) = (tmp.path().join("old"), tmp.path().join("new"));
    build_source(&old.join("wordpress"));
    build_source(&new.join("wordpress"));
    write(
        &new.join("wordpress"),
        "wp-includes/version.php",
        b"<?php\n$wp_version = '6.9.0';\n",
    );
    write(
        &new.join("wordpress"),
        "wp-includes/added.php",
        b"<?php // new in 6.9\n",
    );
    fs::remove_file(new.join("wordpress/wp-includes/js/jquery/jquery.js")).unwrap();
    let target = tmp.path().join("target");
    fs::create_dir(&target).unwrap();
    ok(&Invocation::install(&archive(&old, "tar.gz"), &target).output());

    let file = archive(&new, "zip");
    let out = Invocation::new("upgrade", &file, &target).output();
    ok(&out);
    assert!(stderr(&out).contains("6.9.0"), "{}", stderr(&out));
    assert!(target.join("wp-includes/added.php").exists());
    assert!(!target.join("wp-includes/js/jquery/jquery.js").exists());
    assert_eq!(scratches(&target), Vec::<String>::new());

    let out = Invocation::new("verify", &file, &target).output();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(scratches(&target), Vec::<String>::new());
    write(&target, "wp-includes/added.php", b"<?php // changed\n");
    let out = Invocation::new("verify", &file, &target).output();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("wp-includes/added.php"),
        "{}",
        stderr(&out)
    );
    assert_eq!(scratches(&target), Vec::<String>::new());
}

#[test]
#[ignore = "needs root (a read-only bind mount): scripts/test.sh runs it"]
fn verify_of_a_read_only_target_says_it_needs_to_write() {
    let tmp = tempfile::tempdir().unwrap();
    build_source(&tmp.path().join("wordpress"));
    let file = archive(tmp.path(), "tar.gz");
    let (target, ro) = (tmp.path().join("target"), tmp.path().join("ro"));
    fs::create_dir_all(&ro).unwrap();
    fs::create_dir(&target).unwrap();
    ok(&Invocation::install(&file, &target).output());
    let _mount = common::mount::Mount::read_only_bind(&target, &ro);
    let out = Invocation::new("verify", &file, &ro).output();
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    let want = "making the scratch directory an archive SOURCE is unpacked into (TARGET must be writable): Read-only file system";
    assert!(stderr(&out).contains(want), "{}", stderr(&out));
}

#[test]
fn a_scratch_directory_an_interrupted_run_left_is_removed() {
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("src");
    build_source(&src.join("wordpress"));
    let file = archive(&src, "tar");
    let target = tmp.path().join("target");
    let left = target.join(".wp-init-source.00000000000000ab");
    write(
        &left,
        "tree/wp-includes/version.php",
        b"<?php // half unpacked\n",
    );
    fs::set_permissions(&left, fs::Permissions::from_mode(0o700)).unwrap();
    ok(&Invocation::install(&file, &target).output());
    assert_eq!(scratches(&target), Vec::<String>::new());

    // Installed, with one left again: the run that finds nothing else to do removes it.
    write(&left, "tree/x", b"x");
    let out = Invocation::install(&file, &target).output();
    ok(&out);
    assert_eq!(scratches(&target), Vec::<String>::new(), "{}", stderr(&out));
}

#[test]
fn a_missing_subtree_or_a_wrong_digest_changes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("src");
    build_source(&src.join("wordpress"));
    let file = archive(&src, "tar.gz");
    let target = tmp.path().join("target");
    fs::create_dir(&target).unwrap();
    let cases: [(&[&str], &str); 2] = [
        (
            &["--source-path", "usr/src/wordpress"],
            "usr/src/wordpress/ is not in the archive",
        ),
        (&["--sha256", &"0".repeat(64)], "SHA-256"),
    ];
    for (flags, want) in cases {
        let mut run = Invocation::install(&file, &target);
        for f in flags {
            run = run.arg(f);
        }
        let out = run.output();
        assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
        assert!(stderr(&out).contains(want), "{want}: {}", stderr(&out));
        assert_eq!(fs::read_dir(&target).unwrap().count(), 0, "{want}");
    }
    // The right digest installs, and is reported; an installed TARGET is told with it too.
    let digest = Command::new("sha256sum").arg(&file).output().unwrap();
    let hex = String::from_utf8_lossy(&digest.stdout)[..64].to_owned();
    for status in ["copied", "already-installed"] {
        let out = Invocation::install(&file, &target)
            .arg("--json")
            .arg("--sha256")
            .arg(&hex)
            .output();
        ok(&out);
        let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(json["status"], status);
        assert_eq!(json["source_digest"], format!("sha256:{hex}"), "{json}");
        assert_eq!(json["image_digest"], serde_json::Value::Null, "{json}");
    }
}

#[test]
fn an_installed_target_is_told_without_unpacking() {
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("src");
    build_source(&src.join("wordpress"));
    let file = archive(&src, "tar.gz");
    let target = tmp.path().join("target");
    fs::create_dir(&target).unwrap();
    ok(&Invocation::install(&file, &target).output());
    let out = Invocation::install(&file, &target).arg("--json").output();
    ok(&out);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["status"], "already-installed");
    assert_eq!(json["instances"], 0, "the component ran: {json}");
    // A digest that does not match is still refused.
    let out = Invocation::install(&file, &target)
        .arg("--sha256")
        .arg("0".repeat(64))
        .output();
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    // A fetched SOURCE is not fetched (nothing listens on port 1): no network needed.
    let digest = format!("sha256:{}", "a".repeat(64));
    for (source, flags) in [
        (
            "https://127.0.0.1:1/wordpress.tar.gz",
            vec!["--sha256", &digest[7..]],
        ),
        (
            &format!("docker://127.0.0.1:1/wordpress@{digest}")[..],
            vec![],
        ),
    ] {
        let mut run = Invocation::install(Path::new(source), &target).arg("--json");
        for f in flags {
            run = run.arg(f);
        }
        let out = run.output();
        ok(&out);
        let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(json["status"], "already-installed", "{source}");
        assert_eq!(json["instances"], 0, "{source}: the component ran: {json}");
        assert_eq!(json["source_digest"], serde_json::Value::Null, "{source}");
    }
}
