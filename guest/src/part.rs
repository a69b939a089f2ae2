//! `install-part`: one subtree of an install, copied by a second instance while the first
//! copies the rest (`install-leaving`); the host merges the reports and commits once.

use crate::bindings::exports::wp_init::installer::installer::{
    EntryKind, Error, InstallStatus, Options, Part, Report, StagedEntry,
};
use crate::copy::check_created_symlinks;
use crate::fs::Access;
use crate::run::{Run, path_error};
use crate::sentinels::copy_sentinels;
use crate::walk::{Target, walk};
use wp_init_core::commit::Rename;
use wp_init_core::layout::is_temp_name;
use wp_init_core::plan::Scope;

/// Copies SOURCE's `part.path` into TARGET's new `part.staging` (see the WIT).
pub fn install_part(options: &Options, part: &Part) -> Result<Report, Error> {
    let (mut run, src, tgt) = Run::open(options)?;
    check(&run, part)?;
    let shown = run.in_target(&part.path);
    let s = src.open_dir(&part.path, Access::Read)?;
    tgt.mkdir(&part.staging)
        .map_err(|e| e.at(&run.in_target(&part.staging)))?;
    let t = tgt.open_dir(&part.staging, Access::Change)?.known_as(shown);
    run.report.dirs_created += 1;
    run.created(&part.path, EntryKind::Directory, &part.path);
    let mut deferred = Vec::new();
    walk(
        &mut run,
        Scope::Install,
        &part.path,
        &s,
        Target::New(&t),
        &mut deferred,
    )?;
    let staging = Rename {
        temporary: part.staging.clone(),
        path: part.path.clone(),
    };
    check_created_symlinks(&run, &tgt, std::slice::from_ref(&staging))?;
    run.report.staged.push(StagedEntry {
        temporary: staging.temporary,
        path: staging.path,
    });
    copy_sentinels(&mut run, &s, &t, &part.path, &deferred)?;
    run.report.status = InstallStatus::Copied;
    Ok(run.into_report())
}

/// A part is a top-level directory of SOURCE built in a temporary at TARGET's root, by
/// a run that writes.
fn check(run: &Run, part: &Part) -> Result<(), Error> {
    let bad = |what: &str, cause: &str| Err(Error::InvalidTarget(path_error(what, cause)));
    if run.dry_run || !run.stage_final {
        return bad(&run.target, "install-part needs stage-final and no dry run");
    }
    if part.path.is_empty() || part.path.contains('/') || part.path.starts_with('.') {
        return bad(&part.path, "a part must be a top-level directory of SOURCE");
    }
    if part.staging.contains('/') || !is_temp_name(&part.staging) {
        return bad(
            &part.staging,
            "a staging directory must be a temporary name at TARGET's root",
        );
    }
    Ok(())
}
