//! [`populate`]: the walk, then the mount points, the check of the created symlinks and
//! the sentinels, in that order.

use crate::bindings::exports::wp_init::installer::installer::{EntryKind, Error};
use crate::copy::check_created_symlinks;
use crate::exec::Executor;
use crate::fs::Dir;
use crate::run::Run;
use crate::sentinels;
use crate::walk::{At, Walk};
use wasip2::filesystem::types::{DescriptorType, ErrorCode};
use wp_init_core::layout::{DEFAULT_MOUNT_POINTS, join};
use wp_init_core::plan::Scope;

/// Fills TARGET (`tgt`, its root as `ex` holds it `root`) from SOURCE with the walk at
/// `scope`, then leaves the mount points, checks the created symlinks, and stages the
/// sentinels last.
pub fn populate<E: Executor>(
    ex: &E,
    run: &mut Run,
    (src, tgt, root): (&Dir, &Dir, &E::Dir),
    scope: Scope,
) -> Result<(), Error> {
    let mut walk = Walk {
        ex,
        run,
        deferred: Vec::new(),
    };
    let at = At {
        rel: "",
        src,
        tgt: root,
        fresh: false,
    };
    walk.dir(scope, &at)?;
    let Walk { run, deferred, .. } = walk;
    let extra = run.mount_points.clone();
    for m in DEFAULT_MOUNT_POINTS
        .iter()
        .copied()
        .chain(extra.iter().map(String::as_str))
    {
        let walked = |p: &str| {
            src.lstat(p)
                .is_ok_and(|st| st.type_ == DescriptorType::Directory)
        };
        mount_point(ex, run, root, m, &walked)?;
    }
    check_created_symlinks(run, tgt, &[])?;
    sentinels::copy_sentinels(ex, run, (src, root), "", &deferred)
}

/// Leaves a directory at `rel` (and its missing parents) for a volume to be mounted on:
/// a container runtime cannot create a mount point inside a read-only mount. What is
/// already there, of any kind, is left alone. `walked` says whether the walk met a path
/// of SOURCE (it then made, or plans to make, that directory).
fn mount_point<E: Executor>(
    ex: &E,
    run: &mut Run,
    root: &E::Dir,
    rel: &str,
    walked: &dyn Fn(&str) -> bool,
) -> Result<(), Error> {
    // The directory reached so far (`None`: TARGET's root).
    let mut dir: Option<E::Dir> = None;
    let mut at = String::new();
    for comp in rel.split('/') {
        at = join(&at, comp);
        let here = dir.as_ref().unwrap_or(root);
        let found = match ex.existing(here).map(|d| d.lstat(comp)) {
            Some(Ok(st)) => Some(st.type_),
            Some(Err(e)) if e.code != ErrorCode::NoEntry => {
                return Err(e.at(&run.in_target(&at)).into());
            }
            _ => None,
        };
        let next = match found {
            Some(DescriptorType::Directory) => {
                // Made by an interrupted run, and not met by the walk: finished as
                // this run's own.
                if run.left.adopted.contains(&at) && !walked(&at) {
                    run.report.dirs_created += 1;
                    run.created(&at, EntryKind::Directory, "")?;
                }
                ex.enter(here, comp)?
            }
            Some(_) => {
                run.warn(&format!(
                    "'{}' is not a directory; mount point '{}' not created",
                    run.in_target(&at),
                    run.in_target(rel)
                ));
                return Ok(());
            }
            // Not there yet, but the walk plans it.
            None if walked(&at) => ex.enter(here, comp)?,
            None => {
                run.report.dirs_created += 1;
                run.created(&at, EntryKind::Directory, "")?;
                ex.mkdir(run, here, comp, &at)?
            }
        };
        dir = Some(next);
    }
    Ok(())
}
