//! The sentinel files, `wp-includes/version.php` and `index.php`: they make TARGET count
//! as installed (and the first one says which version it holds), so they are copied
//! after everything else and left staged under temporary names, for the commit to
//! rename into place (`index.php` last).

use crate::bindings::exports::wp_init::installer::installer::Error;
use crate::exec::Executor;
use crate::fs::{Access, Dir};
use crate::grant::path_error;
use crate::run::Run;
use wasip2::filesystem::types::DescriptorType;
use wp_init_core::commit::Rename;
use wp_init_core::layout::{SENTINELS, join};

/// Copies the deferred sentinels, `wp-includes/version.php` then `index.php`, staging
/// files and symlinks for the commit. `src` and `tgt` are the directories of `base`
/// ("" for the roots; `install-part` passes its subtree).
pub(crate) fn copy_sentinels<E: Executor>(
    ex: &E,
    run: &mut Run,
    (src, tgt): (&Dir, &E::Dir),
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
        let sub_tgt = (!prel.is_empty())
            .then(|| ex.enter(tgt, prel))
            .transpose()?;
        let t = sub_tgt.as_ref().unwrap_or(tgt);
        let replaces = ex.existing(t).is_some_and(|t| t.lstat(name).is_ok());
        run.note_change(rel, replaces);
        let ty = s.lstat(name)?.type_;
        // The planner defers only files and symlinks: else SOURCE changed under us.
        if !matches!(
            ty,
            DescriptorType::RegularFile | DescriptorType::SymbolicLink
        ) {
            return Err(Error::Io(path_error(
                run.in_source(rel),
                "is no longer a file or symlink",
            )));
        }
        if let Some(tmp) = ex.stage(run, s, t, (name, rel), ty)? {
            run.staged.push(Rename {
                temporary: join(parent, &tmp),
                path: (*rel).to_owned(),
            });
        }
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
