//! A zip file read into the [`Tree`] from its central directory, after checking that no
//! two entries share bytes and that each local header names its entry. The zip (whose
//! directory is at its end) is first copied from stdin into a file of the granted
//! directory, unlinked at once: it is read back with seeks, so memory stays flat in its
//! size.

use std::io::{BufReader, Read, Seek, SeekFrom};
use std::rc::Rc;

use wp_init_core::source::names::{Placed, place};
use zip::ZipArchive;

use super::tree::{Refusal, Tree, refuse, stream, too_large};
use crate::fs::{Dir, File};

/// The unix file type bits, and those of a symlink and a directory.
const S_IFMT: u32 = 0o170000;
const S_IFLNK: u32 = 0o120000;
const S_IFDIR: u32 = 0o040000;
/// The fixed part of a local file header.
const LOCAL_HEADER: usize = 30;
/// Longest symlink target read.
const MAX_LINK: u64 = 4096;
/// The spool's name, for the instant between its creation and its unlinking.
const SPOOL: &str = ".wp-init-zip-spool";
/// The most bytes of a zip's end read to find its end record (the record and the longest
/// comment).
const END_SEARCH: u64 = 22 + u16::MAX as u64;

/// A zip copied into a file (its name unlinked), read by position; clones share the file.
#[derive(Clone)]
pub struct Spool {
    file: Rc<File>,
    len: u64,
    pos: u64,
}

impl Spool {
    /// Copies `input`, refused past `max` bytes, into a new file of `dir` whose name is
    /// unlinked right after it is made.
    pub fn new(dir: &Dir, input: &mut dyn Read, max: u64) -> Result<Spool, Refusal> {
        let fs = |e: crate::fs::FsError| refuse("", &format!("spooling the zip: {}", e.cause()));
        let file = dir.create_new_readable(SPOOL).map_err(fs)?;
        dir.unlink(SPOOL).map_err(fs)?;
        let mut buf = vec![0u8; 256 * 1024];
        let mut len = 0u64;
        loop {
            let n = input.read(&mut buf).map_err(|e| stream("", &e))?;
            if n == 0 {
                break;
            }
            file.write_all(&buf[..n], len).map_err(fs)?;
            len += n as u64;
            if len > max {
                return Err(refuse("", &too_large(max)));
            }
        }
        Ok(Spool {
            file: Rc::new(file),
            len,
            pos: 0,
        })
    }

    /// `len` bytes at `at`, all of them.
    fn bytes_at(&self, at: u64, len: u64) -> Result<Vec<u8>, Refusal> {
        let mut out = self.clone();
        out.pos = at;
        let mut bytes = Vec::new();
        out.take(len)
            .read_to_end(&mut bytes)
            .map_err(|e| stream("", &e))?;
        Ok(bytes)
    }
}

impl Read for Spool {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        let want = (out.len() as u64).min(self.len.saturating_sub(self.pos));
        if want == 0 {
            return Ok(0);
        }
        let (bytes, _) = self
            .file
            .read(want, self.pos)
            .map_err(|e| std::io::Error::other(e.cause()))?;
        out[..bytes.len()].copy_from_slice(&bytes);
        self.pos += bytes.len() as u64;
        Ok(bytes.len())
    }
}

impl Seek for Spool {
    fn seek(&mut self, to: SeekFrom) -> std::io::Result<u64> {
        let pos = match to {
            SeekFrom::Start(n) => Some(n),
            SeekFrom::End(d) => self.len.checked_add_signed(d),
            SeekFrom::Current(d) => self.pos.checked_add_signed(d),
        };
        self.pos = pos.ok_or_else(|| std::io::Error::other("seek before the start"))?;
        Ok(self.pos)
    }
}

/// Reads the spooled zip into `tree`; whether the subtree was in it.
pub fn unpack(spool: &Spool, tree: &mut Tree, subtree: &str) -> Result<bool, Refusal> {
    let mut zip = ZipArchive::new(BufReader::with_capacity(64 * 1024, spool.clone()))
        .map_err(|e| refuse("", &format!("not a valid archive: {e}")))?;
    check_duplicates(spool)?;
    check_ranges(&mut zip, spool)?;
    let mut found = false;
    for i in 0..zip.len() {
        let mut file = zip
            .by_index(i)
            .map_err(|e| refuse("", &format!("corrupt archive: {e}")))?;
        let raw = file.name_raw().to_vec();
        let name = String::from_utf8_lossy(&raw).into_owned();
        let rel = match place(&raw, subtree, false).map_err(|c| refuse(&name, c))? {
            Placed::Outside => continue,
            Placed::At(rel) => rel,
            _ => {
                found = true;
                continue;
            }
        };
        found = true;
        // The whole mode: `unix_mode` drops setuid, setgid and sticky (which are warned of).
        let unix = match file.unix_mode() {
            Some(_) => file.external_attributes() >> 16,
            None => 0,
        };
        let size = file.size();
        if unix & S_IFMT == S_IFLNK {
            let mut text = Vec::new();
            (&mut file)
                .take(MAX_LINK + 1)
                .read_to_end(&mut text)
                .map_err(|e| stream(&name, &e))?;
            let text = String::from_utf8(text)
                .map_err(|_| refuse(&name, "symlink leaving the tree (not UTF-8)"))?;
            tree.symlink(&name, &rel, &text)?;
        } else if file.is_dir() || unix & S_IFMT == S_IFDIR {
            tree.directory(&name, &rel, unix & 0o7777)?;
        } else if unix & S_IFMT != 0 && unix & S_IFMT != 0o100000 {
            return Err(refuse(
                &name,
                "unsupported entry type (not a file, directory or symlink)",
            ));
        } else {
            let raw_mode = if unix == 0 { 0o644 } else { unix & 0o7777 };
            let mut limited = (&mut file).take(size.saturating_add(1));
            tree.file((&name, &rel), (raw_mode, None), &mut limited, size)?;
        }
    }
    Ok(found)
}

/// The names the central directory lists, read from the end record (a zip64 archive,
/// which WordPress's are not, is left to the `zip` crate: `None`).
fn central_names(spool: &Spool) -> Result<Option<Vec<Vec<u8>>>, Refusal> {
    let tail_at = spool.len.saturating_sub(END_SEARCH);
    let tail = spool.bytes_at(tail_at, END_SEARCH)?;
    let Some(end) = tail.len().checked_sub(22) else {
        return Ok(None);
    };
    let Some(at) = (0..=end)
        .rev()
        .find(|&i| tail[i..i + 4] == [0x50, 0x4b, 0x05, 0x06])
    else {
        return Ok(None);
    };
    let u16_at = |d: &[u8], i: usize| {
        Some(usize::from(u16::from_le_bytes([
            *d.get(i)?,
            *d.get(i + 1)?,
        ])))
    };
    let u32_at = |d: &[u8], i: usize| {
        let b = d.get(i..i + 4)?;
        Some(u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize)
    };
    let (Some(count), Some(size), Some(start)) = (
        u16_at(&tail, at + 10),
        u32_at(&tail, at + 12),
        u32_at(&tail, at + 16),
    ) else {
        return Ok(None);
    };
    if count == 0xffff || start == 0xffff_ffff || (start + size) as u64 > spool.len {
        return Ok(None);
    }
    let dir = spool.bytes_at(start as u64, size as u64)?;
    let mut names = Vec::with_capacity(count);
    let mut pos = 0;
    for _ in 0..count {
        if dir.get(pos..pos + 4) != Some(&[0x50, 0x4b, 0x01, 0x02][..]) {
            return Ok(None);
        }
        let (Some(name), Some(extra), Some(comment)) = (
            u16_at(&dir, pos + 28),
            u16_at(&dir, pos + 30),
            u16_at(&dir, pos + 32),
        ) else {
            return Ok(None);
        };
        let Some(bytes) = dir.get(pos + 46..pos + 46 + name) else {
            return Ok(None);
        };
        names.push(bytes.to_vec());
        pos += 46 + name + extra + comment;
    }
    Ok(Some(names))
}

/// Refuses a name the central directory lists twice (the `zip` crate keeps the last).
fn check_duplicates(spool: &Spool) -> Result<(), Refusal> {
    let Some(mut names) = central_names(spool)? else {
        return Ok(());
    };
    names.sort_unstable();
    match names.windows(2).find(|w| w[0] == w[1]) {
        Some(w) => Err(refuse(&String::from_utf8_lossy(&w[0]), "duplicate entry")),
        None => Ok(()),
    }
}

/// Refuses entries whose bytes (local header to the end of the data) overlap another's,
/// and local headers naming another entry than the central directory does.
fn check_ranges<R: Read + Seek>(zip: &mut ZipArchive<R>, spool: &Spool) -> Result<(), Refusal> {
    let mut ranges = Vec::with_capacity(zip.len());
    for i in 0..zip.len() {
        let file = zip
            .by_index_raw(i)
            .map_err(|e| refuse("", &format!("corrupt archive: {e}")))?;
        let name = String::from_utf8_lossy(file.name_raw()).into_owned();
        let start = file.header_start();
        let end = file
            .data_start()
            .unwrap_or(start)
            .saturating_add(file.compressed_size());
        let local = spool.bytes_at(start, LOCAL_HEADER as u64)?;
        if local.len() < LOCAL_HEADER {
            return Err(refuse(
                &name,
                "corrupt archive: its local header is past the end",
            ));
        }
        let len = u16::from_le_bytes([local[26], local[27]]);
        let local_name = spool.bytes_at(start + LOCAL_HEADER as u64, u64::from(len))?;
        if local_name != file.name_raw() {
            return Err(refuse(
                &name,
                "corrupt archive: its local header names another entry",
            ));
        }
        ranges.push((start, end, name));
    }
    ranges.sort();
    for pair in ranges.windows(2) {
        if pair[1].0 < pair[0].1 {
            return Err(refuse(
                &pair[1].2,
                &format!("overlaps another entry ({})", pair[0].2),
            ));
        }
    }
    Ok(())
}
