//! The install semantics, through the library: the real component on synthetic trees.

mod common;

use std::collections::HashSet;
use std::fs;
use std::os::unix::fs::symlink;

use common::*;
use wp_init::{ConfigAction, EntryKind, Status};

#[test]
fn fresh_install_mirrors_source_and_writes_config() {
    let f = Fixture::new();
    let out = f
        .installer()
        .env("WORDPRESS_DB_HOST", "db")
        .install()
        .unwrap();
    let r = &out.report;
    assert_eq!(r.status, Status::Copied);

    let mut src = snapshot(&f.src);
    let mut dst = snapshot(&f.dst);
    let config = dst.remove("wp-config.php").expect("wp-config.php written");
    // TARGET's root directory is the user's: its mtime is not SOURCE's.
    assert_eq!(src.len(), dst.len());
    for (rel, entry) in src.iter_mut() {
        assert_eq!(Some(&*entry), dst.get(rel), "entry {rel} differs");
    }
    assert_eq!(r.files_copied, 17);
    assert_eq!(r.symlinks_copied, 2);
    assert_eq!(
        r.bytes_copied,
        src.values()
            .map(|e| match e {
                Entry::File { content, .. } => content.len() as u64,
                _ => 0,
            })
            .sum::<u64>()
    );

    // `created` lists every entry once, parents before children, plus wp-config.php.
    let created: Vec<_> = r.created.iter().map(|c| c.path.as_str()).collect();
    assert_eq!(created.len(), dst.len() + 1);
    let mut seen = HashSet::new();
    for c in &r.created {
        if let Some((parent, _)) = c.path.rsplit_once('/') {
            assert!(seen.contains(parent), "{} listed before its parent", c.path);
        }
        assert!(seen.insert(c.path.clone()), "{} listed twice", c.path);
        let kind = match dst.get(&c.path) {
            Some(Entry::File { .. }) => EntryKind::File,
            Some(Entry::Dir { .. }) => EntryKind::Directory,
            Some(Entry::Link(_)) => EntryKind::Symlink,
            None => EntryKind::File,
        };
        assert_eq!(c.kind, kind, "{}", c.path);
        if c.path != "wp-config.php" {
            assert_eq!(c.source_path, c.path);
        }
    }
    // Sorted by path, however many instances copied (the sentinels are written last:
    // the crash suites prove that, not the report's order).
    assert!(created.is_sorted(), "{created:?}");
    for s in ["wp-includes/version.php", "index.php", "wp-config.php"] {
        assert!(created.contains(&s), "{s}");
    }

    let Entry::File { content, .. } = config else {
        panic!("wp-config.php is not a file")
    };
    let config = String::from_utf8(content).unwrap();
    assert!(config.starts_with("<?php\n// fixture template\n"));
    assert_eq!(r.config.action, ConfigAction::Written);
    assert_eq!(r.config.variables, ["WORDPRESS_DB_HOST"]);

    let msgs = out.messages.unwrap();
    let d = f.dst_str();
    assert!(
        msgs.contains(&format!("WordPress not found in {d} - copying now...")),
        "{msgs}"
    );
    assert!(
        msgs.contains(&format!(
            "Complete! WordPress has been successfully copied to {d}"
        )),
        "{msgs}"
    );
    assert!(msgs.contains(&format!(
        "No 'wp-config.php' found in {d}, but 'WORDPRESS_...' variables supplied; copying '{d}/wp-config-docker.php' (WORDPRESS_DB_HOST)"
    )), "{msgs}");
    assert!(!msgs.contains("is not empty"), "{msgs}");
    assert!(!msgs.contains(".wp-init-tmp"), "{msgs}");
}

#[test]
fn salts_are_fresh_per_line_and_never_the_placeholder() {
    let f = Fixture::new();
    f.installer()
        .env("WORDPRESS_DB_HOST", "db")
        .install()
        .unwrap();
    let config = fs::read_to_string(f.dst.join("wp-config.php")).unwrap();
    let salts = salts(&config);
    assert_eq!(salts.len(), 8);
    assert_eq!(salts.iter().collect::<HashSet<_>>().len(), 8, "{salts:?}");
    for s in &salts {
        assert_eq!(s.len(), 64, "{s}");
        assert!(!s.contains('\'') && !s.contains('\\'), "{s}");
    }
    assert!(!config.contains("put your unique phrase here"));

    // Another install gets other salts.
    let g = Fixture::new();
    g.installer()
        .env("WORDPRESS_DB_HOST", "db")
        .install()
        .unwrap();
    let other = fs::read_to_string(g.dst.join("wp-config.php")).unwrap();
    assert!(common::salts(&other).iter().all(|s| !salts.contains(s)));
}

#[test]
fn second_run_copies_nothing() {
    let f = Fixture::new();
    f.installer().install().unwrap();
    let before = snapshot(&f.dst);
    let out = f.installer().install().unwrap();
    assert_eq!(out.report.status, Status::AlreadyInstalled);
    assert_eq!(out.report.files_copied, 0);
    assert!(out.report.created.is_empty());
    assert_eq!(out.messages.unwrap(), "");
    assert_eq!(snapshot(&f.dst), before);
}

#[test]
fn either_sentinel_means_installed() {
    for sentinel in ["index.php", "wp-includes/version.php"] {
        let f = Fixture::new();
        write(&f.dst, sentinel, b"<?php // mine\n");
        let out = f.installer().install().unwrap();
        assert_eq!(out.report.status, Status::AlreadyInstalled, "{sentinel}");
        assert!(!f.dst.join("wp-admin").exists(), "{sentinel}");
    }
}

#[test]
fn dangling_sentinel_symlink_does_not_count() {
    let f = Fixture::new();
    symlink("nowhere.php", f.dst.join("index.php")).unwrap();
    let out = f.installer().install().unwrap();
    assert_eq!(out.report.status, Status::Copied);
    assert_eq!(kind(&f.dst.join("index.php")), "file");
}

#[test]
fn non_empty_target_warns_but_wp_content_alone_does_not() {
    let f = Fixture::new();
    fs::create_dir(f.dst.join("wp-content")).unwrap();
    let out = f.installer().install().unwrap();
    assert!(!out.messages.unwrap().contains("is not empty"));

    let g = Fixture::new();
    write(&g.dst, "lost+found/x", b"");
    let out = g.installer().install().unwrap();
    let warning = format!("WARNING: {} is not empty! (copying anyhow)", g.dst_str());
    assert!(out.messages.unwrap().contains(&warning));
    assert!(out.report.warnings.contains(&warning));
    assert_eq!(out.report.status, Status::Copied);
}

#[test]
fn existing_plugin_dirs_and_htaccess_are_not_copied() {
    let f = Fixture::new();
    fs::create_dir_all(f.dst.join("wp-content/plugins/akismet")).unwrap();
    write(&f.dst, ".htaccess", b"# mine\n");
    let out = f.installer().install().unwrap();
    let d = f.dst_str();
    let msgs = out.messages.unwrap();
    for rel in [".htaccess", "wp-content/plugins/akismet"] {
        let w = format!("WARNING: '{d}/{rel}' exists! (not copying the WordPress version)");
        assert!(msgs.contains(&w), "{msgs}");
    }
    assert_eq!(
        out.report.excluded,
        [".htaccess", "wp-content/plugins/akismet"]
    );
    assert_eq!(fs::read(f.dst.join(".htaccess")).unwrap(), b"# mine\n");
    assert_eq!(
        fs::read_dir(f.dst.join("wp-content/plugins/akismet"))
            .unwrap()
            .count(),
        0
    );
    // Files next to excluded directories are still copied (as upstream).
    assert!(f.dst.join("wp-content/plugins/hello.php").is_file());
    assert!(
        f.dst
            .join("wp-content/themes/twentytwentyfive/style.css")
            .is_file()
    );
    assert!(
        out.report
            .created
            .iter()
            .all(|c| !c.path.starts_with("wp-content/plugins/akismet"))
    );
}

#[test]
fn exclusion_matches_exact_names_only() {
    let f = Fixture::new();
    // A glob-looking directory in TARGET must not shield anything.
    fs::create_dir_all(f.dst.join("wp-content/plugins/*")).unwrap();
    let out = f.installer().install().unwrap();
    assert!(out.report.excluded.is_empty());
    assert!(
        f.dst
            .join("wp-content/plugins/akismet/akismet.php")
            .is_file()
    );
}

#[test]
fn existing_config_is_untouched_and_empty_one_regenerated() {
    let f = Fixture::new();
    write(&f.dst, "wp-config.php", b"<?php // mine\n");
    let out = f
        .installer()
        .env("WORDPRESS_DB_HOST", "db")
        .install()
        .unwrap();
    assert_eq!(out.report.config.action, ConfigAction::KeptExisting);
    assert_eq!(
        fs::read(f.dst.join("wp-config.php")).unwrap(),
        b"<?php // mine\n"
    );

    let g = Fixture::new();
    fs::write(g.dst.join("wp-config.php"), b"").unwrap();
    let out = g.installer().env("WORDPRESS_DEBUG", "").install().unwrap();
    assert_eq!(out.report.config.action, ConfigAction::Written);
    assert_eq!(
        salts(&fs::read_to_string(g.dst.join("wp-config.php")).unwrap()).len(),
        8
    );
}

#[test]
fn dangling_config_symlink_is_replaced_not_written_through() {
    let f = Fixture::new();
    symlink("missing/elsewhere.php", f.dst.join("wp-config.php")).unwrap();
    let out = f
        .installer()
        .env("WORDPRESS_DB_HOST", "db")
        .install()
        .unwrap();
    assert_eq!(out.report.config.action, ConfigAction::Written);
    assert_eq!(kind(&f.dst.join("wp-config.php")), "file");
}

#[test]
fn no_wordpress_variables_no_config() {
    let f = Fixture::new();
    let out = f.installer().env("DB_HOST", "db").install().unwrap();
    assert_eq!(out.report.config.action, ConfigAction::NotRequested);
    assert!(!f.dst.join("wp-config.php").exists());
}

#[test]
fn builtin_template_when_source_has_none() {
    let f = Fixture::new();
    fs::remove_file(f.src.join("wp-config-docker.php")).unwrap();
    let out = f
        .installer()
        .env("WORDPRESS_DB_NAME", "x")
        .env("WORDPRESS_DB_HOST", "db")
        .install()
        .unwrap();
    assert_eq!(out.report.config.template, "built-in");
    assert_eq!(
        out.report.config.variables,
        ["WORDPRESS_DB_HOST", "WORDPRESS_DB_NAME"]
    );
    let config = fs::read_to_string(f.dst.join("wp-config.php")).unwrap();
    assert!(config.contains("wp-init"), "built-in template expected");
    assert!(config.contains("getenv_docker('WORDPRESS_CONFIG_EXTRA'"));
    assert_eq!(salts(&config).iter().collect::<HashSet<_>>().len(), 8);
    assert!(
        out.messages
            .unwrap()
            .contains("copying 'built-in' (WORDPRESS_DB_HOST WORDPRESS_DB_NAME)")
    );
}

#[test]
fn target_template_wins_over_source() {
    let f = Fixture::new();
    write(&f.dst, "index.php", b"<?php // installed\n");
    write(
        &f.dst,
        "wp-config-docker.php",
        b"<?php // target template\ndefine('K', 'put your unique phrase here');\n",
    );
    let out = f.installer().env("WORDPRESS_X", "").install().unwrap();
    assert_eq!(out.report.status, Status::AlreadyInstalled);
    assert_eq!(
        out.report.config.template,
        format!("{}/wp-config-docker.php", f.dst_str())
    );
    let config = fs::read_to_string(f.dst.join("wp-config.php")).unwrap();
    assert!(config.starts_with("<?php // target template\n"));
}

#[test]
fn dry_run_writes_nothing_and_reports_the_plan() {
    let f = Fixture::new();
    write(&f.dst, "stray.txt", b"x");
    let before = snapshot(&f.dst);
    let out = f
        .installer()
        .env("WORDPRESS_DB_HOST", "db")
        .dry_run(true)
        .install()
        .unwrap();
    assert_eq!(snapshot(&f.dst), before);
    let r = &out.report;
    assert_eq!(r.status, Status::WouldCopy);
    assert_eq!(r.config.action, ConfigAction::WouldWrite);
    assert_eq!(r.files_copied, 17);
    assert!(r.created.iter().any(|c| c.path == "wp-admin/css/big.css"));
    assert!(r.warnings.iter().any(|w| w.contains("is not empty")));

    // The real install then does what was planned.
    let real = f
        .installer()
        .env("WORDPRESS_DB_HOST", "db")
        .install()
        .unwrap();
    assert_eq!(real.report.created, r.created);
    assert_eq!(real.report.files_copied, r.files_copied);
    assert_eq!(real.report.bytes_copied, r.bytes_copied);
}

#[test]
fn interrupted_copy_is_completed_and_temporaries_removed() {
    let f = Fixture::new();
    // What a killed run leaves: some files, temporaries, no sentinels.
    write(&f.dst, "wp-admin/index.php", b"<?php // admin\n");
    write(
        &f.dst,
        ".wp-init-tmp.00000000000000aa.wp-config.php",
        b"half",
    );
    write(
        &f.dst,
        "wp-admin/.wp-init-tmp.00000000000000bb.big.css",
        b"half",
    );
    // A directory with the prefix but no journal that made it: left alone, with a warning
    // (cotenant.rs: it may hold what its maker could not remove).
    write(
        &f.dst,
        "wp-content/plugins/.wp-init-tmp.00000000000000cc.akismet/akismet.php",
        b"half",
    );
    let out = f.installer().install().unwrap();
    assert_eq!(out.report.status, Status::Copied);
    let mut removed = out.report.temporaries_removed.clone();
    removed.sort();
    assert_eq!(
        removed,
        [
            ".wp-init-tmp.00000000000000aa.wp-config.php",
            "wp-admin/.wp-init-tmp.00000000000000bb.big.css",
        ]
    );
    let planted = "wp-content/plugins/.wp-init-tmp.00000000000000cc.akismet";
    assert!(f.dst.join(planted).is_dir());
    assert!(
        out.report
            .warnings
            .iter()
            .any(|w| w.contains(planted) && w.contains("left alone"))
    );
    fs::remove_dir_all(f.dst.join(planted)).unwrap();
    let src = snapshot(&f.src);
    let dst = snapshot(&f.dst);
    assert_eq!(
        src.keys().collect::<Vec<_>>(),
        dst.keys().collect::<Vec<_>>()
    );
}

#[test]
fn symlink_in_target_where_source_has_directory_is_replaced() {
    let f = Fixture::new();
    let elsewhere = f.dir.path().join("elsewhere");
    fs::create_dir(&elsewhere).unwrap();
    write(&elsewhere, "keep.txt", b"keep");
    symlink(&elsewhere, f.dst.join("wp-admin")).unwrap();
    let out = f.installer().install().unwrap();
    assert_eq!(kind(&f.dst.join("wp-admin")), "dir");
    assert!(f.dst.join("wp-admin/index.php").is_file());
    assert_eq!(
        fs::read_dir(&elsewhere).unwrap().count(),
        1,
        "the link's target is left alone"
    );
    assert!(
        out.report.warnings.iter().any(|w| w.contains("wp-admin")),
        "{:?}",
        out.report.warnings
    );
}

#[test]
fn preexisting_directories_keep_their_metadata() {
    use std::os::unix::fs::PermissionsExt;
    let f = Fixture::new();
    let wc = f.dst.join("wp-content");
    fs::create_dir(&wc).unwrap();
    fs::set_permissions(&wc, fs::Permissions::from_mode(0o1777)).unwrap();
    let before = stat(&wc);
    f.installer().install().unwrap();
    let after = stat(&wc);
    assert_eq!(before.0, after.0, "mode");
    assert_eq!((before.1, before.2), (after.1, after.2), "owner");
}
