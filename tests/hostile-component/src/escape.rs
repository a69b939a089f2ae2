//! Attacks that try to leave TARGET: `..`, absolute paths, symlinks it plants (absolute,
//! relative, chained, with a trailing `/` or `/.`), hard links, a symlink swapped for a
//! directory between two calls. Planting a relative symlink that leads out is allowed
//! (WASI has no rule against the text of a link); following it never is.

use wasip2::filesystem::types::{
    Datetime, Descriptor, DescriptorFlags, NewTimestamp, OpenFlags, PathFlags,
};

use crate::ctx::{Ctx, create, open_dir, open_read};

const EPOCH: NewTimestamp = NewTimestamp::Timestamp(Datetime {
    seconds: 0,
    nanoseconds: 0,
});

/// Every way to use `path` (below TARGET) that would reach what it leads to: read,
/// create, truncate, list, make a directory, remove, rename, link, stat, set times.
fn use_path(c: &mut Ctx, tag: &str, path: &str) {
    let t = c.target.clone_handle();
    let name = |op: &str| format!("{tag}-{op}");
    c.op(
        &name("read"),
        open_read(&t, &format!("{path}/secret.txt"), true),
    );
    c.op(
        &name("create"),
        create(&t, &format!("{path}/hostile.txt"), true),
    );
    let r = t.open_at(
        PathFlags::SYMLINK_FOLLOW,
        &format!("{path}/secret.txt"),
        OpenFlags::TRUNCATE,
        DescriptorFlags::WRITE,
    );
    c.op(&name("truncate"), r);
    c.op(&name("open-dir"), open_dir(&t, path, true, true));
    c.op(
        &name("mkdir"),
        t.create_directory_at(&format!("{path}/hostile-dir")),
    );
    c.op(
        &name("rmdir"),
        t.remove_directory_at(&format!("{path}/empty")),
    );
    c.op(
        &name("unlink"),
        t.unlink_file_at(&format!("{path}/secret.txt")),
    );
    let r = t.rename_at(&format!("{path}/secret.txt"), &t, "stolen.txt");
    c.op(&name("rename-from"), r);
    let r = t.link_at(PathFlags::empty(), &format!("{path}/secret.txt"), &t, "hl");
    c.op(&name("link-from"), r);
    let r = t.stat_at(PathFlags::SYMLINK_FOLLOW, &format!("{path}/secret.txt"));
    c.stat(&name("stat"), r);
    let r = t.set_times_at(
        PathFlags::SYMLINK_FOLLOW,
        &format!("{path}/secret.txt"),
        EPOCH,
        EPOCH,
    );
    c.op(&name("set-times"), r);
}

/// A second handle to the same directory, so `use_path` can borrow the context mutably.
trait CloneHandle {
    fn clone_handle(&self) -> Descriptor;
}

impl CloneHandle for Descriptor {
    fn clone_handle(&self) -> Descriptor {
        self.open_at(
            PathFlags::empty(),
            ".",
            OpenFlags::DIRECTORY,
            DescriptorFlags::READ | DescriptorFlags::MUTATE_DIRECTORY,
        )
        .unwrap_or_else(|e| panic!("reopening a preopen: {}", e.name()))
    }
}

/// `..` out of TARGET, directly and after going down first.
pub fn dotdot(c: &mut Ctx) {
    let up = c.out_of_target("");
    use_path(c, "dotdot", &up);
    c.op(
        "mkdir-wp-content",
        c.target.create_directory_at("wp-content"),
    );
    let deep = format!("wp-content/../{up}");
    use_path(c, "down-up", &deep);
    c.op("open-parent", open_dir(&c.target, "..", false, false));
}

/// Absolute paths: the place beside TARGET, `/etc`, `/`.
pub fn absolute(c: &mut Ctx) {
    let out = c.outside.clone();
    use_path(c, "abs", &out);
    c.op("etc-passwd", open_read(&c.target, "/etc/passwd", false));
    c.op("root", open_dir(&c.target, "/", false, false));
}

/// Symlinks with absolute targets cannot even be made.
pub fn symlink_absolute(c: &mut Ctx) {
    let out = c.outside.clone();
    c.op("symlink-outside", c.target.symlink_at(&out, "abs"));
    c.op("symlink-etc", c.target.symlink_at("/etc/passwd", "passwd"));
    c.op("symlink-root", c.target.symlink_at("/", "root"));
}

/// A relative symlink to the directory beside TARGET, and one to a file there.
pub fn symlink_relative(c: &mut Ctx) {
    let up = c.out_of_target("");
    c.op("symlink", c.target.symlink_at(&up, "out"));
    use_path(c, "via-link", "out");
    let file = c.out_of_target("secret.txt");
    c.op("symlink-file", c.target.symlink_at(&file, "secret"));
    c.op("read-file-link", open_read(&c.target, "secret", true));
    let r = c.target.open_at(
        PathFlags::SYMLINK_FOLLOW,
        "secret",
        OpenFlags::TRUNCATE,
        DescriptorFlags::WRITE,
    );
    c.op("truncate-file-link", r);
    // Not following the link: the link itself is opened or refused, never its target.
    let r = c.target.open_at(
        PathFlags::empty(),
        "secret",
        OpenFlags::TRUNCATE,
        DescriptorFlags::WRITE,
    );
    c.op("truncate-nofollow", r);
}

/// A chain of links inside TARGET whose last one leads out, and a loop.
pub fn symlink_chain(c: &mut Ctx) {
    let up = c.out_of_target("");
    c.op("link-c3", c.target.symlink_at(&up, "c3"));
    c.op("link-c2", c.target.symlink_at("c3", "c2"));
    c.op("link-c1", c.target.symlink_at("c2", "c1"));
    c.op("mkdir-sub", c.target.create_directory_at("sub"));
    c.op("link-sub", c.target.symlink_at("../c1", "sub/c"));
    use_path(c, "chain", "c1");
    use_path(c, "sub-chain", "sub/c");
    c.op("link-loop", c.target.symlink_at("loop", "loop"));
    c.op("read-loop", open_read(&c.target, "loop", true));
}

/// GHSA-vqjp-4c8c-hfgg: trailing slashes, in the link's text and in the path.
pub fn symlink_trailing_slash(c: &mut Ctx) {
    let up = c.out_of_target("");
    c.op("link-slash", c.target.symlink_at(&format!("{up}/"), "ts"));
    c.op("link-plain", c.target.symlink_at(&up, "out"));
    let file = c.out_of_target("secret.txt");
    c.op(
        "link-file-slash",
        c.target.symlink_at(&format!("{file}/"), "tf"),
    );
    use_path(c, "ts", "ts");
    use_path(c, "ts-slash", "ts/");
    use_path(c, "out-slash", "out/");
    for (tag, path) in [
        ("ts-end", "ts/"),
        ("out-end", "out/"),
        ("tf", "tf"),
        ("tf-end", "tf/"),
    ] {
        c.op(
            &format!("{tag}-open-dir-nofollow"),
            open_dir(&c.target, path, false, false),
        );
        c.op(&format!("{tag}-read"), open_read(&c.target, path, true));
        c.op(&format!("{tag}-create"), create(&c.target, path, true));
        c.stat(
            &format!("{tag}-lstat"),
            c.target.stat_at(PathFlags::empty(), path),
        );
        let r = c
            .target
            .set_times_at(PathFlags::SYMLINK_FOLLOW, path, EPOCH, EPOCH);
        c.op(&format!("{tag}-set-times"), r);
        c.op(&format!("{tag}-mkdir"), c.target.create_directory_at(path));
        c.op(&format!("{tag}-rmdir"), c.target.remove_directory_at(path));
    }
    // Readable results must not reveal the directory beside TARGET either.
    if let Some(d) = c.op("list-ts", open_dir(&c.target, "ts/", true, false)) {
        c.op("read-dir", d.read_directory().map(|_| ()));
    }
}

/// The same with `/.` at the end of the link's text and of the path.
pub fn symlink_slash_dot(c: &mut Ctx) {
    let up = c.out_of_target("");
    c.op(
        "link-slash-dot",
        c.target.symlink_at(&format!("{up}/."), "sd"),
    );
    c.op("link-plain", c.target.symlink_at(&up, "out"));
    use_path(c, "sd", "sd");
    use_path(c, "sd-dot", "sd/.");
    use_path(c, "out-dot", "out/.");
    use_path(c, "out-dot-dot-slash", "out/./");
    c.stat(
        "lstat-out-dot",
        c.target.stat_at(PathFlags::empty(), "out/."),
    );
    c.stat("lstat-sd", c.target.stat_at(PathFlags::empty(), "sd"));
    c.op(
        "mkdir-out-dot",
        c.target.create_directory_at("out/./hostile-dir"),
    );
}

/// GHSA-m9f7-9w4p-gv38: renames of symlinks named with a trailing slash.
pub fn rename_trailing_slash(c: &mut Ctx) {
    let up = c.out_of_target("");
    c.op("link", c.target.symlink_at(&up, "out"));
    c.op("plant", create(&c.target, "file.txt", false));
    c.op("mkdir", c.target.create_directory_at("dir"));
    let t = c.target.clone_handle();
    for (tag, from, to) in [
        ("link-slash-away", "out/", "moved"),
        ("link-slash-dot-away", "out/.", "moved"),
        ("file-onto-link-slash", "file.txt", "out/"),
        ("dir-onto-link-slash", "dir", "out/"),
        ("dir-into-link", "dir", "out/dir"),
        ("file-into-link-slash-dot", "file.txt", "out/./file.txt"),
    ] {
        c.op(tag, t.rename_at(from, &t, to));
    }
}

/// Hard links to a file beside TARGET: by `..`, through a planted symlink, following it.
pub fn hard_link_out(c: &mut Ctx) {
    let file = c.out_of_target("secret.txt");
    let r = c.target.link_at(PathFlags::empty(), &file, &c.target, "hl");
    c.op("link-dotdot", r);
    let up = c.out_of_target("");
    c.op("symlink", c.target.symlink_at(&up, "out"));
    let r = c
        .target
        .link_at(PathFlags::empty(), "out/secret.txt", &c.target, "hl");
    c.op("link-through-symlink", r);
    c.op("symlink-file", c.target.symlink_at(&file, "secret"));
    let r = c
        .target
        .link_at(PathFlags::SYMLINK_FOLLOW, "secret", &c.target, "hl");
    c.op("link-following", r);
    // Linking the symlink itself is harmless: a second name for the link, in TARGET.
    let r = c
        .target
        .link_at(PathFlags::empty(), "secret", &c.target, "hl");
    c.op("link-the-link", r);
}

/// A directory swapped for a symlink between two calls, and a symlink swapped for a
/// directory: a descriptor opened before the swap keeps its directory (in TARGET); a
/// path opened after it is resolved again, and refused if it leads out.
pub fn swap(c: &mut Ctx) {
    c.op("mkdir", c.target.create_directory_at("d"));
    let Some(d) = c.op("open-d", open_dir(&c.target, "d", false, true)) else {
        return;
    };
    c.op("rename-d", c.target.rename_at("d", &c.target, "d.old"));
    let up = c.out_of_target("");
    c.op("symlink-d", c.target.symlink_at(&up, "d"));
    c.op("create-via-old-descriptor", create(&d, "x.txt", false));
    c.op("create-via-path", create(&c.target, "d/x.txt", true));
    c.op("read-via-path", open_read(&c.target, "d/secret.txt", true));
    // The other way: a symlink leading out, replaced by a directory.
    c.op("symlink-e", c.target.symlink_at(&up, "e"));
    let before = open_dir(&c.target, "e", true, true);
    c.op("open-e-before", before);
    c.op("unlink-e", c.target.unlink_file_at("e"));
    c.op("mkdir-e", c.target.create_directory_at("e"));
    c.op("create-in-e", create(&c.target, "e/x.txt", true));
}
