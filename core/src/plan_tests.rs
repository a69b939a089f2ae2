//! The planner on synthetic listings: one row per decision, as data.

use super::*;

use Kind::{Dir, File, Mounted, Special, Symlink};
use Step::*;

fn list(entries: &[(&str, Kind)]) -> Vec<Entry> {
    let mut v: Vec<Entry> = entries
        .iter()
        .map(|&(name, kind)| Entry {
            name: name.to_owned(),
            kind,
        })
        .collect();
    v.sort_by(|a, b| a.name.cmp(&b.name));
    v
}

/// (what, scope, directory, SOURCE, TARGET, adopted paths, expected steps by name).
type Row = (
    &'static str,
    Scope,
    &'static str,
    &'static [(&'static str, Kind)],
    &'static [(&'static str, Kind)],
    &'static [&'static str],
    &'static [(&'static str, Step)],
);

const LINK_DIR: Kind = Symlink(Resolved::Dir);
const LINK_FILE: Kind = Symlink(Resolved::NonDir);
const DANGLING: Kind = Symlink(Resolved::Dangling);

const NEW: Step = MakeDir {
    replace: false,
    staged: false,
    scope: Scope::Install,
};
const NEW_STAGED: Step = MakeDir {
    replace: false,
    staged: true,
    scope: Scope::Install,
};
const ADD: Step = CopyFile { replaces: false };
const REPLACE: Step = CopyFile { replaces: true };
const ENTER_INSTALL: Step = Enter {
    scope: Scope::Install,
    adopted: false,
};

const ROWS: &[Row] = &[
    (
        "install into an empty TARGET copies everything, sentinels last",
        Scope::Install,
        "",
        &[
            ("index.php", File),
            ("wp-admin", Dir),
            ("readme.html", File),
        ],
        &[],
        &[],
        &[
            ("index.php", Defer),
            ("readme.html", ADD),
            ("wp-admin", NEW),
        ],
    ),
    (
        "install replaces files, enters directories, keeps TARGET's extras",
        Scope::Install,
        "wp-admin",
        &[("a.php", File), ("css", Dir)],
        &[("a.php", File), ("css", Dir), ("mine.txt", File)],
        &[],
        &[("a.php", REPLACE), ("css", ENTER_INSTALL)],
    ),
    (
        "exclusion rule: existing plugin directory and .htaccess are kept, with a warning",
        Scope::Install,
        "wp-content/plugins",
        &[("akismet", Dir), ("hello.php", File)],
        &[("akismet", LINK_DIR)],
        &[],
        &[("akismet", Keep { warn: true }), ("hello.php", ADD)],
    ),
    (
        "a dangling TARGET link does not exclude: the plugin is built and replaces it",
        Scope::Install,
        "wp-content/plugins",
        &[("akismet", Dir)],
        &[("akismet", DANGLING)],
        &[],
        &[(
            "akismet",
            MakeDir {
                replace: true,
                staged: true,
                scope: Scope::Install,
            },
        )],
    ),
    (
        "an interrupted run's plugin directory is finished, not taken for the user's",
        Scope::Install,
        "wp-content/plugins",
        &[("akismet", Dir)],
        &[("akismet", Dir)],
        &["wp-content/plugins/akismet"],
        &[(
            "akismet",
            Enter {
                scope: Scope::Install,
                adopted: true,
            },
        )],
    ),
    (
        "a symlink to a directory in SOURCE is a plugin candidate; a dangling one is unsafe",
        Scope::Install,
        "wp-content/themes",
        &[("default", LINK_DIR), ("gone", DANGLING), ("new", LINK_DIR)],
        &[("default", Dir)],
        &[],
        &[
            ("default", Keep { warn: true }),
            ("gone", UnsafeLink),
            ("new", CopyLink { replaces: false }),
        ],
    ),
    (
        "own names, special files, absolute and escaping links are refused",
        Scope::Install,
        "",
        &[
            (".wp-init-x", File),
            ("abs", Symlink(Resolved::Absolute)),
            ("fifo", Special),
            ("out", Symlink(Resolved::Outside)),
        ],
        &[],
        &[],
        &[
            (".wp-init-x", SkipOwnName),
            ("abs", UnsafeLink),
            ("fifo", SkipSpecial),
            ("out", UnsafeLink),
        ],
    ),
    (
        "install: a directory in TARGET where SOURCE has a file fails as the rename would",
        Scope::Install,
        "wp-admin",
        &[("a.php", File), ("l", LINK_FILE)],
        &[("a.php", Dir), ("l", Dir)],
        &[],
        &[("a.php", DirInTheWay), ("l", DirInTheWay)],
    ),
    (
        "install: a new plugin directory is staged",
        Scope::Install,
        "wp-content/plugins",
        &[("akismet", Dir)],
        &[],
        &[],
        &[("akismet", NEW_STAGED)],
    ),
    (
        "upgrade root: core replaced, config files and the user's .htaccess left silently, wp-content merged",
        Scope::UpgradeRoot,
        "",
        &[
            (".htaccess", File),
            ("index.php", File),
            ("license.txt", File),
            ("wp-admin", Dir),
            ("wp-config-docker.php", File),
            ("wp-content", Dir),
            ("wp-includes", Dir),
        ],
        &[
            (".htaccess", File),
            ("index.php", File),
            ("license.txt", File),
            ("old-root.php", File),
            ("wp-admin", Dir),
            ("wp-config.php", File),
            ("wp-content", Dir),
            ("wp-includes", Dir),
        ],
        &[],
        &[
            (".htaccess", Keep { warn: false }),
            ("index.php", Defer),
            ("license.txt", REPLACE),
            (
                "wp-admin",
                Enter {
                    scope: Scope::Mirror,
                    adopted: false,
                },
            ),
            ("wp-config-docker.php", Keep { warn: false }),
            (
                "wp-content",
                Enter {
                    scope: Scope::AddMissing,
                    adopted: false,
                },
            ),
            (
                "wp-includes",
                Enter {
                    scope: Scope::Mirror,
                    adopted: false,
                },
            ),
        ],
    ),
    (
        "upgrade core tree: stale entries removed first, a stale directory where a file goes",
        Scope::Mirror,
        "wp-includes",
        &[
            ("a.php", File),
            ("b.php", File),
            ("js", Dir),
            ("version.php", File),
        ],
        &[
            ("a.php", File),
            ("b.php", Dir),
            ("gone", Dir),
            ("old.php", File),
            ("version.php", File),
        ],
        &[],
        &[
            ("b.php", Remove),
            ("gone", Remove),
            ("old.php", Remove),
            ("a.php", REPLACE),
            ("b.php", ADD),
            ("js", NEW),
            ("version.php", Defer),
        ],
    ),
    (
        "upgrade wp-content: new entries added, existing ones (plugins, files) left alone",
        Scope::AddMissing,
        "wp-content/themes",
        &[
            ("index.php", File),
            ("twentyten", Dir),
            ("twentytwentyfive", Dir),
        ],
        &[("index.php", File), ("twentyten", Dir), ("custom", Dir)],
        &[],
        &[
            ("index.php", Keep { warn: false }),
            ("twentyten", Keep { warn: false }),
            ("twentytwentyfive", NEW_STAGED),
        ],
    ),
    (
        "upgrade wp-content: wp-content/* directories are merged into",
        Scope::AddMissing,
        "wp-content",
        &[("plugins", Dir), ("index.php", File), ("languages", Dir)],
        &[("plugins", Dir), ("index.php", File)],
        &[],
        &[
            ("index.php", Keep { warn: false }),
            ("languages", NEW),
            (
                "plugins",
                Enter {
                    scope: Scope::AddMissing,
                    adopted: false,
                },
            ),
        ],
    ),
    (
        "upgrade: an interrupted upgrade's new theme is finished as ours",
        Scope::AddMissing,
        "wp-content/themes",
        &[("twentytwentyfive", Dir)],
        &[("twentytwentyfive", Dir)],
        &["wp-content/themes/twentytwentyfive"],
        &[(
            "twentytwentyfive",
            Enter {
                scope: Scope::Install,
                adopted: true,
            },
        )],
    ),
    (
        "upgrade: a directory outside the core trees keeps TARGET's extras",
        Scope::UpgradeRoot,
        "",
        &[("extra-dir", Dir)],
        &[("extra-dir", Dir)],
        &[],
        &[(
            "extra-dir",
            Enter {
                scope: Scope::Replace,
                adopted: false,
            },
        )],
    ),
    (
        "upgrade core tree: a user's files there are kept, a mount point left alone",
        Scope::Mirror,
        "wp-admin",
        &[("index.php", File)],
        &[
            ("index.php", File),
            ("user-.htpasswd", File),
            ("user-private", Dir),
            ("fonts", Mounted),
            ("old.php", File),
        ],
        &[],
        &[
            ("old.php", Remove),
            ("index.php", REPLACE),
            ("fonts", LeaveMount),
            ("user-.htpasswd", KeepExtra),
            ("user-private", KeepExtra),
        ],
    ),
    (
        "upgrade core tree: a user's directory where SOURCE now has a file is not removed",
        Scope::Mirror,
        "wp-admin",
        &[("user-x", File)],
        &[("user-x", Dir)],
        &[],
        &[("user-x", DirInTheWay)],
    ),
    (
        "upgrade root: a symlinked wp-content (a volume elsewhere) is left alone",
        Scope::UpgradeRoot,
        "",
        &[("wp-content", Dir), ("wp-admin", Dir)],
        &[("wp-content", LINK_DIR), ("wp-admin", LINK_DIR)],
        &[],
        &[
            (
                "wp-admin",
                MakeDir {
                    replace: true,
                    staged: false,
                    scope: Scope::Install,
                },
            ),
            ("wp-content", KeepSymlink),
        ],
    ),
    (
        "install and upgrade never replace a mount point",
        Scope::Install,
        "wp-content",
        &[("uploads", Dir), ("index.php", File)],
        &[("uploads", Mounted), ("index.php", Mounted)],
        &[],
        &[("index.php", LeaveMount), ("uploads", LeaveMount)],
    ),
];

/// In these rows, every path was core but those whose name starts with `user-`.
fn was_core(path: &str) -> bool {
    !path.rsplit('/').next().unwrap_or(path).starts_with("user-")
}

#[test]
fn every_row_plans_as_expected() {
    let mut failures = Vec::new();
    for &(what, scope, rel, src, tgt, adopted, want) in ROWS {
        let adopted = |p: &str| adopted.contains(&p);
        let known = Known {
            adopted: &adopted,
            was_core: &was_core,
        };
        let got: Vec<(String, Step)> = plan_dir(scope, rel, &list(src), &list(tgt), &known)
            .into_iter()
            .map(|p| (p.name, p.step))
            .collect();
        let want: Vec<(String, Step)> = want.iter().map(|&(n, s)| (n.to_owned(), s)).collect();
        if got != want {
            failures.push(format!("{what}:\n  got  {got:?}\n  want {want:?}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn upgrade_never_downgrades_unless_allowed() {
    use std::cmp::Ordering::*;
    // (SOURCE vs TARGET, downgrade allowed, an interrupted upgrade: does SOURCE hold
    // the version it was bringing?, decision)
    let rows = [
        (None, false, None, Upgrade::Install),
        (Some(Equal), false, None, Upgrade::UpToDate),
        (Some(Greater), false, None, Upgrade::Upgrade),
        (Some(Less), false, None, Upgrade::Refuse),
        (Some(Less), true, None, Upgrade::Downgrade),
        (Some(Equal), true, None, Upgrade::UpToDate),
        // Half upgraded: `version.php` still says the old version.
        (Some(Greater), false, Some(true), Upgrade::Upgrade),
        (Some(Equal), false, Some(false), Upgrade::RefuseUnfinished),
        (Some(Less), false, Some(false), Upgrade::RefuseUnfinished),
        (Some(Equal), true, Some(false), Upgrade::Downgrade),
        (None, false, Some(false), Upgrade::Install),
    ];
    for (order, allow, unfinished, want) in rows {
        assert_eq!(
            upgrade_decision(order, allow, unfinished),
            want,
            "{order:?} {allow} {unfinished:?}"
        );
    }
}

/// (what, directory, SOURCE, TARGET, expected checks by name).
type VerifyRow = (
    &'static str,
    &'static str,
    &'static [(&'static str, Kind)],
    &'static [(&'static str, Kind)],
    &'static [(&'static str, Check)],
);

const VERIFY_ROWS: &[VerifyRow] = &[
    (
        "root: root files compared, core trees entered, the rest is not core",
        "",
        &[
            (".htaccess", File),
            ("index.php", File),
            ("wp-admin", Dir),
            ("wp-config-docker.php", File),
            ("wp-content", Dir),
            ("wp-includes", Dir),
            ("xmlrpc.php", File),
        ],
        &[
            (".htaccess", File),
            ("index.php", File),
            ("mine.php", File),
            ("wp-admin", Dir),
            ("wp-config.php", File),
            ("wp-content", Dir),
        ],
        &[
            ("index.php", Check::Compare),
            ("wp-admin", Check::Enter),
            ("wp-includes", Check::Missing),
            ("xmlrpc.php", Check::Missing),
        ],
    ),
    (
        "core tree: extras reported, own-looking names included; kind changes compared",
        "wp-includes",
        &[("a.php", File), ("css", Dir), ("l", LINK_FILE)],
        &[
            (".wp-init-evil.php", File),
            ("a.php", Dir),
            ("css", Dir),
            ("evil.php", File),
        ],
        &[
            ("a.php", Check::Compare),
            ("css", Check::Enter),
            ("l", Check::Missing),
            (".wp-init-evil.php", Check::Extra),
            ("evil.php", Check::Extra),
        ],
    ),
];

#[test]
fn every_verify_row_plans_as_expected() {
    for &(what, rel, src, tgt, want) in VERIFY_ROWS {
        let got = plan_verify(rel, &list(src), &list(tgt));
        let want: Vec<(String, Check)> = want.iter().map(|&(n, c)| (n.to_owned(), c)).collect();
        assert_eq!(got, want, "{what}");
    }
}
