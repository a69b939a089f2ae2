//! Where downloads go: the cache (`DIR/blobs/sha256/<hex>`, kept between runs; a partial
//! download waits under `.<hex>.partial` to be resumed) or the caller's scratch directory.
//! A file gets its digest's name only after its content matched it.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::os::fd::BorrowedFd;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use rustix::fs::{Mode, OFlags};
use sha2::{Digest, Sha256};

use super::oci::Descriptor;

/// The cache, or else the scratch directory.
pub(super) struct Store<'a> {
    cache: Option<&'a Path>,
    scratch: BorrowedFd<'a>,
}

/// A download under way: written, hashed and counted as it comes.
pub(super) struct Part<'s> {
    store: &'s Store<'s>,
    file: File,
    hex: String,
    hasher: Sha256,
    len: u64,
}

/// The 64 hex digits of a `sha256:` digest (validated by the caller's parsing).
fn hex_of(digest: &str) -> Result<&str, String> {
    match digest.strip_prefix("sha256:") {
        Some(h) if wp_init_core::source::is_sha256_hex(h) => Ok(h),
        _ => Err(format!("{digest} is not a sha256 digest")),
    }
}

/// `sha256:` and the hex of a finished hash.
fn digest_of(hasher: Sha256) -> String {
    let bytes = hasher.finalize();
    let mut out = String::from("sha256:");
    for b in bytes {
        out.push_str(&format!("{b:02x}"));
    }
    out
}

/// Hashes what `r` gives, at most `limit` bytes (more is an error): the digest and length.
pub(super) fn hash_reader(r: &mut impl Read, limit: u64) -> Result<(String, u64), String> {
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 64 * 1024];
    let mut len = 0u64;
    loop {
        let n = r.read(&mut buf).map_err(|e| format!("reading: {e}"))?;
        if n == 0 {
            return Ok((digest_of(hasher), len));
        }
        len += n as u64;
        if len > limit {
            return Err(format!("more than {limit} bytes"));
        }
        hasher.update(&buf[..n]);
    }
}

/// The error for content that is not what its descriptor says.
pub(super) fn mismatch(what: &str, want: &str, got: &str) -> String {
    if what.contains(want) {
        format!("{what}: digest mismatch (the content's is {got})")
    } else {
        format!("{what}: digest mismatch: expected {want}, the content's is {got}")
    }
}

/// Checks the file at its current offset hashes to `digest` (and has `size` bytes when
/// given), then rewinds it.
pub(super) fn verify_file(file: &mut File, digest: &str, size: Option<u64>) -> Result<(), String> {
    let limit = size.unwrap_or(u64::MAX);
    let (got, len) = hash_reader(file, limit).map_err(|e| format!("blob {digest}: {e}"))?;
    if got != digest {
        return Err(mismatch(&format!("blob {digest}"), digest, &got));
    }
    if let Some(size) = size.filter(|s| *s != len) {
        return Err(format!(
            "blob {digest}: {len} bytes, its descriptor says {size}"
        ));
    }
    file.seek(SeekFrom::Start(0))
        .map_err(|e| format!("blob {digest}: {e}"))?;
    Ok(())
}

/// Checks bytes held in memory against a descriptor.
pub(super) fn verify_bytes(bytes: &[u8], desc: &Descriptor) -> Result<(), String> {
    let got = digest_of(Sha256::new_with_prefix(bytes));
    if got != desc.digest {
        return Err(mismatch(
            &format!("blob {}", desc.digest),
            &desc.digest,
            &got,
        ));
    }
    if bytes.len() as u64 != desc.size {
        return Err(format!(
            "blob {}: {} bytes, its descriptor says {}",
            desc.digest,
            bytes.len(),
            desc.size
        ));
    }
    Ok(())
}

impl<'a> Store<'a> {
    /// The cache when given, else `scratch`.
    pub(super) fn new(cache: Option<&'a Path>, scratch: BorrowedFd<'a>) -> Store<'a> {
        Store { cache, scratch }
    }

    /// `DIR/blobs/sha256`, made if missing.
    fn cache_dir(&self) -> Result<Option<PathBuf>, String> {
        let Some(cache) = self.cache else {
            return Ok(None);
        };
        let dir = cache.join("blobs").join("sha256");
        std::fs::create_dir_all(&dir).map_err(|e| format!("cache {}: {e}", dir.display()))?;
        Ok(Some(dir))
    }

    /// Opens `name` in the cache or scratch without following a symlink.
    fn open_existing(&self, name: &str) -> Result<Option<File>, String> {
        let opened = match self.cache_dir()? {
            Some(dir) => OpenOptions::new()
                .read(true)
                .custom_flags((OFlags::NOFOLLOW | OFlags::CLOEXEC).bits() as i32)
                .open(dir.join(name)),
            None => rustix::fs::openat(
                self.scratch,
                name,
                OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
                Mode::empty(),
            )
            .map(File::from)
            .map_err(std::io::Error::from),
        };
        match opened {
            Ok(f) => Ok(Some(f)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(format!("opening {name}: {e}")),
        }
    }

    /// A blob already here (from the cache, or fetched earlier in this run), verified.
    /// One whose content does not match its name is removed and `None` returned.
    pub(super) fn lookup(&self, digest: &str, size: Option<u64>) -> Result<Option<File>, String> {
        let hex = hex_of(digest)?;
        let Some(mut file) = self.open_existing(hex)? else {
            return Ok(None);
        };
        if verify_file(&mut file, digest, size).is_ok() {
            return Ok(Some(file));
        }
        self.remove(hex)?;
        Ok(None)
    }

    /// Whether downloads are kept (a cache was given).
    pub(super) fn caches(&self) -> bool {
        self.cache.is_some()
    }

    /// Removes `name` from the cache or scratch; a missing one is no error.
    fn remove(&self, name: &str) -> Result<(), String> {
        let removed = match self.cache_dir()? {
            Some(dir) => std::fs::remove_file(dir.join(name)),
            None => rustix::fs::unlinkat(self.scratch, name, rustix::fs::AtFlags::empty())
                .map_err(std::io::Error::from),
        };
        match removed {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                Err(format!("removing {name}: {e}"))
            }
            _ => Ok(()),
        }
    }

    /// A download of `digest`: in the cache, what an earlier run left of it is kept (its
    /// length is the offset to resume from); in scratch, a new file.
    pub(super) fn part(&'a self, digest: &str) -> Result<Part<'a>, String> {
        let hex = hex_of(digest)?.to_owned();
        let name = format!(".{hex}.partial");
        let mut file = match self.cache_dir()? {
            Some(dir) => OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .mode(0o600)
                .custom_flags((OFlags::NOFOLLOW | OFlags::CLOEXEC).bits() as i32)
                .open(dir.join(&name))
                .map_err(|e| format!("cache {}: {e}", dir.join(&name).display()))?,
            None => rustix::fs::openat(
                self.scratch,
                name.as_str(),
                OFlags::RDWR | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC,
                Mode::from_raw_mode(0o600),
            )
            .map(File::from)
            .map_err(|e| format!("scratch file {name}: {e}"))?,
        };
        let mut hasher = Sha256::new();
        let mut len = 0u64;
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let n = file.read(&mut buf).map_err(|e| format!("{name}: {e}"))?;
            if n == 0 {
                break;
            }
            hasher.update(&buf[..n]);
            len += n as u64;
        }
        Ok(Part {
            store: self,
            file,
            hex,
            hasher,
            len,
        })
    }
}

impl Part<'_> {
    /// Bytes already written (where a resumed download starts).
    pub(super) fn len(&self) -> u64 {
        self.len
    }

    /// Appends `bytes`.
    pub(super) fn write(&mut self, bytes: &[u8]) -> Result<(), String> {
        self.file
            .write_all(bytes)
            .map_err(|e| format!("writing blob sha256:{}: {e}", self.hex))?;
        self.hasher.update(bytes);
        self.len += bytes.len() as u64;
        Ok(())
    }

    /// Drops what was written (the server sent the whole blob again).
    pub(super) fn restart(&mut self) -> Result<(), String> {
        self.file
            .set_len(0)
            .and_then(|()| self.file.seek(SeekFrom::Start(0)).map(drop))
            .map_err(|e| format!("blob sha256:{}: {e}", self.hex))?;
        self.hasher = Sha256::new();
        self.len = 0;
        Ok(())
    }

    /// Gives up on a failed download: a partial file in the cache stays for the next run
    /// to resume; one in scratch is removed.
    pub(super) fn abandon(self) -> Result<(), String> {
        match self.store.cache {
            Some(_) => Ok(()),
            None => self.store.remove(&format!(".{}.partial", self.hex)),
        }
    }

    /// Checks the content against `digest` (and `size`): on a match, gives it the digest's
    /// name and returns it at offset 0; else removes it.
    pub(super) fn finish(mut self, size: Option<u64>) -> Result<File, String> {
        let want = format!("sha256:{}", self.hex);
        let got = digest_of(std::mem::take(&mut self.hasher));
        let partial = format!(".{}.partial", self.hex);
        let wrong = if got != want {
            Some(mismatch(&format!("blob {want}"), &want, &got))
        } else {
            size.filter(|s| *s != self.len)
                .map(|s| format!("blob {want}: {} bytes, its descriptor says {s}", self.len))
        };
        if let Some(wrong) = wrong {
            self.store.remove(&partial)?;
            return Err(wrong);
        }
        let renamed = match self.store.cache_dir()? {
            Some(dir) => self
                .file
                .sync_data()
                .and_then(|()| std::fs::rename(dir.join(&partial), dir.join(&self.hex)))
                .map_err(|e| e.to_string()),
            None => {
                rustix::fs::renameat(self.store.scratch, &partial, self.store.scratch, &self.hex)
                    .map_err(|e| e.to_string())
            }
        };
        renamed.map_err(|e| format!("naming blob {want}: {e}"))?;
        self.file
            .seek(SeekFrom::Start(0))
            .map_err(|e| format!("blob {want}: {e}"))?;
        Ok(self.file)
    }
}
