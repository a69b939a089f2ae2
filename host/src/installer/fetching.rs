//! The builder's settings of a fetched SOURCE (`https://`, `oci:`, `oci-archive:`,
//! `docker://`; see `crate::fetch`), and the `--sha256` an archive is checked against.

use std::path::PathBuf;

use super::Installer;

/// Where and how a fetched SOURCE (`https://`, `oci:`, `oci-archive:`, `docker://`) is got.
#[derive(Debug, Clone, Default)]
pub(crate) struct FetchSettings {
    pub cache: Option<PathBuf>,
    pub registry_auth: Option<PathBuf>,
    pub platform: Option<String>,
}

impl Installer {
    /// For an archive SOURCE: its SHA-256 (64 lowercase hex digits), checked before
    /// anything is unpacked; required for an `https://` one.
    pub fn sha256(mut self, hex: impl Into<String>) -> Self {
        self.sha256 = Some(hex.into());
        self
    }

    /// For a fetched SOURCE: keep downloads in `dir` by digest (`dir/blobs/sha256/HEX`),
    /// so that a second run fetches nothing it holds.
    pub fn cache(mut self, dir: impl Into<PathBuf>) -> Self {
        self.fetch.cache = Some(dir.into());
        self
    }

    /// For a `docker://` SOURCE: a Docker `config.json` with the registry's credentials
    /// (the content of a `kubernetes.io/dockerconfigjson` Secret).
    pub fn registry_auth(mut self, file: impl Into<PathBuf>) -> Self {
        self.fetch.registry_auth = Some(file.into());
        self
    }

    /// For an image SOURCE: the platform taken from a multi-platform index
    /// (`os/arch[/variant]`; default the running one).
    pub fn platform(mut self, platform: impl Into<String>) -> Self {
        self.fetch.platform = Some(platform.into());
        self
    }
}
