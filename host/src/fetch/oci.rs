//! OCI images, whatever holds them: from the top document (a layout's `index.json`, or
//! the manifest a registry reference names) through indexes to one image manifest, its
//! config and its layers, each checked against its descriptor.

use std::collections::BTreeMap;
use std::fmt;
use std::fs::File;

use serde::Deserialize;
use wp_init_core::source::{ArchiveFormat, check_digest};

use super::store::Store;
use super::{Blob, Fetched};

/// The largest index, manifest or config read (they are JSON documents held in memory).
pub(super) const MAX_DOCUMENT: u64 = 4 << 20;

/// The `org.opencontainers.image.ref.name` annotation `oci:DIR:REF` matches.
const REF_NAME: &str = "org.opencontainers.image.ref.name";

/// Index and manifest media types (OCI's and Docker's), as a registry is asked for them.
pub(super) const MANIFEST_TYPES: [&str; 4] = [
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
];

/// A content descriptor.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Descriptor {
    #[serde(default)]
    pub media_type: String,
    pub digest: String,
    pub size: u64,
    #[serde(default)]
    platform: Option<PlatformJson>,
    #[serde(default)]
    annotations: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Deserialize)]
struct PlatformJson {
    os: String,
    architecture: String,
    #[serde(default)]
    variant: Option<String>,
}

/// An index or a manifest, as far as fetching needs it.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Document {
    #[serde(default)]
    media_type: Option<String>,
    #[serde(default)]
    manifests: Option<Vec<Descriptor>>,
    #[serde(default)]
    config: Option<Descriptor>,
    #[serde(default)]
    layers: Option<Vec<Descriptor>>,
}

#[derive(Deserialize)]
struct ImageConfig {
    rootfs: RootFs,
}

#[derive(Deserialize)]
struct RootFs {
    diff_ids: Vec<String>,
}

/// Where an image's documents and blobs come from.
pub(super) enum Top {
    /// A layout's `index.json` (no digest: a REF annotation picks an entry).
    Index(Vec<u8>),
    /// The document a registry reference named, already checked against a pinned digest.
    Document { bytes: Vec<u8>, digest: String },
}

/// An image store: a layout, an archive, a registry.
pub(super) trait Source {
    /// The top document.
    fn top(&mut self, store: &Store<'_>) -> Result<Top, String>;
    /// An index, manifest or config, checked against `desc`.
    fn document(&mut self, desc: &Descriptor, store: &Store<'_>) -> Result<Vec<u8>, String>;
    /// A layer, checked against `desc`, at offset 0.
    fn layer(&mut self, desc: &Descriptor, store: &Store<'_>) -> Result<File, String>;
}

/// `os/arch[/variant]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Platform {
    os: String,
    architecture: String,
    variant: Option<String>,
}

impl Platform {
    /// Reads `--platform`.
    pub(super) fn parse(s: &str) -> Result<Platform, String> {
        let parts: Vec<&str> = s.split('/').collect();
        let ok = (2..=3).contains(&parts.len()) && parts.iter().all(|p| !p.is_empty());
        if !ok {
            return Err(format!("--platform {s}: expected os/arch[/variant]"));
        }
        Ok(Platform {
            os: parts[0].to_owned(),
            architecture: parts[1].to_owned(),
            variant: parts.get(2).map(|v| (*v).to_owned()),
        })
    }

    /// The platform this binary runs on, in OCI's names.
    pub(super) fn running() -> Platform {
        let architecture = match std::env::consts::ARCH {
            "x86_64" => "amd64",
            "aarch64" => "arm64",
            "x86" => "386",
            "powerpc64" => "ppc64le",
            other => other,
        };
        Platform {
            os: std::env::consts::OS.to_owned(),
            architecture: architecture.to_owned(),
            variant: None,
        }
    }

    fn matches(&self, p: &PlatformJson) -> bool {
        let variant = || match (&p.variant, p.architecture.as_str()) {
            (Some(v), _) => Some(v.as_str()),
            (None, "arm64") => Some("v8"),
            (None, _) => None,
        };
        p.os == self.os
            && p.architecture == self.architecture
            && self.variant.as_deref().is_none_or(|v| variant() == Some(v))
    }
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.os, self.architecture)?;
        match &self.variant {
            Some(v) => write!(f, "/{v}"),
            None => Ok(()),
        }
    }
}

impl fmt::Display for PlatformJson {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.os, self.architecture)?;
        match &self.variant {
            Some(v) => write!(f, "/{v}"),
            None => Ok(()),
        }
    }
}

/// Parses a JSON document; `what` names it in errors.
fn parse<T: for<'de> Deserialize<'de>>(bytes: &[u8], what: &str) -> Result<T, String> {
    serde_json::from_slice(bytes).map_err(|e| format!("{what}: not a valid document: {e}"))
}

/// Checks a descriptor's digest (every blob name comes from one) and bounds its size.
pub(super) fn checked(desc: &Descriptor, limit: u64) -> Result<&Descriptor, String> {
    check_digest(&desc.digest)?;
    if desc.size > limit {
        return Err(format!(
            "blob {}: {} bytes, more than the {limit} allowed",
            desc.digest, desc.size
        ));
    }
    Ok(desc)
}

/// The entry of a layout's `index.json` that `reference` names (the only one if none).
fn by_name(index: &[u8], reference: Option<&str>) -> Result<Descriptor, String> {
    let doc: Document = parse(index, "index.json")?;
    let list = doc.manifests.unwrap_or_default();
    let name = |d: &Descriptor| d.annotations.get(REF_NAME).cloned();
    let names = || {
        let n: Vec<String> = list.iter().filter_map(name).collect();
        if n.is_empty() {
            "none".to_owned()
        } else {
            n.join(", ")
        }
    };
    match reference {
        Some(r) => list
            .iter()
            .find(|d| name(d).as_deref() == Some(r))
            .cloned()
            .ok_or_else(|| format!("no image named {r} in index.json (names: {})", names())),
        None => match list.as_slice() {
            [only] => Ok(only.clone()),
            [] => Err("index.json lists no image".to_owned()),
            _ => Err(format!(
                "index.json lists {} images (names: {}); name one with :REF",
                list.len(),
                names()
            )),
        },
    }
}

/// The entry of a multi-platform index for `platform`.
fn by_platform(list: &[Descriptor], platform: &Platform) -> Result<Descriptor, String> {
    if let Some(d) = list
        .iter()
        .find(|d| d.platform.as_ref().is_some_and(|p| platform.matches(p)))
    {
        return Ok(d.clone());
    }
    let has: Vec<String> = list
        .iter()
        .filter_map(|d| d.platform.as_ref())
        .filter(|p| p.os != "unknown")
        .map(ToString::to_string)
        .collect();
    Err(format!(
        "the image index has no {platform} image (it has {}); choose one with --platform",
        if has.is_empty() {
            "none".to_owned()
        } else {
            has.join(", ")
        }
    ))
}

/// The archive format of a layer media type; zstd and others refused.
pub(super) fn layer_format(media_type: &str) -> Result<ArchiveFormat, String> {
    match media_type {
        "application/vnd.oci.image.layer.v1.tar"
        | "application/vnd.oci.image.layer.nondistributable.v1.tar" => Ok(ArchiveFormat::Tar),
        "application/vnd.oci.image.layer.v1.tar+gzip"
        | "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip"
        | "application/vnd.docker.image.rootfs.diff.tar.gzip" => Ok(ArchiveFormat::TarGzip),
        t if t.ends_with("zstd") => Err(format!(
            "layer media type {t}: zstd-compressed layers are not supported (push the image with gzip layers)"
        )),
        t => Err(format!("layer media type {t:?} is not supported")),
    }
}

/// Follows the top document to one image manifest and fetches its config and layers.
pub(super) fn pull(
    source: &mut dyn Source,
    reference: Option<&str>,
    platform: &Platform,
    store: &Store<'_>,
    max_bytes: u64,
) -> Result<Fetched, String> {
    let (mut bytes, mut digest) = match source.top(store)? {
        Top::Index(index) => {
            let desc = by_name(&index, reference)?;
            let bytes = source.document(checked(&desc, MAX_DOCUMENT)?, store)?;
            (bytes, desc.digest)
        }
        Top::Document { bytes, digest } => (bytes, digest),
    };
    let named = digest.clone();
    for _ in 0..4 {
        let doc: Document = parse(&bytes, &digest)?;
        let is_index = doc
            .media_type
            .as_deref()
            .map_or(doc.manifests.is_some(), |t| {
                t == MANIFEST_TYPES[0] || t == MANIFEST_TYPES[1]
            });
        if !is_index {
            let blobs = layers(source, doc, &digest, store, max_bytes)?;
            return Ok(Fetched {
                blobs,
                named: Some(named),
                resolved: Some(digest),
            });
        }
        let desc = by_platform(doc.manifests.as_deref().unwrap_or_default(), platform)?;
        bytes = source.document(checked(&desc, MAX_DOCUMENT)?, store)?;
        digest = desc.digest;
    }
    Err(format!("{digest}: image indexes nested too deep"))
}

/// An image manifest's layers, with their diff_ids from its config.
fn layers(
    source: &mut dyn Source,
    manifest: Document,
    digest: &str,
    store: &Store<'_>,
    max_bytes: u64,
) -> Result<Vec<Blob>, String> {
    let (Some(config), Some(layers)) = (manifest.config, manifest.layers) else {
        return Err(format!("manifest {digest}: no config or no layers"));
    };
    let config_bytes = source.document(checked(&config, MAX_DOCUMENT)?, store)?;
    let diff_ids = parse::<ImageConfig>(&config_bytes, &config.digest)?
        .rootfs
        .diff_ids;
    if diff_ids.len() != layers.len() {
        return Err(format!(
            "manifest {digest}: {} layers, but its config lists {} diff_ids",
            layers.len(),
            diff_ids.len()
        ));
    }
    let mut blobs = Vec::with_capacity(layers.len());
    for (layer, diff_id) in layers.iter().zip(diff_ids) {
        check_digest(&diff_id).map_err(|e| format!("config {}: {e}", config.digest))?;
        let format = layer_format(&layer.media_type)?;
        let file = source.layer(checked(layer, max_bytes)?, store)?;
        blobs.push(Blob {
            file,
            format,
            diff_id: Some(diff_id),
            digest: layer.digest.clone(),
        });
    }
    Ok(blobs)
}
