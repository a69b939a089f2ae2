//! A tar stream (plain or gzip) read entry by entry into the [`Tree`]: names and link
//! targets decided on their raw bytes (`wp_init_core::source::names`), never unpacked by
//! the `tar` crate itself.

use std::io::{self, Read};

use tar::{Archive, EntryType};
use wp_init_core::source::names::{Placed, place};

use super::tree::{Refusal, Tree, refuse, stream, too_large};

/// A reader that counts what passes through it, refusing more than `max` (a layer's
/// uncompressed digest is the host's to check, natively, before the layer gets here).
pub struct Bounded<R> {
    inner: R,
    read: u64,
    max: u64,
}

impl<R: Read> Bounded<R> {
    /// Wraps `inner`.
    pub fn new(inner: R, max: u64) -> Self {
        Bounded {
            inner,
            read: 0,
            max,
        }
    }

    /// The bytes read so far.
    pub fn count(&self) -> u64 {
        self.read
    }
}

impl<R: Read> Read for Bounded<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read += n as u64;
        if self.read > self.max {
            return Err(io::Error::other(too_large(self.max)));
        }
        Ok(n)
    }
}

/// Reads every entry of the tar stream `input` into `tree`, then the rest of the stream
/// (so a gzip trailer is checked). Returns whether the
/// subtree (or, in a layer, something reaching it) was seen.
///
/// A layer may end right after an entry's data, without its padding or the end-of-archive
/// blocks: umoci 0.4.7 (Debian 12's) writes its layers so, and Go's `archive/tar` (so
/// containerd, Docker, podman) takes them; the host has checked the stream against the
/// layer's `diff_id`. A release archive must be whole, as GNU tar says.
pub fn unpack<R: Read>(
    input: &mut Bounded<R>,
    tree: &mut Tree,
    (subtree, layer): (&str, bool),
) -> Result<bool, Refusal> {
    let (mut found, mut any) = (false, false);
    // Where the last entry's data ends, and the error met after it.
    let (mut data_end, mut ended) = (None, None);
    {
        let mut archive = Archive::new(&mut *input);
        let entries = archive.entries().map_err(|e| invalid(&e))?;
        for entry in entries {
            // An archive that does not start with one entry is not a tar stream at all.
            let mut entry = match entry {
                Ok(entry) => entry,
                Err(e) if any => {
                    ended = Some(e);
                    break;
                }
                Err(e) => return Err(invalid(&e)),
            };
            any = true;
            consistent(&entry)?;
            data_end = Some(entry.raw_file_position() + entry.size());
            found |= one(&mut entry, tree, (subtree, layer))?;
        }
    }
    if let Some(e) = ended
        && !(layer && data_end == Some(input.count()))
    {
        return Err(stream("", &e));
    }
    io::copy(input, &mut io::sink()).map_err(|e| stream("", &e))?;
    Ok(found)
}

/// One entry; whether it reached the subtree.
fn one<R: Read>(
    entry: &mut tar::Entry<'_, R>,
    tree: &mut Tree,
    (subtree, layer): (&str, bool),
) -> Result<bool, Refusal> {
    let raw = entry.path_bytes().into_owned();
    let name = String::from_utf8_lossy(&raw).into_owned();
    let kind = entry.header().entry_type();
    if matches!(kind, EntryType::XGlobalHeader) {
        return Ok(false);
    }
    let rel = match place(&raw, subtree, layer).map_err(|c| refuse(&name, c))? {
        Placed::Outside => return Ok(false),
        Placed::Above => return Ok(true),
        Placed::Remove(rel) => return tree.whiteout(&name, &rel).map(|()| true),
        Placed::Opaque(rel) => {
            tree.opaque(&rel);
            return Ok(true);
        }
        Placed::At(rel) => rel,
    };
    let header = entry.header();
    let mode = header.mode().map_err(|e| stream(&name, &e))?;
    match kind {
        EntryType::Regular | EntryType::Continuous => {
            let mtime = header.mtime().ok();
            let size = entry.size();
            tree.file((&name, &rel), (mode, mtime), entry, size)?;
        }
        EntryType::Directory => tree.directory(&name, &rel, mode)?,
        EntryType::Symlink => {
            let text = link_text(entry, &name)?;
            let text = String::from_utf8(text)
                .map_err(|_| refuse(&name, "symlink leaving the tree (not UTF-8)"))?;
            tree.symlink(&name, &rel, &text)?;
        }
        EntryType::Link => {
            let text = link_text(entry, &name)?;
            let to = match place(&text, subtree, layer).map_err(|c| refuse(&name, c))? {
                Placed::At(to) => to,
                _ => return Err(refuse(&name, "hard link to outside the subtree")),
            };
            tree.hard_link(&name, &rel, &to)?;
        }
        other => {
            return Err(refuse(
                &name,
                &format!("unsupported entry type ({})", describe(other)),
            ));
        }
    }
    Ok(true)
}

/// Refuses an entry whose PAX (or GNU) records disagree with its own header: a size other
/// than the header's (what the 2026 tar-rs advisories smuggled entries through), or a path
/// that does not extend the header's name (a long name's header holds its start).
fn consistent<R: Read>(entry: &tar::Entry<'_, R>) -> Result<(), Refusal> {
    let name = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
    let header = entry.header();
    let size = header.entry_size().map_err(|e| stream(&name, &e))?;
    if size != entry.size() {
        return Err(refuse(
            &name,
            &format!(
                "corrupt archive: its extended header gives size {}, its header {size}",
                entry.size()
            ),
        ));
    }
    let trim = |b: &[u8]| b.strip_suffix(b"/").unwrap_or(b).to_vec();
    let (path, own) = (trim(&entry.path_bytes()), trim(&header.path_bytes()));
    if !path.starts_with(&own) {
        return Err(refuse(
            &name,
            &format!(
                "corrupt archive: its extended header names it, its header names {}",
                String::from_utf8_lossy(&own)
            ),
        ));
    }
    Ok(())
}

/// A stream that is no archive of this format.
fn invalid(e: &io::Error) -> Refusal {
    refuse("", &format!("not a valid archive: {e}"))
}

/// A link entry's target, raw.
fn link_text<R: Read>(entry: &tar::Entry<'_, R>, name: &str) -> Result<Vec<u8>, Refusal> {
    match entry.link_name_bytes() {
        Some(t) => Ok(t.into_owned()),
        None => Err(refuse(name, "corrupt archive: a link without a target")),
    }
}

/// An entry type in words.
fn describe(t: EntryType) -> String {
    match t {
        EntryType::Char => "character device".to_owned(),
        EntryType::Block => "block device".to_owned(),
        EntryType::Fifo => "FIFO".to_owned(),
        EntryType::GNUSparse => "GNU sparse file".to_owned(),
        other => format!("type {:?}", other.as_byte() as char),
    }
}
