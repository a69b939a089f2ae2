//! The no-op: an installed TARGET with nothing to do is told by the host without the
//! component, writes nothing to TARGET, and reports what the component would.

mod common;

use std::fs;
use std::os::unix::fs::{DirEntryExt, MetadataExt, symlink};
use std::time::Duration;

use common::*;
use wp_init::{ConfigAction, Status};

/// TARGET's root: its mtime and ctime (nanoseconds), and each entry's name and inode.
fn root_state(dst: &std::path::Path) -> (i64, i64, i64, i64, Vec<(String, u64)>) {
    let m = fs::symlink_metadata(dst).unwrap();
    let mut entries: Vec<(String, u64)> = fs::read_dir(dst)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            (e.file_name().to_string_lossy().into_owned(), e.ino())
        })
        .collect();
    entries.sort();
    (
        m.mtime(),
        m.mtime_nsec(),
        m.ctime(),
        m.ctime_nsec(),
        entries,
    )
}

#[test]
fn noop_writes_nothing_to_target() {
    let f = Fixture::new();
    f.installer().install().unwrap();
    for env in [None, Some(("WORDPRESS_DB_HOST", "db"))] {
        let mut installer = f.installer();
        if let Some((k, v)) = env {
            write(&f.dst, "wp-config.php", b"<?php // mine\n");
            installer = installer.env(k, v);
        }
        let (root, tree) = (root_state(&f.dst), snapshot(&f.dst));
        let out = installer.install().unwrap();
        assert_eq!(root_state(&f.dst), root, "{env:?}");
        assert!(snapshot(&f.dst) == tree, "{env:?}: the tree changed");
        assert_eq!(out.report.status, Status::AlreadyInstalled);
        // No component ran: the host told.
        assert_eq!(out.host.instances, 0, "{env:?}");
        assert_eq!(out.host.guest_memory_peak, 0);
        assert_eq!(out.messages.as_deref(), Some(""));
    }
    // The CLI too.
    let before = root_state(&f.dst);
    let out = f.cli().output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stderr(&out), "");
    assert_eq!(root_state(&f.dst), before);
}

/// The host's report of a no-op is the component's: the same TARGET, told by the host,
/// and with a symlinked sentinel (which the host leaves to the component).
#[test]
fn noop_reports_what_the_component_reports() {
    for (vars, config) in [(false, false), (true, true), (false, true)] {
        let run = |linked: bool| {
            let f = Fixture::new();
            f.installer().install().unwrap();
            if config {
                write(&f.dst, "wp-config.php", b"<?php // mine\n");
            }
            if linked {
                fs::remove_file(f.dst.join("wp-includes/version.php")).unwrap();
                fs::rename(f.dst.join("index.php"), f.dst.join("index-real.php")).unwrap();
                symlink("index-real.php", f.dst.join("index.php")).unwrap();
            }
            let mut installer = f.installer();
            if vars {
                installer = installer
                    .env("WORDPRESS_DB_HOST", "db")
                    .env("WORDPRESS_X", "");
            }
            installer.install().unwrap()
        };
        let (host, component) = (run(false), run(true));
        assert_eq!(host.host.instances, 0);
        assert_eq!(component.host.instances, 1);
        assert_eq!(
            host.report, component.report,
            "vars {vars}, config {config}"
        );
        assert_eq!(host.messages, component.messages);
        let action = match vars {
            true => ConfigAction::KeptExisting,
            false => ConfigAction::NotRequested,
        };
        assert_eq!(host.report.config.action, action);
    }
}

/// What the host cannot settle alone goes to the component: a config to write, a dry
/// run, a temporary or a lock file an interrupted run left.
#[test]
fn the_component_decides_when_there_is_something_to_do() {
    let f = Fixture::new();
    f.installer().install().unwrap();
    let out = f
        .installer()
        .env("WORDPRESS_DB_HOST", "db")
        .install()
        .unwrap();
    assert_eq!(out.host.instances, 1);
    assert_eq!(out.report.config.action, ConfigAction::Written);
    let out = f.installer().dry_run(true).install().unwrap();
    assert_eq!(out.host.instances, 1);
    fs::write(f.dst.join(".wp-init-tmp.0000000000000001.x"), b"").unwrap();
    let out = f.installer().install().unwrap();
    assert_eq!(out.host.instances, 1);
    assert!(!f.dst.join(".wp-init-tmp.0000000000000001.x").exists());
    // A lock file a run that died left: the next writer removes it.
    fs::write(f.dst.join(".wp-init-lock"), b"").unwrap();
    fs::set_permissions(
        f.dst.join(".wp-init-lock"),
        std::os::unix::fs::PermissionsExt::from_mode(0o600),
    )
    .unwrap();
    let out = f.installer().install().unwrap();
    assert_eq!(out.host.instances, 1);
    assert!(!f.dst.join(".wp-init-lock").exists());
    assert_eq!(f.installer().install().unwrap().host.instances, 0);
}

/// A writer at work: the run waits for it as before (here: gives up at once), then no-ops.
#[test]
fn noop_waits_for_a_writer() {
    let f = Fixture::new();
    f.installer().install().unwrap();
    let held = hold_lock(&f.dst);
    let err = f
        .installer()
        .lock_timeout(Duration::ZERO)
        .install()
        .unwrap_err();
    assert_eq!(err.exit_code(), wp_init::ExitCode::Refused, "{err}");
    drop(held);
    assert_eq!(f.installer().install().unwrap().host.instances, 0);
}
