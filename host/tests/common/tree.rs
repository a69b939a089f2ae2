//! Tree checks that work on any tree: names that are not UTF-8, huge sparse files,
//! 100,000 entries. Contents are compared and hashed by streaming, never held in memory.

use std::collections::BTreeMap;
use std::fs;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::io::Read;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

/// What an entry is, not following symlinks (a symlink carries its text).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Kind {
    File,
    Dir,
    Link(PathBuf),
    Special,
}

/// One entry of a [`listing`]: its kind and metadata.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Meta {
    pub kind: Kind,
    /// Permission bits (`mode & 0o7777`).
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
    pub size: u64,
}

/// Every entry below `root` (not `root` itself), by relative path, never following symlinks.
pub fn listing(root: &Path) -> BTreeMap<PathBuf, Meta> {
    let mut out = BTreeMap::new();
    list_into(root, Path::new(""), &mut out);
    out
}

fn list_into(root: &Path, rel: &Path, out: &mut BTreeMap<PathBuf, Meta>) {
    let dir = root.join(rel);
    let entries = fs::read_dir(&dir).unwrap_or_else(|e| panic!("listing {}: {e}", dir.display()));
    for entry in entries {
        let entry = entry.unwrap();
        let r = rel.join(entry.file_name());
        let meta = meta(&root.join(&r));
        if meta.kind == Kind::Dir {
            list_into(root, &r, out);
        }
        out.insert(r, meta);
    }
}

/// The [`Meta`] of `path` itself.
pub fn meta(path: &Path) -> Meta {
    let m = fs::symlink_metadata(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let t = m.file_type();
    let kind = if t.is_symlink() {
        Kind::Link(fs::read_link(path).unwrap())
    } else if t.is_dir() {
        Kind::Dir
    } else if t.is_file() {
        Kind::File
    } else {
        Kind::Special
    };
    Meta {
        kind,
        mode: m.mode() & 0o7777,
        uid: m.uid(),
        gid: m.gid(),
        size: m.size(),
    }
}

/// Whether two regular files hold the same bytes, read in chunks.
pub fn same_content(a: &Path, b: &Path) -> bool {
    let (mut fa, mut fb) = match (fs::File::open(a), fs::File::open(b)) {
        (Ok(fa), Ok(fb)) => (fa, fb),
        _ => return false,
    };
    if fa.metadata().unwrap().len() != fb.metadata().unwrap().len() {
        return false;
    }
    let (mut ba, mut bb) = (vec![0u8; 1 << 20], vec![0u8; 1 << 20]);
    loop {
        let n = read_full(&mut fa, &mut ba);
        if n != read_full(&mut fb, &mut bb) || ba[..n] != bb[..n] {
            return false;
        }
        if n == 0 {
            return true;
        }
    }
}

fn read_full(f: &mut fs::File, buf: &mut [u8]) -> usize {
    let mut n = 0;
    while n < buf.len() {
        match f.read(&mut buf[n..]).unwrap() {
            0 => break,
            k => n += k,
        }
    }
    n
}

/// A hash of everything about a tree that a change would touch: names, kinds, modes,
/// owners, symlink texts, and each entry's inode and change time (`ctime`, which every
/// write, rename, chmod or chown updates and no one can set back), the root included.
/// Nothing is read, so a sparse 1 TiB file costs no more than an empty one.
pub fn tree_hash(root: &Path) -> u64 {
    let mut h = DefaultHasher::new();
    let stamp = |p: &Path, h: &mut DefaultHasher| {
        let m = fs::symlink_metadata(p).unwrap();
        (
            m.ino(),
            m.ctime(),
            m.ctime_nsec(),
            m.mtime(),
            m.mtime_nsec(),
        )
            .hash(h);
    };
    stamp(root, &mut h);
    for (rel, meta) in listing(root) {
        rel.hash(&mut h);
        meta.hash_into(&mut h);
        stamp(&root.join(&rel), &mut h);
    }
    h.finish()
}

impl Meta {
    fn hash_into(&self, h: &mut DefaultHasher) {
        (&self.kind, self.mode, self.uid, self.gid, self.size).hash(h);
    }
}
