//! `upgrade` and `verify` through the library and the CLI: the real component on a
//! synthetic WordPress, installed, then upgraded to a "newer" tree that changes, adds and
//! drops core files and directories.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::Path;
use std::process::Command;

use common::*;
use wp_init::{Error, UpgradeStatus};

/// Writes a `version.php` declaring `version` and `db`.
fn set_version(root: &Path, version: &str, db: u64) {
    write(
        root,
        "wp-includes/version.php",
        format!(
            "<?php\n/** The WordPress version string. */\n$wp_version = '{version}';\n\n$wp_db_version = {db};\n"
        )
        .as_bytes(),
    );
}

/// A fixture installed from SOURCE at 6.8.1 (db 1000), with the user's own things added
/// (an upload, a plugin, `wp-config.php`, a changed `.htaccess`), and `new/`: SOURCE at
/// 6.9 (db 2000) with a changed, an added and a dropped core file, a dropped directory,
/// a file where a directory was, a new default theme and a changed bundled plugin.
struct Upgrade {
    f: Fixture,
    new: std::path::PathBuf,
}

impl Upgrade {
    fn new() -> Self {
        let f = Fixture::new();
        set_version(&f.src, "6.8.1", 1000);
        f.installer().install().unwrap();
        write(&f.dst, "wp-content/uploads/2026/11/cat.jpg", b"JPEG");
        write(
            &f.dst,
            "wp-content/plugins/mine/mine.php",
            b"<?php // mine\n",
        );
        write(&f.dst, "wp-config.php", b"<?php // the user's config\n");
        write(&f.dst, ".htaccess", b"# the user's rules\n");
        fs::set_permissions(
            f.dst.join("wp-config.php"),
            fs::Permissions::from_mode(0o640),
        )
        .unwrap();

        let new = f.dir.path().join("new");
        build_source(&new);
        set_version(&new, "6.9", 2000);
        write(
            &new,
            "wp-includes/functions.php",
            b"<?php // functions 6.9\n",
        );
        write(&new, "wp-includes/blocks/new-block.php", b"<?php // new\n");
        fs::remove_file(new.join("wp-admin/index.php")).unwrap();
        write(&new, "wp-admin/other.php", b"<?php // other\n");
        fs::remove_dir_all(new.join("wp-includes/js/jquery")).unwrap();
        write(&new, "wp-includes/js/jquery", b"// now a file\n");
        write(
            &new,
            "wp-content/themes/twentytwentysix/style.css",
            b"/* 2026 */\n",
        );
        write(
            &new,
            "wp-content/plugins/akismet/akismet.php",
            b"<?php /* 6.0 */\n",
        );
        write(&new, "readme.html", b"<html>6.9</html>\n");
        set_dir_times(&new);
        Upgrade { f, new }
    }

    fn to(&self, source: &Path) -> wp_init::Installer {
        wp_init::Installer::new(source.to_str().unwrap(), self.f.dst_str()).capture_messages(true)
    }

    fn cli(&self, args: &[&str]) -> std::process::Output {
        Command::new(env!("CARGO_BIN_EXE_wp-init"))
            .env_clear()
            .args(args)
            .args(["--target", &self.f.dst_str()])
            .output()
            .unwrap()
    }
}

/// The paths under the core trees where two snapshots differ (kind, content, a file's
/// mtime, or presence; a directory that receives files gets a new time), each with what
/// each side has.
fn core_differences(want: &BTreeMap<String, Entry>, got: &BTreeMap<String, Entry>) -> Vec<String> {
    let core = |k: &String| k.starts_with("wp-admin/") || k.starts_with("wp-includes/");
    let show = |e: Option<&Entry>| match e {
        None => "nothing".to_owned(),
        Some(Entry::File { content, mtime }) => {
            format!("a file of {} bytes, {mtime:?}", content.len())
        }
        Some(Entry::Dir { mtime }) => format!("a directory, {mtime:?}"),
        Some(Entry::Link(t)) => format!("a symlink to {}", t.display()),
    };
    let keys: BTreeSet<&String> = want.keys().chain(got.keys()).filter(|k| core(k)).collect();
    let same = |a: Option<&Entry>, b: Option<&Entry>| match (a, b) {
        (Some(Entry::Dir { .. }), Some(Entry::Dir { .. })) => true,
        (a, b) => a == b,
    };
    keys.into_iter()
        .filter(|k| !same(want.get(*k), got.get(*k)))
        .map(|k| format!("{k}: want {}, got {}", show(want.get(k)), show(got.get(k))))
        .collect()
}

#[test]
fn upgrade_replaces_core_adds_content_and_removes_stale_entries() {
    let u = Upgrade::new();
    let user_files = [
        "wp-content/uploads/2026/11/cat.jpg",
        "wp-content/plugins/mine/mine.php",
    ];
    let config_before = stat(&u.f.dst.join("wp-config.php"));

    let out = u.to(&u.new).upgrade(false).unwrap();
    let r = &out.report;
    assert_eq!(r.status, UpgradeStatus::Upgraded);
    assert_eq!(r.install.status, wp_init::Status::Copied);
    assert_eq!((r.from.as_deref(), r.to.as_str()), (Some("6.8.1"), "6.9"));
    assert_eq!(
        (r.db_version_from, r.db_version_to),
        (Some(1000), Some(2000))
    );
    let messages = out.messages.unwrap();
    assert!(messages.contains("wp-admin/upgrade.php"), "{messages}");

    let (new, dst) = (snapshot(&u.new), snapshot(&u.f.dst));
    let d = core_differences(&new, &dst);
    assert!(
        d.is_empty(),
        "core differs from the new tree:\n{}",
        d.join("\n")
    );
    assert_eq!(dst["readme.html"], new["readme.html"]);
    assert_eq!(dst["index.php"], new["index.php"]);
    // Added to wp-content: the new theme. Left alone: the bundled plugin TARGET has.
    assert_eq!(
        dst["wp-content/themes/twentytwentysix/style.css"],
        new["wp-content/themes/twentytwentysix/style.css"]
    );
    let akismet = fs::read(u.f.dst.join("wp-content/plugins/akismet/akismet.php")).unwrap();
    assert_eq!(akismet, b"<?php /* Akismet 5.4 */\n");
    // The user's files, config and .htaccess, untouched.
    for rel in user_files {
        assert!(u.f.dst.join(rel).is_file(), "{rel} gone");
    }
    assert_eq!(stat(&u.f.dst.join("wp-config.php")), config_before);
    assert_eq!(
        fs::read(u.f.dst.join(".htaccess")).unwrap(),
        b"# the user's rules\n"
    );

    let removed: Vec<&str> = r.removed.iter().map(String::as_str).collect();
    assert_eq!(
        removed,
        [
            "wp-admin/index.php",
            "wp-includes/js/jquery/jquery.js",
            "wp-includes/js/jquery"
        ]
    );
    for added in [
        "wp-admin/other.php",
        "wp-includes/blocks/new-block.php",
        "wp-includes/js/jquery",
        "wp-content/themes/twentytwentysix/style.css",
    ] {
        assert!(
            r.added.iter().any(|a| a == added),
            "{added} not in {:?}",
            r.added
        );
    }
    assert!(r.replaced.iter().any(|p| p == "wp-includes/functions.php"));
    assert!(r.replaced.iter().any(|p| p == "wp-includes/version.php"));
    assert!(!r.replaced.iter().any(|p| p.starts_with("wp-content/")));
    // Nothing of wp-init's own is left behind.
    assert!(
        dst.keys()
            .all(|k| !k.split('/').any(|c| c.starts_with(".wp-init-"))),
        "{:?}",
        dst.keys()
            .filter(|k| k.contains(".wp-init-"))
            .collect::<Vec<_>>()
    );

    let v = u.to(&u.new).verify().unwrap();
    assert!(v.report.clean, "{:?}", v.report);
}

#[test]
fn a_downgrade_is_refused_and_changes_nothing_unless_allowed() {
    let u = Upgrade::new();
    u.to(&u.new).upgrade(false).unwrap();
    let before = snapshot(&u.f.dst);

    let err = u.to(&u.f.src).upgrade(false).unwrap_err();
    assert!(
        matches!(&err, Error::DowngradeRefused { from, to } if from == "6.9" && to == "6.8.1"),
        "{err}"
    );
    assert_eq!(u8::from(err.exit_code()), 3);
    assert_eq!(
        snapshot(&u.f.dst),
        before,
        "a refused downgrade changed TARGET"
    );
    let out = u.cli(&["upgrade", "--source", u.f.src.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("--allow-downgrade"),
        "{}",
        stderr(&out)
    );
    assert_eq!(snapshot(&u.f.dst), before);

    let out = u.to(&u.f.src).upgrade(true).unwrap();
    assert_eq!(out.report.status, UpgradeStatus::Downgraded);
    let d = core_differences(&snapshot(&u.f.src), &snapshot(&u.f.dst));
    assert!(
        d.is_empty(),
        "core differs from the old tree:\n{}",
        d.join("\n")
    );
}

#[test]
fn the_same_version_changes_nothing() {
    let u = Upgrade::new();
    let before = snapshot(&u.f.dst);
    let out = u.to(&u.f.src).upgrade(false).unwrap();
    assert_eq!(out.report.status, UpgradeStatus::UpToDate);
    assert!(out.report.replaced.is_empty() && out.report.removed.is_empty());
    assert_eq!(snapshot(&u.f.dst), before);
}

#[test]
fn upgrade_installs_into_an_empty_target() {
    let f = Fixture::new();
    let out = f.installer().upgrade(false).unwrap();
    assert_eq!(out.report.status, UpgradeStatus::Installed);
    assert_eq!(out.report.from, None);
    assert!(out.report.removed.is_empty());
    let (src, dst) = (snapshot(&f.src), snapshot(&f.dst));
    assert_eq!(src, dst);
    assert_eq!(
        out.report.added.len() as u64,
        out.report.install.files_copied + out.report.install.symlinks_copied
    );
}

#[test]
fn a_dry_run_plans_the_same_upgrade_and_writes_nothing() {
    let u = Upgrade::new();
    let before = snapshot(&u.f.dst);
    let plan = u.to(&u.new).dry_run(true).upgrade(false).unwrap();
    assert_eq!(plan.report.status, UpgradeStatus::WouldUpgrade);
    assert_eq!(snapshot(&u.f.dst), before, "a dry run wrote");
    let done = u.to(&u.new).upgrade(false).unwrap();
    assert_eq!(plan.report.replaced, done.report.replaced);
    assert_eq!(plan.report.added, done.report.added);
    assert_eq!(plan.report.removed, done.report.removed);
}

#[test]
fn verify_names_modified_missing_and_extra_core_files_only() {
    let f = Fixture::new();
    f.installer().install().unwrap();
    let src = f.src_str();
    let verify = |json: bool| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_wp-init"));
        cmd.env_clear()
            .args(["verify", "--source", &src, "--target", &f.dst_str()]);
        if json {
            cmd.arg("--json");
        }
        cmd.output().unwrap()
    };
    let out = verify(false);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));

    // Not core: the config, .htaccess, wp-content.
    write(&f.dst, "wp-config.php", b"<?php\n");
    write(&f.dst, ".htaccess", b"# mine\n");
    write(&f.dst, "wp-content/plugins/evil.php", b"<?php\n");
    write(&f.dst, "robots.txt", b"User-agent: *\n");
    assert_eq!(verify(false).status.code(), Some(0));

    write(
        &f.dst,
        "wp-includes/functions.php",
        b"<?php eval($_GET['x']);\n",
    );
    fs::remove_file(f.dst.join("wp-admin/css/big.css")).unwrap();
    write(&f.dst, "wp-includes/js/.hidden/payload.php", b"<?php\n");
    fs::remove_file(f.dst.join("wp-includes/js/functions-link.php")).unwrap();
    symlink(
        "../version.php",
        f.dst.join("wp-includes/js/functions-link.php"),
    )
    .unwrap();
    let out = verify(true);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        v["modified"],
        serde_json::json!([
            "wp-includes/functions.php",
            "wp-includes/js/functions-link.php"
        ])
    );
    assert_eq!(v["missing"], serde_json::json!(["wp-admin/css/big.css"]));
    assert_eq!(
        v["extra"],
        serde_json::json!(["wp-includes/js/.hidden/payload.php"])
    );
    assert_eq!(v["clean"], false);
    let text = stderr(&verify(false));
    assert!(
        text.contains("modified: ") && text.contains("wp-includes/functions.php"),
        "{text}"
    );
}

#[test]
fn an_unreadable_version_is_an_error_naming_the_file() {
    let u = Upgrade::new();
    write(
        &u.f.dst,
        "wp-includes/version.php",
        b"<?php\n// no version here\n",
    );
    let out = u.cli(&["upgrade", "--source", u.new.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let text = stderr(&out);
    assert!(text.contains("wp-includes/version.php"), "{text}");
    assert!(text.contains("$wp_version"), "{text}");
}

#[test]
fn the_components_own_command_line_upgrades_and_verifies() {
    let u = Upgrade::new();
    let run = |source: &Path, args: &[&str]| {
        let mut argv = vec!["wp-init".to_owned()];
        argv.extend(args.iter().map(|a| (*a).to_owned()));
        argv.extend([
            "--source".to_owned(),
            source.to_str().unwrap().to_owned(),
            "--target".to_owned(),
            u.f.dst_str(),
        ]);
        u.to(source).run_command(&argv).unwrap()
    };
    assert_eq!(run(&u.new, &["verify"]).code, 1);
    let up = run(&u.new, &["upgrade", "--json"]);
    assert_eq!(up.code, 0, "{:?}", up.messages);
    let json: serde_json::Value = serde_json::from_str(up.stdout.as_deref().unwrap()).unwrap();
    assert_eq!(json["status"], "upgraded");
    assert_eq!(run(&u.new, &["verify"]).code, 0);
    assert_eq!(run(&u.f.src, &["upgrade"]).code, 3);
}
