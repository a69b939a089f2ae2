//! A zip file read into the [`Tree`] from its central directory, after checking that no
//! two entries share bytes and that each local header names its entry.

use std::io::{Cursor, Read};

use wp_init_core::source::names::{Placed, place};
use zip::ZipArchive;

use super::tree::{Refusal, Tree, refuse, stream, too_large};

/// The unix file type bits, and those of a symlink and a directory.
const S_IFMT: u32 = 0o170000;
const S_IFLNK: u32 = 0o120000;
const S_IFDIR: u32 = 0o040000;
/// The fixed part of a local file header.
const LOCAL_HEADER: usize = 30;
/// Longest symlink target read.
const MAX_LINK: u64 = 4096;

/// Reads the zip `bytes` into `tree`; whether the subtree was in it.
pub fn unpack(bytes: &[u8], tree: &mut Tree, subtree: &str) -> Result<bool, Refusal> {
    let mut zip = ZipArchive::new(Cursor::new(bytes))
        .map_err(|e| refuse("", &format!("not a valid archive: {e}")))?;
    check_duplicates(bytes)?;
    check_ranges(&mut zip, bytes)?;
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
fn central_names(data: &[u8]) -> Option<Vec<&[u8]>> {
    let end = data.len().checked_sub(22)?;
    let start = end.saturating_sub(u16::MAX as usize);
    let at = (start..=end)
        .rev()
        .find(|&i| data[i..i + 4] == [0x50, 0x4b, 0x05, 0x06])?;
    let u16_at = |i: usize| {
        Some(usize::from(u16::from_le_bytes([
            *data.get(i)?,
            *data.get(i + 1)?,
        ])))
    };
    let u32_at = |i: usize| {
        let b = data.get(i..i + 4)?;
        Some(u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize)
    };
    let (count, mut pos) = (u16_at(at + 10)?, u32_at(at + 16)?);
    if count == 0xffff || pos == 0xffff_ffff {
        return None;
    }
    let mut names = Vec::with_capacity(count);
    for _ in 0..count {
        if data.get(pos..pos + 4)? != [0x50, 0x4b, 0x01, 0x02] {
            return None;
        }
        let (name, extra, comment) = (u16_at(pos + 28)?, u16_at(pos + 30)?, u16_at(pos + 32)?);
        names.push(data.get(pos + 46..pos + 46 + name)?);
        pos += 46 + name + extra + comment;
    }
    Some(names)
}

/// Refuses a name the central directory lists twice (the `zip` crate keeps the last).
fn check_duplicates(data: &[u8]) -> Result<(), Refusal> {
    let Some(mut names) = central_names(data) else {
        return Ok(());
    };
    names.sort_unstable();
    match names.windows(2).find(|w| w[0] == w[1]) {
        Some(w) => Err(refuse(&String::from_utf8_lossy(w[0]), "duplicate entry")),
        None => Ok(()),
    }
}

/// Refuses entries whose bytes (local header to the end of the data) overlap another's,
/// and local headers naming another entry than the central directory does.
fn check_ranges(zip: &mut ZipArchive<Cursor<&[u8]>>, data: &[u8]) -> Result<(), Refusal> {
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
        let local = usize::try_from(start)
            .ok()
            .and_then(|s| data.get(s..s.checked_add(LOCAL_HEADER)?));
        let Some(local) = local else {
            return Err(refuse(
                &name,
                "corrupt archive: its local header is past the end",
            ));
        };
        let len = usize::from(u16::from_le_bytes([local[26], local[27]]));
        let at = start as usize + LOCAL_HEADER;
        if data.get(at..at + len) != Some(file.name_raw()) {
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

/// Reads all of `input` (a zip needs its end first), refusing more than `max` bytes.
pub fn read_all(input: &mut dyn Read, max: u64) -> Result<Vec<u8>, Refusal> {
    let mut bytes = Vec::new();
    input
        .take(max.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|e| stream("", &e))?;
    if bytes.len() as u64 > max {
        return Err(refuse("", &too_large(max)));
    }
    Ok(bytes)
}
