//! Steps of the copy that read before they act: leftover temporaries removed, stale core
//! removed by an upgrade, SOURCE's unsafe symlinks named, and the final check of the
//! symlinks a run created. What they change goes through the run's executor.

use crate::bindings::exports::wp_init::installer::installer::Error;
use crate::exec::{Executor, Removal};
use crate::fs::{Dir, Presence};
use crate::grant::path_error;
use crate::run::Run;
use wasip2::filesystem::types::DescriptorType;
use wp_init_core::commit::{Rename, before_commit};
use wp_init_core::layout::{is_temp_name, join};
use wp_init_core::plan::Resolved;

/// Removes leftover temporaries directly in `d` (`rel` from TARGET): files and
/// symlinks with wp-init's temporary prefix, and the temporary directories an
/// interrupted run's journal names. Any other directory with that prefix is left alone,
/// with a warning: wp-init did not make it, and removing it whole could remove what its
/// maker could not.
pub fn clean_temps<E: Executor>(ex: &E, run: &mut Run, d: &E::Dir, rel: &str) -> Result<(), Error> {
    let Some(dir) = ex.existing(d) else {
        return Ok(());
    };
    for (name, ty) in dir.entries()? {
        let child = join(rel, &name);
        if !is_temp_name(&name) || run.leaves(&child) || run.mount_at_or_below(&child) {
            continue;
        }
        if ty == DescriptorType::Directory && !run.left.staging.contains(&child) {
            run.warn(&format!(
                "'{}' has the name of a wp-init temporary but no interrupted run of wp-init made it; left alone (remove it if it is not yours)",
                run.in_target(&child)
            ));
            continue;
        }
        ex.remove(dir, &name, Removal::Tree)?;
        let msg = run.real_or_dry("Removed", "Would remove");
        run.say(&format!(
            "{msg} leftover temporary '{}' of an interrupted run",
            run.in_target(&child)
        ));
        run.report.temporaries_removed.push(child);
    }
    Ok(())
}

/// Removes the temporaries an interrupted run may have left in its directory `rel` of
/// TARGET's `root` (gone or replaced since, it is skipped).
pub fn clean_leftovers<E: Executor>(
    ex: &E,
    run: &mut Run,
    root: &E::Dir,
    rel: &str,
) -> Result<(), Error> {
    if run.mount_at_or_below(rel) {
        return Ok(());
    }
    let is_dir = ex.existing(root).is_some_and(|r| {
        r.lstat(rel)
            .is_ok_and(|st| st.type_ == DescriptorType::Directory)
    });
    if !is_dir {
        return Ok(());
    }
    let dir = ex.enter(root, rel)?;
    clean_temps(ex, run, &dir, rel)
}

/// `upgrade`: removes TARGET's `name` (`rel`) of `d` and what it holds that was core,
/// recording each entry removed (children first) and kept. A directory that keeps
/// something (a user's file, a mount point) stays.
pub fn remove_stale<E: Executor>(
    ex: &E,
    run: &mut Run,
    d: &Dir,
    name: &str,
    rel: &str,
) -> Result<(), Error> {
    let before = run.changes.as_ref().map_or(0, |c| c.removed.len());
    remove_core(ex, run, d, name, rel)?;
    let n = run.changes.as_ref().map_or(0, |c| c.removed.len()) - before;
    if n == 0 {
        return Ok(());
    }
    let done = run.real_or_dry("Removed", "Would remove");
    let what = if n > 1 {
        format!(" ({n} entries)")
    } else {
        String::new()
    };
    run.say(&format!(
        "{done} '{}'{what}: not in the new WordPress",
        run.in_target(rel)
    ));
    Ok(())
}

/// Removes `name` (`rel`) of `dir` if it was core (children first, each recorded), and
/// says whether it is gone: never across a mount point, never a user's entry, never a
/// temporary directory wp-init did not make.
fn remove_core<E: Executor>(
    ex: &E,
    run: &mut Run,
    dir: &Dir,
    name: &str,
    rel: &str,
) -> Result<bool, Error> {
    let ty = dir.lstat(name)?.type_;
    let ours =
        is_temp_name(name) && (ty != DescriptorType::Directory || run.left.staging.contains(rel));
    if run.mounts.contains(rel) || !(ours || run.was_core(rel)) {
        run.kept(rel);
        return Ok(false);
    }
    let how = if ty == DescriptorType::Directory {
        let sub = dir.open_dir(name, E::ACCESS)?;
        let mut all = true;
        for (child, _) in sub.entries()? {
            all &= remove_core(ex, run, &sub, &child, &join(rel, &child))?;
        }
        if !all {
            run.kept(rel);
            return Ok(false);
        }
        Removal::EmptyDir
    } else {
        Removal::Entry
    };
    ex.remove(dir, name, how)?;
    if let Some(c) = run.changes.as_mut() {
        c.removed.push(rel.to_owned());
    }
    Ok(true)
}

/// The error for SOURCE's symlink `name` that resolves as `resolved`: it cannot be
/// recreated safely.
pub fn unsafe_link(run: &Run, src: &Dir, name: &str, resolved: Resolved) -> Error {
    let cause = match (resolved, src.readlink(name)) {
        (_, Err(_)) => {
            "absolute symlink: the runtime refuses to read it (not-permitted)".to_owned()
        }
        (Resolved::Absolute, Ok(text)) => format!("absolute symlink to '{text}'"),
        (Resolved::Outside, Ok(text)) => {
            format!("symlink to '{text}' resolves outside {}", run.source)
        }
        (_, Ok(text)) => format!(
            "symlink to '{text}' does not resolve to an entry inside {} (dangling or a loop)",
            run.source
        ),
    };
    Error::UnsafeSymlink(path_error(src.path_of(name), cause))
}

/// Checks that no symlink this run created resolves outside TARGET (an entry already in
/// TARGET, such as the user's own symlink, can send a link that was safe in SOURCE
/// elsewhere): such a link is removed, and the run fails. `staged`: directories still
/// under their staging names (`install-part`), where the links are for now. A plan
/// creates none.
pub fn check_created_symlinks(run: &Run, tgt: &Dir, staged: &[Rename]) -> Result<(), Error> {
    for path in &run.created_links {
        let now = before_commit(path, staged);
        if let Presence::Unseen = tgt.presence(&now)? {
            tgt.unlink(&now)?;
            return Err(Error::UnsafeSymlink(path_error(
                run.in_target(path),
                "resolves outside TARGET through an entry already there; removed",
            )));
        }
    }
    Ok(())
}
