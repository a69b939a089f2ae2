//! Lying in `unpack`'s answer, whose entries the host gives the modes they claim in the
//! scratch tree (`TARGET/.wp-init-source.<nonce>/tree`, which holds the archive's
//! `wordpress/` as its root). The same attack runs again in the install that follows,
//! SOURCE being that tree: there it does what each function says.

use wp_init_core::report::EntryKind;

use crate::ctx::{Ctx, plant};

/// Whether this is `unpack`; in the install, notes `install=nothing`.
fn unpacked_tree(c: &mut Ctx) -> bool {
    if !c.unpacking() {
        c.note("install", "nothing");
        return false;
    }
    true
}

/// Claims a file beside TARGET, by `..` from the tree.
pub fn dotdot(c: &mut Ctx) {
    if unpacked_tree(c) {
        let p = c.out_of_target("secret.txt");
        c.unpacked.push((p, 0o777));
    }
}

/// Claims a file beside TARGET by its absolute path.
pub fn absolute(c: &mut Ctx) {
    if unpacked_tree(c) {
        let p = format!("{}/secret.txt", c.outside);
        c.unpacked.push((p, 0o777));
    }
}

/// Claims a symlink it made to a file beside TARGET (a chmod that follows it changes
/// that file).
pub fn symlink(c: &mut Ctx) {
    if unpacked_tree(c) {
        let to = c.out_of_target("secret.txt");
        let made = c.target.symlink_at(&to, "link");
        c.op("symlink", made);
        c.unpacked.push(("link".to_owned(), 0o777));
    }
}

/// In `unpack`: writes `evil.php` and claims it setuid, setgid and sticky,
/// world-writable. In the install: hard-links it from SOURCE into TARGET (as the real
/// component does with `link-source`) and claims it as created, so it stays in TARGET
/// with the mode the host gave it.
pub fn setuid(c: &mut Ctx) {
    if c.unpacking() {
        let planted = plant(&c.target, "evil.php", b"<?php // evil\n");
        c.op("create", planted);
        c.unpacked.push(("evil.php".to_owned(), 0o7777));
        return;
    }
    let linked = c.source.link_at(
        wasip2::filesystem::types::PathFlags::empty(),
        "evil.php",
        &c.target,
        "evil.php",
    );
    c.op("link", linked);
    c.claim("evil.php", EntryKind::File, "evil.php");
}
