//! `oci:DIR[:REF]`: an OCI image layout on disk. Blobs are read in place: hashed, then
//! handed back at offset 0. Their names come only from validated digests.

use std::fs::{File, OpenOptions};
use std::io::Read;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use rustix::fs::OFlags;

use super::oci::{Descriptor, MAX_DOCUMENT, Source, Top};
use super::store::{Store, verify_bytes, verify_file};

/// An image layout directory.
pub(super) struct Layout {
    dir: PathBuf,
}

/// Opens a regular file (never blocking on a FIFO), or says why not.
pub(super) fn open_regular(path: &Path) -> Result<File, String> {
    let file = OpenOptions::new()
        .read(true)
        .custom_flags((OFlags::NONBLOCK | OFlags::CLOEXEC).bits() as i32)
        .open(path)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    let meta = file
        .metadata()
        .map_err(|e| format!("{}: {e}", path.display()))?;
    if !meta.is_file() {
        return Err(format!("{}: not a regular file", path.display()));
    }
    Ok(file)
}

/// Reads a whole small file, at most `limit` bytes.
fn read_small(path: &Path, limit: u64) -> Result<Vec<u8>, String> {
    let mut bytes = Vec::new();
    open_regular(path)?
        .take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    if bytes.len() as u64 > limit {
        return Err(format!("{}: more than {limit} bytes", path.display()));
    }
    Ok(bytes)
}

impl Layout {
    /// Checks `dir` is an OCI image layout (its `oci-layout` file).
    pub(super) fn open(dir: &Path) -> Result<Layout, String> {
        let marker = read_small(&dir.join("oci-layout"), 4096)?;
        check_marker(&marker)?;
        Ok(Layout {
            dir: dir.to_owned(),
        })
    }

    /// The blob file of a checked digest, opened.
    fn blob(&self, desc: &Descriptor) -> Result<File, String> {
        let hex = desc.digest.trim_start_matches("sha256:");
        open_regular(&self.dir.join("blobs").join("sha256").join(hex))
    }
}

/// Checks an `oci-layout` file's content.
pub(super) fn check_marker(bytes: &[u8]) -> Result<(), String> {
    let v: serde_json::Value =
        serde_json::from_slice(bytes).map_err(|e| format!("oci-layout: not JSON: {e}"))?;
    match v.get("imageLayoutVersion").and_then(|v| v.as_str()) {
        Some(version) if version.starts_with("1.") => Ok(()),
        _ => Err("oci-layout: not an OCI image layout version 1".to_owned()),
    }
}

impl Source for Layout {
    fn top(&mut self, _store: &Store<'_>) -> Result<Top, String> {
        read_small(&self.dir.join("index.json"), MAX_DOCUMENT).map(Top::Index)
    }

    fn document(&mut self, desc: &Descriptor, _store: &Store<'_>) -> Result<Vec<u8>, String> {
        let hex = desc.digest.trim_start_matches("sha256:");
        let bytes = read_small(&self.dir.join("blobs").join("sha256").join(hex), desc.size)?;
        verify_bytes(&bytes, desc)?;
        Ok(bytes)
    }

    fn layer(&mut self, desc: &Descriptor, _store: &Store<'_>) -> Result<File, String> {
        let mut file = self.blob(desc)?;
        verify_file(&mut file, &desc.digest, Some(desc.size))?;
        Ok(file)
    }
}
