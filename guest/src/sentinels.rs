//! The sentinel files, `wp-includes/version.php` and `index.php`: they make TARGET count
//! as installed, so they are copied after everything else, `index.php` very last, or left
//! staged under temporary names for the caller to rename after its own pass.

use crate::bindings::exports::wp_init::installer::installer::{EntryKind, Error, StagedEntry};
use crate::copy::{Staged, commit_file, copy_entry, record_file, stage_file};
use crate::fs::Dir;
use crate::install::Run;
use wasip2::filesystem::types::DescriptorType;
use wp_init_core::layout::{SENTINELS, join};

/// Copies the deferred sentinels, `wp-includes/version.php` then `index.php`. Files are
/// all staged first and then renamed in that order, so the window in which only one of
/// them is in place is as short as two renames; with `stage_final` they are left
/// staged and listed in the report for the caller to rename after its own pass.
pub(crate) fn copy_sentinels(
    run: &mut Run,
    src: &Dir,
    tgt: &Dir,
    deferred: &[String],
) -> Result<(), Error> {
    let mut staged = Vec::new();
    for rel in SENTINELS
        .iter()
        .filter(|s| deferred.iter().any(|d| d == *s))
    {
        let (prel, name) = rel.rsplit_once('/').unwrap_or(("", rel));
        let (sp, tp) = if prel.is_empty() {
            (None, None)
        } else {
            let sp = src.open_dir(prel, false, run.in_source(prel))?;
            let tp = match tgt.open_dir(prel, !run.dry_run, run.in_target(prel)) {
                Ok(d) => Some(d),
                // A dry run may plan a directory that is not there yet.
                Err(_) if run.dry_run => None,
                Err(e) => return Err(e.into()),
            };
            (Some(sp), tp)
        };
        let s = sp.as_ref().unwrap_or(src);
        let t = if prel.is_empty() {
            Some(tgt)
        } else {
            tp.as_ref()
        };
        let ty = s.lstat(name)?.type_;
        match t.filter(|_| !run.dry_run && ty == DescriptorType::RegularFile) {
            Some(t) => {
                let st = stage_file(run, s, t, name, rel)?;
                staged.push((prel, sp, tp, st));
            }
            None => {
                let mut none = Vec::new();
                copy_entry(run, s, t, name, rel, ty, &mut none)?;
                restore_parent_mtime(run, prel, sp.as_ref(), tp.as_ref())?;
            }
        }
    }
    for (prel, sp, tp, st) in staged {
        if run.stage_final {
            leave_staged(run, prel, st);
        } else {
            commit_file(run, tp.as_ref().unwrap_or(tgt), st)?;
            restore_parent_mtime(run, prel, sp.as_ref(), tp.as_ref())?;
        }
    }
    Ok(())
}

/// Records a staged file for the caller to rename into place, counted as copied.
fn leave_staged(run: &mut Run, prel: &str, st: Staged) {
    record_file(run, &st);
    run.report.staged.push(StagedEntry {
        temporary: join(prel, &st.tmp),
        path: st.rel,
    });
}

/// A sentinel written into a directory this run created changed that directory's mtime:
/// set it back to SOURCE's.
fn restore_parent_mtime(
    run: &Run,
    prel: &str,
    sp: Option<&Dir>,
    tp: Option<&Dir>,
) -> Result<(), Error> {
    let (Some(sp), Some(tp)) = (sp, tp) else {
        return Ok(());
    };
    let ours = run
        .report
        .created
        .iter()
        .any(|c| c.path == prel && matches!(c.kind, EntryKind::Directory));
    if ours && !run.dry_run {
        tp.set_mtime(sp.stat_self()?.data_modification_timestamp)?;
    }
    Ok(())
}
