//! The sentinel files, `wp-includes/version.php` and `index.php`: they make TARGET count
//! as installed, so they are copied after everything else and left staged under
//! temporary names, for the commit to rename into place (`index.php` last).

use crate::bindings::exports::wp_init::installer::installer::{EntryKind, Error, StagedEntry};
use crate::copy::{checked_link_text, copy_entry, record_file, stage_file, stage_symlink};
use crate::fs::Dir;
use crate::install::Run;
use wasip2::filesystem::types::DescriptorType;
use wp_init_core::layout::{SENTINELS, join};

/// Copies the deferred sentinels, `wp-includes/version.php` then `index.php`, staging
/// files and symlinks for the commit.
pub(crate) fn copy_sentinels(
    run: &mut Run,
    src: &Dir,
    tgt: &Dir,
    deferred: &[String],
) -> Result<(), Error> {
    for rel in SENTINELS
        .iter()
        .filter(|s| deferred.iter().any(|d| d == *s))
    {
        let (prel, name) = rel.rsplit_once('/').unwrap_or(("", rel));
        let sp = (!prel.is_empty())
            .then(|| src.open_dir(prel, false, run.in_source(prel)))
            .transpose()?;
        let tp = match (!prel.is_empty())
            .then(|| tgt.open_dir(prel, !run.dry_run, run.in_target(prel)))
            .transpose()
        {
            Ok(d) => d,
            // A dry run may plan a directory that is not there yet.
            Err(_) if run.dry_run => None,
            Err(e) => return Err(e.into()),
        };
        let s = sp.as_ref().unwrap_or(src);
        let t = if prel.is_empty() {
            Some(tgt)
        } else {
            tp.as_ref()
        };
        let ty = s.lstat(name)?.type_;
        let tmp = match (t.filter(|_| !run.dry_run), ty) {
            (Some(t), DescriptorType::RegularFile) => {
                let st = stage_file(run, s, t, name, rel)?;
                record_file(run, &st);
                st.tmp
            }
            (Some(t), DescriptorType::SymbolicLink) => {
                let text = checked_link_text(run, s, name, rel)?;
                let tmp = stage_symlink(run, t, &text, name, rel)?;
                run.report.symlinks_copied += 1;
                run.created(rel, EntryKind::Symlink, rel);
                tmp
            }
            // A dry run, or a directory (or special file) where WordPress has a file.
            _ => {
                copy_entry(run, s, t, name, rel, ty, &mut Vec::new())?;
                continue;
            }
        };
        run.report.staged.push(StagedEntry {
            temporary: join(prel, &tmp),
            path: (*rel).to_owned(),
        });
    }
    Ok(())
}
