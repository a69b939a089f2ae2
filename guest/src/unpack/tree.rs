//! The tree an archive is unpacked into: what this archive made, the checks every entry
//! goes through before it is made (no duplicate, no parent that is a symlink or a file,
//! no bomb), and the whiteouts of image layers.

use std::collections::{HashMap, HashSet};
use std::io::Read;

use wasip2::filesystem::types::{Datetime, DescriptorType};
use wp_init_core::source::archive_mode;
use wp_init_core::source::names::symlink_stays;

use crate::fs::{CHUNK, Dir, FsError};

/// Why an entry is refused: its name in the archive and the cause.
pub type Refusal = (String, String);

/// What the archive made at a path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Made {
    File,
    Dir,
    /// A directory made because an entry below it needed one.
    ImplicitDir,
    Symlink,
}

/// The tree being unpacked, and everything this archive (or layer) made in it.
pub struct Tree {
    pub dir: Dir,
    /// Earlier layers may have left entries: look at the disk, not only at `made`.
    layer: bool,
    made: HashMap<String, Made>,
    /// Directories of earlier layers checked to be directories.
    known: HashSet<String>,
    /// Directories whose earlier layers' entries are hidden (opaque markers).
    opaque: Vec<String>,
    /// The symlinks made: path, entry name, contents (checked again, resolved, at the end).
    links: HashMap<String, (String, String)>,
    max_bytes: u64,
    /// Content bytes written.
    pub bytes: u64,
    /// Files, directories, symlinks made.
    pub counts: [u64; 3],
    /// Every file and directory made, with its mode.
    pub entries: Vec<(String, u32)>,
    /// What was dropped.
    pub warnings: Vec<String>,
}

impl Tree {
    /// A tree in `dir`; `layer`: an image layer over earlier ones.
    pub fn new(dir: Dir, layer: bool, max_bytes: u64) -> Tree {
        Tree {
            dir,
            layer,
            made: HashMap::new(),
            known: HashSet::new(),
            opaque: Vec::new(),
            links: HashMap::new(),
            max_bytes,
            bytes: 0,
            counts: [0; 3],
            entries: Vec::new(),
            warnings: Vec::new(),
        }
    }

    /// Makes the directory `rel` (entry `name`) with the archive's mode `raw`.
    pub fn directory(&mut self, name: &str, rel: &str, raw: u32) -> Result<(), Refusal> {
        match self.made.get(rel) {
            Some(Made::ImplicitDir) => {}
            Some(_) => return Err(refuse(name, "duplicate entry")),
            None => {
                self.prepare(name, rel, true)?;
                if !self.known.contains(rel) {
                    self.dir.mkdir(rel).map_err(|e| io(name, &e))?;
                    self.counts[1] += 1;
                }
            }
        }
        self.made.insert(rel.to_owned(), Made::Dir);
        let mode = self.mode(name, raw, true);
        self.entries.push((rel.to_owned(), mode));
        Ok(())
    }

    /// Makes the file `rel` from `size` bytes of `data`, with the archive's mode `raw`
    /// and modification time `mtime` (seconds), if it gives one.
    pub fn file(
        &mut self,
        (name, rel): (&str, &str),
        (raw, mtime): (u32, Option<u64>),
        data: &mut dyn Read,
        size: u64,
    ) -> Result<(), Refusal> {
        self.claim(name, rel)?;
        self.charge(name, size)?;
        self.prepare(name, rel, false)?;
        let file = self.dir.create_new(rel, rel).map_err(|e| io(name, &e))?;
        let mut buf = vec![0u8; CHUNK as usize];
        let mut offset = 0u64;
        loop {
            let n = read_some(data, &mut buf).map_err(|e| stream(name, &e))?;
            if n == 0 {
                break;
            }
            if offset + n as u64 > size {
                return Err(refuse(name, "corrupt archive: more data than its size"));
            }
            file.write_all(&buf[..n], offset)
                .map_err(|e| io(name, &e))?;
            offset += n as u64;
        }
        if offset < size {
            return Err(refuse(name, "truncated: the archive ends inside it"));
        }
        let t = mtime.map(|seconds| Datetime {
            seconds,
            nanoseconds: 0,
        });
        file.set_mtime(t).map_err(|e| io(name, &e))?;
        self.made.insert(rel.to_owned(), Made::File);
        self.counts[0] += 1;
        let mode = self.mode(name, raw, false);
        self.entries.push((rel.to_owned(), mode));
        Ok(())
    }

    /// Makes the symlink `rel` with contents `text`, which must stay in the tree.
    pub fn symlink(&mut self, name: &str, rel: &str, text: &str) -> Result<(), Refusal> {
        self.claim(name, rel)?;
        if !symlink_stays(rel, text) {
            return Err(refuse(
                name,
                &format!("symlink leaving the tree (-> {text})"),
            ));
        }
        self.prepare(name, rel, false)?;
        self.dir.symlink(text, rel).map_err(|e| io(name, &e))?;
        self.made.insert(rel.to_owned(), Made::Symlink);
        self.links
            .insert(rel.to_owned(), (name.to_owned(), text.to_owned()));
        self.counts[2] += 1;
        Ok(())
    }

    /// Makes `rel` a hard link to the file `to` (relative to the tree), which this
    /// archive (or, for a layer, an earlier one) made.
    pub fn hard_link(&mut self, name: &str, rel: &str, to: &str) -> Result<(), Refusal> {
        self.claim(name, rel)?;
        let earlier_file = || {
            self.layer
                && self.parents_are_dirs(to)
                && self
                    .dir
                    .lstat(to)
                    .is_ok_and(|st| st.type_ == DescriptorType::RegularFile)
        };
        let refused = match self.made.get(to) {
            Some(Made::File) => None,
            Some(Made::Symlink) => Some("hard link to a symlink"),
            Some(Made::Dir | Made::ImplicitDir) => Some("hard link to a directory"),
            None if earlier_file() => None,
            None => Some("hard link to an entry not yet unpacked"),
        };
        if let Some(why) = refused {
            return Err(refuse(name, &format!("{why} ({to})")));
        }
        self.prepare(name, rel, false)?;
        self.dir
            .link(to, &self.dir, rel, rel)
            .map_err(|e| io(name, &e))?;
        self.made.insert(rel.to_owned(), Made::File);
        self.counts[0] += 1;
        Ok(())
    }

    /// An OCI whiteout: removes `rel` (empty: everything) that earlier layers made.
    pub fn whiteout(&mut self, name: &str, rel: &str) -> Result<(), Refusal> {
        if rel.is_empty() {
            self.opaque.push(String::new());
            return Ok(());
        }
        if self.made.contains_key(rel) || !self.parents_are_dirs(rel) {
            return Ok(());
        }
        match self.dir.remove_tree(rel) {
            Ok(()) => {
                self.known.clear();
                Ok(())
            }
            Err(e) if missing(&e) => Ok(()),
            Err(e) => Err(io(name, &e)),
        }
    }

    /// An OCI opaque marker: earlier layers' entries in `rel` are hidden (removed when
    /// the layer ends, after what this layer adds there is known).
    pub fn opaque(&mut self, rel: &str) {
        self.opaque.push(rel.to_owned());
    }

    /// Ends the archive (or layer): removes what opaque directories hid, then checks that
    /// every symlink made resolves, through the others, to a path inside the tree.
    pub fn finish(&mut self) -> Result<(), Refusal> {
        for dir in std::mem::take(&mut self.opaque) {
            if dir.is_empty() || self.parents_are_dirs(&dir) {
                self.hide_below(&dir).map_err(|e| io("", &e))?;
            }
        }
        let mut links: Vec<_> = self.links.iter().collect();
        links.sort();
        for (rel, (name, text)) in links {
            if !self.resolves_inside(rel, text) {
                return Err(refuse(
                    name,
                    &format!("symlink leaving the tree once resolved (-> {text})"),
                ));
            }
        }
        Ok(())
    }

    /// Whether the symlink `at` with contents `text` resolves inside the tree, through
    /// the symlinks in it (40 at most, as Linux follows); a dangling one does.
    fn resolves_inside(&self, at: &str, text: &str) -> bool {
        let mut dir: Vec<String> = at.split('/').map(str::to_owned).collect();
        dir.pop();
        let mut pending: Vec<String> = text.split('/').rev().map(str::to_owned).collect();
        let mut hops = 0;
        while let Some(part) = pending.pop() {
            match part.as_str() {
                "" | "." => {}
                ".." => {
                    if dir.pop().is_none() {
                        return false;
                    }
                }
                name => {
                    dir.push(name.to_owned());
                    if let Some(next) = self.link_text(&dir.join("/")) {
                        hops += 1;
                        if hops > 40 || next.starts_with('/') {
                            return false;
                        }
                        dir.pop();
                        pending.extend(next.split('/').rev().map(str::to_owned));
                    }
                }
            }
        }
        true
    }

    /// The contents of the symlink at `rel`, if one is there: made by this archive, or
    /// (a layer) by an earlier one.
    fn link_text(&self, rel: &str) -> Option<String> {
        match self.links.get(rel) {
            Some((_, text)) => Some(text.clone()),
            None if self.layer && !self.made.contains_key(rel) => {
                let st = self.dir.lstat(rel).ok()?;
                (st.type_ == DescriptorType::SymbolicLink)
                    .then(|| self.dir.readlink(rel).ok())
                    .flatten()
            }
            None => None,
        }
    }

    /// Removes what is below `dir` and was not made by this layer.
    fn hide_below(&mut self, dir: &str) -> Result<(), FsError> {
        let handle = match dir {
            "" => self.dir.reopen(crate::fs::Access::Change)?,
            d => match self.dir.open_dir(d, crate::fs::Access::Change) {
                Ok(h) => h,
                Err(e) if missing(&e) => return Ok(()),
                Err(e) => return Err(e),
            },
        };
        for (child, ty) in handle.entries()? {
            let rel = wp_init_core::layout::join(dir, &child);
            match self.made.get(&rel) {
                None if !self.made_below(&rel) => handle.remove_tree(&child)?,
                _ if ty == DescriptorType::Directory => self.hide_below(&rel)?,
                _ => {}
            }
        }
        Ok(())
    }

    /// Whether this layer made anything below `rel`.
    fn made_below(&self, rel: &str) -> bool {
        let prefix = format!("{rel}/");
        self.made.keys().any(|k| k.starts_with(&prefix))
    }

    /// Refuses a second entry at `rel`.
    fn claim(&self, name: &str, rel: &str) -> Result<(), Refusal> {
        match self.made.contains_key(rel) {
            true => Err(refuse(name, "duplicate entry")),
            false => Ok(()),
        }
    }

    /// Counts `size` content bytes against the bound.
    fn charge(&mut self, name: &str, size: u64) -> Result<(), Refusal> {
        self.bytes = self.bytes.saturating_add(size);
        if self.bytes > self.max_bytes {
            return Err(refuse(name, &too_large(self.max_bytes)));
        }
        Ok(())
    }

    /// The mode to give an entry, warning about the bits dropped.
    fn mode(&mut self, name: &str, raw: u32, is_dir: bool) -> u32 {
        let (mode, special) = archive_mode(raw, is_dir);
        if special {
            let bits: Vec<&str> = [(0o4000, "setuid"), (0o2000, "setgid"), (0o1000, "sticky")]
                .into_iter()
                .filter(|(bit, _)| raw & bit != 0)
                .map(|(_, word)| word)
                .collect();
            self.warnings.push(format!(
                "{name}: {} dropped (mode {:o} in the archive, {mode:o} given)",
                bits.join(" and "),
                raw & 0o7777
            ));
        }
        mode
    }

    /// Makes sure `rel`'s parents are directories (made when missing) and, for a layer,
    /// clears what an earlier layer left at `rel` (unless both are directories).
    fn prepare(&mut self, name: &str, rel: &str, is_dir: bool) -> Result<(), Refusal> {
        let mut at = 0;
        while let Some(i) = rel[at..].find('/') {
            let parent = &rel[..at + i];
            self.parent(name, parent)?;
            at += i + 1;
        }
        if self.layer {
            self.clear(name, rel, is_dir)?;
        }
        Ok(())
    }

    /// Makes sure `parent` is a directory, never a symlink.
    fn parent(&mut self, name: &str, parent: &str) -> Result<(), Refusal> {
        match self.made.get(parent) {
            Some(Made::Dir | Made::ImplicitDir) => return Ok(()),
            Some(Made::Symlink) => {
                return Err(refuse(name, &format!("through a symlink ({parent})")));
            }
            Some(Made::File) => {
                return Err(refuse(
                    name,
                    &format!("duplicate entry ({parent} is a file)"),
                ));
            }
            None if self.known.contains(parent) => return Ok(()),
            None => {}
        }
        if self.layer {
            match self.dir.lstat(parent) {
                Ok(st) if st.type_ == DescriptorType::Directory => {
                    self.known.insert(parent.to_owned());
                    return Ok(());
                }
                Ok(st) if st.type_ == DescriptorType::SymbolicLink => {
                    return Err(refuse(name, &format!("through a symlink ({parent})")));
                }
                Ok(_) => self.dir.unlink(parent).map_err(|e| io(name, &e))?,
                Err(e) if missing(&e) => {}
                Err(e) => return Err(io(name, &e)),
            }
        }
        self.dir.mkdir(parent).map_err(|e| io(name, &e))?;
        self.made.insert(parent.to_owned(), Made::ImplicitDir);
        self.counts[1] += 1;
        self.entries.push((parent.to_owned(), 0o755));
        Ok(())
    }

    /// For a layer: removes what an earlier layer left at `rel`, unless both are
    /// directories (then `rel` is known to be one).
    fn clear(&mut self, name: &str, rel: &str, is_dir: bool) -> Result<(), Refusal> {
        match self.dir.lstat(rel) {
            Ok(st) if is_dir && st.type_ == DescriptorType::Directory => {
                self.known.insert(rel.to_owned());
                Ok(())
            }
            Ok(_) => {
                self.known.clear();
                self.dir.remove_tree(rel).map_err(|e| io(name, &e))
            }
            Err(e) if missing(&e) => Ok(()),
            Err(e) => Err(io(name, &e)),
        }
    }

    /// Whether every parent of `rel` is a directory of the tree (not a symlink).
    fn parents_are_dirs(&self, rel: &str) -> bool {
        let mut at = 0;
        while let Some(i) = rel[at..].find('/') {
            let parent = &rel[..at + i];
            let ok = match self.made.get(parent) {
                Some(m) => matches!(m, Made::Dir | Made::ImplicitDir),
                None => self
                    .dir
                    .lstat(parent)
                    .is_ok_and(|st| st.type_ == DescriptorType::Directory),
            };
            if !ok {
                return false;
            }
            at += i + 1;
        }
        true
    }
}

/// The cause of a bomb refused.
pub fn too_large(max: u64) -> String {
    format!("expands to more than {max} bytes (--max-source-bytes)")
}

/// A refusal of `name` for `cause`.
pub fn refuse(name: &str, cause: &str) -> Refusal {
    (name.to_owned(), cause.to_owned())
}

/// A file system error while making `name`.
fn io(name: &str, e: &FsError) -> Refusal {
    (name.to_owned(), format!("{}: {}", e.path, e.cause()))
}

/// A read error of the archive's stream while reading `name`.
pub fn stream(name: &str, e: &std::io::Error) -> Refusal {
    let cause = match e.kind() {
        std::io::ErrorKind::UnexpectedEof => format!("truncated: {e}"),
        _ => format!("corrupt archive: {e}"),
    };
    (name.to_owned(), cause)
}

fn missing(e: &FsError) -> bool {
    use wasip2::filesystem::types::ErrorCode;
    matches!(e.code, ErrorCode::NoEntry | ErrorCode::NotDirectory)
}

/// One read, retried when interrupted.
fn read_some(r: &mut dyn Read, buf: &mut [u8]) -> std::io::Result<usize> {
    loop {
        match r.read(buf) {
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            other => return other,
        }
    }
}
