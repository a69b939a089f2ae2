//! `verify` with its hashing shared by several component instances: the report, its
//! order and the messages are those of one instance, whatever the number.

mod common;

use std::fs;
use std::os::unix::fs::symlink;

use common::*;

/// An installed TARGET with many files, some of them changed, removed or added.
fn tampered() -> Fixture {
    let f = Fixture::new();
    for i in 0..60 {
        let size = (i * 7919) % 40_000 + 1;
        write(
            &f.src,
            &format!("wp-includes/many/f{i:03}.php"),
            &vec![b'a' + (i % 26) as u8; size],
        );
    }
    f.installer().install().unwrap();
    for i in [3, 17, 18, 41, 59] {
        write(
            &f.dst,
            &format!("wp-includes/many/f{i:03}.php"),
            b"<?php // injected\n",
        );
    }
    fs::remove_file(f.dst.join("wp-includes/many/f020.php")).unwrap();
    fs::remove_file(f.dst.join("wp-admin/index.php")).unwrap();
    write(&f.dst, "wp-includes/many/zz-extra.php", b"<?php // mine\n");
    write(&f.dst, "wp-admin/extra.php", b"<?php // mine\n");
    fs::remove_file(f.dst.join("wp-includes/functions.php")).unwrap();
    symlink("many/f000.php", f.dst.join("wp-includes/functions.php")).unwrap();
    f
}

#[test]
fn one_instance_or_many_give_the_same_report() {
    let f = tampered();
    let one = f.installer().instances(1).verify().unwrap();
    assert_eq!(one.instances, 1);
    assert!(!one.report.clean);
    assert_eq!(one.report.modified.len(), 6, "{:?}", one.report);
    assert_eq!(one.report.missing.len(), 2, "{:?}", one.report);
    assert_eq!(one.report.extra.len(), 2, "{:?}", one.report);
    for n in [2, 3, 7] {
        let many = f.installer().instances(n).verify().unwrap();
        assert_eq!(many.instances, n as u64);
        assert_eq!(many.report, one.report, "{n} instances");
        assert_eq!(many.messages, one.messages, "{n} instances");
    }
}

#[test]
fn the_cli_says_the_same_with_any_number_of_instances() {
    let f = tampered();
    let run = |n: &str| {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_wp-init"));
        cmd.env_clear().args([
            "verify",
            "--source",
            &f.src_str(),
            "--target",
            &f.dst_str(),
            "--json",
            "--instances",
            n,
        ]);
        let out = cmd.output().unwrap();
        assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
        let mut v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(v["instances"], n.parse::<u64>().unwrap());
        v.as_object_mut().unwrap().remove("instances");
        (v, stderr(&out))
    };
    let one = run("1");
    assert!(one.1.contains("core differs from"), "{}", one.1);
    assert_eq!(run("2"), one);
    assert_eq!(run("4"), one);
}
