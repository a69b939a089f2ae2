//! What the caller checks of a fetched layer before unpacking it: its uncompressed stream
//! against the config's `rootfs.diff_ids` entry (the compressed blob was checked against
//! the manifest's digest by [`super::fetch`]).

use std::io::{Seek, SeekFrom};

use wp_init_core::source::ArchiveFormat;

use super::Blob;
use super::store::{hash_reader, mismatch};

/// Checks `blob`'s uncompressed content (from offset 0) hashes to `diff_id`, then rewinds
/// its file.
pub(crate) fn check_diff_id(blob: &Blob, diff_id: &str) -> Result<(), String> {
    let what = format!("layer {}", blob.digest);
    let mut file = &blob.file;
    file.seek(SeekFrom::Start(0))
        .map_err(|e| format!("{what}: {e}"))?;
    let (got, _) = match blob.format {
        ArchiveFormat::TarGzip => hash_reader(&mut flate2::read::GzDecoder::new(file), u64::MAX),
        ArchiveFormat::Tar => hash_reader(&mut file, u64::MAX),
        ArchiveFormat::Zip => return Err(format!("{what}: a zip layer")),
    }
    .map_err(|e| format!("{what}: {e}"))?;
    file.seek(SeekFrom::Start(0))
        .map_err(|e| format!("{what}: {e}"))?;
    if got != diff_id {
        return Err(mismatch(
            &format!("{what}: its uncompressed stream (diff_id {diff_id})"),
            diff_id,
            &got,
        ));
    }
    Ok(())
}
