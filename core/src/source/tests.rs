use super::*;

#[test]
fn forms_say_the_kind() {
    let cases: &[(&str, SourceSpec)] = &[
        (
            "/usr/src/wordpress",
            SourceSpec::Directory("/usr/src/wordpress".into()),
        ),
        ("wp", SourceSpec::Directory("wp".into())),
        (
            "/tmp/wordpress-6.8.tar.gz",
            SourceSpec::Archive {
                path: "/tmp/wordpress-6.8.tar.gz".into(),
                format: ArchiveFormat::TarGzip,
            },
        ),
        (
            "a.TGZ",
            SourceSpec::Archive {
                path: "a.TGZ".into(),
                format: ArchiveFormat::TarGzip,
            },
        ),
        (
            "a.tar",
            SourceSpec::Archive {
                path: "a.tar".into(),
                format: ArchiveFormat::Tar,
            },
        ),
        (
            "a.zip",
            SourceSpec::Archive {
                path: "a.zip".into(),
                format: ArchiveFormat::Zip,
            },
        ),
        (
            "oci:/img",
            SourceSpec::OciLayout {
                dir: "/img".into(),
                reference: None,
            },
        ),
        (
            "oci:/img:6.8",
            SourceSpec::OciLayout {
                dir: "/img".into(),
                reference: Some("6.8".into()),
            },
        ),
        (
            "oci:img:v1/x",
            SourceSpec::OciLayout {
                dir: "img:v1/x".into(),
                reference: None,
            },
        ),
        (
            "oci-archive:/i.tar:latest",
            SourceSpec::OciArchive {
                file: "/i.tar".into(),
                reference: Some("latest".into()),
            },
        ),
        (
            "https://wordpress.org/wordpress-6.9.5.tar.gz?x=1",
            SourceSpec::Https {
                url: "https://wordpress.org/wordpress-6.9.5.tar.gz?x=1".into(),
                format: ArchiveFormat::TarGzip,
            },
        ),
    ];
    for (given, want) in cases {
        assert_eq!(&SourceSpec::parse(given).unwrap(), want, "{given}");
    }
}

#[test]
fn image_references_take_dockers_defaults() {
    let d = format!("sha256:{}", "a".repeat(64));
    type Want<'a> = (&'a str, &'a str, Option<&'a str>, Option<&'a str>);
    let cases: &[(String, Want)] = &[
        (
            "wordpress".into(),
            (DOCKER_HUB, "library/wordpress", Some("latest"), None),
        ),
        (
            "wordpress:6.8".into(),
            (DOCKER_HUB, "library/wordpress", Some("6.8"), None),
        ),
        (
            "docker.io/wordpress:6.8".into(),
            (DOCKER_HUB, "library/wordpress", Some("6.8"), None),
        ),
        (
            "index.docker.io/library/wordpress".into(),
            (DOCKER_HUB, "library/wordpress", Some("latest"), None),
        ),
        (
            format!("wordpress@{d}"),
            (DOCKER_HUB, "library/wordpress", None, Some(d.as_str())),
        ),
        (
            format!("127.0.0.1:5000/wp/core:6.8@{d}"),
            ("127.0.0.1:5000", "wp/core", Some("6.8"), Some(d.as_str())),
        ),
        (
            "localhost/wp".into(),
            ("localhost", "wp", Some("latest"), None),
        ),
        ("me/wp".into(), (DOCKER_HUB, "me/wp", Some("latest"), None)),
    ];
    for (given, (registry, repository, tag, digest)) in cases {
        let r = ImageRef::parse(given).unwrap();
        assert_eq!(
            (
                r.registry.as_str(),
                r.repository.as_str(),
                r.tag.as_deref(),
                r.digest.as_deref()
            ),
            (*registry, *repository, *tag, *digest),
            "{given}"
        );
    }
}

#[test]
fn malformed_forms_are_refused_with_the_reason() {
    let cases = [
        ("http://example.org/wordpress.tar.gz", "plain HTTP"),
        ("https://example.org/wordpress", "must name a .tar"),
        ("docker://", "repository"),
        ("docker://Wordpress", "repository"),
        ("docker://wordpress@sha256:abc", "is not a digest"),
        ("docker://wordpress@md5:00", "is not a digest"),
        ("docker://wordpress:bad tag", "a tag is"),
    ];
    for (given, want) in cases {
        let e = SourceSpec::parse(given).unwrap_err();
        assert!(e.contains(want), "{given}: {e}");
    }
}

#[test]
fn subtrees_are_plain_relative_paths() {
    assert_eq!(subtree("/usr/src/wordpress/").unwrap(), "usr/src/wordpress");
    assert_eq!(subtree("wordpress").unwrap(), "wordpress");
    assert_eq!(subtree("/").unwrap(), "");
    assert_eq!(subtree("a//b").unwrap(), "a/b");
    for bad in ["../x", "a/./b", "a/..", "a\0b"] {
        assert!(subtree(bad).is_err(), "{bad:?}");
    }
}

#[test]
fn archive_modes_keep_only_the_execute_bit() {
    assert_eq!(archive_mode(0o644, false), (0o644, false));
    assert_eq!(archive_mode(0o600, false), (0o644, false));
    assert_eq!(archive_mode(0o777, false), (0o755, false));
    assert_eq!(archive_mode(0o100, false), (0o755, false));
    assert_eq!(archive_mode(0o4755, false), (0o755, true));
    assert_eq!(archive_mode(0o2644, false), (0o644, true));
    assert_eq!(archive_mode(0o1777, true), (0o755, true));
    assert_eq!(archive_mode(0o700, true), (0o755, false));
}

#[test]
fn sha256_hex_is_64_lowercase_digits() {
    assert!(is_sha256_hex(&"0f".repeat(32)));
    assert!(!is_sha256_hex(&"0F".repeat(32)));
    assert!(!is_sha256_hex(&"0f".repeat(31)));
}
