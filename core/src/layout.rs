//! Names and rules of the WordPress tree, on `/`-separated paths relative to SOURCE or
//! TARGET.

/// The core trees: an upgrade makes them identical to SOURCE's, verify compares them.
pub const CORE_TREES: [&str; 2] = ["wp-admin", "wp-includes"];

/// Default SOURCE: where the official image keeps WordPress.
pub const DEFAULT_SOURCE: &str = "/usr/src/wordpress";

/// Default TARGET: the official image's document root.
pub const DEFAULT_TARGET: &str = "/var/www/html";

/// The files whose presence makes TARGET count as installed (either one, as upstream).
/// The copy writes them last, `index.php` very last, so an interrupted copy never looks
/// installed.
pub const SENTINELS: [&str; 2] = ["wp-includes/version.php", "index.php"];

/// The one top-level entry that does not make TARGET count as "not empty".
pub const CONTENT_DIR: &str = "wp-content";

/// A file that is not copied when TARGET already has it.
pub const HTACCESS: &str = ".htaccess";

/// Prefix of every temporary entry wp-init creates; leftovers with it are removed by
/// the next run.
pub const TEMP_PREFIX: &str = ".wp-init-tmp.";

/// Whether `rel` is one of the [`SENTINELS`].
pub fn is_sentinel(rel: &str) -> bool {
    SENTINELS.contains(&rel)
}

/// Whether `rel` is a content package's place, `wp-content/*/*` (a plugin, a theme, a
/// language pack): exactly two levels under `wp-content`, neither level a hidden name
/// (upstream's glob does not match dotfiles).
/// Such a directory is not copied when TARGET already has it, and is otherwise built
/// under a temporary name and renamed into place when complete.
pub fn is_content_package(rel: &str) -> bool {
    let mut parts = rel.split('/');
    matches!(
        (parts.next(), parts.next(), parts.next(), parts.next()),
        (Some(CONTENT_DIR), Some(a), Some(b), None)
            if !a.is_empty() && !b.is_empty() && !a.starts_with('.') && !b.starts_with('.')
    )
}

/// Whether a `rel` entry is subject to the exclusion rule when it exists in TARGET
/// (`is_dir` says whether the SOURCE entry is a directory).
pub fn is_excludable(rel: &str, is_dir: bool) -> bool {
    rel == HTACCESS || (is_dir && is_content_package(rel))
}

/// What every name wp-init gives its own bookkeeping starts with: temporaries
/// ([`TEMP_PREFIX`]), the commit journal and the created-logs (`commit`).
pub const OWN_PREFIX: &str = ".wp-init-";

/// The lock file at TARGET's root: the run-wide lock (the host's `lock` module). It exists
/// while a run holds the lock (and after a run that died), never after a run that ends.
pub const LOCK_FILE: &str = ".wp-init-lock";

/// Whether a directory entry name is wp-init's own bookkeeping, never WordPress's.
pub fn is_own_name(name: &str) -> bool {
    name.starts_with(OWN_PREFIX)
}

/// Whether a directory entry name is one of wp-init's temporaries.
pub fn is_temp_name(name: &str) -> bool {
    name.starts_with(TEMP_PREFIX)
}

/// What the scratch directory an archive SOURCE is unpacked into, at TARGET's root, is
/// named with: this prefix and the run's nonce. Not a temporary of the copy's (the copy
/// never removes it); the host removes it when the run ends, and an interrupted run's
/// the next time TARGET is written.
pub const SCRATCH_PREFIX: &str = ".wp-init-source.";

/// The scratch directory's name for the run with `nonce`.
pub fn scratch_name(nonce: u64) -> String {
    format!("{SCRATCH_PREFIX}{nonce:016x}")
}

/// Whether a name at TARGET's root is a scratch directory of an archive SOURCE.
pub fn is_scratch_name(name: &str) -> bool {
    name.starts_with(SCRATCH_PREFIX)
}

/// Longest file name (in bytes) on the file systems wp-init runs on.
pub const NAME_MAX: usize = 255;

/// A temporary name for `name`, unique by `nonce`: the name itself after the prefix when
/// that fits in [`NAME_MAX`] bytes, else a 64-bit FNV-1a hash of it (a 255-byte plugin
/// directory name must still install).
pub fn temp_name(name: &str, nonce: u64) -> String {
    let full = format!("{TEMP_PREFIX}{nonce:016x}.{name}");
    if full.len() <= NAME_MAX {
        return full;
    }
    let hash = name.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    format!("{TEMP_PREFIX}{nonce:016x}.#{hash:016x}")
}

/// Joins a relative path to a base (`/var/www/html` + `a/b`); an empty side is the
/// other one, so it also joins two relative paths (`""` is the root).
pub fn join(base: &str, rel: &str) -> String {
    match (base, rel) {
        (b, "") => b.to_owned(),
        ("", r) => r.to_owned(),
        (b, r) if b.ends_with('/') => format!("{b}{r}"),
        (b, r) => format!("{b}/{r}"),
    }
}

/// Directories the install leaves in place (empty, when SOURCE has none) for volumes
/// mounted inside a read-only TARGET.
pub const DEFAULT_MOUNT_POINTS: [&str; 1] = ["wp-content/uploads"];

/// Whether `rel` is a plain relative `/`-separated path: not empty, not absolute, and no
/// empty, `.` or `..` component (so it names an entry inside the directory it is
/// relative to, whatever the entries on its way are).
pub fn is_plain_relative(rel: &str) -> bool {
    !rel.is_empty()
        && rel
            .split('/')
            .all(|c| !c.is_empty() && c != "." && c != ".." && !c.contains('\0'))
}

/// Why `rel` cannot name a mount point (`--mount-point`), if it cannot: it must be a
/// plain relative path inside TARGET, and not where core goes (`wp-admin/`,
/// `wp-includes/`, the root's `.php` files and `.htaccess`: an install would leave a
/// directory where a file belongs, an upgrade would have to replace it), nor one of
/// wp-init's own names.
pub fn mount_point_problem(rel: &str) -> Option<&'static str> {
    let top = rel.split('/').next().unwrap_or_default();
    if !is_plain_relative(rel) {
        Some("a mount point must be a relative path inside TARGET, without '.' or '..'")
    } else if is_sentinel(rel) || rel == HTACCESS || (top == rel && rel.ends_with(".php")) {
        Some("a mount point cannot be a file WordPress installs")
    } else if CORE_TREES.contains(&top) {
        Some("a mount point cannot be inside wp-admin/ or wp-includes/, which an upgrade replaces")
    } else if rel.split('/').any(is_own_name) {
        Some("a mount point cannot have the prefix of wp-init's own files")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pluggable_is_exactly_two_levels_without_dotfiles() {
        assert!(is_content_package("wp-content/plugins/akismet"));
        assert!(is_content_package("wp-content/themes/twentytwentyfive"));
        assert!(is_content_package("wp-content/x/[y*]"));
        assert!(!is_content_package("wp-content/plugins"));
        assert!(!is_content_package(
            "wp-content/plugins/akismet/akismet.php"
        ));
        assert!(!is_content_package("wp-content/.hidden/x"));
        assert!(!is_content_package("wp-content/plugins/.git"));
        assert!(!is_content_package("wp-admin/plugins/akismet"));
        assert!(!is_content_package("wp-contents/plugins/akismet"));
    }

    #[test]
    fn excludable() {
        assert!(is_excludable(".htaccess", false));
        assert!(is_excludable("wp-content/plugins/akismet", true));
        assert!(!is_excludable("wp-content/plugins/hello.php", false));
        assert!(!is_excludable("wp-content/plugins/akismet", false));
        assert!(!is_excludable("wp-admin/.htaccess", false));
    }

    #[test]
    fn temp_names_round_trip() {
        let t = temp_name("index.php", 0xabc);
        assert_eq!(t, ".wp-init-tmp.0000000000000abc.index.php");
        assert!(is_temp_name(&t));
        assert!(!is_temp_name("index.php"));
        assert!(!is_temp_name(".wp-init-tmp"));
    }

    #[test]
    fn own_names_cover_every_bookkeeping_name() {
        let journal = crate::journal::journal_name(1);
        for name in [temp_name("x", 1).as_str(), &journal, LOCK_FILE] {
            assert!(is_own_name(name), "{name}");
        }
        assert!(!is_own_name("wp-content"));
    }

    #[test]
    fn temp_names_of_long_names_fit() {
        let long = "p".repeat(NAME_MAX);
        let t = temp_name(&long, 7);
        assert!(t.len() <= NAME_MAX && is_temp_name(&t), "{t}");
        assert_ne!(t, temp_name(&"q".repeat(NAME_MAX), 7));
        assert_eq!(t, temp_name(&long, 7));
    }

    #[test]
    fn sentinels() {
        assert!(is_sentinel("index.php"));
        assert!(is_sentinel("wp-includes/version.php"));
        assert!(!is_sentinel("wp-admin/index.php"));
    }

    #[test]
    fn join_paths() {
        assert_eq!(join("/var/www/html", "a/b"), "/var/www/html/a/b");
        assert_eq!(join("/var/www/html/", "a"), "/var/www/html/a");
        assert_eq!(join("/src", ""), "/src");
        assert_eq!(join("", "wp-admin"), "wp-admin");
        assert_eq!(
            join("wp-content/plugins", "akismet"),
            "wp-content/plugins/akismet"
        );
    }

    #[test]
    fn mount_points() {
        for ok in [
            "wp-content/uploads",
            "wp-content",
            "cache",
            "wp-content/x/y.php",
        ] {
            assert_eq!(mount_point_problem(ok), None, "{ok}");
        }
        for bad in ["", "/abs", "a/../b", "..", "a//b", "a/", "./a", "a\0b"] {
            assert!(
                mount_point_problem(bad).unwrap().contains("relative"),
                "{bad:?}"
            );
        }
        for file in [
            "index.php",
            "wp-includes/version.php",
            ".htaccess",
            "wp-login.php",
        ] {
            assert!(
                mount_point_problem(file).unwrap().contains("file"),
                "{file}"
            );
        }
        for core in ["wp-admin", "wp-includes/fonts", "wp-admin/css/x"] {
            assert!(
                mount_point_problem(core).unwrap().contains("upgrade"),
                "{core}"
            );
        }
        assert!(mount_point_problem(".wp-init-x").is_some());
    }
}
