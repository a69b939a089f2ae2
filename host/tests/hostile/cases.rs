//! The hostile table's set-ups (what each row builds in SOURCE and TARGET) and its
//! row-specific checks.

use std::fs;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::symlink;

use super::Case;
use crate::common::expect::secret_files;
use crate::common::mount::Mount;
use crate::common::run::NOBODY;
use crate::common::synth::chmod;
use crate::common::tree::listing;
use crate::common::write;

// Set-ups.

pub fn plain(_: &mut Case) {}

pub fn source_symlink(c: &mut Case) {
    c.source_arg = c.dir.path().join("src-link");
    symlink(&c.src, &c.source_arg).unwrap();
}

pub fn target_symlink(c: &mut Case) {
    c.target_arg = c.dir.path().join("dst-link");
    symlink(&c.dst, &c.target_arg).unwrap();
}

pub fn escaping_chain(c: &mut Case) {
    fs::create_dir(c.src.join("wp-includes/d")).unwrap();
    symlink("..", c.src.join("wp-includes/d/up")).unwrap();
    symlink("d/up/../../outside", c.src.join("wp-includes/esc")).unwrap();
}

pub fn nobody_owns_target(c: &Case) {
    rustix::fs::chown(
        &c.dst,
        Some(rustix::fs::Uid::from_raw(NOBODY)),
        Some(rustix::fs::Gid::from_raw(NOBODY)),
    )
    .unwrap();
}

pub fn read_only_source_dir(c: &mut Case) {
    chmod(&c.src.join("wp-includes"), 0o555);
    nobody_owns_target(c);
}

pub fn unreadable_target_dir(c: &mut Case) {
    nobody_owns_target(c);
    write(&c.dst, "wp-includes/functions.php", b"<?php // root's\n");
    chmod(&c.dst.join("wp-includes"), 0o700);
}

pub fn symlink_loop(c: &mut Case) {
    symlink("loop-b", c.src.join("wp-includes/loop-a")).unwrap();
    symlink("loop-a", c.src.join("wp-includes/loop-b")).unwrap();
}

pub fn symlinked_wp_content(c: &mut Case) {
    symlink("../outside/content", c.dst.join("wp-content")).unwrap();
}

pub fn special_files(c: &mut Case) {
    let dir = c.src.join("wp-includes");
    let ok = |cmd: &mut std::process::Command| assert!(cmd.status().unwrap().success(), "{cmd:?}");
    ok(std::process::Command::new("mkfifo").arg(dir.join("fifo")));
    ok(std::process::Command::new("mknod")
        .arg(dir.join("null"))
        .args(["c", "1", "3"]));
    std::os::unix::net::UnixListener::bind(dir.join("sock")).unwrap();
}

pub fn non_utf8_name(c: &mut Case) {
    let dir = c.src.join("wp-includes/bad");
    fs::create_dir(&dir).unwrap();
    fs::write(
        dir.join(std::ffi::OsStr::from_bytes(b"caf\xe9.php")),
        b"<?php\n",
    )
    .unwrap();
}

pub fn newline_names(c: &mut Case) {
    write(
        &c.src,
        "wp-includes/a\nb.php",
        b"<?php // a newline in my name\n",
    );
    write(&c.src, "wp-content/plugins/line\nbreak/p.php", b"<?php\n");
}

pub fn deep_nesting(c: &mut Case) {
    let rel: Vec<String> = (0..100).map(|i| format!("level-{i:03}")).collect();
    write(
        &c.src,
        &format!("wp-includes/{}/bottom.php", rel.join("/")),
        b"<?php // deep\n",
    );
}

pub fn long_names(c: &mut Case) {
    // 251 + 4 = 255 bytes, the longest name Linux file systems take.
    let long = |ch: char| ch.to_string().repeat(251);
    write(
        &c.src,
        &format!("wp-includes/{}.php", long('f')),
        b"<?php\n",
    );
    write(
        &c.src,
        &format!("wp-includes/{}dirs/x.php", long('d')),
        b"<?php\n",
    );
    write(
        &c.src,
        &format!("wp-content/plugins/{}.dir/p.php", long('p')),
        b"<?php\n",
    );
}

/// A sparse file of `len` bytes with a few non-zero bytes, at `rel` in SOURCE.
pub fn sparse(c: &Case, rel: &str, len: u64) {
    use std::os::unix::fs::FileExt;
    let f = fs::File::create(c.src.join(rel)).unwrap();
    f.set_len(len).unwrap();
    for at in [0, len / 2, len - 5] {
        f.write_all_at(b"mark", at).unwrap();
    }
}

pub fn sparse_gib(c: &mut Case) {
    sparse(c, "wp-content/sparse.bin", 1 << 30);
}

pub fn sparse_tib(c: &mut Case) {
    sparse(c, "wp-content/huge.bin", 1 << 40);
}

pub fn tiny_files(c: &mut Case) {
    for d in 0..500 {
        let dir = c.src.join(format!("wp-includes/many/{d:03}"));
        fs::create_dir_all(&dir).unwrap();
        for f in 0..200 {
            fs::write(dir.join(format!("{f}.php")), format!("{d}.{f}")).unwrap();
        }
    }
}

/// One directory of 40,000 files with 200-byte names: its listing alone is more than
/// 8 MiB in the component (it plans one directory at a time, holding its listing).
pub fn wide_dir(c: &mut Case) {
    let dir = c.src.join("wp-includes/wide");
    fs::create_dir_all(&dir).unwrap();
    for f in 0..40_000 {
        fs::write(dir.join(format!("{f:0>200}")), b"").unwrap();
    }
}

pub fn config_dir(c: &mut Case) {
    write(&c.dst, "wp-config.php/keep.txt", b"mine\n");
}

pub fn no_template(c: &mut Case) {
    fs::remove_file(c.src.join("wp-config-docker.php")).unwrap();
}

pub fn read_only_target(c: &mut Case) {
    let m = Mount::new(&["--bind", "-o", "ro", c.dst.to_str().unwrap()], &c.dst);
    c.mounts.push(m);
}

pub fn small_disk(c: &mut Case) {
    c.mounts.push(Mount::tmpfs("64k", &c.dst));
}

pub fn more_room(c: &mut Case) {
    c.mounts.last().unwrap().remount("remount,size=64m");
}

// Row-specific checks.

pub fn wp_includes_0555(c: &Case) -> Result<(), String> {
    let m = crate::common::tree::meta(&c.dst.join("wp-includes"));
    (m.mode == 0o555)
        .then_some(())
        .ok_or(format!("wp-includes has mode {:o}", m.mode))
}

pub fn salts_private(c: &Case) -> Result<(), String> {
    let secrets = secret_files(&c.dst);
    if secrets.is_empty() {
        return Err("the kill came before any salt was written: no check made".into());
    }
    let open: Vec<_> = secrets.iter().filter(|(_, m)| m & 0o004 != 0).collect();
    open.is_empty()
        .then_some(())
        .ok_or(format!("salts readable by others: {open:?}"))
}

pub fn no_values_in_config(c: &Case) -> Result<(), String> {
    let config = fs::read_to_string(c.dst.join("wp-config.php")).map_err(|e| e.to_string())?;
    match config.find("MARK-") {
        Some(i) => Err(format!(
            "a value was written into wp-config.php: {}",
            &config[i..i + 20]
        )),
        None => Ok(()),
    }
}

pub fn some_copied(c: &Case) -> Result<(), String> {
    let n = listing(&c.dst).len();
    (n > 10).then_some(()).ok_or(format!(
        "the cap was hit before the copy started ({n} entries)"
    ))
}
