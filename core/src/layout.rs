//! Names and rules of the WordPress tree, on `/`-separated paths relative to SOURCE or
//! TARGET.

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

/// Whether `rel` is a `wp-content/*/*` directory candidate: exactly two levels under
/// `wp-content`, neither level a hidden name (upstream's glob does not match dotfiles).
/// Such a directory is not copied when TARGET already has it, and is otherwise built
/// under a temporary name and renamed into place when complete.
pub fn is_pluggable(rel: &str) -> bool {
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
    rel == HTACCESS || (is_dir && is_pluggable(rel))
}

/// Whether a directory entry name is one of wp-init's temporaries.
pub fn is_temp_name(name: &str) -> bool {
    name.starts_with(TEMP_PREFIX)
}

/// A temporary name for `name`, unique by `nonce`.
pub fn temp_name(name: &str, nonce: u64) -> String {
    format!("{TEMP_PREFIX}{nonce:016x}.{name}")
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

/// Whether a symlink at `link_rel` (relative to the tree root) with contents `text`
/// points outside the tree: absolute, or climbing above the root with `..`.
/// Such a link cannot be recreated safely in TARGET.
pub fn symlink_escapes(link_rel: &str, text: &str) -> bool {
    if text.starts_with('/') || text.is_empty() {
        return true;
    }
    // Depth of the directory holding the link, then walk the link's components.
    let mut depth = link_rel.split('/').filter(|c| !c.is_empty()).count() as i64 - 1;
    for comp in text.split('/') {
        match comp {
            "" | "." => {}
            ".." => {
                depth -= 1;
                if depth < 0 {
                    return true;
                }
            }
            _ => depth += 1,
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pluggable_is_exactly_two_levels_without_dotfiles() {
        assert!(is_pluggable("wp-content/plugins/akismet"));
        assert!(is_pluggable("wp-content/themes/twentytwentyfive"));
        assert!(is_pluggable("wp-content/x/[y*]"));
        assert!(!is_pluggable("wp-content/plugins"));
        assert!(!is_pluggable("wp-content/plugins/akismet/akismet.php"));
        assert!(!is_pluggable("wp-content/.hidden/x"));
        assert!(!is_pluggable("wp-content/plugins/.git"));
        assert!(!is_pluggable("wp-admin/plugins/akismet"));
        assert!(!is_pluggable("wp-contents/plugins/akismet"));
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
    fn escaping_symlinks() {
        assert!(symlink_escapes("a", "/etc/passwd"));
        assert!(symlink_escapes("a", ""));
        assert!(symlink_escapes("a", ".."));
        assert!(symlink_escapes("wp-content/x", "../../etc"));
        assert!(symlink_escapes("wp-content/x", "../a/../../b"));
        assert!(!symlink_escapes("wp-content/x", "../index.php"));
        assert!(!symlink_escapes("wp-content/x", "plugins/./a"));
        assert!(!symlink_escapes("a/b/c", "../../d"));
        assert!(symlink_escapes("a/b/c", "../../../d"));
    }
}
