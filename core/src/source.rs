//! SOURCE's forms: one `--source` string, whose form says the kind (a directory, a release
//! archive, an OCI image), and the rules every kind shares (the subtree taken, archive
//! modes, digests).

use std::fmt;

pub mod names;

/// How an archive's bytes are laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArchiveFormat {
    /// A plain tar stream.
    Tar,
    /// A gzip-compressed tar stream (`.tar.gz`, `.tgz`, an OCI `tar+gzip` layer).
    TarGzip,
    /// A zip file (read from its central directory).
    Zip,
}

impl ArchiveFormat {
    /// The format a file name's ending says, if any.
    pub fn from_name(name: &str) -> Option<ArchiveFormat> {
        let lower = name.to_ascii_lowercase();
        if lower.ends_with(".tar.gz") || lower.ends_with(".tgz") {
            Some(ArchiveFormat::TarGzip)
        } else if lower.ends_with(".tar") {
            Some(ArchiveFormat::Tar)
        } else if lower.ends_with(".zip") {
            Some(ArchiveFormat::Zip)
        } else {
            None
        }
    }
}

/// What a `--source` string names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SourceSpec {
    /// A WordPress tree on disk (what `--source` always was).
    Directory(String),
    /// A local release archive (`.tar`, `.tar.gz`/`.tgz`, `.zip`).
    Archive {
        /// The file, as given.
        path: String,
        /// Its format, from its name.
        format: ArchiveFormat,
    },
    /// An OCI image layout directory: `oci:DIR[:REF]`.
    OciLayout {
        /// The layout directory.
        dir: String,
        /// The `org.opencontainers.image.ref.name` to take; the only manifest when none.
        reference: Option<String>,
    },
    /// An OCI image layout in a tar file: `oci-archive:FILE[:REF]`.
    OciArchive {
        /// The tar file.
        file: String,
        /// As for [`SourceSpec::OciLayout`].
        reference: Option<String>,
    },
    /// A release archive fetched over HTTPS (`--sha256` required).
    Https {
        /// The URL.
        url: String,
        /// Its format, from the URL's path.
        format: ArchiveFormat,
    },
    /// An image in a registry: `docker://REGISTRY/REPO[:TAG][@sha256:…]`.
    Registry(ImageRef),
}

/// A registry image reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageRef {
    /// The registry's host (and port): `registry-1.docker.io` when none is named.
    pub registry: String,
    /// The repository (`library/wordpress` for a bare `wordpress` on Docker Hub).
    pub repository: String,
    /// The tag, if given (`latest` when neither a tag nor a digest is).
    pub tag: Option<String>,
    /// The manifest digest it is pinned to, `sha256:<64 hex>`.
    pub digest: Option<String>,
}

impl fmt::Display for ImageRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.registry, self.repository)?;
        if let Some(tag) = &self.tag {
            write!(f, ":{tag}")?;
        }
        if let Some(digest) = &self.digest {
            write!(f, "@{digest}")?;
        }
        Ok(())
    }
}

/// Docker Hub's registry, for references that name none.
pub const DOCKER_HUB: &str = "registry-1.docker.io";

/// The subtree an image's WordPress is taken from unless `--source-path` says otherwise.
pub const IMAGE_SUBTREE: &str = "usr/src/wordpress";
/// The subtree a release archive's WordPress is taken from (wordpress.org's layout).
pub const RELEASE_SUBTREE: &str = "wordpress";

/// Default bound on the bytes an archive (or an image's layers, each) may expand to.
pub const DEFAULT_MAX_SOURCE_BYTES: u64 = 1 << 30;

impl SourceSpec {
    /// Reads a `--source` string.
    ///
    /// # Errors
    /// The form is recognised but malformed (a `docker://` reference without a repository,
    /// a bad digest, `http://`, a URL naming no archive); the message says what is wrong.
    pub fn parse(s: &str) -> Result<SourceSpec, String> {
        if let Some(rest) = s.strip_prefix("docker://") {
            return ImageRef::parse(rest).map(SourceSpec::Registry);
        }
        if let Some(rest) = s.strip_prefix("oci-archive:") {
            let (file, reference) = split_reference(rest);
            return Ok(SourceSpec::OciArchive { file, reference });
        }
        if let Some(rest) = s.strip_prefix("oci:") {
            let (dir, reference) = split_reference(rest);
            return Ok(SourceSpec::OciLayout { dir, reference });
        }
        if s.starts_with("http://") {
            return Err(format!(
                "{s}: plain HTTP is not accepted; use https:// with --sha256"
            ));
        }
        if s.starts_with("https://") {
            let path = s.split(['?', '#']).next().unwrap_or(s);
            return match ArchiveFormat::from_name(path) {
                Some(format) => Ok(SourceSpec::Https {
                    url: s.to_owned(),
                    format,
                }),
                None => Err(format!(
                    "{s}: the URL must name a .tar, .tar.gz, .tgz or .zip file"
                )),
            };
        }
        Ok(match ArchiveFormat::from_name(s) {
            Some(format) => SourceSpec::Archive {
                path: s.to_owned(),
                format,
            },
            None => SourceSpec::Directory(s.to_owned()),
        })
    }

    /// Whether it is a directory (which needs no unpacking).
    pub fn is_directory(&self) -> bool {
        matches!(self, SourceSpec::Directory(_))
    }

    /// The subtree WordPress is taken from when `--source-path` is not given.
    pub fn default_subtree(&self) -> &'static str {
        match self {
            SourceSpec::Directory(_) => "",
            SourceSpec::Archive { .. } | SourceSpec::Https { .. } => RELEASE_SUBTREE,
            SourceSpec::OciLayout { .. }
            | SourceSpec::OciArchive { .. }
            | SourceSpec::Registry(_) => IMAGE_SUBTREE,
        }
    }
}

/// `PATH[:REF]`: the last `:` starts a reference when what follows has no `/`.
fn split_reference(s: &str) -> (String, Option<String>) {
    match s.rsplit_once(':') {
        Some((path, r)) if !path.is_empty() && !r.is_empty() && !r.contains('/') => {
            (path.to_owned(), Some(r.to_owned()))
        }
        _ => (s.to_owned(), None),
    }
}

impl ImageRef {
    /// Reads `REGISTRY/REPO[:TAG][@sha256:…]` (what follows `docker://`), with Docker's
    /// defaults: no registry (a first component without `.` or `:` and not `localhost`)
    /// is Docker Hub (as are `docker.io` and `index.docker.io`), where a one-part name is
    /// under `library/`.
    ///
    /// # Errors
    /// No repository, a malformed tag or digest.
    pub fn parse(s: &str) -> Result<ImageRef, String> {
        let bad = |why: &str| format!("docker://{s}: {why}");
        let (name, digest) = match s.split_once('@') {
            Some((name, d)) => {
                check_digest(d).map_err(|e| bad(&e))?;
                (name, Some(d.to_owned()))
            }
            None => (s, None),
        };
        let (registry, path) = match name.split_once('/') {
            // Docker Hub's names for itself; its API is served by registry-1.docker.io.
            Some(("docker.io" | "index.docker.io", rest)) => (DOCKER_HUB.to_owned(), rest),
            Some((first, rest))
                if first.contains('.') || first.contains(':') || first == "localhost" =>
            {
                (first.to_owned(), rest)
            }
            _ => (DOCKER_HUB.to_owned(), name),
        };
        let (repository, tag) = match path.rsplit_once(':') {
            Some((repo, tag)) if !tag.contains('/') => (repo, Some(tag.to_owned())),
            _ => (path, None),
        };
        let repo_ok = !repository.is_empty()
            && repository.split('/').all(|part| {
                !part.is_empty()
                    && part.bytes().all(|b| {
                        b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b)
                    })
            });
        if !repo_ok {
            return Err(bad(
                "the repository must be lowercase letters, digits, '.', '_', '-' and '/'",
            ));
        }
        if let Some(t) = &tag {
            let tag_ok = t.len() <= 128
                && t.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b));
            if !tag_ok {
                return Err(bad(
                    "a tag is at most 128 letters, digits, '.', '_' and '-'",
                ));
            }
        }
        let repository = if registry == DOCKER_HUB && !repository.contains('/') {
            format!("library/{repository}")
        } else {
            repository.to_owned()
        };
        let tag = tag.or_else(|| digest.is_none().then(|| "latest".to_owned()));
        Ok(ImageRef {
            registry,
            repository,
            tag,
            digest,
        })
    }
}

/// Checks a digest is `sha256:` and 64 lowercase hex digits.
///
/// # Errors
/// It is not; the message says so.
pub fn check_digest(d: &str) -> Result<(), String> {
    match d.strip_prefix("sha256:") {
        Some(hex) if is_sha256_hex(hex) => Ok(()),
        _ => Err(format!(
            "{d} is not a digest (sha256: and 64 lowercase hex digits)"
        )),
    }
}

/// Whether `s` is 64 lowercase hex digits (a SHA-256 as `--sha256` takes it).
pub fn is_sha256_hex(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// `--source-path` as the subtree to take: relative, `/`-separated, without `.`, `..` or
/// empty components (a leading `/` is dropped: `/usr/src/wordpress` is the image's path).
///
/// # Errors
/// It holds `..` or `.`, or a NUL; the message names it.
pub fn subtree(given: &str) -> Result<String, String> {
    let trimmed = given.trim_matches('/');
    let parts: Vec<&str> = trimmed.split('/').filter(|p| !p.is_empty()).collect();
    if given.contains('\0') || parts.iter().any(|p| *p == "." || *p == "..") {
        return Err(format!(
            "--source-path {given}: must not hold '.', '..' or NUL"
        ));
    }
    Ok(parts.join("/"))
}

/// The mode an archive entry is given in SOURCE: directories 0755; files 0755 when the
/// archive gives them any execute bit, else 0644. Write bits for group and others, and
/// setuid, setgid and sticky, are never kept; the second value says whether one of the
/// last three was dropped (the component warns).
pub fn archive_mode(raw: u32, is_dir: bool) -> (u32, bool) {
    let special = raw & 0o7000 != 0;
    let mode = if is_dir || raw & 0o111 != 0 {
        0o755
    } else {
        0o644
    };
    (mode, special)
}

#[cfg(test)]
mod tests;
