//! The mountinfo reading (pure, tables), the confirmation against injected lists, and,
//! as root, real bind mounts of directories and files inside a TARGET that is itself a
//! mount point with a space and a backslash in its path.

use std::fs;
use std::path::{Path, PathBuf};

use super::*;

#[path = "../tests/common/mount.rs"]
#[allow(
    dead_code,
    reason = "the integration tests' guard, of which these use a part"
)]
mod mount;

use mount::Mount;

fn set(paths: &[&str]) -> BTreeSet<String> {
    paths.iter().map(|p| (*p).to_owned()).collect()
}

#[test]
fn reads_field_5_of_each_line_with_its_escapes() {
    let text = b"22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw\n\
        36 22 0:31 / /srv/my\\040site rw,nosuid shared:12 master:3 - tmpfs tmpfs rw\n\
        37 36 8:1 /data/my\\040up /srv/my\\040site/wp-content/uploads rw - ext4 /dev/sda1 rw\n\
        38 36 8:1 /f /srv/my\\040site/a\\011b\\012c\\134d rw - ext4 /dev/sda1 rw\n";
    let want: Vec<&[u8]> = vec![
        b"/",
        b"/srv/my site",
        b"/srv/my site/wp-content/uploads",
        b"/srv/my site/a\tb\nc\\d",
    ];
    assert_eq!(
        mount_points(text),
        Ok(want.into_iter().map(<[u8]>::to_vec).collect())
    );
    assert_eq!(mount_points(b""), Ok(vec![]));
    for bad in [
        &b"1 2 3 4\n"[..],
        b"1 2 3 / relative rw - x y z\n",
        b"1 2 3 /\n",
    ] {
        let e = mount_points(bad).unwrap_err();
        assert!(e.starts_with("line 1 has no mount point: "), "{e}");
    }
}

#[test]
fn decodes_only_three_digit_octal_escapes() {
    let cases: [(&[u8], &[u8]); 9] = [
        (b"/a\\040b", b"/a b"),
        (b"\\011\\012\\134", b"\t\n\\"),
        (b"\\134040", b"\\040"),
        (b"\\0401", b" 1"),
        (b"\\04", b"\\04"),
        (b"\\400", b"\\400"),
        (b"\\08x", b"\\08x"),
        (b"end\\", b"end\\"),
        (b"\\377", b"\xff"),
    ];
    for (field, want) in cases {
        assert_eq!(unescape(field), want, "{}", field.escape_ascii());
    }
}

#[test]
fn inside_is_strictly_under_the_target() {
    type Case = (&'static [u8], &'static [u8], Option<&'static [u8]>);
    let cases: [Case; 9] = [
        (b"/srv/t", b"/srv/t/a", Some(b"a")),
        (b"/srv/t", b"/srv/t/a/b c", Some(b"a/b c")),
        (b"/srv/t", b"/srv/t", None),
        (b"/srv/t", b"/srv/tx/a", None),
        (b"/srv/t", b"/srv", None),
        (b"/srv/t", b"/", None),
        (b"/", b"/a/b", Some(b"a/b")),
        (b"/", b"/", None),
        (b"/srv/t/", b"/srv/t/a", Some(b"a")),
    ];
    for (target, mount_point, want) in cases {
        assert_eq!(
            inside(target, mount_point),
            want,
            "{}",
            mount_point.escape_ascii()
        );
    }
}

#[test]
fn covers_a_mount_point_and_what_is_under_it() {
    let mounts = Mounts {
        points: set(&["wp-content/uploads", "wp-config.php"]),
        incomplete: None,
    };
    let cases = [
        ("wp-content/uploads", true),
        ("wp-content/uploads/", true),
        ("wp-content/uploads/2024/a.jpg", true),
        ("wp-config.php", true),
        ("wp-content", false),
        ("wp-content/uploads2", false),
        ("wp-content/upload", false),
        ("wp-config.php.bak", false),
        ("", false),
    ];
    for (rel, want) in cases {
        assert_eq!(mounts.covers(rel), want, "{rel:?}");
    }
}

/// `path` as mountinfo writes it (space, tab, newline, backslash escaped).
fn escaped(path: &Path) -> String {
    let mut out = String::new();
    for &b in path.as_os_str().as_bytes() {
        match b {
            b' ' | b'\t' | b'\n' | b'\\' => out += &format!("\\{b:03o}"),
            _ => out.push(char::from(b)),
        }
    }
    out
}

/// Mountinfo lines naming `paths` (as mount points of a made-up tmpfs).
fn lines(paths: &[PathBuf]) -> Vec<u8> {
    let line = |p: &PathBuf| format!("999 1 0:99 / {} rw - tmpfs tmpfs rw\n", escaped(p));
    paths.iter().map(line).collect::<String>().into_bytes()
}

/// A temporary TARGET whose path has a space and a backslash, and the mounts made in it,
/// undone (last first) before the directory is removed.
struct Site {
    mounts: Vec<Mount>,
    target: PathBuf,
    base: tempfile::TempDir,
}

impl Site {
    fn new() -> Site {
        let base = tempfile::Builder::new()
            .prefix("wp-init-23m-mounts.")
            .tempdir()
            .unwrap();
        let target = base.path().join("my site\\x");
        fs::create_dir(&target).unwrap();
        Site {
            mounts: Vec::new(),
            target,
            base,
        }
    }

    /// `rel` under the base directory (which holds TARGET).
    fn at(&self, rel: &str) -> PathBuf {
        self.base.path().join(rel)
    }

    /// `rel` under TARGET.
    fn t(&self, rel: &str) -> PathBuf {
        self.target.join(rel)
    }

    fn bind(&mut self, from: &Path, at: &Path) {
        let from = from.to_str().unwrap();
        self.mounts.push(Mount::new(&["--bind", from], at));
    }

    fn dirs(&self, paths: &[PathBuf]) {
        paths.iter().for_each(|p| fs::create_dir_all(p).unwrap());
    }
}

impl Drop for Site {
    fn drop(&mut self) {
        while let Some(mount) = self.mounts.pop() {
            drop(mount);
        }
    }
}

#[test]
fn a_listed_path_is_a_mount_point_only_if_it_is_one() {
    // No mount needed: the kernel's list is made up, the walk is real.
    let site = Site::new();
    site.dirs(&[site.t("plain/sub"), site.at("outside")]);
    std::os::unix::fs::symlink(site.at("outside"), site.t("link")).unwrap();
    let root = Root::open(site.target.to_str().unwrap()).unwrap();
    let listed = [
        site.target.clone(),
        site.t("plain"),
        site.t("plain/sub"),
        site.t("link"),
        site.t("ghost/x"),
    ];
    let found = find(&root, &[], || Ok(lines(&listed))).unwrap();
    assert_eq!(
        found,
        Mounts {
            points: set(&[]),
            incomplete: None
        }
    );

    let e = find(&root, &[], || Ok(b"1 2 3\n".to_vec())).unwrap_err();
    let e = e.to_string();
    assert!(
        e.starts_with("/proc/self/mountinfo: line 1 has no mount point"),
        "{e}"
    );
}

#[test]
#[ignore = "needs root (mounts): scripts/test.sh runs it"]
fn finds_every_mount_point_inside_and_nothing_else() {
    let mut site = Site::new();
    let t = site.target.clone();
    // TARGET itself is a mount point, and a sibling's path starts with TARGET's.
    site.bind(&t, &t);
    let sibling = site.at("my site\\x2");
    site.dirs(&[
        site.at("volume/inner"),
        site.at("outside/x"),
        sibling.clone(),
        site.t("a/b"),
        site.t("sp ace"),
        site.t("stack"),
        site.t("plain"),
        site.t("wp-content/uploads"),
    ]);
    fs::write(site.at("volume.txt"), "the volume's").unwrap();
    fs::write(site.t("f"), "TARGET's").unwrap();
    std::os::unix::fs::symlink(site.at("outside"), site.t("link")).unwrap();
    std::os::unix::fs::symlink(site.at("outside/x"), site.t("lastlink")).unwrap();
    let volume = site.at("volume");
    for at in [
        site.t("a/b"),
        site.t("sp ace"),
        site.t("stack"),
        site.t("stack"),
    ] {
        site.bind(&volume, &at);
    }
    site.bind(&volume, &site.t("wp-content/uploads"));
    site.bind(&volume, &site.at("outside/x"));
    site.bind(&volume, &sibling);
    site.bind(&site.at("volume.txt"), &site.t("f"));

    let want = set(&["a/b", "f", "sp ace", "stack", "wp-content/uploads"]);
    let root = Root::open(t.to_str().unwrap()).unwrap();
    let found = mounts_inside(&root, &[]).unwrap();
    assert_eq!(
        found,
        Mounts {
            points: want.clone(),
            incomplete: None
        }
    );
    assert!(found.covers("wp-content/uploads/inner") && !found.covers("wp-content"));

    // Listed paths that only a walk following symlinks (or no walk) would take: through
    // a symlink to a mount point outside, a symlink to one, a plain directory, nothing.
    let decoys = [
        site.t("link/x"),
        site.t("lastlink"),
        site.t("plain"),
        site.t("ghost"),
    ];
    let with_decoys = || Ok([fs::read(MOUNTINFO)?, lines(&decoys)].concat());
    assert_eq!(find(&root, &[], with_decoys).unwrap().points, want);

    // TARGET given through a symlink: the same directory, the same mounts.
    std::os::unix::fs::symlink(&t, site.at("via-link")).unwrap();
    let via_link = Root::open(site.at("via-link").to_str().unwrap()).unwrap();
    assert_eq!(mounts_inside(&via_link, &[]).unwrap().points, want);
}

#[test]
#[ignore = "needs root (mounts): scripts/test.sh runs it"]
fn without_proc_scans_the_first_levels_and_the_given_paths() {
    let mut site = Site::new();
    site.dirs(&[
        site.at("volume"),
        site.at("outside/x"),
        site.t("m1"),
        site.t("a/m2"),
        site.t("wp-content/plugins/p"),
        site.t("deep/er/m3"),
        site.t("deep/er/m4"),
    ]);
    fs::write(site.at("volume.txt"), "the volume's").unwrap();
    for file in ["f", "a/f2"] {
        fs::write(site.t(file), "TARGET's").unwrap();
    }
    std::os::unix::fs::symlink(site.at("outside"), site.t("link")).unwrap();
    let volume = site.at("volume");
    for rel in [
        "m1",
        "a/m2",
        "wp-content/plugins/p",
        "deep/er/m3",
        "deep/er/m4",
    ] {
        site.bind(&volume, &site.t(rel));
    }
    site.bind(&volume, &site.at("outside/x"));
    for file in ["f", "a/f2"] {
        site.bind(&site.at("volume.txt"), &site.t(file));
    }

    let root = Root::open(site.target.to_str().unwrap()).unwrap();
    let extra = ["deep/er/m3/", "link/x", "missing/x"].map(String::from);
    let no_proc = || Err(io::Error::from(io::ErrorKind::NotFound));
    let found = find(&root, &extra, no_proc).unwrap();
    // deep/er/m4 is deeper than the scan and not named: the result says it may be missing.
    let want = set(&[
        "a/f2",
        "a/m2",
        "deep/er/m3",
        "f",
        "m1",
        "wp-content/plugins/p",
    ]);
    assert_eq!(found.points, want);
    let cause = found.incomplete.unwrap();
    assert!(cause.starts_with("/proc/self/mountinfo: "), "{cause}");
    // With the kernel's list, the deep one is found too.
    let all = mounts_inside(&root, &[]).unwrap();
    assert_eq!(all.points.len(), want.len() + 1, "{:?}", all.points);
    assert!(all.points.contains("deep/er/m4") && all.incomplete.is_none());
}

#[test]
#[ignore = "needs root (mounts): scripts/test.sh runs it"]
fn a_mount_point_not_named_in_utf8_is_an_error() {
    let mut site = Site::new();
    let odd = site.target.join(OsStr::from_bytes(b"odd\xff"));
    site.dirs(&[site.at("volume"), odd.clone()]);
    site.bind(&site.at("volume"), &odd);
    let root = Root::open(site.target.to_str().unwrap()).unwrap();
    for found in [
        mounts_inside(&root, &[]),
        find(&root, &[], || Err(io::Error::from(io::ErrorKind::NotFound))),
    ] {
        let e = found.unwrap_err().to_string();
        assert!(
            e.contains("odd\u{fffd}: a mount point whose name is not UTF-8"),
            "{e}"
        );
    }
}
