//! The upgrade command: compare the versions, then install, do nothing, refuse, or
//! replace core (the walk at `Scope::UpgradeRoot`), configure and commit.

use crate::bindings::exports::wp_init::installer::hosted::{Context, StagedEntry};
use crate::bindings::exports::wp_init::installer::installer::{
    Error, InstallStatus, Options, PathError, UnfinishedUpgrade, UpgradeOptions, UpgradeReport,
    UpgradeStatus, VersionChange,
};
use crate::exec::Executor;
use crate::fs::Dir;
use crate::grant::path_error;
use crate::install::{copy_wordpress, finish, requested_variables, staged_entries};
use crate::populate::populate;
use crate::run::{Changes, Run, installed};
use crate::start::start;
use wasip2::filesystem::types::DescriptorType;
use wp_init_core::journal::Line;
use wp_init_core::layout::SENTINELS;
use wp_init_core::plan::{Scope, Upgrade, upgrade_decision};
use wp_init_core::report::messages;
use wp_init_core::version::{self, Versions};

/// Largest `version.php` read.
const VERSION_FILE_CAP: u64 = 1 << 20;

/// Reads the versions `wp-includes/version.php` declares in `dir` (`shown` as the user
/// knows it); `wrap` makes the error variant for that side.
fn read_versions(dir: &Dir, shown: &str, wrap: fn(PathError) -> Error) -> Result<Versions, Error> {
    let file = SENTINELS[0];
    let at = wp_init_core::layout::join(shown, file);
    // Only a regular file is opened: opening a fifo would wait for a writer forever.
    let st = dir
        .stat(file)
        .map_err(|e| wrap(path_error(at.clone(), e.cause())))?;
    if st.type_ != DescriptorType::RegularFile {
        return Err(wrap(path_error(
            at,
            format!(
                "is {}, not a regular file",
                crate::walk::kind_words(st.type_)
            ),
        )));
    }
    let bytes = dir
        .open_read_following(file)
        .and_then(|f| f.read_to_end(VERSION_FILE_CAP))
        .map_err(|e| wrap(path_error(at.clone(), e.cause())))?;
    let text = String::from_utf8_lossy(&bytes);
    version::parse_versions(&text).map_err(|e| {
        wrap(path_error(
            at,
            format!("cannot read the WordPress version: {e}"),
        ))
    })
}

/// The upgrade (README: "Upgrade and verify") with `ex`; hosted (`context`), the staged
/// files are returned for the host's commit.
pub fn upgrade<E: Executor>(
    ex: &E,
    options: &Options,
    context: Option<&Context>,
    up: &UpgradeOptions,
) -> Result<(UpgradeReport, Vec<StagedEntry>), Error> {
    let (mut run, src, tgt, root) = start(ex, options, context, Vec::new())?;
    let vars = requested_variables();
    let to = read_versions(&src, &run.source, Error::InvalidSource)?;
    let from = if installed(&run, &tgt)? {
        Some(read_versions(&tgt, &run.target, Error::InvalidTarget)?)
    } else {
        None
    };
    let order = from
        .as_ref()
        .map(|f| version::compare(&to.wp_version, &f.wp_version));
    let unfinished = run.left.upgrade.clone();
    let decision = upgrade_decision(
        order,
        up.allow_downgrade,
        unfinished.as_ref().map(|(_, t)| *t == to.wp_version),
    );
    let from_version = from.as_ref().map(|f| f.wp_version.clone());
    let (status, from_version) = act(
        ex,
        &mut run,
        (&src, &tgt, &root),
        (decision, unfinished),
        (from_version, &to),
    )?;
    let db_from = from.as_ref().and_then(|f| f.wp_db_version);
    let complete = complete(&run, status, (from.is_some(), db_from), &to);
    finish(
        ex,
        &mut run,
        (&src, &tgt),
        (vars, decision == Upgrade::Install),
        complete,
    )?;
    let changes = run.changes.take().unwrap_or_default();
    let staged = staged_entries(&mut run);
    Ok((
        UpgradeReport {
            status,
            from: from_version,
            to: to.wp_version,
            db_version_from: db_from,
            db_version_to: to.wp_db_version,
            replaced: changes.replaced,
            added: changes.added,
            removed: changes.removed,
            kept: changes.kept,
            install: run.into_report(),
        },
        staged,
    ))
}

/// Carries out `decision` (with the interrupted upgrade `unfinished`, if any) on the
/// tree holding `from_version`; returns the status and the version the tree held.
fn act<E: Executor>(
    ex: &E,
    run: &mut Run,
    dirs: (&Dir, &Dir, &E::Dir),
    (decision, unfinished): (Upgrade, Option<(String, String)>),
    (mut from_version, to): (Option<String>, &Versions),
) -> Result<(UpgradeStatus, Option<String>), Error> {
    let status = match decision {
        Upgrade::Refuse => {
            return Err(Error::DowngradeRefused(VersionChange {
                from: from_version.unwrap_or_default(),
                to: to.wp_version.clone(),
            }));
        }
        Upgrade::RefuseUnfinished => {
            let (from, to_was) = unfinished.unwrap_or_default();
            return Err(Error::UpgradeUnfinished(UnfinishedUpgrade {
                interrupted: VersionChange { from, to: to_was },
                source: to.wp_version.clone(),
            }));
        }
        Upgrade::UpToDate => {
            run.say(&format!(
                "WordPress {} is already in {} - nothing to upgrade",
                to.wp_version, run.target
            ));
            UpgradeStatus::UpToDate
        }
        Upgrade::Install => {
            run.changes = Some(Changes::default());
            copy_wordpress(ex, run, dirs)?;
            run.real_or_dry(UpgradeStatus::Installed, UpgradeStatus::WouldInstall)
        }
        Upgrade::Upgrade | Upgrade::Downgrade => {
            // Half upgraded, the tree's `from` is the interrupted upgrade's.
            if let Some((was, _)) = &unfinished {
                from_version = Some(was.clone());
            }
            let old = from_version.clone().unwrap_or_default();
            replace_core(ex, run, dirs, &old, to)?;
            match decision {
                Upgrade::Upgrade => {
                    run.real_or_dry(UpgradeStatus::Upgraded, UpgradeStatus::WouldUpgrade)
                }
                _ => run.real_or_dry(UpgradeStatus::Downgraded, UpgradeStatus::WouldDowngrade),
            }
        }
    };
    Ok((status, from_version))
}

/// Says when the database schema changes, and returns the message printed once the
/// commit is done. `db_from`: whether TARGET had a version, and its `$wp_db_version`.
fn complete(
    run: &Run,
    status: UpgradeStatus,
    (had, db_from): (bool, Option<u64>),
    to: &Versions,
) -> Option<String> {
    if had && db_from != to.wp_db_version && status != UpgradeStatus::UpToDate {
        let (a, b) = (show_db(db_from), show_db(to.wp_db_version));
        run.say(&format!(
            "The database schema changes ({a} -> {b}): WordPress runs its upgrade at the next admin visit (wp-admin/upgrade.php)"
        ));
    }
    match status {
        UpgradeStatus::Installed => Some(messages::copied(&run.target)),
        UpgradeStatus::Upgraded | UpgradeStatus::Downgraded => {
            let c = run.changes.as_ref().map_or((0, 0, 0), |c| {
                (c.replaced.len(), c.added.len(), c.removed.len())
            });
            Some(messages::upgraded(&run.target, &to.wp_version, c))
        }
        _ => None,
    }
}

/// A `$wp_db_version` in a message.
fn show_db(v: Option<u64>) -> String {
    v.map_or_else(|| "none".to_owned(), |v| v.to_string())
}

/// Replaces core in an installed TARGET by SOURCE's version `to`.
fn replace_core<E: Executor>(
    ex: &E,
    run: &mut Run,
    dirs: (&Dir, &Dir, &E::Dir),
    from: &str,
    to: &Versions,
) -> Result<(), Error> {
    let now = run.real_or_dry("upgrading now...", "would upgrade now...");
    run.say(&format!(
        "WordPress {from} found in {} - {now} (to {})",
        run.target, to.wp_version
    ));
    run.changes = Some(Changes::default());
    if run.core_record.is_none() {
        run.old_files = old_files(run, dirs.0);
    }
    // Until its commit is done, the tree holds two versions: a later run must know.
    run.announce(&Line::Upgrade {
        from: from.to_owned(),
        to: to.wp_version.clone(),
    })?;
    populate(ex, run, dirs, Scope::UpgradeRoot)?;
    let c = run.changes.as_ref().map_or((0, 0, 0), |c| {
        (c.replaced.len(), c.added.len(), c.removed.len())
    });
    run.say_in_plan(&format!(
        "Complete! WordPress in {} would be upgraded to {} ({} replaced, {} added, {} removed)",
        run.target, to.wp_version, c.0, c.1, c.2
    ));
    run.report.status = run.real_or_dry(InstallStatus::Copied, InstallStatus::WouldCopy);
    Ok(())
}

/// Where WordPress lists the files its own updater deletes.
const UPDATE_CORE: &str = "wp-admin/includes/update-core.php";

/// Without wp-init's record of core (a tree installed otherwise): the files SOURCE's
/// WordPress lists as old core, the only ones its own updater removes. Unreadable, the
/// upgrade removes nothing it cannot tell was core, and says so.
fn old_files(run: &mut Run, src: &Dir) -> std::collections::BTreeSet<String> {
    let read = src
        .stat(UPDATE_CORE)
        .map_err(|e| e.cause())
        .and_then(|st| {
            if st.type_ == DescriptorType::RegularFile {
                Ok(())
            } else {
                Err("not a regular file".to_owned())
            }
        })
        .and_then(|()| {
            src.open_read_following(UPDATE_CORE)
                .and_then(|f| f.read_to_end(VERSION_FILE_CAP * 4))
                .map_err(|e| e.cause())
        })
        .and_then(|bytes| wp_init_core::old_files::old_files(&String::from_utf8_lossy(&bytes)));
    match read {
        Ok(listed) => listed,
        Err(why) => {
            run.warn(&format!(
                "{} has no record of the core wp-init installed, and '{}' gives no list of old files ({why}); files SOURCE no longer has are kept",
                run.target,
                run.in_source(UPDATE_CORE)
            ));
            Default::default()
        }
    }
}
