//! The upgrade command: compare the versions, then install, do nothing, refuse, or
//! replace core (the walk at `Scope::UpgradeRoot`), configure and commit.

use crate::bindings::exports::wp_init::installer::installer::{
    Error, InstallStatus, Options, PathError, UpgradeOptions, UpgradeReport, UpgradeStatus,
    VersionChange,
};
use crate::copy;
use crate::fs::Dir;
use crate::install::{copy_wordpress, finish, requested_variables};
use crate::run::{Changes, Run, installed, path_error};
use wp_init_core::layout::SENTINELS;
use wp_init_core::plan::{Scope, Upgrade, upgrade_decision};
use wp_init_core::version::{self, Versions};

/// Largest `version.php` read.
const VERSION_FILE_CAP: u64 = 1 << 20;

/// Reads the versions `wp-includes/version.php` declares in `dir` (`shown` as the user
/// knows it); `wrap` makes the error variant for that side.
fn read_versions(dir: &Dir, shown: &str, wrap: fn(PathError) -> Error) -> Result<Versions, Error> {
    let file = SENTINELS[0];
    let at = wp_init_core::layout::join(shown, file);
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

/// The upgrade (README: "Upgrade and verify").
pub fn upgrade(options: &Options, up: &UpgradeOptions) -> Result<UpgradeReport, Error> {
    let (mut run, src, tgt) = Run::start(options, Vec::new())?;
    let vars = requested_variables();
    let to = read_versions(&src, &run.source, Error::InvalidSource)?;
    let from = if installed(&mut run, &tgt)? {
        Some(read_versions(&tgt, &run.target, Error::InvalidTarget)?)
    } else {
        None
    };
    let order = from
        .as_ref()
        .map(|f| version::compare(&to.wp_version, &f.wp_version));
    let decision = upgrade_decision(order, up.allow_downgrade);
    let from_version = from.as_ref().map(|f| f.wp_version.clone());
    let status = match decision {
        Upgrade::Refuse => {
            return Err(Error::DowngradeRefused(VersionChange {
                from: from_version.unwrap_or_default(),
                to: to.wp_version,
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
            copy_wordpress(&mut run, &src, &tgt)?;
            pick(&run, UpgradeStatus::Installed, UpgradeStatus::WouldInstall)
        }
        Upgrade::Upgrade | Upgrade::Downgrade => {
            let old = from_version.as_deref().unwrap_or_default();
            replace_core(&mut run, &src, &tgt, old, &to)?;
            match decision {
                Upgrade::Upgrade => {
                    pick(&run, UpgradeStatus::Upgraded, UpgradeStatus::WouldUpgrade)
                }
                _ => pick(
                    &run,
                    UpgradeStatus::Downgraded,
                    UpgradeStatus::WouldDowngrade,
                ),
            }
        }
    };
    let db_from = from.as_ref().and_then(|f| f.wp_db_version);
    if from.is_some() && db_from != to.wp_db_version && status != UpgradeStatus::UpToDate {
        let (a, b) = (show_db(db_from), show_db(to.wp_db_version));
        run.say(&format!(
            "The database schema changes ({a} -> {b}): WordPress runs its upgrade at the next admin visit (wp-admin/upgrade.php)"
        ));
    }
    finish(&mut run, &src, &tgt, vars, decision == Upgrade::Install)?;
    let changes = run.changes.take().unwrap_or_default();
    Ok(UpgradeReport {
        status,
        from: from_version,
        to: to.wp_version,
        db_version_from: db_from,
        db_version_to: to.wp_db_version,
        replaced: changes.replaced,
        added: changes.added,
        removed: changes.removed,
        install: run.into_report(),
    })
}

/// Picks the status of a run or of a plan.
fn pick(run: &Run, done: UpgradeStatus, planned: UpgradeStatus) -> UpgradeStatus {
    if run.dry_run { planned } else { done }
}

/// A `$wp_db_version` in a message.
fn show_db(v: Option<u64>) -> String {
    v.map_or_else(|| "none".to_owned(), |v| v.to_string())
}

/// Replaces core in an installed TARGET by SOURCE's version `to`.
fn replace_core(
    run: &mut Run,
    src: &Dir,
    tgt: &Dir,
    from: &str,
    to: &Versions,
) -> Result<(), Error> {
    let now = run.real_or_dry("upgrading now...", "would upgrade now...");
    run.say(&format!(
        "WordPress {from} found in {} - {now} (to {})",
        run.target, to.wp_version
    ));
    run.changes = Some(Changes::default());
    if !run.dry_run {
        run.open_log(tgt)?;
    }
    copy::populate(run, src, tgt, Scope::UpgradeRoot)?;
    run.report.status = if run.dry_run {
        InstallStatus::WouldCopy
    } else {
        InstallStatus::Copied
    };
    let c = run.changes.as_ref().map_or((0, 0, 0), |c| {
        (c.replaced.len(), c.added.len(), c.removed.len())
    });
    let done = run.real_or_dry("has been upgraded", "would be upgraded");
    run.say(&format!(
        "Complete! WordPress in {} {done} to {} ({} replaced, {} added, {} removed)",
        run.target, to.wp_version, c.0, c.1, c.2
    ));
    Ok(())
}
