//! What fetching refuses: corrupt blobs inside an oci-archive, a bad `--platform`, zstd.

use std::path::Path;

use super::{amd64, cause, fixtures, fx, get, names};
use crate::error::Error;
use crate::fetch::FetchOptions;

/// Flips one byte of `blob`'s content where it sits inside the tar file `tar`.
fn corrupt_in_tar(tar: &Path, blob: &Path) {
    let mut bytes = std::fs::read(tar).unwrap();
    let content = std::fs::read(blob).unwrap();
    let at = bytes
        .windows(content.len())
        .position(|w| w == content.as_slice())
        .unwrap();
    bytes[at + content.len() / 2] ^= 1;
    std::fs::write(tar, bytes).unwrap();
}

#[test]
fn oci_archive_corrupt_layer_or_config_is_refused() {
    let one = fixtures().dir.join("one");
    let layer = fx("amd64_layers")[0].as_str().unwrap()[7..].to_owned();
    let manifest: serde_json::Value = serde_json::from_slice(
        &std::fs::read(
            one.join("blobs/sha256")
                .join(&fx("amd64").as_str().unwrap()[7..]),
        )
        .unwrap(),
    )
    .unwrap();
    let config = manifest["config"]["digest"].as_str().unwrap()[7..].to_owned();
    for hex in [layer, config] {
        let copy = tempfile::tempdir().unwrap();
        let tar = copy.path().join("one.tar");
        std::fs::copy(fixtures().dir.join("one.tar"), &tar).unwrap();
        corrupt_in_tar(&tar, &one.join("blobs/sha256").join(&hex));
        let source = format!("oci-archive:{}", tar.display());
        let (got, scratch) = get(&source, &amd64());
        let why = cause(got, &source);
        assert!(
            why.contains(&format!("blob sha256:{hex}: digest mismatch")),
            "{why}"
        );
        assert!(!names(scratch.path()).iter().any(|n| n.contains(&hex)));
    }
}

#[test]
fn bad_platform_and_zstd_layers_are_refused() {
    let dir = fixtures().dir.display().to_string();
    let opts = FetchOptions {
        platform: Some("linux"),
        ..FetchOptions::default()
    };
    let (got, _s) = get(&format!("oci:{dir}/one"), &opts);
    assert!(matches!(got, Err(Error::Usage(m)) if m.contains("os/arch[/variant]")));
    let zstd = crate::fetch::oci::layer_format("application/vnd.oci.image.layer.v1.tar+zstd");
    assert!(
        zstd.unwrap_err()
            .contains("zstd-compressed layers are not supported")
    );
    let e = cause(
        get(&format!("oci:{dir}/nowhere"), &amd64()).0,
        &format!("oci:{dir}/nowhere"),
    );
    assert!(e.contains("oci-layout"), "{e}");
}

#[test]
fn an_image_installs_with_its_whiteouts_and_opaque_directory() {
    let dir = fixtures().dir.display().to_string();
    let target = tempfile::tempdir().unwrap();
    let out = crate::Installer::new(
        format!("oci:{dir}/multi:multi"),
        target.path().to_str().unwrap(),
    )
    .platform("linux/arm64")
    .lock(false)
    .capture_messages(true)
    .install()
    .unwrap();
    assert_eq!(out.report.files_copied, 3, "{:?}", out.report);
    let t = target.path();
    let version = std::fs::read_to_string(t.join("wp-includes/version.php")).unwrap();
    assert!(
        version.contains("arm64"),
        "the top layer of the arm64 image: {version}"
    );
    assert!(t.join("wp-content/themes/style.css").is_file());
    assert!(
        !t.join("old.php").exists(),
        "a whiteout removes a lower layer's file"
    );
    assert!(
        !t.join("wp-content/plugins/hidden.php").exists(),
        "an opaque directory hides the lower layers'"
    );
    let left: Vec<String> = names(t)
        .into_iter()
        .filter(|n| n.starts_with(".wp-init-source"))
        .collect();
    assert!(
        left.is_empty(),
        "the scratch directory is removed: {left:?}"
    );
}
