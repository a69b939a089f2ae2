//! The host's mode/owner pass on its own: SOURCE modes, owners, and hostile swaps.
//! Run as root (CI is root): owners are set to numeric test IDs.

use std::path::Path;

use super::{CONFIG_MODE, Cause, PermissionsError, PermissionsReport};
use crate::owner::Owner;
use crate::roots::Root;
use rustix::fs::{Gid, Uid};
use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt, symlink};
use std::time::{Duration, SystemTime};
use wp_init_core::commit::DirFinal;
use wp_init_core::report::{Created, EntryKind};

const OWNER: Owner = Owner {
    uid: 12345,
    gid: 12346,
};

/// The pass on SOURCE `src` and TARGET `dst`, each opened once; returns the directories'
/// deferred modes too.
fn pass(
    src: &Path,
    dst: &Path,
    created: &[Created],
    owner: Option<Owner>,
) -> Result<(PermissionsReport, Vec<DirFinal>), PermissionsError> {
    let open = |p: &Path| Root::open(p.to_str().unwrap()).unwrap();
    super::apply(&open(src), &open(dst), created, owner, CONFIG_MODE, None)
}

fn apply(
    src: &Path,
    dst: &Path,
    created: &[Created],
    owner: Option<Owner>,
) -> Result<PermissionsReport, PermissionsError> {
    pass(src, dst, created, owner).map(|(report, _)| report)
}

fn file(kind: EntryKind, path: &str, source_path: &str) -> Created {
    Created {
        path: path.into(),
        kind,
        source_path: source_path.into(),
    }
}

fn set_mode(path: &Path, mode: u32) {
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).unwrap();
}

/// (mode & 0o7777, uid, gid, mtime).
type Meta = (u32, u32, u32, SystemTime);

/// The [`Meta`] of `path` itself, not following symlinks.
fn meta(path: &Path) -> Meta {
    let m = fs::symlink_metadata(path).unwrap();
    (m.mode() & 0o7777, m.uid(), m.gid(), m.modified().unwrap())
}

/// SOURCE with a 0755 dir, 0644 and 0600 files, a 1777 dir and a setuid file; TARGET
/// with the same entries as the guest makes them (default modes, old mtimes).
fn trees() -> (tempfile::TempDir, tempfile::TempDir, Vec<Created>) {
    let (src, dst) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let mtime = SystemTime::UNIX_EPOCH + Duration::from_secs(1_500_000_000);
    for root in [src.path(), dst.path()] {
        fs::create_dir_all(root.join("dir/tmp")).unwrap();
        for f in ["a.txt", "dir/secret.php", "dir/tmp/suid"] {
            fs::write(root.join(f), f).unwrap();
            fs::File::options()
                .write(true)
                .open(root.join(f))
                .unwrap()
                .set_modified(mtime)
                .unwrap();
        }
        symlink("a.txt", root.join("link")).unwrap();
    }
    set_mode(&src.path().join("dir"), 0o755);
    set_mode(&src.path().join("dir/tmp"), 0o1777);
    set_mode(&src.path().join("a.txt"), 0o644);
    set_mode(&src.path().join("dir/secret.php"), 0o600);
    set_mode(&src.path().join("dir/tmp/suid"), 0o4755);
    for (p, m) in [
        ("dir", 0o700),
        ("dir/tmp", 0o700),
        ("a.txt", 0o666),
        ("dir/secret.php", 0o666),
    ] {
        set_mode(&dst.path().join(p), m);
    }
    fs::write(dst.path().join("wp-config.php"), "<?php").unwrap();
    let created = vec![
        file(EntryKind::File, "a.txt", "a.txt"),
        file(EntryKind::Directory, "dir", "dir"),
        file(EntryKind::File, "dir/secret.php", "dir/secret.php"),
        file(EntryKind::Directory, "dir/tmp", "dir/tmp"),
        file(EntryKind::File, "dir/tmp/suid", "dir/tmp/suid"),
        file(EntryKind::Symlink, "link", "link"),
        file(EntryKind::File, "wp-config.php", ""),
    ];
    (src, dst, created)
}

#[test]
#[ignore = "needs root (owners): scripts/test.sh runs it"]
fn modes_follow_source_and_owner_is_set() {
    let (src, dst, created) = trees();
    let before = |p: &str| meta(&dst.path().join(p)).3;
    let mtimes: Vec<_> = created
        .iter()
        .map(|c| (c.path.clone(), before(&c.path)))
        .collect();
    let (report, dirs) = pass(src.path(), dst.path(), &created, Some(OWNER)).unwrap();
    assert_eq!(
        report,
        PermissionsReport {
            modes_set: 6,
            owners_set: 7
        }
    );
    let mode = |p: &str| meta(&dst.path().join(p)).0;
    assert_eq!(mode("a.txt"), 0o644);
    assert_eq!(mode("dir/secret.php"), 0o600);
    // Directories keep their mode until the commit, which gets SOURCE's from here.
    assert_eq!((mode("dir"), mode("dir/tmp")), (0o700, 0o700));
    let deferred: Vec<_> = dirs.iter().map(|d| (d.path.as_str(), d.mode)).collect();
    assert_eq!(deferred, [("dir/tmp", Some(0o1777)), ("dir", Some(0o755))]);
    let src_mtime = meta(&src.path().join("dir")).3;
    let t = dirs[1].mtime.unwrap();
    assert_eq!(
        SystemTime::UNIX_EPOCH + Duration::new(t.secs as u64, t.nanos),
        src_mtime
    );
    assert_eq!(mode("dir/tmp/suid"), 0o4755, "setuid survives the chown");
    assert_eq!(mode("wp-config.php"), 0o640);
    for (path, mtime) in mtimes {
        let (_, uid, gid, now) = meta(&dst.path().join(&path));
        assert_eq!((uid, gid), (OWNER.uid, OWNER.gid), "{path}");
        assert_eq!(now, mtime, "{path}: mtime unchanged");
    }
    // The link's target was chowned as a.txt, not through the link; SOURCE untouched.
    assert_eq!(meta(&src.path().join("a.txt")).1, 0);
}

#[test]
fn without_owner_only_modes_change() {
    let (src, dst, created) = trees();
    let (_, uid, gid, _) = meta(&dst.path().join("a.txt"));
    let report = apply(src.path(), dst.path(), &created, None).unwrap();
    assert_eq!(
        report,
        PermissionsReport {
            modes_set: 6,
            owners_set: 0
        }
    );
    assert_eq!(meta(&dst.path().join("wp-config.php")).0, 0o640);
    assert_eq!(meta(&dst.path().join("dir/secret.php")).0, 0o600);
    assert_eq!(meta(&dst.path().join("a.txt")).1, uid);
    assert_eq!(meta(&dst.path().join("link")).2, gid);
}

#[test]
#[ignore = "needs root (owners): scripts/test.sh runs it"]
fn pre_existing_entries_are_untouched() {
    let (src, dst) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    fs::create_dir_all(src.path().join("wp-content/plugins")).unwrap();
    fs::create_dir_all(dst.path().join("wp-content/plugins")).unwrap();
    fs::write(dst.path().join("wp-content/mine.txt"), "user's").unwrap();
    set_mode(&src.path().join("wp-content"), 0o755);
    set_mode(&dst.path().join("wp-content"), 0o1777);
    rustix::fs::chown(
        dst.path().join("wp-content"),
        Some(Uid::from_raw(4242)),
        Some(Gid::from_raw(4243)),
    )
    .unwrap();
    let untouched = ["", "wp-content", "wp-content/mine.txt"].map(|p| meta(&dst.path().join(p)));
    let created = [file(
        EntryKind::Directory,
        "wp-content/plugins",
        "wp-content/plugins",
    )];
    let report = apply(src.path(), dst.path(), &created, Some(OWNER)).unwrap();
    assert_eq!(
        report,
        PermissionsReport {
            modes_set: 1,
            owners_set: 1
        }
    );
    assert_eq!(
        untouched,
        ["", "wp-content", "wp-content/mine.txt"].map(|p| meta(&dst.path().join(p)))
    );
    assert_eq!(meta(&dst.path().join("wp-content")).0, 0o1777);
    assert_eq!(meta(&dst.path().join("wp-content/plugins")).1, OWNER.uid);
}

/// An outside directory holding a 0600 root-owned file, and its metadata.
fn outside() -> (tempfile::TempDir, impl Fn() -> [Meta; 2]) {
    let out = tempfile::tempdir().unwrap();
    fs::write(out.path().join("a.txt"), "outside").unwrap();
    set_mode(&out.path().join("a.txt"), 0o600);
    set_mode(out.path(), 0o700);
    let p = out.path().to_owned();
    (out, move || [meta(&p), meta(&p.join("a.txt"))])
}

fn refused(src: &Path, dst: &Path, created: &[Created], path: &str) -> PermissionsError {
    let err = apply(src, dst, created, Some(OWNER)).unwrap_err();
    assert_eq!(err.path, dst.join(path), "{err}");
    err
}

#[test]
#[ignore = "needs root (owners): scripts/test.sh runs it"]
fn a_file_swapped_for_a_symlink_is_refused() {
    let (src, dst, created) = trees();
    let (out, state) = outside();
    let before = state();
    fs::remove_file(dst.path().join("a.txt")).unwrap();
    symlink(out.path().join("a.txt"), dst.path().join("a.txt")).unwrap();
    let err = refused(src.path(), dst.path(), &created, "a.txt");
    assert!(matches!(err.cause, Cause::ChangedType), "{err}");
    assert!(
        err.to_string()
            .ends_with("a.txt: changed type since it was created; refusing to follow"),
        "{err}"
    );
    assert_eq!(state(), before);
    // Every other entry was still handled.
    assert_eq!(err.others, 0);
    assert_eq!(meta(&dst.path().join("dir/secret.php")).0, 0o600);
}

#[test]
#[ignore = "needs root (owners): scripts/test.sh runs it"]
fn a_directory_swapped_for_a_symlink_is_refused() {
    let (src, dst, created) = trees();
    let (out, state) = outside();
    fs::write(out.path().join("secret.php"), "outside").unwrap();
    set_mode(&out.path().join("secret.php"), 0o640);
    let before = (state(), meta(&out.path().join("secret.php")));
    fs::remove_dir_all(dst.path().join("dir")).unwrap();
    symlink(out.path(), dst.path().join("dir")).unwrap();
    let err = refused(src.path(), dst.path(), &created, "dir");
    assert!(matches!(err.cause, Cause::ChangedType), "{err}");
    // dir, dir/secret.php, dir/tmp and dir/tmp/suid all fail; the first reported is the
    // deepest (children are handled first), its path naming the swapped directory.
    assert_eq!(err.others, 3, "{err}");
    assert_eq!((state(), meta(&out.path().join("secret.php"))), before);
}

#[test]
#[ignore = "needs root (owners): scripts/test.sh runs it"]
fn a_hard_link_to_an_outside_file_is_refused() {
    let (src, dst, created) = trees();
    let (out, state) = outside();
    let before = state();
    fs::remove_file(dst.path().join("a.txt")).unwrap();
    fs::hard_link(out.path().join("a.txt"), dst.path().join("a.txt")).unwrap();
    let err = refused(src.path(), dst.path(), &created, "a.txt");
    assert!(matches!(err.cause, Cause::HardLinked(2)), "{err}");
    assert_eq!(state()[1].0, before[1].0);
    assert_eq!(state()[1].1, before[1].1);
}

#[test]
#[ignore = "needs root (owners): scripts/test.sh runs it"]
fn a_symlink_swapped_for_a_file_or_a_file_for_a_directory_is_refused() {
    let (src, dst, created) = trees();
    let (out, state) = outside();
    let before = state();
    fs::remove_file(dst.path().join("link")).unwrap();
    fs::hard_link(out.path().join("a.txt"), dst.path().join("link")).unwrap();
    fs::remove_file(dst.path().join("dir/secret.php")).unwrap();
    fs::create_dir(dst.path().join("dir/secret.php")).unwrap();
    let err = refused(src.path(), dst.path(), &created, "link");
    assert!(matches!(err.cause, Cause::ChangedType), "{err}");
    assert_eq!(err.others, 1);
    assert_eq!(state(), before);
    assert_ne!(meta(&dst.path().join("dir/secret.php")).1, OWNER.uid);
}

#[test]
fn unsafe_report_paths_are_refused() {
    let (src, dst, _) = trees();
    let (out, state) = outside();
    let before = state();
    let escape = format!(
        "../{}/a.txt",
        out.path().file_name().unwrap().to_str().unwrap()
    );
    for bad in ["", "/etc/passwd", "a//b", "./a.txt", "dir/..", &escape] {
        let created = [file(EntryKind::File, bad, "a.txt")];
        let err = apply(src.path(), dst.path(), &created, Some(OWNER)).unwrap_err();
        assert!(matches!(err.cause, Cause::InvalidPath(_)), "{bad}: {err}");
    }
    assert_eq!(state(), before);
}

#[test]
fn a_source_of_another_kind_is_an_error() {
    let (src, dst, _) = trees();
    let created = [file(EntryKind::File, "dir", "dir")];
    let err = apply(src.path(), dst.path(), &created, None).unwrap_err();
    assert!(matches!(err.cause, Cause::Source { .. }), "{err}");
    assert!(
        err.to_string().contains("it is not a regular file"),
        "{err}"
    );
}

#[test]
#[ignore = "needs root (owners): scripts/test.sh runs it"]
fn a_symlink_gets_the_owner_not_its_target() {
    let (src, dst) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (out, state) = outside();
    let before = state();
    symlink(out.path().join("a.txt"), src.path().join("abs")).unwrap();
    symlink(out.path().join("a.txt"), dst.path().join("abs")).unwrap();
    symlink("missing", dst.path().join("dangling")).unwrap();
    let created = [
        file(EntryKind::Symlink, "abs", "abs"),
        file(EntryKind::Symlink, "dangling", "dangling"),
    ];
    let report = apply(src.path(), dst.path(), &created, Some(OWNER)).unwrap();
    assert_eq!(
        report,
        PermissionsReport {
            modes_set: 0,
            owners_set: 2
        }
    );
    for link in ["abs", "dangling"] {
        let (_, uid, gid, _) = meta(&dst.path().join(link));
        assert_eq!((uid, gid), (OWNER.uid, OWNER.gid));
    }
    assert_eq!(state(), before);
}
