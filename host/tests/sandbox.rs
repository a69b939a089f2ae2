//! The sandbox holds with hostile trees: the component reads and writes only inside its
//! two directories, never writes SOURCE, and symlinks cannot lead it outside.

mod common;

use std::fs;
use std::os::unix::fs::symlink;

use common::*;
use wp_init::{Error, Status};

/// A directory beside SOURCE and TARGET holding a secret file, and its snapshot.
fn outside(f: &Fixture) -> std::path::PathBuf {
    let o = f.dir.path().join("outside");
    write(&o, "secret.txt", b"SECRET");
    write(&o, "wp-config.php", b"<?php // outside config\n");
    o
}

#[test]
fn absolute_symlink_in_source_is_refused_and_not_followed() {
    let f = Fixture::new();
    let o = outside(&f);
    symlink(o.join("secret.txt"), f.src.join("wp-content/secret.txt")).unwrap();
    let err = f.installer().install().unwrap_err();
    let Error::UnsafeSymlink(e) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(e.path, format!("{}/wp-content/secret.txt", f.src_str()));
    assert_eq!(u8::from(err.exit_code()), 4);
    assert!(!contains_bytes(&f.dst, b"SECRET"));
    // Nothing looks installed after the failure.
    assert!(!f.dst.join("index.php").exists() && !f.dst.join("wp-includes/version.php").exists());
}

#[test]
fn escaping_relative_symlink_in_source_is_refused() {
    let f = Fixture::new();
    outside(&f);
    symlink(
        "../../../outside/secret.txt",
        f.src.join("wp-content/plugins/leak.txt"),
    )
    .unwrap();
    let err = f.installer().install().unwrap_err();
    let Error::UnsafeSymlink(e) = &err else {
        panic!("{err:?}")
    };
    assert!(e.path.ends_with("wp-content/plugins/leak.txt"), "{e}");
    assert!(!contains_bytes(&f.dst, b"SECRET"));
}

#[test]
fn symlinks_in_target_cannot_redirect_writes_outside() {
    let f = Fixture::new();
    let o = outside(&f);
    let before = snapshot(&o);
    // Absolute and relative links to files and directories outside TARGET.
    fs::create_dir_all(f.dst.join("wp-content/plugins")).unwrap();
    symlink(
        o.join("secret.txt"),
        f.dst.join("wp-content/plugins/hello.php"),
    )
    .unwrap();
    symlink("../../outside", f.dst.join("wp-content/themes")).unwrap();
    symlink(&o, f.dst.join("wp-admin")).unwrap();
    symlink("../outside/secret.txt", f.dst.join(".htaccess")).unwrap();
    symlink(o.join("wp-config.php"), f.dst.join("wp-config.php")).unwrap();
    let out = f
        .installer()
        .env("WORDPRESS_DB_HOST", "db")
        .install()
        .unwrap();
    assert_eq!(out.report.status, Status::Copied);
    assert_eq!(snapshot(&o), before, "nothing outside TARGET changed");
    // Links where SOURCE has files or directories were replaced, not written through.
    assert_eq!(kind(&f.dst.join("wp-content/plugins/hello.php")), "file");
    assert_eq!(kind(&f.dst.join("wp-content/themes")), "dir");
    assert_eq!(kind(&f.dst.join("wp-admin")), "dir");
    // A link the sandbox cannot resolve counts as existing: left alone, never followed.
    assert_eq!(kind(&f.dst.join(".htaccess")), "symlink");
    assert_eq!(kind(&f.dst.join("wp-config.php")), "symlink");
}

#[test]
fn the_component_cannot_write_source_even_when_told_to() {
    // Point the component's own CLI at SOURCE as its TARGET: the grant is read-only, so the
    // config write fails with a permission error and SOURCE is unchanged.
    let f = Fixture::new();
    let before = snapshot(&f.src);
    let args = install_args(&f.src_str(), &f.src_str(), &[]);
    let out = f
        .installer()
        .env("WORDPRESS_DB_HOST", "db")
        .run_command(&args)
        .unwrap();
    let msgs = out.messages.unwrap();
    assert_eq!(out.code, 4, "{msgs}");
    assert!(msgs.contains(&format!("{}/", f.src_str())), "{msgs}");
    assert_eq!(snapshot(&f.src), before);
}

#[test]
fn read_only_target_grant_stops_every_write() {
    // The dry-run grant is read-only: the component's CLI told to install for real fails
    // on its first write and TARGET stays as it was.
    let f = Fixture::new();
    let args = install_args(&f.src_str(), &f.dst_str(), &[]);
    let out = f.installer().dry_run(true).run_command(&args).unwrap();
    assert_eq!(out.code, 4, "{}", out.messages.unwrap());
    assert_eq!(fs::read_dir(&f.dst).unwrap().count(), 0);
}

#[test]
fn paths_outside_the_grants_do_not_exist_for_the_component() {
    let f = Fixture::new();
    let o = outside(&f);
    let args = install_args(o.to_str().unwrap(), &f.dst_str(), &[]);
    let out = f.installer().run_command(&args).unwrap();
    assert_eq!(out.code, 2, "{}", out.messages.unwrap());
    assert_eq!(fs::read_dir(&f.dst).unwrap().count(), 0);
    assert_eq!(out.stdout.as_deref(), Some(""), "no JSON without --json");
}

#[test]
fn the_run_path_reports_the_same_json_as_the_typed_api() {
    // What `wasmtime run ... install --json` prints is the library's report, field for field.
    let (f, g) = (Fixture::new(), Fixture::new());
    let args = install_args(&f.src_str(), &f.dst_str(), &["--json"]);
    let out = f
        .installer()
        .env("WORDPRESS_DB_HOST", "db")
        .run_command(&args)
        .unwrap();
    assert_eq!(out.code, 0, "{}", out.messages.unwrap());
    let mut run: serde_json::Value = serde_json::from_str(&out.stdout.unwrap()).unwrap();
    let typed = g
        .installer()
        .env("WORDPRESS_DB_HOST", "db")
        .install()
        .unwrap()
        .report;
    let mut typed = serde_json::to_value(&typed).unwrap();
    // The template is named by TARGET's path, which differs between the two fixtures.
    for (v, fx) in [(&mut run, &f), (&mut typed, &g)] {
        let t = v["config"]["template"].take();
        assert_eq!(t, format!("{}/wp-config-docker.php", fx.dst_str()));
    }
    assert_eq!(run, typed);
    // Without the host there is no staging: the run path leaves the tree installed.
    assert!(f.dst.join("index.php").is_file() && f.dst.join("wp-includes/version.php").is_file());
}

#[test]
fn component_imports_no_network_and_exports_both_interfaces() {
    let engine = wasmtime::Engine::default();
    let c = wasmtime::component::Component::new(&engine, wp_init::COMPONENT_WASM).unwrap();
    let ty = c.component_type();
    let imports: Vec<_> = ty.imports(&engine).map(|(n, _)| n.to_owned()).collect();
    assert!(
        imports
            .iter()
            .all(|n| !n.starts_with("wasi:sockets") && !n.starts_with("wasi:http")),
        "{imports:?}"
    );
    assert!(
        imports
            .iter()
            .any(|n| n.starts_with("wasi:filesystem/preopens")),
        "{imports:?}"
    );
    let exports: Vec<_> = ty.exports(&engine).map(|(n, _)| n.to_owned()).collect();
    assert!(
        exports
            .iter()
            .any(|n| n == "wp-init:installer/installer@1.0.0"),
        "{exports:?}"
    );
    assert!(
        exports
            .iter()
            .any(|n| n == "wp-init:installer/hosted@1.0.0"),
        "{exports:?}"
    );
    assert!(
        exports.iter().any(|n| n.starts_with("wasi:cli/run@0.2")),
        "{exports:?}"
    );
}

#[test]
fn sentinel_behind_an_escaping_symlink_is_refused() {
    // wp-init cannot see what is there, so it cannot tell whether WordPress is installed
    // (issue 23, hole 10): an error naming the path, nothing written, nothing outside read.
    let f = Fixture::new();
    let o = outside(&f);
    let before = snapshot(&o);
    symlink("../outside", f.dst.join("wp-includes")).unwrap();
    let err = f.installer().install().unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains(&format!("{}/wp-includes/version.php", f.dst_str()))
            && msg.contains("symlink leading out of"),
        "{msg}"
    );
    assert_eq!(fs::read_dir(&f.dst).unwrap().count(), 1, "only the symlink");
    assert_eq!(snapshot(&o), before);
}

/// The component's own command line: `wp-init install --source S --target T EXTRA...`.
fn install_args(source: &str, target: &str, extra: &[&str]) -> Vec<String> {
    let mut args = vec!["wp-init", "install", "--source", source, "--target", target];
    args.extend_from_slice(extra);
    args.into_iter().map(String::from).collect()
}

fn contains_bytes(root: &std::path::Path, needle: &[u8]) -> bool {
    snapshot(root).values().any(|e| match e {
        Entry::File { content, .. } => content.windows(needle.len()).any(|w| w == needle),
        _ => false,
    })
}
