//! `install-part`: one subtree of an install, copied by a second instance while the first
//! copies the rest (`install-leaving`); the host merges the reports and commits once.

use crate::bindings::exports::wp_init::installer::hosted::{Context, Part, StagedEntry};
use crate::bindings::exports::wp_init::installer::installer::{
    EntryKind, Error, InstallStatus, Options, Report,
};
use crate::copy::check_created_symlinks;
use crate::exec::{Executor, Write};
use crate::fs::Access;
use crate::grant::path_error;
use crate::install::staged_entries;
use crate::run::Run;
use crate::sentinels::copy_sentinels;
use crate::walk::{At, Walk};
use wp_init_core::commit::Rename;
use wp_init_core::journal::Line;
use wp_init_core::layout::is_temp_name;
use wp_init_core::plan::Scope;

/// Copies SOURCE's `part.path` into TARGET's new `part.staging` (see the WIT).
pub fn install_part(
    options: &Options,
    context: &Context,
    part: &Part,
) -> Result<(Report, Vec<StagedEntry>), Error> {
    let (mut run, src, tgt) = Run::open(options, Some(context), Write::TENSE)?;
    check(options, part)?;
    let shown = run.in_target(&part.path);
    let s = src.open_dir(&part.path, Access::Read)?;
    run.report.dirs_created += 1;
    run.created(&part.path, EntryKind::Directory, &part.path)?;
    run.announce(&Line::Staging {
        path: part.staging.clone(),
    })?;
    tgt.mkdir(&part.staging)
        .map_err(|e| e.at(&run.in_target(&part.staging)))?;
    let t = tgt.open_dir(&part.staging, Access::Change)?.known_as(shown);
    let mut walk = Walk {
        ex: &Write,
        run: &mut run,
        deferred: Vec::new(),
    };
    let at = At {
        rel: &part.path,
        src: &s,
        tgt: &t,
        fresh: true,
    };
    walk.dir(Scope::Install, &at)?;
    let deferred = walk.deferred;
    let staging = Rename {
        temporary: part.staging.clone(),
        path: part.path.clone(),
    };
    check_created_symlinks(&run, &tgt, std::slice::from_ref(&staging))?;
    run.staged.push(staging);
    copy_sentinels(&Write, &mut run, (&s, &t), &part.path, &deferred)?;
    run.flush()?;
    run.report.status = InstallStatus::Copied;
    let staged = staged_entries(&mut run);
    Ok((run.into_report(), staged))
}

/// A part is a top-level directory of SOURCE built in a temporary at TARGET's root, by
/// a run that writes.
fn check(options: &Options, part: &Part) -> Result<(), Error> {
    let bad = |what: &str, cause: &str| Err(Error::InvalidTarget(path_error(what, cause)));
    if options.dry_run {
        return bad(&options.target, "install-part is not for a dry run");
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
