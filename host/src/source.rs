//! SOURCE in its forms (`wp_init_core::source`): a directory is opened as it is; an
//! archive is checked against `--sha256`, then unpacked by the component (`hosted.unpack`,
//! granted only the run's scratch directory, the archive on its stdin) into the scratch
//! directory inside TARGET, whose tree the run then reads as its SOURCE.

use std::collections::BTreeSet;
use std::fs::File;
use std::io::Seek;

use sha2::{Digest, Sha256};

use crate::component::exports::wp_init::installer::hosted::{
    ArchiveError, ArchiveFormat as WitFormat, UnpackOptions, Unpacked,
};
use crate::component::{self, Host_ as Bindings};
use crate::installer::Installer;
use crate::roots::Root;
use crate::sandbox::{Grants, PrivateUmask, Sandbox};
use crate::scratch::Scratch;
use crate::{Error, PathError};
use wp_init_core::source::names::printable;
use wp_init_core::source::{ArchiveFormat, SourceSpec};

mod piped;

/// SOURCE, ready to be granted.
pub(crate) struct Opened {
    /// The directory the component reads (an archive's unpacked tree).
    pub root: Root,
    /// The scratch directory holding it, for an archive; removed when the run ends.
    pub scratch: Option<Scratch>,
    /// What unpacking dropped, one line each.
    pub warnings: Vec<String>,
    /// The digests SOURCE was checked against.
    pub digests: SourceDigests,
    /// The most linear memory an unpacking instance held (0 for a directory).
    pub memory_peak: u64,
}

/// The digests a SOURCE was checked against (`sha256:…`), reported with `--json`.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct SourceDigests {
    /// An archive's (`--sha256`; none for a local archive without it); an image's: what the
    /// tag or `@digest` names (an index or a manifest), the digest to pin.
    pub source_digest: Option<String>,
    /// An image's manifest that was installed: the running platform's (or `--platform`'s).
    pub image_digest: Option<String>,
}

/// One archive to unpack.
struct Blob {
    file: File,
    format: ArchiveFormat,
}

impl Installer {
    /// Opens TARGET, and SOURCE when it is a directory (an archive is unpacked later,
    /// under TARGET's lock: [`Installer::open_source`]).
    pub(crate) fn open_for(&self, spec: &SourceSpec) -> Result<(Option<Root>, Root), Error> {
        if spec.is_directory() {
            let (source, target) = self.open_roots()?;
            return Ok((Some(source), target));
        }
        let target = Root::open(&self.target).map_err(Error::InvalidTarget)?;
        Ok((None, target))
    }

    /// SOURCE ready to be granted: `dir` as it is, else the archive unpacked into the
    /// scratch directory of the run with `nonce`. `clean`: the run holds TARGET's lock
    /// alone, and first removes the scratch directories interrupted runs left there
    /// (but where a volume is mounted: `mounts`).
    pub(crate) fn open_source(
        &self,
        (dir, spec): (Option<Root>, &SourceSpec),
        target: &Root,
        nonce: u64,
        (clean, mounts): (bool, &BTreeSet<String>),
    ) -> Result<Opened, Error> {
        if let Some(root) = dir {
            return Ok(Opened {
                root,
                scratch: None,
                warnings: Vec::new(),
                digests: SourceDigests::default(),
                memory_peak: 0,
            });
        }
        if clean {
            let names = crate::state::own_names(target)?;
            let mounted = |n: &str| {
                mounts
                    .iter()
                    .any(|m| m == n || m.starts_with(&format!("{n}/")))
            };
            crate::scratch::remove_left(target, &names, mounted)?;
        }
        self.open_archive(spec, target, nonce)
    }

    /// What `--source` names.
    pub(crate) fn spec(&self) -> Result<SourceSpec, Error> {
        SourceSpec::parse(&self.source).map_err(Error::Usage)
    }

    /// Opens an archive SOURCE: checks it, then unpacks it into a scratch directory of
    /// the run with `nonce` in `target`. On failure nothing of it is left in TARGET.
    fn open_archive(&self, spec: &SourceSpec, target: &Root, nonce: u64) -> Result<Opened, Error> {
        // A local archive is checked before TARGET is touched; a fetched one is downloaded
        // into the scratch directory (or the cache) and checked there.
        let local = match spec {
            SourceSpec::Archive { .. } | SourceSpec::Directory(_) => Some(self.blobs(spec)?),
            _ => None,
        };
        let scratch = Scratch::make(target, nonce)?;
        let unpacked = match local {
            Some(blobs) => Ok((blobs, Vec::new(), self.checked_digest())),
            None => self.fetched(spec, &scratch),
        }
        .and_then(|(blobs, mut notes, digests)| {
            notes.extend(self.unpack_all(&scratch, blobs, spec)?);
            Ok((notes, digests))
        });
        match unpacked {
            Ok((warnings, digests)) => Ok(Opened {
                root: scratch.tree_root(&self.source)?,
                memory_peak: scratch.memory_peak(),
                scratch: Some(scratch),
                warnings,
                digests,
            }),
            Err(e) => {
                // The refusal is the error to give; a scratch left is the next run's.
                let _ = scratch.remove(target);
                Err(e)
            }
        }
    }

    /// The archives `spec` stands for, digests checked.
    fn blobs(&self, spec: &SourceSpec) -> Result<Vec<Blob>, Error> {
        match spec {
            SourceSpec::Archive { path, format } => Ok(vec![Blob {
                file: self.archive_file(path)?,
                format: *format,
            }]),
            SourceSpec::Directory(_) => Err(Error::Usage(format!(
                "SOURCE {} is a directory, not an archive",
                self.source
            ))),
            _ => Err(Error::Usage(format!(
                "SOURCE {}: this kind of SOURCE is not supported by this build",
                self.source
            ))),
        }
    }

    /// The local archive `path`, opened: a regular file, checked against `--sha256` if
    /// given.
    pub(crate) fn archive_file(&self, path: &str) -> Result<File, Error> {
        let invalid = |cause: String| {
            Error::InvalidSource(PathError {
                path: path.to_owned(),
                cause,
            })
        };
        let file = File::open(path).map_err(|e| invalid(e.to_string()))?;
        match file.metadata() {
            Ok(m) if m.is_file() => self.checked(file, path),
            Ok(_) => Err(invalid("not a regular file".to_owned())),
            Err(e) => Err(invalid(e.to_string())),
        }
    }

    /// An archive's digest as `--sha256` gave it (checked before it is used).
    pub(crate) fn checked_digest(&self) -> SourceDigests {
        SourceDigests {
            source_digest: self.sha256.as_ref().map(|hex| format!("sha256:{hex}")),
            image_digest: None,
        }
    }

    /// An https archive or an image's layers, fetched into `scratch` (or the cache), every
    /// digest checked, each layer's uncompressed stream against its `diff_id` too; a note
    /// naming the digest a `docker://` tag resolved to; the digests.
    fn fetched(
        &self,
        spec: &SourceSpec,
        scratch: &Scratch,
    ) -> Result<(Vec<Blob>, Vec<String>, SourceDigests), Error> {
        let opts = crate::fetch::FetchOptions {
            sha256: self.sha256.as_deref(),
            cache: self.fetch.cache.as_deref(),
            registry_auth: self.fetch.registry_auth.as_deref(),
            platform: self.fetch.platform.as_deref(),
            max_bytes: self.max_source_bytes,
        };
        let fetched = crate::fetch::fetch(spec, &opts, scratch.downloads())?;
        let mut blobs = Vec::with_capacity(fetched.blobs.len());
        for blob in fetched.blobs {
            if let Some(diff_id) = &blob.diff_id {
                crate::fetch::check_diff_id(&blob, diff_id).map_err(|cause| {
                    Error::Fetch(PathError {
                        path: self.source.clone(),
                        cause,
                    })
                })?;
            }
            blobs.push(Blob {
                file: blob.file,
                format: blob.format,
            });
        }
        let notes = match (spec, &fetched.named) {
            (SourceSpec::Registry(image), Some(digest)) if image.digest.is_none() => vec![format!(
                "{} resolved to {digest}; pin it with @{digest} for the same install again",
                self.source
            )],
            _ => Vec::new(),
        };
        let digests = match fetched.named {
            Some(named) => SourceDigests {
                source_digest: Some(named),
                image_digest: fetched.resolved,
            },
            None => self.checked_digest(),
        };
        Ok((blobs, notes, digests))
    }

    /// `file`, checked against `--sha256` if given, rewound.
    fn checked(&self, mut file: File, path: &str) -> Result<File, Error> {
        let Some(want) = &self.sha256 else {
            return Ok(file);
        };
        let fail = |cause: String| Error::Archive {
            archive: path.to_owned(),
            entry: String::new(),
            cause,
        };
        let mut hash = Sha256::new();
        std::io::copy(&mut file, &mut hash).map_err(|e| fail(e.to_string()))?;
        let got: String = hash.finalize().iter().map(|b| format!("{b:02x}")).collect();
        if &got != want {
            return Err(fail(format!("its SHA-256 is {got}, not {want} (--sha256)")));
        }
        file.rewind().map_err(|e| fail(e.to_string()))?;
        Ok(file)
    }

    /// Unpacks each blob in turn into `scratch`'s tree and sets the modes; the warnings.
    fn unpack_all(
        &self,
        scratch: &Scratch,
        blobs: Vec<Blob>,
        spec: &SourceSpec,
    ) -> Result<Vec<String>, Error> {
        let layer = matches!(
            spec,
            SourceSpec::OciLayout { .. } | SourceSpec::OciArchive { .. } | SourceSpec::Registry(_)
        );
        let subtree = match &self.source_path {
            Some(p) => wp_init_core::source::subtree(p).map_err(Error::Usage)?,
            None => spec.default_subtree().to_owned(),
        };
        let refused = |e: ArchiveError| Error::Archive {
            archive: self.source.clone(),
            entry: printable(&e.entry),
            cause: printable(&e.cause),
        };
        let (mut warnings, mut found) = (Vec::new(), false);
        for blob in blobs {
            let options = UnpackOptions {
                tree: String::new(),
                format: match blob.format {
                    ArchiveFormat::Tar => WitFormat::Tar,
                    ArchiveFormat::TarGzip => WitFormat::TarGzip,
                    ArchiveFormat::Zip => WitFormat::Zip,
                },
                subtree: subtree.clone(),
                layer,
                max_bytes: self.max_source_bytes,
            };
            let done = match blob.format {
                ArchiveFormat::TarGzip if self.instances > 1 => {
                    self.unpack_piped(scratch, &blob.file, options)?
                }
                _ => self.unpack_one(scratch, &blob.file, options)?,
            }
            .map_err(refused)?;
            let entries = done.entries.iter().map(|e| (e.path.as_str(), e.mode));
            scratch.set_modes(entries)?;
            warnings.extend(done.warnings.iter().map(|w| printable(w)));
            found |= done.found;
        }
        if !found {
            return Err(Error::Archive {
                archive: self.source.clone(),
                entry: String::new(),
                cause: format!(
                    "{subtree}/ is not in the archive (--source-path names the directory WordPress is in)"
                ),
            });
        }
        Ok(warnings)
    }

    /// One `unpack` call: a component instance granted only the scratch tree, `file` on
    /// its stdin.
    pub(super) fn unpack_one(
        &self,
        scratch: &Scratch,
        file: &File,
        mut options: UnpackOptions,
    ) -> Result<Result<Unpacked, ArchiveError>, Error> {
        let tree = scratch.grant_root()?;
        options.tree = tree.given.clone();
        let mut grants: Grants<'_> = self.grants(&tree, &tree, true, &[]);
        grants.source = None;
        grants.stdin = Some(file);
        let _private = PrivateUmask::set();
        let prepared = component::prepared()?;
        let mut sb = Sandbox::new(prepared, &grants)?;
        let result = Bindings::instantiate(&mut sb.store, &prepared.component, &prepared.linker)
            .and_then(|inst| {
                inst.wp_init_installer_hosted()
                    .call_unpack(&mut sb.store, &options)
            });
        scratch.record_memory(sb.memory_peak());
        result.map_err(|e| sb.failure(e))
    }
}
