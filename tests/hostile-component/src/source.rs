//! Attacks on SOURCE, the read-only preopen, made while TARGET is open read-write
//! beside it (GHSA-4ch3-9j33-3pmj's set-up): every change must be refused.

use wasip2::filesystem::types::{Datetime, DescriptorFlags, NewTimestamp, OpenFlags, PathFlags};

use crate::ctx::{Ctx, create, open_dir, open_read, plant};

const EPOCH: NewTimestamp = NewTimestamp::Timestamp(Datetime {
    seconds: 0,
    nanoseconds: 0,
});

/// Creates a file, opens an existing one for writing, and appends to one.
pub fn create_or_write(c: &mut Ctx) {
    let r = create(&c.source, "hostile.php", false);
    c.op("create", r);
    let r = c.source.open_at(
        PathFlags::empty(),
        "index.php",
        OpenFlags::empty(),
        DescriptorFlags::WRITE,
    );
    c.op("open-write", r);
    let r = c.source.open_at(
        PathFlags::empty(),
        "wp-includes/version.php",
        OpenFlags::CREATE,
        DescriptorFlags::READ | DescriptorFlags::WRITE,
    );
    c.op("open-create-read-write", r);
}

/// GHSA-2r75-cxrj-cmph: `open-at` with `truncate` and only `read` asked for.
pub fn truncate_on_open(c: &mut Ctx) {
    let r = c.source.open_at(
        PathFlags::empty(),
        "index.php",
        OpenFlags::TRUNCATE,
        DescriptorFlags::READ,
    );
    c.op("truncate-read", r);
    let r = c.source.open_at(
        PathFlags::empty(),
        "index.php",
        OpenFlags::TRUNCATE,
        DescriptorFlags::empty(),
    );
    c.op("truncate-no-flags", r);
    // Through a subdirectory's descriptor, which inherits the preopen's rights.
    let sub = open_dir(&c.source, "wp-includes", false, false);
    if let Some(sub) = c.op("open-subdir", sub) {
        let r = sub.open_at(
            PathFlags::empty(),
            "version.php",
            OpenFlags::TRUNCATE,
            DescriptorFlags::READ,
        );
        c.op("truncate-in-subdir", r);
    }
}

/// Writes through a descriptor opened for reading: `write`, `set-size`, a write stream,
/// `set-times`.
pub fn write_through_read_descriptor(c: &mut Ctx) {
    let Some(f) = c.op("open-read", open_read(&c.source, "index.php", false)) else {
        return;
    };
    c.op("write", f.write(b"hostile", 0));
    c.op("set-size", f.set_size(0));
    let stream = f.write_via_stream(0);
    if let Some(s) = c.op("write-via-stream", stream) {
        c.op("stream-write", s.blocking_write_and_flush(b"hostile"));
    }
    c.op("append-via-stream", f.append_via_stream().map(|_| ()));
    c.op("set-times", f.set_times(EPOCH, EPOCH));
}

/// Creates and removes directories.
pub fn mkdir_rmdir(c: &mut Ctx) {
    c.op("mkdir", c.source.create_directory_at("hostile-dir"));
    c.op(
        "mkdir-nested",
        c.source.create_directory_at("wp-content/hostile-dir"),
    );
    c.op("rmdir", c.source.remove_directory_at("wp-content/uploads"));
    // Asking for a writable directory descriptor below SOURCE: given, but it keeps the
    // preopen's rights.
    if let Some(sub) = c.op(
        "open-dir-mutate",
        open_dir(&c.source, "wp-content", false, true),
    ) {
        c.op(
            "mkdir-via-mutate-dir",
            sub.create_directory_at("hostile-dir"),
        );
        c.op("create-via-mutate-dir", create(&sub, "hostile.php", false));
    }
    if let Some(sub) = c.op("open-dir", open_dir(&c.source, "wp-content", false, false)) {
        c.op("mkdir-via-subdir", sub.create_directory_at("hostile-dir"));
        c.op("create-via-subdir", create(&sub, "hostile.php", false));
    }
}

/// Removes a file.
pub fn unlink(c: &mut Ctx) {
    c.op("unlink", c.source.unlink_file_at("index.php"));
    c.op(
        "unlink-nested",
        c.source.unlink_file_at("wp-includes/version.php"),
    );
}

/// Renames inside SOURCE.
pub fn rename_within(c: &mut Ctx) {
    let r = c.source.rename_at("index.php", &c.source, "renamed.php");
    c.op("rename", r);
    let r = c
        .source
        .rename_at("wp-admin/index.php", &c.source, "index.php");
    c.op("rename-over", r);
}

/// Renames a SOURCE file out, into TARGET.
pub fn rename_out(c: &mut Ctx) {
    let r = c.source.rename_at("index.php", &c.target, "stolen.php");
    c.op("rename-out", r);
    let r = c.source.rename_at("wp-admin", &c.target, "stolen-dir");
    c.op("rename-dir-out", r);
}

/// Renames a TARGET file into SOURCE, new and over an existing file.
pub fn rename_in(c: &mut Ctx) {
    let r = plant(&c.target, "planted.php", b"<?php // planted\n");
    c.op("plant", r);
    let r = c.target.rename_at("planted.php", &c.source, "planted.php");
    c.op("rename-in", r);
    let r = c.target.rename_at("planted.php", &c.source, "index.php");
    c.op("rename-over", r);
}

/// Sets times on SOURCE's entries and on SOURCE itself.
pub fn set_times(c: &mut Ctx) {
    let r = c
        .source
        .set_times_at(PathFlags::empty(), "index.php", EPOCH, EPOCH);
    c.op("set-times-at", r);
    let r = c.source.set_times_at(
        PathFlags::empty(),
        "wp-admin",
        NewTimestamp::NoChange,
        EPOCH,
    );
    c.op("set-times-at-dir", r);
    c.op("set-times-root", c.source.set_times(EPOCH, EPOCH));
}

/// Creates a symlink in SOURCE.
pub fn symlink(c: &mut Ctx) {
    c.op("symlink", c.source.symlink_at("index.php", "hostile-link"));
}

/// GHSA-4ch3-9j33-3pmj: hard-links a SOURCE file into TARGET, then writes the link.
pub fn link_into_target(c: &mut Ctx) {
    let r = c
        .source
        .link_at(PathFlags::empty(), "index.php", &c.target, "linked.php");
    c.op("link-into-target", r);
    let r = c.target.open_at(
        PathFlags::empty(),
        "linked.php",
        OpenFlags::TRUNCATE,
        DescriptorFlags::WRITE,
    );
    c.op("write-link", r);
    if let Some(sub) = c.op(
        "open-subdir",
        open_dir(&c.source, "wp-includes", false, false),
    ) {
        let r = sub.link_at(PathFlags::empty(), "version.php", &c.target, "v.php");
        c.op("link-from-subdir", r);
    }
}

/// GHSA-4ch3-9j33-3pmj the other way: hard-links a TARGET file into SOURCE.
pub fn link_from_target(c: &mut Ctx) {
    c.op("plant", plant(&c.target, "planted.php", b"<?php\n"));
    let r = c
        .target
        .link_at(PathFlags::empty(), "planted.php", &c.source, "planted.php");
    c.op("link-into-source", r);
}

/// Writes SOURCE through TARGET: a relative symlink in TARGET to a SOURCE file, and
/// `..` from TARGET into SOURCE.
pub fn through_target(c: &mut Ctx) {
    let to = c.source_from_target("index.php");
    c.op("symlink", c.target.symlink_at(&to, "to-source"));
    let r = c.target.open_at(
        PathFlags::SYMLINK_FOLLOW,
        "to-source",
        OpenFlags::TRUNCATE,
        DescriptorFlags::WRITE,
    );
    c.op("write-through-symlink", r);
    let r = c.target.open_at(
        PathFlags::empty(),
        &to,
        OpenFlags::TRUNCATE,
        DescriptorFlags::WRITE,
    );
    c.op("write-dotdot", r);
}
