//! Test helpers: synthetic WordPress-shaped trees and tree comparison.
#![allow(dead_code, reason = "each test binary uses a different subset")]

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::{MetadataExt, symlink};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use tempfile::TempDir;

/// A fixed, odd modification time, so copied mtimes are recognisable.
pub fn old_time() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::new(1_600_000_000, 123_456_789)
}

/// A scratch area with `src/` (a small WordPress-shaped tree) and an empty `dst/`.
pub struct Fixture {
    pub dir: TempDir,
    pub src: PathBuf,
    pub dst: PathBuf,
}

impl Fixture {
    pub fn new() -> Self {
        let dir = tempfile::Builder::new()
            .prefix("wp-init-test.")
            .tempdir()
            .unwrap();
        let src = dir.path().join("src");
        let dst = dir.path().join("dst");
        fs::create_dir(&dst).unwrap();
        build_source(&src);
        Fixture { dir, src, dst }
    }

    pub fn src_str(&self) -> String {
        self.src.to_str().unwrap().to_owned()
    }

    pub fn dst_str(&self) -> String {
        self.dst.to_str().unwrap().to_owned()
    }

    /// An installer from this fixture's SOURCE to TARGET, capturing messages.
    pub fn installer(&self) -> wp_init::Installer {
        wp_init::Installer::new(self.src_str(), self.dst_str()).capture_messages(true)
    }

    /// The `wp-init` binary with `install --source SRC --target DST`, a clean environment.
    pub fn cli(&self) -> std::process::Command {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_wp-init"));
        cmd.env_clear().args([
            "install",
            "--source",
            &self.src_str(),
            "--target",
            &self.dst_str(),
        ]);
        cmd
    }

    /// Runs `install --json` with `WORDPRESS_DB_HOST=db`, which must succeed: its output
    /// and its report.
    pub fn install_json(&self) -> (std::process::Output, serde_json::Value) {
        let out = self
            .cli()
            .arg("--json")
            .env("WORDPRESS_DB_HOST", "db")
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
        let report = serde_json::from_slice(&out.stdout).unwrap();
        (out, report)
    }
}

/// Writes a file (and its parents) with fixed mtime.
pub fn write(root: &Path, rel: &str, content: &[u8]) {
    let p = root.join(rel);
    fs::create_dir_all(p.parent().unwrap()).unwrap();
    fs::write(&p, content).unwrap();
    fs::File::options()
        .write(true)
        .open(&p)
        .unwrap()
        .set_modified(old_time())
        .unwrap();
}

/// A WordPress-shaped SOURCE: core files, wp-content with plugins and themes, a
/// `.htaccess`, a relative symlink, a large file, a template and an empty directory.
pub fn build_source(src: &Path) {
    write(
        src,
        "index.php",
        b"<?php define('WP_USE_THEMES', true); require __DIR__ . '/wp-blog-header.php';\n",
    );
    write(
        src,
        "wp-includes/version.php",
        b"<?php\n$wp_version = '6.8.1';\n",
    );
    write(src, "wp-includes/functions.php", b"<?php // functions\n");
    write(src, "wp-includes/js/jquery/jquery.js", &vec![b'j'; 100_000]);
    write(src, "wp-admin/index.php", b"<?php // admin\n");
    write(
        src,
        "wp-admin/css/big.css",
        &(0..300_000u32).map(|i| (i % 251) as u8).collect::<Vec<_>>(),
    );
    write(src, "wp-blog-header.php", b"<?php // header\n");
    write(src, "wp-config-sample.php", b"<?php // sample\n");
    write(src, "wp-config-docker.php", TEMPLATE.as_bytes());
    write(
        src,
        ".htaccess",
        b"# BEGIN WordPress\nRewriteEngine On\n# END WordPress\n",
    );
    write(
        src,
        "wp-content/index.php",
        b"<?php // Silence is golden.\n",
    );
    write(
        src,
        "wp-content/plugins/index.php",
        b"<?php // Silence is golden.\n",
    );
    write(
        src,
        "wp-content/plugins/hello.php",
        b"<?php /* Hello Dolly */\n",
    );
    write(
        src,
        "wp-content/plugins/akismet/akismet.php",
        b"<?php /* Akismet 5.4 */\n",
    );
    write(
        src,
        "wp-content/plugins/akismet/views/notice.php",
        b"<?php // notice\n",
    );
    write(
        src,
        "wp-content/themes/twentytwentyfive/style.css",
        b"/* Theme Name: Twenty Twenty-Five */\n",
    );
    write(
        src,
        "wp-content/themes/twentytwentyfive/functions.php",
        b"<?php // theme\n",
    );
    fs::create_dir_all(src.join("wp-content/uploads")).unwrap();
    symlink(
        "../functions.php",
        src.join("wp-includes/js/functions-link.php"),
    )
    .unwrap();
    symlink("twentytwentyfive", src.join("wp-content/themes/default")).unwrap();
    set_modes(src);
    set_dir_times(src);
}

/// Gives every file below `dir` mode 0644 and every directory 0755, whatever the umask:
/// an install running on another test thread sets the process's umask to 077.
pub fn set_modes(dir: &Path) {
    use std::os::unix::fs::PermissionsExt;
    for entry in fs::read_dir(dir).unwrap() {
        let entry = entry.unwrap();
        let t = entry.file_type().unwrap();
        if t.is_dir() {
            set_modes(&entry.path());
            fs::set_permissions(entry.path(), fs::Permissions::from_mode(0o755)).unwrap();
        } else if t.is_file() {
            fs::set_permissions(entry.path(), fs::Permissions::from_mode(0o644)).unwrap();
        }
    }
}

/// A template with the official image's shape: 8 key/salt lines and runtime getenv.
pub const TEMPLATE: &str = "<?php\n// fixture template\ndefine( 'DB_NAME', getenv_docker('WORDPRESS_DB_NAME', 'wordpress') );\n\
define( 'AUTH_KEY',         getenv_docker('WORDPRESS_AUTH_KEY',         'put your unique phrase here') );\n\
define( 'SECURE_AUTH_KEY',  getenv_docker('WORDPRESS_SECURE_AUTH_KEY',  'put your unique phrase here') );\n\
define( 'LOGGED_IN_KEY',    getenv_docker('WORDPRESS_LOGGED_IN_KEY',    'put your unique phrase here') );\n\
define( 'NONCE_KEY',        getenv_docker('WORDPRESS_NONCE_KEY',        'put your unique phrase here') );\n\
define( 'AUTH_SALT',        getenv_docker('WORDPRESS_AUTH_SALT',        'put your unique phrase here') );\n\
define( 'SECURE_AUTH_SALT', getenv_docker('WORDPRESS_SECURE_AUTH_SALT', 'put your unique phrase here') );\n\
define( 'LOGGED_IN_SALT',   getenv_docker('WORDPRESS_LOGGED_IN_SALT',   'put your unique phrase here') );\n\
define( 'NONCE_SALT',       getenv_docker('WORDPRESS_NONCE_SALT',       'put your unique phrase here') );\n\
require_once ABSPATH . 'wp-settings.php';\n";

/// Gives every directory below `root` (post-order) the fixed old mtime.
pub fn set_dir_times(root: &Path) {
    for entry in fs::read_dir(root).unwrap() {
        let entry = entry.unwrap();
        if entry.file_type().unwrap().is_dir() {
            set_dir_times(&entry.path());
        }
    }
    fs::File::open(root)
        .unwrap()
        .set_modified(old_time())
        .unwrap();
}

/// One entry of a tree snapshot.
#[derive(Debug, PartialEq, Eq, Clone)]
pub enum Entry {
    File { content: Vec<u8>, mtime: SystemTime },
    Dir { mtime: SystemTime },
    Link(PathBuf),
}

/// Every entry below `root`, by relative path, without following symlinks.
/// wp-init's record of the core it installed, at TARGET's root (not part of the tree
/// copied; `hostile.rs` checks it).
pub const CORE_RECORD: &str = ".wp-init-core";

pub fn snapshot(root: &Path) -> BTreeMap<String, Entry> {
    let mut out = BTreeMap::new();
    walk(root, root, &mut out);
    out.remove(CORE_RECORD);
    out
}

fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, Entry>) {
    for entry in fs::read_dir(dir).unwrap() {
        let entry = entry.unwrap();
        let path = entry.path();
        let rel = path
            .strip_prefix(root)
            .unwrap()
            .to_str()
            .unwrap()
            .to_owned();
        let meta = fs::symlink_metadata(&path).unwrap();
        let e = if meta.is_symlink() {
            Entry::Link(fs::read_link(&path).unwrap())
        } else if meta.is_dir() {
            walk(root, &path, out);
            Entry::Dir {
                mtime: meta.modified().unwrap(),
            }
        } else {
            Entry::File {
                content: fs::read(&path).unwrap(),
                mtime: meta.modified().unwrap(),
            }
        };
        out.insert(rel, e);
    }
}

/// What `path` itself is (not following a symlink): `file`, `dir`, `symlink` or `other`.
pub fn kind(path: &Path) -> &'static str {
    let t = fs::symlink_metadata(path).unwrap().file_type();
    if t.is_symlink() {
        "symlink"
    } else if t.is_dir() {
        "dir"
    } else if t.is_file() {
        "file"
    } else {
        "other"
    }
}

/// A finished command's stderr, as text.
pub fn stderr(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// (mode, uid, gid, mtime) of a path, not following symlinks.
pub fn stat(path: &Path) -> (u32, u32, u32, SystemTime) {
    let m = fs::symlink_metadata(path).unwrap();
    (m.mode(), m.uid(), m.gid(), m.modified().unwrap())
}

/// The eight key/salt values of a generated config.
pub fn salts(config: &str) -> Vec<String> {
    config
        .lines()
        .filter(|l| {
            l.contains("getenv_docker('WORDPRESS_") && (l.contains("_KEY'") || l.contains("_SALT'"))
        })
        .map(|l| {
            // `...('WORDPRESS_AUTH_KEY',   'SALT') );`: the salt holds no quote.
            let head = l.rsplit_once("')").unwrap().0;
            head.rsplit_once('\'').unwrap().1.to_owned()
        })
        .collect()
}

pub mod expect;
pub mod mount;
pub mod points;
pub mod run;
pub mod synth;
pub mod tree;

/// Whether TARGET holds the journal of a commit in progress (a `.wp-init-journal.*` file
/// with its commit line): then a tree may pass the installed test while incomplete, and
/// the next run finishes the commit.
pub fn committing(dst: &Path) -> bool {
    fs::read_dir(dst).unwrap().any(|e| {
        let e = e.unwrap();
        e.file_name()
            .to_string_lossy()
            .starts_with(".wp-init-journal.")
            && fs::read_to_string(e.path())
                .unwrap_or_default()
                .lines()
                .any(|l| l.starts_with("{\"commit\":"))
    })
}

/// Holds the lock `wp-init` takes on TARGET, as another run would, until dropped.
pub fn hold_lock(target: &std::path::Path) -> wp_init::lock::TargetLock {
    let access = wp_init::lock::Access::Exclusive;
    let zero = std::time::Duration::ZERO;
    wp_init::lock::acquire(target, access, zero, &|| false, &mut |_| {})
        .unwrap()
        .lock
        .unwrap()
}
