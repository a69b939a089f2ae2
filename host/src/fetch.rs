//! SOURCE fetched before it is unpacked: a release archive over HTTPS, an OCI image from a
//! layout directory, a layout in a tar file, or a registry. Every digest is checked here,
//! before [`fetch`] returns: what it hands back is verified content, and a mismatch leaves
//! nothing under a digest's name.

use std::fs::File;
use std::os::fd::BorrowedFd;
use std::path::Path;

use wp_init_core::source::{ArchiveFormat, DEFAULT_MAX_SOURCE_BYTES, SourceSpec, is_sha256_hex};

use crate::error::{Error, PathError};

pub(crate) use layers::check_diff_id;

mod archive;
mod auth;
mod https;
mod layers;
mod layout;
mod oci;
mod registry;
mod store;
mod tls;

/// How to fetch: the CLI's `--sha256`, `--cache`, `--registry-auth`, `--platform` and
/// `--max-source-bytes`.
pub(crate) struct FetchOptions<'a> {
    /// The release archive's SHA-256 (64 hex digits); required for `https://`.
    pub sha256: Option<&'a str>,
    /// Blobs kept by digest (`DIR/blobs/sha256/<hex>`); a second run fetches nothing.
    pub cache: Option<&'a Path>,
    /// A Docker `config.json` (a Kubernetes dockerconfigjson Secret) with registry logins.
    pub registry_auth: Option<&'a Path>,
    /// `os/arch[/variant]` to take from a multi-platform index; the running one if none.
    pub platform: Option<&'a str>,
    /// The most bytes one download (an archive, a layer) may have.
    pub max_bytes: u64,
}

impl Default for FetchOptions<'_> {
    fn default() -> Self {
        FetchOptions {
            sha256: None,
            cache: None,
            registry_auth: None,
            platform: None,
            max_bytes: DEFAULT_MAX_SOURCE_BYTES,
        }
    }
}

/// What was fetched, verified.
#[derive(Debug)]
pub(crate) struct Fetched {
    /// An https archive: one; an image: its layers in manifest order.
    pub blobs: Vec<Blob>,
    /// Images: the digest of what the reference names (an index or a manifest), also when
    /// a tag was given: what to pin.
    pub named: Option<String>,
    /// Images: the digest of the image manifest used (`sha256:…`): the platform's.
    pub resolved: Option<String>,
}

/// One verified archive.
#[derive(Debug)]
pub(crate) struct Blob {
    /// Readable from offset 0; its content matched `digest`.
    pub file: File,
    /// How its bytes are laid out.
    pub format: ArchiveFormat,
    /// Image layers: the config's `rootfs.diff_ids[i]`, the uncompressed stream's digest.
    pub diff_id: Option<String>,
    /// `sha256:…` of the bytes in `file`.
    pub digest: String,
}

/// Fetches `spec` (`Https`, `OciLayout`, `OciArchive` or `Registry`; the caller handles
/// the others) and verifies every digest. Downloads go into `opts.cache` when given, else
/// into `scratch`, a directory of the caller's (files are created there exclusively,
/// mode 0600, never through a symlink).
///
/// # Errors
/// [`Error::Usage`] for a missing or malformed `--sha256` (or a kind fetch does not
/// handle); [`Error::Fetch`] naming SOURCE and the cause for everything else, a digest
/// mismatch included.
pub(crate) fn fetch(
    spec: &SourceSpec,
    opts: &FetchOptions<'_>,
    scratch: BorrowedFd<'_>,
) -> Result<Fetched, Error> {
    let store = store::Store::new(opts.cache, scratch);
    let platform = match opts.platform {
        Some(p) => oci::Platform::parse(p).map_err(Error::Usage)?,
        None => oci::Platform::running(),
    };
    match spec {
        SourceSpec::Https { url, format } => {
            let Some(sha256) = opts.sha256 else {
                return Err(Error::Usage(format!(
                    "{url}: --sha256 is required for an https:// SOURCE"
                )));
            };
            if !is_sha256_hex(sha256) {
                return Err(Error::Usage(format!(
                    "--sha256 {sha256}: must be 64 lowercase hex digits"
                )));
            }
            let digest = format!("sha256:{sha256}");
            let file = https::download(url, &digest, opts.max_bytes, &store)
                .map_err(|cause| failed(url, cause))?;
            Ok(Fetched {
                blobs: vec![Blob {
                    file,
                    format: *format,
                    diff_id: None,
                    digest,
                }],
                named: None,
                resolved: None,
            })
        }
        SourceSpec::OciLayout { dir, reference } => {
            let name = with_ref(&format!("oci:{dir}"), reference.as_deref());
            let mut source =
                layout::Layout::open(Path::new(dir)).map_err(|cause| failed(&name, cause))?;
            oci::pull(
                &mut source,
                reference.as_deref(),
                &platform,
                &store,
                opts.max_bytes,
            )
            .map_err(|cause| failed(&name, cause))
        }
        SourceSpec::OciArchive { file, reference } => {
            let name = with_ref(&format!("oci-archive:{file}"), reference.as_deref());
            let mut source =
                archive::OciArchive::open(Path::new(file)).map_err(|cause| failed(&name, cause))?;
            oci::pull(
                &mut source,
                reference.as_deref(),
                &platform,
                &store,
                opts.max_bytes,
            )
            .map_err(|cause| failed(&name, cause))
        }
        SourceSpec::Registry(image) => registry::pull(image, opts, &platform, &store)
            .map_err(|cause| failed(&format!("docker://{image}"), cause)),
        SourceSpec::Directory(path) | SourceSpec::Archive { path, .. } => Err(Error::Usage(
            format!("{path}: a local SOURCE is not fetched"),
        )),
    }
}

/// `oci:DIR` or `oci-archive:FILE` with its `:REF`, as SOURCE was given.
fn with_ref(base: &str, reference: Option<&str>) -> String {
    match reference {
        Some(r) => format!("{base}:{r}"),
        None => base.to_owned(),
    }
}

/// The error for SOURCE `path` and a cause in words.
fn failed(path: &str, cause: String) -> Error {
    Error::Fetch(PathError {
        path: path.to_owned(),
        cause,
    })
}

#[cfg(test)]
mod tests;
