//! The planner: what every command does with the entries of one directory, decided from
//! listings of both sides, with no I/O.
//!
//! The guest walks SOURCE and TARGET directory by directory: it lists both sides, asks
//! [`plan_dir`] for the steps, and executes them (or, in a dry run, only records them);
//! a step that enters a directory names the [`Scope`] its entries are planned with.
//! Planning one directory at a time keeps memory bounded by the largest directory, not
//! the tree.

use std::cmp::Ordering;

use crate::layout::{
    CONTENT_DIR, CORE_TREES, HTACCESS, is_content_package, is_excludable, is_own_name, is_sentinel,
    join,
};

/// Root files an upgrade and verify leave alone (besides `.htaccess` and `wp-content/`).
pub const NOT_CORE: [&str; 2] = ["wp-config.php", "wp-config-docker.php"];

/// How the entries of one directory are planned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// `install`: copy everything, replacing files and symlinks, with upstream's
    /// exclusion rule (`.htaccess`, `wp-content/*/*` directories TARGET already has).
    Install,
    /// `upgrade`, TARGET's root: replace core, add to `wp-content/`, keep the rest.
    UpgradeRoot,
    /// `upgrade`, below the root outside the core trees: replace, keep TARGET's extras.
    Replace,
    /// `upgrade`, in `wp-admin/` and `wp-includes/`: replace, remove TARGET's extras.
    Mirror,
    /// `upgrade`, `wp-content/` and `wp-content/*`: add what TARGET lacks, keep the rest.
    AddMissing,
}

/// How a symlink in SOURCE resolves, following the whole chain inside SOURCE.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resolved {
    /// To a directory inside SOURCE.
    Dir,
    /// To another entry inside SOURCE.
    NonDir,
    /// Out of SOURCE (the sandbox refused to follow it).
    Outside,
    /// To nothing (dangling, or a loop).
    Dangling,
    /// Absolute: it cannot be recreated safely.
    Absolute,
}

/// The kind of an entry on either side, not following symlinks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A regular file.
    File,
    /// A directory.
    Dir,
    /// A symlink; in SOURCE, how it resolves; in TARGET, `Dangling` or not.
    Symlink(Resolved),
    /// Anything else (fifo, socket, device).
    Special,
    /// TARGET only: a mount point (another file system mounted inside TARGET), whatever
    /// its kind. wp-init never enters, removes or replaces it.
    Mounted,
}

/// One entry of a directory listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Its name in the directory.
    pub name: String,
    /// What it is.
    pub kind: Kind,
}

impl Entry {
    /// Whether it exists following symlinks (the shell's `-e`; a link the sandbox cannot
    /// follow counts as present).
    fn exists(&self) -> bool {
        !matches!(self.kind, Kind::Symlink(Resolved::Dangling))
    }

    /// Whether it is a directory or a symlink resolving to one (SOURCE side).
    fn is_dir_like(&self) -> bool {
        matches!(self.kind, Kind::Dir | Kind::Symlink(Resolved::Dir))
    }
}

/// What to do with one name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// SOURCE's entry has the prefix of wp-init's own files: warn, do not copy.
    SkipOwnName,
    /// SOURCE's entry is a special file: warn, do not copy.
    SkipSpecial,
    /// SOURCE's symlink cannot be recreated safely: fail, naming it.
    UnsafeLink,
    /// Leave the name alone (TARGET's entry, if any, stays as it is); `warn`: the
    /// exclusion rule's warning.
    Keep {
        /// Print upstream's "exists! (not copying the WordPress version)".
        warn: bool,
    },
    /// A sentinel: copied after everything else, staged for the commit.
    Defer,
    /// TARGET has the directory: plan its entries with `scope`. `adopted`: an interrupted
    /// run created it, so it counts as created by this run (modes, owners).
    Enter {
        /// How to plan its entries.
        scope: Scope,
        /// Made by an interrupted run.
        adopted: bool,
    },
    /// Create the directory (after removing TARGET's non-directory at the name when
    /// `replace`), built under a temporary name when `staged`, and fill it with `scope`.
    MakeDir {
        /// TARGET has a non-directory at the name.
        replace: bool,
        /// A `wp-content/*/*` directory: renamed into place only when complete.
        staged: bool,
        /// How to plan its entries.
        scope: Scope,
    },
    /// Copy the file, replacing TARGET's (`replaces`).
    CopyFile {
        /// TARGET had an entry at the name.
        replaces: bool,
    },
    /// Recreate the symlink, replacing TARGET's (`replaces`).
    CopyLink {
        /// TARGET had an entry at the name.
        replaces: bool,
    },
    /// TARGET has a directory where SOURCE has a file or symlink, and the command may not
    /// remove it: fail ("is a directory"), as the rename over it would.
    DirInTheWay,
    /// `upgrade`: remove TARGET's entry (and what it holds that was core): SOURCE no
    /// longer has it, and it was core.
    Remove,
    /// `upgrade`: TARGET's entry in a core tree that SOURCE lacks and that is not known
    /// to be core (a user's `.htaccess` or `.htpasswd`): kept, and reported.
    KeepExtra,
    /// TARGET's entry is a mount point: left alone, and reported.
    LeaveMount,
    /// `upgrade`: TARGET has a symlink where SOURCE has a directory, outside the core
    /// trees (a `wp-content` on a volume elsewhere): left alone, and reported.
    KeepSymlink,
}

/// What the planner knows about TARGET's entries beyond their listing.
pub struct Known<'a> {
    /// Whether an interrupted run created a path (it is finished as this run's own).
    pub adopted: &'a dyn Fn(&str) -> bool,
    /// Whether a path of the core trees was core when wp-init last installed it (or is
    /// one of WordPress's own old files): only those are removed by an upgrade.
    pub was_core: &'a dyn Fn(&str) -> bool,
}

/// What `verify` does with one name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Check {
    /// Compare the two entries' contents (and kinds).
    Compare,
    /// Both have the directory: plan its entries (all core).
    Enter,
    /// SOURCE has it, TARGET does not (a directory: everything in it).
    Missing,
    /// TARGET has it in a core tree, SOURCE does not (a directory: everything in it).
    Extra,
}

/// A step for one name of the directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Planned {
    /// The name in the directory.
    pub name: String,
    /// What to do.
    pub step: Step,
}

/// Plans the directory at `rel` (relative to both roots; `""` is the root) from the
/// listings of SOURCE's and TARGET's entries (each sorted by name) and what else is
/// `known` of TARGET's.
///
/// Removals come first, then SOURCE's entries in name order, then TARGET's extras.
pub fn plan_dir(
    scope: Scope,
    rel: &str,
    src: &[Entry],
    tgt: &[Entry],
    known: &Known<'_>,
) -> Vec<Planned> {
    let mut steps = Vec::new();
    for s in src {
        let path = join(rel, &s.name);
        let t = find(tgt, &s.name);
        let mut push = |step| {
            steps.push(Planned {
                name: s.name.clone(),
                step,
            })
        };
        for step in copy_steps(scope, &path, s, t, known) {
            push(step);
        }
    }
    if scope == Scope::Mirror {
        // wp-init's own temporaries are cleaned before planning.
        for t in only_in_target(src, tgt).filter(|t| !is_own_name(&t.name)) {
            let step = if t.kind == Kind::Mounted {
                Step::LeaveMount
            } else if (known.was_core)(&join(rel, &t.name)) {
                Step::Remove
            } else {
                Step::KeepExtra
            };
            steps.push(Planned {
                name: t.name.clone(),
                step,
            });
        }
    }
    // Removals first: a stale directory may stand where a file now goes.
    steps.sort_by_key(|p| p.step != Step::Remove);
    steps
}

/// The entry named `name` in a sorted listing.
fn find<'a>(list: &'a [Entry], name: &str) -> Option<&'a Entry> {
    list.binary_search_by(|e| e.name.as_str().cmp(name))
        .ok()
        .map(|i| &list[i])
}

/// TARGET's entries that SOURCE lacks.
fn only_in_target<'a>(src: &'a [Entry], tgt: &'a [Entry]) -> impl Iterator<Item = &'a Entry> {
    tgt.iter().filter(|t| find(src, &t.name).is_none())
}

/// The scope of a SOURCE directory's entries, from its parent's scope and its path.
fn child_scope(scope: Scope, path: &str) -> Scope {
    match scope {
        Scope::UpgradeRoot if path == CONTENT_DIR => Scope::AddMissing,
        Scope::UpgradeRoot if CORE_TREES.contains(&path) => Scope::Mirror,
        Scope::UpgradeRoot => Scope::Replace,
        other => other,
    }
}

/// The steps of one SOURCE entry for `install` and `upgrade` (`Remove` then a copy when
/// a mirrored tree has something else at the name).
fn copy_steps(
    scope: Scope,
    path: &str,
    s: &Entry,
    t: Option<&Entry>,
    known: &Known<'_>,
) -> Vec<Step> {
    let adopted = known.adopted;
    if is_own_name(&s.name) {
        return vec![Step::SkipOwnName];
    }
    if t.is_some_and(|t| t.kind == Kind::Mounted) {
        return vec![Step::LeaveMount];
    }
    // An upgrade leaves a symlinked directory outside the core trees where it points
    // (`wp-content` on a volume elsewhere), as it does `wp-content/*` ones.
    let linked = t.is_some_and(|t| matches!(t.kind, Kind::Symlink(_)));
    if matches!(scope, Scope::UpgradeRoot | Scope::Replace)
        && s.is_dir_like()
        && linked
        && !CORE_TREES.contains(&path)
    {
        return vec![Step::KeepSymlink];
    }
    // The config files are never touched; the user's `.htaccess` is kept silently.
    let users_htaccess = path == HTACCESS && t.is_some_and(Entry::exists);
    if scope == Scope::UpgradeRoot && (NOT_CORE.contains(&path) || users_htaccess) {
        return vec![Step::Keep { warn: false }];
    }
    // `wp-content/` and `wp-content/*` are merged into; below them, TARGET's
    // entries are the user's, unless an interrupted run of ours made them.
    if let (Scope::AddMissing, Some(t)) = (scope, t) {
        return vec![match (s.is_dir_like(), t.kind) {
            (true, Kind::Dir) if is_content_package(path) && adopted(path) => Step::Enter {
                scope: Scope::Install,
                adopted: true,
            },
            (true, Kind::Dir) if !is_content_package(path) => Step::Enter {
                scope: Scope::AddMissing,
                adopted: adopted(path),
            },
            _ => Step::Keep { warn: false },
        }];
    }
    let scope = if scope == Scope::AddMissing {
        Scope::Install
    } else {
        scope
    };
    // Upstream's exclusion rule, as `-e` in TARGET: only for candidates that exist in
    // SOURCE (a dangling link is not one), and not for what an interrupted run made.
    if is_excludable(path, s.is_dir_like())
        && s.exists()
        && t.is_some_and(Entry::exists)
        && !adopted(path)
    {
        return vec![Step::Keep { warn: true }];
    }
    if is_sentinel(path) && matches!(s.kind, Kind::File | Kind::Symlink(_)) {
        return match s.kind {
            Kind::Symlink(r) if !safe(r) => vec![Step::UnsafeLink],
            _ => vec![Step::Defer],
        };
    }
    entry_steps(scope, path, s, t, known)
}

/// [`copy_steps`] once the special cases are out of the way: by the kinds on both sides.
fn entry_steps(
    scope: Scope,
    path: &str,
    s: &Entry,
    t: Option<&Entry>,
    known: &Known<'_>,
) -> Vec<Step> {
    let adopted = known.adopted;
    let mirror = scope == Scope::Mirror;
    let t_dir = t.is_some_and(|t| t.kind == Kind::Dir);
    match s.kind {
        Kind::Special => vec![Step::SkipSpecial],
        Kind::Symlink(r) if !safe(r) => vec![Step::UnsafeLink],
        Kind::Dir if t_dir => vec![Step::Enter {
            scope: child_scope(scope, path),
            adopted: adopted(path),
        }],
        Kind::Dir => vec![Step::MakeDir {
            replace: t.is_some(),
            staged: is_content_package(path),
            scope: match child_scope(scope, path) {
                // A new directory has nothing to merge into or remove.
                Scope::AddMissing | Scope::Mirror | Scope::Replace => Scope::Install,
                other => other,
            },
        }],
        Kind::File | Kind::Symlink(_) if t_dir && !mirror => vec![Step::DirInTheWay],
        kind => {
            let copy = if kind == Kind::File {
                Step::CopyFile {
                    replaces: !t_dir && t.is_some(),
                }
            } else {
                Step::CopyLink {
                    replaces: !t_dir && t.is_some(),
                }
            };
            match (t_dir, (known.was_core)(path)) {
                (true, true) => vec![Step::Remove, copy],
                // A directory of the user's where SOURCE now has a file: not removed.
                (true, false) => vec![Step::DirInTheWay],
                (false, _) => vec![copy],
            }
        }
    }
}

/// Whether a SOURCE symlink that resolves this way may be recreated.
fn safe(r: Resolved) -> bool {
    matches!(r, Resolved::Dir | Resolved::NonDir)
}

/// Plans `verify` in the directory at `rel` (`""`: the root) from both listings:
/// SOURCE's root files other than the config files and `.htaccess`, and everything in
/// the core trees, are compared; TARGET's extras are reported inside the core trees
/// (including names with wp-init's prefix: injected code could hide behind it).
pub fn plan_verify(rel: &str, src: &[Entry], tgt: &[Entry]) -> Vec<(String, Check)> {
    let root = rel.is_empty();
    let mut checks = Vec::new();
    for s in src {
        let name = s.name.as_str();
        if is_own_name(name) || s.kind == Kind::Special {
            continue;
        }
        let core_tree = CORE_TREES.contains(&name);
        if root
            && ((s.kind == Kind::Dir && !core_tree) || NOT_CORE.contains(&name) || name == HTACCESS)
        {
            continue;
        }
        let check = match (s.kind, find(tgt, name).map(|t| t.kind)) {
            (_, None) => Check::Missing,
            (Kind::Dir, Some(Kind::Dir)) => Check::Enter,
            _ => Check::Compare,
        };
        checks.push((s.name.clone(), check));
    }
    if !root {
        checks.extend(only_in_target(src, tgt).map(|t| (t.name.clone(), Check::Extra)));
    }
    checks
}

/// What `upgrade` does, from how SOURCE's version compares with TARGET's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Upgrade {
    /// TARGET is not installed: install.
    Install,
    /// Same version: nothing to do.
    UpToDate,
    /// SOURCE is newer: upgrade.
    Upgrade,
    /// SOURCE is older and a downgrade was allowed.
    Downgrade,
    /// SOURCE is older: refuse.
    Refuse,
    /// An interrupted upgrade left core half-replaced and SOURCE is not the version it
    /// was bringing: refuse (a tree of two versions is never "up to date").
    RefuseUnfinished,
}

/// Decides `upgrade` from SOURCE's version compared with TARGET's (`None`: TARGET is not
/// installed) and, when an interrupted upgrade left core half-replaced, whether SOURCE
/// holds the version it was bringing (`unfinished`): then the upgrade is redone, or
/// refused unless a downgrade is allowed (which replaces core with SOURCE's, whatever
/// the versions say).
pub fn upgrade_decision(
    source_vs_target: Option<Ordering>,
    allow_downgrade: bool,
    unfinished: Option<bool>,
) -> Upgrade {
    match (source_vs_target, unfinished) {
        (None, _) => Upgrade::Install,
        (Some(_), Some(true)) => Upgrade::Upgrade,
        (Some(_), Some(false)) if allow_downgrade => Upgrade::Downgrade,
        (Some(_), Some(false)) => Upgrade::RefuseUnfinished,
        (Some(order), None) => match order {
            Ordering::Equal => Upgrade::UpToDate,
            Ordering::Greater => Upgrade::Upgrade,
            Ordering::Less if allow_downgrade => Upgrade::Downgrade,
            Ordering::Less => Upgrade::Refuse,
        },
    }
}

#[cfg(test)]
#[path = "plan_tests.rs"]
mod tests;
