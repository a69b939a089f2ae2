//! A fresh install split over several component instances (`--instances`): the same
//! tree, modes, times and report as with one, and one instance wherever splitting is
//! not safe.

mod common;

use std::fs;

use common::tree::listing;
use common::*;
use wp_init::{Outcome, Status};

/// Installs `f` with `n` instances and a config.
fn install(f: &Fixture, n: usize) -> Outcome {
    f.installer()
        .instances(n)
        .env("WORDPRESS_DB_HOST", "db")
        .install()
        .unwrap()
}

#[test]
fn two_and_three_instances_install_what_one_does() {
    let one = Fixture::new();
    let a = install(&one, 1);
    assert_eq!(a.host.instances, 1);
    for n in [2, 3] {
        let f = Fixture::new();
        let b = install(&f, n);
        assert_eq!(b.host.instances, n as u64, "the install was split");
        assert_eq!(b.report.status, Status::Copied);
        // Everything but the salts: kinds, modes, sizes, contents and times.
        assert_eq!(listing(&one.dst), listing(&f.dst));
        let (mut x, mut y) = (snapshot(&one.dst), snapshot(&f.dst));
        assert!(x.remove("wp-config.php").is_some() && y.remove("wp-config.php").is_some());
        assert_eq!(x, y);
        let (mut ra, mut rb) = (a.report.clone(), b.report.clone());
        ra.config.template = ra.config.template.replace(&one.dst_str(), "TARGET");
        rb.config.template = rb.config.template.replace(&f.dst_str(), "TARGET");
        assert_eq!(ra, rb, "the same report");
        assert_eq!(a.host.modes_set, b.host.modes_set);
        // Nothing of the parts is left: no staging directory, journal or log.
        let own: Vec<_> = fs::read_dir(&f.dst)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .filter(|n| n.starts_with(".wp-init-") && n != CORE_RECORD)
            .collect();
        assert!(own.is_empty(), "left behind: {own:?}");
    }
}

#[test]
fn one_instance_where_the_target_is_not_a_fresh_install() {
    // (what TARGET's root holds, whether it counts as installed)
    let cases: &[(&str, bool)] = &[
        ("index.php", true),
        ("wp-includes/", false),
        ("wp-admin/", false),
        (".wp-init-tmp.0000000000000001.wp-includes/", false),
    ];
    for (entry, installed) in cases {
        let f = Fixture::new();
        match entry.strip_suffix('/') {
            Some(dir) => fs::create_dir(f.dst.join(dir)).unwrap(),
            None => fs::write(f.dst.join(entry), "<?php\n").unwrap(),
        }
        let out = install(&f, 2);
        assert_eq!(out.host.instances, 1, "{entry}");
        let want = if *installed {
            Status::AlreadyInstalled
        } else {
            Status::Copied
        };
        assert_eq!(out.report.status, want, "{entry}");
    }
}

#[test]
fn a_mount_point_inside_a_core_tree_is_refused_before_anything_is_written() {
    // Core trees are replaced by an upgrade: no volume belongs there (issue 23, hole 9).
    let f = Fixture::new();
    let err = f
        .installer()
        .instances(2)
        .mount_point("wp-includes/fonts")
        .install()
        .unwrap_err();
    assert!(err.to_string().contains("wp-includes/fonts"), "{err}");
    assert_eq!(fs::read_dir(&f.dst).unwrap().count(), 0);
}
