//! Fetching from real servers on loopback (a TLS registry, an HTTPS server) and from
//! layouts and archives written by `tests/oci/make-fixtures.py`.

use std::fs::File;
use std::io::Read;
use std::os::fd::AsFd;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use wp_init_core::source::{ArchiveFormat, SourceSpec};

use super::{FetchOptions, Fetched, fetch};
use crate::error::{Error, PathError};

mod refusals;
mod servers;
use servers::{Https, Registry, USER, fixtures, tls};

/// The CA bundle the fetch code trusts in tests, as `SSL_CERT_FILE` would name it.
pub(super) static CERT_FILE: OnceLock<PathBuf> = OnceLock::new();

/// Fetches `source` into a new scratch directory.
fn get(source: &str, opts: &FetchOptions<'_>) -> (Result<Fetched, Error>, tempfile::TempDir) {
    let scratch = tempfile::tempdir().unwrap();
    let fd = File::open(scratch.path()).unwrap();
    let spec = SourceSpec::parse(source).unwrap();
    (fetch(&spec, opts, fd.as_fd()), scratch)
}

/// The cause of a fetch error (and checks it names `path`).
fn cause(r: Result<Fetched, Error>, path: &str) -> String {
    match r {
        Err(Error::Fetch(PathError { path: p, cause })) => {
            assert_eq!(p, path);
            cause
        }
        other => panic!("expected a fetch error for {path}, got {other:?}"),
    }
}

/// A fixture digest (or list of digests) by name.
fn fx(name: &str) -> serde_json::Value {
    fixtures().digests[name].clone()
}

/// Checks `got` is the image of `arch` from the fixtures: layers, formats, diff_ids.
fn assert_image(got: &Fetched, arch: &str) {
    let layers: Vec<&str> = got.blobs.iter().map(|b| b.digest.as_str()).collect();
    assert_eq!(serde_json::json!(layers), fx(&format!("{arch}_layers")));
    let formats: Vec<ArchiveFormat> = got.blobs.iter().map(|b| b.format).collect();
    use ArchiveFormat::{Tar, TarGzip};
    assert_eq!(formats, [TarGzip, Tar, TarGzip]);
    assert_eq!(got.resolved.as_deref(), fx(arch).as_str());
    if arch == "amd64" {
        let ids: Vec<&str> = got
            .blobs
            .iter()
            .map(|b| b.diff_id.as_deref().unwrap())
            .collect();
        assert_eq!(serde_json::json!(ids), fx("amd64_diff_ids"));
    }
    for blob in &got.blobs {
        let mut bytes = Vec::new();
        (&blob.file).read_to_end(&mut bytes).unwrap();
        let (digest, _) = super::store::hash_reader(&mut bytes.as_slice(), u64::MAX).unwrap();
        assert_eq!(
            digest, blob.digest,
            "a blob's file is readable from offset 0"
        );
        let diff_id = blob.diff_id.as_deref().unwrap();
        super::check_diff_id(blob, diff_id).unwrap();
        let wrong = super::check_diff_id(blob, &blob.digest);
        if blob.format == ArchiveFormat::TarGzip {
            assert!(wrong.unwrap_err().contains("its uncompressed stream"));
        }
    }
}

fn amd64() -> FetchOptions<'static> {
    FetchOptions {
        platform: Some("linux/amd64"),
        ..FetchOptions::default()
    }
}

/// Names in a directory, recursively.
fn names(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        out.push(e.file_name().to_string_lossy().into_owned());
        if e.file_type().unwrap().is_dir() {
            out.extend(names(&e.path()));
        }
    }
    out
}

#[test]
fn oci_layout_by_ref_and_alone() {
    let dir = fixtures().dir.display().to_string();
    let (got, _s) = get(&format!("oci:{dir}/multi:multi"), &amd64());
    let got = got.unwrap();
    assert_eq!(
        got.named.as_deref(),
        fx("index").as_str(),
        "the name's digest"
    );
    assert_image(&got, "amd64");
    let arm = FetchOptions {
        platform: Some("linux/arm64"),
        ..FetchOptions::default()
    };
    let (got, _s) = get(&format!("oci:{dir}/multi:multi"), &arm);
    assert_image(&got.unwrap(), "arm64");
    let (got, _s) = get(&format!("oci:{dir}/multi:plain"), &amd64());
    assert_image(&got.unwrap(), "amd64");
    let (got, _s) = get(&format!("oci:{dir}/one"), &amd64());
    assert_image(&got.unwrap(), "amd64");

    let (got, _s) = get(&format!("oci:{dir}/multi"), &amd64());
    let why = cause(got, &format!("oci:{dir}/multi"));
    assert!(
        why.contains("lists 3 images (names: multi, armonly, plain)"),
        "{why}"
    );
    let (got, _s) = get(&format!("oci:{dir}/multi:armonly"), &amd64());
    let why = cause(got, &format!("oci:{dir}/multi:armonly"));
    assert!(
        why.contains("no linux/amd64 image (it has linux/arm64)"),
        "{why}"
    );
    let (got, _s) = get(&format!("oci:{dir}/multi:nope"), &amd64());
    assert!(cause(got, &format!("oci:{dir}/multi:nope")).contains("no image named nope"));
}

#[test]
fn oci_layout_corrupt_blob_is_refused() {
    let copy = tempfile::tempdir().unwrap();
    servers::run(
        std::process::Command::new("cp")
            .arg("-a")
            .arg(fixtures().dir.join("one"))
            .arg(copy.path()),
    );
    let layer = fx("amd64_layers")[1].as_str().unwrap().to_owned();
    let path = copy.path().join("one/blobs/sha256").join(&layer[7..]);
    let mut bytes = std::fs::read(&path).unwrap();
    bytes[600] ^= 1;
    std::fs::write(&path, bytes).unwrap();
    let source = format!("oci:{}", copy.path().join("one").display());
    let (got, _s) = get(&source, &amd64());
    let why = cause(got, &source);
    assert!(
        why.contains(&format!("blob {layer}: digest mismatch")),
        "{why}"
    );
}

#[test]
fn oci_archive_copies_verified_layers() {
    let dir = fixtures().dir.display().to_string();
    let (got, scratch) = get(&format!("oci-archive:{dir}/multi.tar:multi"), &amd64());
    assert_image(&got.unwrap(), "amd64");
    let mut kept = names(scratch.path());
    kept.sort();
    let mut want: Vec<String> = fx("amd64_layers")
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d.as_str().unwrap()[7..].to_owned())
        .collect();
    want.sort();
    assert_eq!(
        kept, want,
        "the layers, copied into scratch under their digests"
    );
    let (got, _s) = get(&format!("oci-archive:{dir}/one.tar"), &amd64());
    assert_image(&got.unwrap(), "amd64");
}

#[test]
fn https_checks_sha256() {
    let fx_dir = &fixtures().dir;
    let _https_tls = tls();
    let server = Https::start(fx_dir, None);
    let url = format!("https://127.0.0.1:{}/wordpress.tar.gz", server.port);
    let right = fx("release").as_str().unwrap()[7..].to_owned();
    let wrong = "0".repeat(64);
    let cache = tempfile::tempdir().unwrap();

    let (got, _s) = get(&url, &FetchOptions::default());
    assert!(matches!(got, Err(Error::Usage(m)) if m.contains("--sha256 is required")));

    for cache_dir in [None, Some(cache.path())] {
        let opts = FetchOptions {
            sha256: Some(&wrong),
            cache: cache_dir,
            ..FetchOptions::default()
        };
        let (got, scratch) = get(&url, &opts);
        let why = cause(got, &url);
        assert!(why.contains("digest mismatch"), "{why}");
        let left = [names(scratch.path()), names(cache.path())].concat();
        assert!(
            !left
                .iter()
                .any(|n| n.contains(&wrong) || n.contains(&right)),
            "left under a digest's name: {left:?}"
        );
    }
    // A wrong file under the right name in the cache is dropped and fetched again.
    let cached = cache.path().join("blobs/sha256").join(&right);
    std::fs::write(&cached, b"not the archive").unwrap();
    let opts = FetchOptions {
        sha256: Some(&right),
        cache: Some(cache.path()),
        ..FetchOptions::default()
    };
    let (got, _s) = get(&url, &opts);
    assert_eq!(got.unwrap().blobs[0].digest, format!("sha256:{right}"));
    let archive = std::fs::read(fx_dir.join("wordpress.tar.gz")).unwrap();
    assert_eq!(std::fs::read(&cached).unwrap(), archive);

    let opts = FetchOptions {
        sha256: Some(&right),
        ..FetchOptions::default()
    };
    let (got, _s) = get(&url, &opts);
    let got = got.unwrap();
    assert_eq!(got.blobs.len(), 1);
    assert_eq!(got.blobs[0].format, ArchiveFormat::TarGzip);
    let mut bytes = Vec::new();
    (&got.blobs[0].file).read_to_end(&mut bytes).unwrap();
    assert_eq!(
        bytes,
        std::fs::read(fx_dir.join("wordpress.tar.gz")).unwrap()
    );
}

#[test]
fn https_resumes_from_the_cache_then_needs_no_server() {
    let fx_dir = &fixtures().dir;
    let _https_tls = tls();
    let mut server = Https::start(fx_dir, Some(1000));
    let url = format!("https://127.0.0.1:{}/wordpress.tar.gz", server.port);
    let hex = fx("release").as_str().unwrap()[7..].to_owned();
    let cache = tempfile::tempdir().unwrap();
    let opts = FetchOptions {
        sha256: Some(&hex),
        cache: Some(cache.path()),
        ..FetchOptions::default()
    };
    let (got, _s) = get(&url, &opts);
    let why = cause(got, &url);
    assert!(why.contains("after 1000 bytes"), "{why}");
    let partial = cache.path().join(format!("blobs/sha256/.{hex}.partial"));
    assert_eq!(std::fs::metadata(&partial).unwrap().len(), 1000);

    let (got, _s) = get(&url, &opts);
    assert_eq!(got.unwrap().blobs[0].digest, format!("sha256:{hex}"));
    let log = std::fs::read_to_string(&server.log).unwrap();
    assert!(
        log.contains("bytes=1000-"),
        "resumed with a Range request: {log}"
    );
    assert!(cache.path().join("blobs/sha256").join(&hex).is_file());
    assert!(!partial.exists());

    server.stop();
    let (got, _s) = get(&url, &opts);
    assert_eq!(got.unwrap().blobs[0].digest, format!("sha256:{hex}"));
}

#[test]
#[ignore = "needs Debian's docker-registry, skopeo and apache2-utils (scripts/test.sh installs them)"]
fn registry_anonymous() {
    let mut registry = Registry::start(false);
    let base = format!("docker://127.0.0.1:{}/wp", registry.port);
    let (got, _s) = get(&format!("{base}:multi"), &amd64());
    let got = got.unwrap();
    assert_eq!(
        got.named.as_deref(),
        fx("index").as_str(),
        "the tag's digest"
    );
    assert_image(&got, "amd64");
    let arm = FetchOptions {
        platform: Some("linux/arm64"),
        ..FetchOptions::default()
    };
    let (got, _s) = get(&format!("{base}:multi"), &arm);
    assert_image(&got.unwrap(), "arm64");
    let (got, _s) = get(&format!("{base}:plain"), &amd64());
    let got = got.unwrap();
    assert_eq!(got.named, got.resolved, "a tag naming the manifest itself");
    assert_image(&got, "amd64");

    let source = format!("{base}:armonly");
    let (got, _s) = get(&source, &amd64());
    let why = cause(got, &source);
    assert!(
        why.contains("no linux/amd64 image (it has linux/arm64)"),
        "{why}"
    );

    let pinned = format!("{base}@{}", fx("index").as_str().unwrap());
    let wrong_pin = format!("{base}@sha256:{}", "1".repeat(64));
    let (got, _s) = get(&wrong_pin, &amd64());
    assert!(!cause(got, &wrong_pin).is_empty());

    let cache = tempfile::tempdir().unwrap();
    let cached = FetchOptions {
        cache: Some(cache.path()),
        ..amd64()
    };
    let (got, _s) = get(&pinned, &cached);
    assert_image(&got.unwrap(), "amd64");

    let arm_top = fx("arm64_layers")[2].as_str().unwrap().to_owned();
    let data = registry.blob_data(&arm_top);
    let mut bytes = std::fs::read(&data).unwrap();
    bytes[20] ^= 1;
    std::fs::write(&data, bytes).unwrap();
    let (got, _s) = get(&format!("{base}:multi"), &arm);
    let why = cause(got, &format!("{base}:multi"));
    assert!(why.contains(&arm_top) && why.contains("mismatch"), "{why}");

    // A partial layer in the cache is resumed with a Range request: a wrong prefix then
    // fails the digest (a refetch from the start would not), and is dropped for the next run.
    let resume = tempfile::tempdir().unwrap();
    let layer = fx("amd64_layers")[0].as_str().unwrap()[7..].to_owned();
    let blobs = resume.path().join("blobs/sha256");
    std::fs::create_dir_all(&blobs).unwrap();
    std::fs::write(blobs.join(format!(".{layer}.partial")), [0u8; 100]).unwrap();
    let resuming = FetchOptions {
        cache: Some(resume.path()),
        ..amd64()
    };
    let (got, _s) = get(&pinned, &resuming);
    let why = cause(got, &pinned);
    assert!(
        why.contains(&format!("blob sha256:{layer}: digest mismatch")),
        "{why}"
    );
    let (got, _s) = get(&pinned, &resuming);
    assert_image(&got.unwrap(), "amd64");

    registry.stop();
    let (got, _s) = get(&pinned, &cached);
    assert_image(&got.unwrap(), "amd64");
    let (got, _s) = get(&format!("{base}:multi"), &cached);
    assert!(
        !cause(got, &format!("{base}:multi")).is_empty(),
        "a tag asks the registry"
    );
}

#[test]
#[ignore = "needs Debian's docker-registry, skopeo and apache2-utils (scripts/test.sh installs them)"]
fn registry_with_basic_auth() {
    let registry = Registry::start(true);
    let source = format!("docker://127.0.0.1:{}/wp:multi", registry.port);
    let (got, _s) = get(&source, &amd64());
    let why = cause(got, &source);
    assert!(why.contains("give them with --registry-auth"), "{why}");

    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.json");
    let write = |user: &str, pass: &str| {
        use base64::Engine as _;
        let auth = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{pass}"));
        let host = format!("127.0.0.1:{}", registry.port);
        let json = serde_json::json!({"auths": {host: {"auth": auth}}});
        std::fs::write(&config, json.to_string()).unwrap();
    };
    let opts = FetchOptions {
        registry_auth: Some(&config),
        ..amd64()
    };
    write(USER.0, "wrong");
    let (got, _s) = get(&source, &opts);
    let why = cause(got, &source);
    assert!(why.contains("refused the credentials"), "{why}");
    write(USER.0, USER.1);
    let (got, _s) = get(&source, &opts);
    assert_image(&got.unwrap(), "amd64");
}
