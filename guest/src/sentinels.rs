//! The sentinel files, `wp-includes/version.php` and `index.php`: they make TARGET count
//! as installed (and the first one says which version it holds), so they are copied
//! after everything else and left staged under temporary names, for the commit to
//! rename into place (`index.php` last).

use crate::bindings::exports::wp_init::installer::installer::Error;
use crate::copy::{count_file, count_link, link_text, note_change, stage_file, stage_symlink};
use crate::fs::{Access, Dir};
use crate::run::{Run, path_error};
use wasip2::filesystem::types::DescriptorType;
use wp_init_core::commit::Rename;
use wp_init_core::layout::{SENTINELS, join};

/// Copies the deferred sentinels, `wp-includes/version.php` then `index.php`, staging
/// files and symlinks for the commit (a dry run only counts them). `src` and `tgt` are
/// the directories of `base` ("" for the roots; `install-part` passes its subtree).
pub(crate) fn copy_sentinels(
    run: &mut Run,
    src: &Dir,
    tgt: &Dir,
    base: &str,
    deferred: &[String],
) -> Result<(), Error> {
    for rel in SENTINELS
        .iter()
        .filter(|s| deferred.iter().any(|d| d == *s))
    {
        let (parent, name) = rel.rsplit_once('/').unwrap_or(("", rel));
        let Some(prel) = below(base, parent) else {
            continue;
        };
        let sub_src = (!prel.is_empty())
            .then(|| src.open_dir(prel, Access::Read))
            .transpose()?;
        let s = sub_src.as_ref().unwrap_or(src);
        let sub_tgt = match (!prel.is_empty())
            .then(|| tgt.open_dir(prel, run.access()))
            .transpose()
        {
            Ok(d) => d,
            // A dry run may plan a directory that is not there yet.
            Err(_) if run.dry_run => None,
            Err(e) => return Err(e.into()),
        };
        let t = match (prel.is_empty(), &sub_tgt) {
            (true, _) => Some(tgt),
            (false, d) => d.as_ref(),
        };
        note_change(run, rel, t.is_some_and(|t| t.lstat(name).is_ok()));
        let st = s.lstat(name)?;
        let tmp = match (t.filter(|_| !run.dry_run), st.type_) {
            (Some(t), DescriptorType::RegularFile) => {
                let staged = stage_file(run, s, t, name, rel)?;
                count_file(run, rel, staged.bytes)?;
                staged.tmp
            }
            (Some(t), DescriptorType::SymbolicLink) => {
                let tmp = stage_symlink(run, t, &link_text(s, name)?, name, rel)?;
                count_link(run, rel)?;
                run.created_links.push((*rel).to_owned());
                tmp
            }
            (None, DescriptorType::RegularFile) => {
                count_file(run, rel, st.size)?;
                continue;
            }
            (None, DescriptorType::SymbolicLink) => {
                count_link(run, rel)?;
                continue;
            }
            // The planner defers only files and symlinks: SOURCE changed under us.
            _ => {
                return Err(Error::Io(path_error(
                    run.in_source(rel),
                    "is no longer a file or symlink",
                )));
            }
        };
        run.staged.push(Rename {
            temporary: join(parent, &tmp),
            path: (*rel).to_owned(),
        });
    }
    Ok(())
}

/// `path` relative to `base`, if it is `base` or below it.
fn below<'a>(base: &str, path: &'a str) -> Option<&'a str> {
    if base.is_empty() {
        return Some(path);
    }
    match path.strip_prefix(base)? {
        "" => Some(""),
        rest => rest.strip_prefix('/'),
    }
}
