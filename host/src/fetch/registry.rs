//! `docker://REGISTRY/REPO[:TAG][@sha256:…]`: an image from a registry, through
//! `oci-client` (the OCI distribution protocol: token and basic auth, Range requests) on
//! the same TLS as the rest of fetching. Every document and blob is hashed here too,
//! whatever the client checked; a digest-pinned image whose blobs are all in the cache is
//! read from it without a request.

use std::fs::File;
use std::io::Read;

use futures_util::StreamExt as _;
use oci_client::client::{BlobResponse, Certificate, CertificateEncoding, ClientConfig};
use oci_client::errors::OciDistributionError;
use oci_client::secrets::RegistryAuth;
use oci_client::{Client, Reference};
use sha2::{Digest as _, Sha256};
use wp_init_core::source::ImageRef;

use super::oci::{self, Descriptor, MANIFEST_TYPES, MAX_DOCUMENT, Platform, Source, Top};
use super::store::{Part, Store, mismatch, verify_bytes};
use super::tls::{CONNECT_TIMEOUT, READ_TIMEOUT, chain, roots, runtime};
use super::{FetchOptions, Fetched, auth};

/// A registry reached on first need (a fully cached pinned image needs none).
struct Registry<'i> {
    image: &'i ImageRef,
    auth: RegistryAuth,
    conn: Option<(Client, tokio::runtime::Runtime)>,
}

/// Fetches `image`'s layers for `platform`.
pub(super) fn pull(
    image: &ImageRef,
    opts: &FetchOptions<'_>,
    platform: &Platform,
    store: &Store<'_>,
) -> Result<Fetched, String> {
    let auth = match opts.registry_auth {
        Some(file) => auth::for_registry(file, &image.registry)?,
        None => RegistryAuth::Anonymous,
    };
    let mut registry = Registry {
        image,
        auth,
        conn: None,
    };
    oci::pull(&mut registry, None, platform, store, opts.max_bytes)
}

/// `sha256:` of bytes in memory.
fn sha256(bytes: &[u8]) -> String {
    let hash = Sha256::digest(bytes);
    let hex: String = hash.iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256:{hex}")
}

/// Reads a verified file from the store into memory.
fn read_all(mut file: File, digest: &str) -> Result<Vec<u8>, String> {
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes)
        .map_err(|e| format!("cached {digest}: {e}"))?;
    Ok(bytes)
}

/// Keeps a verified document in the cache (when there is one).
fn keep(store: &Store<'_>, digest: &str, bytes: &[u8]) -> Result<(), String> {
    if store.caches() {
        let mut part = store.part(digest)?;
        part.restart()?;
        part.write(bytes)?;
        part.finish(Some(bytes.len() as u64))?;
    }
    Ok(())
}

/// Says what an error of the client means, with a hint for a refused login.
fn explain(auth: &RegistryAuth, e: &OciDistributionError) -> String {
    let text = chain(e);
    if !matches!(e, OciDistributionError::UnauthorizedError { .. }) {
        return text;
    }
    match auth {
        RegistryAuth::Anonymous => {
            format!("{text} (the registry wants credentials: give them with --registry-auth)")
        }
        _ => format!("{text} (the registry refused the credentials from --registry-auth)"),
    }
}

impl Registry<'_> {
    /// The client and runtime, made on first use.
    fn conn(&mut self) -> Result<&(Client, tokio::runtime::Runtime), String> {
        if self.conn.is_none() {
            let config = ClientConfig {
                tls_certs_only: roots()?
                    .into_iter()
                    .map(|der| Certificate {
                        encoding: CertificateEncoding::Der,
                        data: der.to_vec(),
                    })
                    .collect(),
                connect_timeout: Some(CONNECT_TIMEOUT),
                read_timeout: Some(READ_TIMEOUT),
                ..ClientConfig::default()
            };
            let client = Client::try_from(config).map_err(|e| chain(&e))?;
            self.conn = Some((client, runtime()?));
        }
        self.conn.as_ref().ok_or_else(|| "no client".to_owned())
    }

    /// A reference to this repository at `digest`, or at the image's own tag/digest.
    fn reference(&self, digest: Option<&str>) -> Reference {
        let (reg, repo) = (self.image.registry.clone(), self.image.repository.clone());
        match (digest.or(self.image.digest.as_deref()), &self.image.tag) {
            (Some(d), _) => Reference::with_digest(reg, repo, d.to_owned()),
            (None, Some(t)) => Reference::with_tag(reg, repo, t.clone()),
            (None, None) => Reference::with_tag(reg, repo, "latest".to_owned()),
        }
    }

    /// A manifest or index from the registry, as bytes.
    fn manifest(&mut self, reference: &Reference) -> Result<Vec<u8>, String> {
        let auth = self.auth.clone();
        let (client, rt) = self.conn()?;
        let got = rt.block_on(client.pull_manifest_raw(reference, &auth, &MANIFEST_TYPES));
        match got {
            Ok((bytes, _)) if bytes.len() as u64 <= MAX_DOCUMENT => Ok(bytes.to_vec()),
            Ok(_) => Err(format!("{reference}: more than {MAX_DOCUMENT} bytes")),
            Err(e) => Err(explain(&auth, &e)),
        }
    }

    /// Appends to `part` what it lacks of blob `digest`, resuming where it stopped.
    fn stream_blob(&mut self, digest: &str, part: &mut Part<'_>, limit: u64) -> Result<(), String> {
        let auth = self.auth.clone();
        let reference = self.reference(Some(digest));
        let (client, rt) = self.conn()?;
        let oci = |e: OciDistributionError| explain(&auth, &e);
        let task = async {
            client
                .store_auth_if_needed(reference.resolve_registry(), &auth)
                .await;
            let response = client
                .pull_blob_stream_partial(&reference, digest, part.len(), None)
                .await
                .map_err(oci)?;
            let mut stream = match response {
                BlobResponse::Full(s) => {
                    part.restart()?;
                    s
                }
                BlobResponse::Partial(s) => s,
            };
            while let Some(chunk) = stream.next().await {
                let chunk = chunk.map_err(|e| chain(&e))?;
                part.write(&chunk)?;
                if part.len() > limit {
                    return Err(format!("more than the {limit} bytes its descriptor says"));
                }
            }
            Ok(())
        };
        let got = rt.block_on(task);
        got.map_err(|e| format!("blob {digest}: after {} bytes: {e}", part.len()))
    }
}

impl Source for Registry<'_> {
    fn top(&mut self, store: &Store<'_>) -> Result<Top, String> {
        if let Some(pin) = &self.image.digest
            && let Some(file) = store.lookup(pin, None)?
        {
            let bytes = read_all(file, pin)?;
            return Ok(Top::Document {
                bytes,
                digest: pin.clone(),
            });
        }
        let bytes = self.manifest(&self.reference(None))?;
        let digest = sha256(&bytes);
        if let Some(pin) = self.image.digest.as_ref().filter(|p| **p != digest) {
            return Err(mismatch(&format!("manifest {pin}"), pin, &digest));
        }
        keep(store, &digest, &bytes)?;
        Ok(Top::Document { bytes, digest })
    }

    fn document(&mut self, desc: &Descriptor, store: &Store<'_>) -> Result<Vec<u8>, String> {
        if let Some(file) = store.lookup(&desc.digest, Some(desc.size))? {
            return read_all(file, &desc.digest);
        }
        let bytes = if MANIFEST_TYPES.contains(&desc.media_type.as_str()) {
            self.manifest(&self.reference(Some(&desc.digest)))?
        } else {
            let reference = self.reference(Some(&desc.digest));
            let auth = self.auth.clone();
            let (client, rt) = self.conn()?;
            let mut bytes = Vec::new();
            let task = async {
                client
                    .store_auth_if_needed(reference.resolve_registry(), &auth)
                    .await;
                client
                    .pull_blob(&reference, desc.digest.as_str(), &mut bytes)
                    .await
            };
            let got = rt.block_on(task);
            got.map_err(|e| format!("blob {}: {}", desc.digest, explain(&auth, &e)))?;
            bytes
        };
        verify_bytes(&bytes, desc)?;
        keep(store, &desc.digest, &bytes)?;
        Ok(bytes)
    }

    fn layer(&mut self, desc: &Descriptor, store: &Store<'_>) -> Result<File, String> {
        if let Some(file) = store.lookup(&desc.digest, Some(desc.size))? {
            return Ok(file);
        }
        let mut part = store.part(&desc.digest)?;
        if part.len() > desc.size {
            part.restart()?;
        }
        match self.stream_blob(&desc.digest, &mut part, desc.size) {
            Ok(()) => part.finish(Some(desc.size)),
            Err(e) => {
                part.abandon()?;
                Err(e)
            }
        }
    }
}
