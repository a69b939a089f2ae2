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
        let unix = file.unix_mode().unwrap_or(0);
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
