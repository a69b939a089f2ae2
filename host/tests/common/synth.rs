//! A WordPress-sized synthetic SOURCE (seeded, so every run builds the same tree) and a
//! TARGET that already holds the user's files.

use std::fs;
use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::Path;

use super::{TEMPLATE, set_dir_times, write};

/// A small seeded generator (SplitMix64): the same seed gives the same tree.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `0..n`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn bytes(&mut self, len: usize) -> Vec<u8> {
        (0..len).map(|_| b'a' + self.below(26) as u8).collect()
    }
}

/// How big a synthetic tree is.
pub struct Shape {
    /// Directories below each of `wp-admin`, `wp-includes` and each theme/plugin.
    pub dirs: usize,
    /// Regular files spread over them.
    pub files: usize,
    /// Files are 0..max_size bytes (a few are 64 times bigger).
    pub max_size: usize,
}

/// WordPress 6.x has ~3,300 files in ~400 directories; this is the same order.
pub const WORDPRESS_SIZED: Shape = Shape {
    dirs: 300,
    files: 3000,
    max_size: 4096,
};

/// Builds a WordPress-shaped SOURCE at `src`: the root files (with `index.php` and a
/// `wp-config-docker.php` template), `wp-admin`, `wp-includes` (with `version.php`),
/// `wp-content` with plugins and themes, `.htaccess`, relative symlinks (to a file and to
/// a directory), and a few unusual modes. Returns the number of regular files.
pub fn wordpress(src: &Path, shape: &Shape, seed: u64) -> usize {
    let mut rng = Rng::new(seed);
    let bases = [
        "wp-admin",
        "wp-includes",
        "wp-content/plugins/akismet",
        "wp-content/themes/twentytwentyfive",
        "wp-content/themes/twentytwentyfour",
    ];
    let mut dirs: Vec<String> = bases.iter().map(|b| b.to_string()).collect();
    while dirs.len() < shape.dirs {
        let parent = dirs[rng.below(dirs.len() as u64) as usize].clone();
        dirs.push(format!("{parent}/d{}", dirs.len()));
    }
    for d in &dirs {
        fs::create_dir_all(src.join(d)).unwrap();
    }
    let root_files = [
        "index.php",
        "wp-blog-header.php",
        "wp-load.php",
        "wp-settings.php",
        "wp-login.php",
        "wp-cron.php",
        "xmlrpc.php",
        "license.txt",
        "readme.html",
        "wp-config-sample.php",
    ];
    let mut count = 0;
    for name in root_files {
        let size = rng.below(shape.max_size as u64) as usize;
        write(src, name, &rng.bytes(size));
        count += 1;
    }
    write(src, "wp-config-docker.php", TEMPLATE.as_bytes());
    write(
        src,
        "wp-includes/version.php",
        b"<?php\n$wp_version = '6.8.1';\n",
    );
    write(src, ".htaccess", b"# BEGIN WordPress\n# END WordPress\n");
    write(
        src,
        "wp-content/index.php",
        b"<?php // Silence is golden.\n",
    );
    write(
        src,
        "wp-content/plugins/hello.php",
        b"<?php /* Hello Dolly */\n",
    );
    count += 5;
    while count < shape.files {
        let dir = &dirs[rng.below(dirs.len() as u64) as usize];
        let big = rng.below(100) == 0;
        let size = rng.below(shape.max_size as u64) as usize * if big { 64 } else { 1 };
        write(src, &format!("{dir}/f{count}.php"), &rng.bytes(size));
        count += 1;
    }
    symlink(
        "../wp-includes/version.php",
        src.join("wp-admin/version-link.php"),
    )
    .unwrap();
    symlink("version.php", src.join("wp-includes/version-link.php")).unwrap();
    symlink("twentytwentyfive", src.join("wp-content/themes/default")).unwrap();
    chmod(&src.join("wp-cron.php"), 0o755);
    chmod(&src.join("wp-config-sample.php"), 0o600);
    chmod(&src.join(&dirs[6]), 0o750);
    set_dir_times(src);
    count
}

/// The user's own files in TARGET, as a running site has them: an upload, a plugin of
/// their own, their `.htaccess`, with their modes (root-owned).
pub fn user_files(dst: &Path) {
    write(
        dst,
        "wp-content/uploads/photo.jpg",
        &Rng::new(7).bytes(50_000),
    );
    write(
        dst,
        "wp-content/plugins/mine/mine.php",
        b"<?php /* Mine */\n",
    );
    write(dst, ".htaccess", b"# the user's rules\n");
    chmod(&dst.join("wp-content/plugins/mine"), 0o750);
    chmod(&dst.join("wp-content/uploads/photo.jpg"), 0o600);
}

pub fn chmod(path: &Path, mode: u32) {
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).unwrap();
}
