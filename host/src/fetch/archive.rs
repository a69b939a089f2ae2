//! `oci-archive:FILE[:REF]`: an OCI image layout inside a tar file. The tar is read as
//! byte streams only (never unpacked): its headers say where each wanted entry's bytes
//! are, and only `oci-layout`, `index.json` and `blobs/sha256/<64 hex>` are taken.
//! Layers are copied into the cache or scratch as they are verified.

use std::collections::HashMap;
use std::fs::File;
use std::io::Read;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use wp_init_core::source::is_sha256_hex;

use super::layout::{check_marker, open_regular};
use super::oci::{Descriptor, MAX_DOCUMENT, Source, Top};
use super::store::{Store, verify_bytes};

/// Where an entry's bytes are in the tar file.
#[derive(Clone, Copy)]
struct Span {
    offset: u64,
    size: u64,
}

/// An OCI layout read from a tar file.
pub(super) struct OciArchive {
    path: PathBuf,
    file: File,
    entries: HashMap<String, Span>,
}

/// A span of the tar file, as a reader (positioned reads: no shared offset).
struct SpanReader<'f> {
    file: &'f File,
    pos: u64,
    end: u64,
}

impl Read for SpanReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let left = usize::try_from(self.end - self.pos).unwrap_or(usize::MAX);
        let n = buf.len().min(left);
        if n == 0 {
            return Ok(0);
        }
        let got = self.file.read_at(&mut buf[..n], self.pos)?;
        if got == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        self.pos += got as u64;
        Ok(got)
    }
}

/// The layout name of a tar entry, if it is one fetching takes.
fn wanted(raw: &[u8]) -> Option<String> {
    let name = std::str::from_utf8(raw).ok()?;
    let name = name.strip_prefix("./").unwrap_or(name);
    let take = name == "index.json"
        || name == "oci-layout"
        || name
            .strip_prefix("blobs/sha256/")
            .is_some_and(is_sha256_hex);
    take.then(|| name.to_owned())
}

impl OciArchive {
    /// Reads the tar's headers and notes where the layout's files are.
    pub(super) fn open(path: &Path) -> Result<OciArchive, String> {
        let file = open_regular(path)?;
        let mut entries = HashMap::new();
        let mut archive = tar::Archive::new(&file);
        let bad = |e: std::io::Error| format!("reading the tar: {e}");
        for entry in archive.entries_with_seek().map_err(bad)? {
            let entry = entry.map_err(bad)?;
            let Some(name) = wanted(&entry.path_bytes()) else {
                continue;
            };
            if !entry.header().entry_type().is_file() {
                return Err(format!("{name} in the tar is not a regular file"));
            }
            let span = Span {
                offset: entry.raw_file_position(),
                size: entry.size(),
            };
            if entries.insert(name.clone(), span).is_some() {
                return Err(format!("{name} is in the tar twice"));
            }
        }
        let archive = OciArchive {
            path: path.to_owned(),
            file,
            entries,
        };
        check_marker(&archive.read_entry("oci-layout", 4096)?)?;
        Ok(archive)
    }

    /// The entry's span, or an error naming it.
    fn span(&self, name: &str) -> Result<Span, String> {
        self.entries
            .get(name)
            .copied()
            .ok_or_else(|| format!("{name} is not in {}", self.path.display()))
    }

    fn reader(&self, span: Span) -> SpanReader<'_> {
        SpanReader {
            file: &self.file,
            pos: span.offset,
            end: span.offset + span.size,
        }
    }

    /// A whole entry, at most `limit` bytes.
    fn read_entry(&self, name: &str, limit: u64) -> Result<Vec<u8>, String> {
        let span = self.span(name)?;
        if span.size > limit {
            return Err(format!("{name}: more than {limit} bytes"));
        }
        let mut bytes = Vec::new();
        self.reader(span)
            .read_to_end(&mut bytes)
            .map_err(|e| format!("{name}: {e}"))?;
        Ok(bytes)
    }
}

/// The entry name of a blob (its digest is checked).
fn blob_name(desc: &Descriptor) -> String {
    format!("blobs/sha256/{}", desc.digest.trim_start_matches("sha256:"))
}

impl Source for OciArchive {
    fn top(&mut self, _store: &Store<'_>) -> Result<Top, String> {
        self.read_entry("index.json", MAX_DOCUMENT).map(Top::Index)
    }

    fn document(&mut self, desc: &Descriptor, _store: &Store<'_>) -> Result<Vec<u8>, String> {
        let bytes = self.read_entry(&blob_name(desc), desc.size)?;
        verify_bytes(&bytes, desc)?;
        Ok(bytes)
    }

    fn layer(&mut self, desc: &Descriptor, store: &Store<'_>) -> Result<File, String> {
        if let Some(file) = store.lookup(&desc.digest, Some(desc.size))? {
            return Ok(file);
        }
        let name = blob_name(desc);
        let span = self.span(&name)?;
        if span.size != desc.size {
            return Err(format!(
                "blob {}: {} bytes, its descriptor says {}",
                desc.digest, span.size, desc.size
            ));
        }
        let mut part = store.part(&desc.digest)?;
        part.restart()?;
        let mut reader = self.reader(span);
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let n = reader.read(&mut buf).map_err(|e| format!("{name}: {e}"))?;
            if n == 0 {
                break;
            }
            part.write(&buf[..n])?;
        }
        part.finish(Some(desc.size))
    }
}
