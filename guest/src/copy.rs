//! The copy's primitives (files and symlinks under temporary names renamed into place,
//! stale entries removed, mount points, the final symlink check) and [`populate`], which
//! runs the walk and the sentinels in order.

use crate::bindings::exports::wp_init::installer::installer::{EntryKind, Error};
use crate::fs::{Dir, Presence};
use crate::run::{Run, path_error};
use crate::sentinels;
use crate::walk::{Target, walk};
use wasip2::filesystem::types::{DescriptorType, ErrorCode};
use wp_init_core::commit::{Rename, before_commit};
use wp_init_core::layout::{DEFAULT_MOUNT_POINTS, is_excludable, is_temp_name, join, temp_name};
use wp_init_core::plan::{Resolved, Scope};

/// Fills TARGET from SOURCE with the walk at `scope`, then leaves the mount points,
/// checks the created symlinks, and stages the sentinels last.
pub fn populate(run: &mut Run, src: &Dir, tgt: &Dir, scope: Scope) -> Result<(), Error> {
    let mut deferred = Vec::new();
    walk(run, scope, "", src, Target::Existing(tgt), &mut deferred)?;
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
        mount_point(run, tgt, m, &walked)?;
    }
    check_created_symlinks(run, tgt, &[])?;
    sentinels::copy_sentinels(run, src, tgt, "", &deferred)
}

/// Removes (or, in a dry run, lists) leftover temporaries directly in `dir`, whose path
/// relative to TARGET is `rel`: files and symlinks with wp-init's temporary prefix, and
/// the temporary directories an interrupted run's journal names. Any other directory
/// with that prefix is left alone, with a warning: wp-init did not make it, and removing
/// it whole could remove what its maker could not.
pub fn clean_temps(run: &mut Run, dir: &Dir, rel: &str) -> Result<(), Error> {
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
        if !run.dry_run {
            dir.remove_tree(&name)?;
        }
        let msg = run.real_or_dry("Removed", "Would remove");
        run.say(&format!(
            "{msg} leftover temporary '{}' of an interrupted run",
            run.in_target(&child)
        ));
        run.report.temporaries_removed.push(child);
    }
    Ok(())
}

/// Removes the temporaries an interrupted run may have left in its directory `rel`
/// (gone or replaced since, it is skipped).
pub fn clean_leftovers(run: &mut Run, tgt: &Dir, rel: &str) -> Result<(), Error> {
    if run.mount_at_or_below(rel) {
        return Ok(());
    }
    match tgt.lstat(rel) {
        Ok(st) if st.type_ == DescriptorType::Directory => {}
        _ => return Ok(()),
    }
    let dir = tgt.open_dir(rel, run.access())?;
    clean_temps(run, &dir, rel)
}

/// Copies the file `name` of `src` (`rel`) over TARGET's, logging it first when the
/// exclusion rule looks at it.
pub fn copy_file(run: &mut Run, src: &Dir, tgt: &Dir, name: &str, rel: &str) -> Result<(), Error> {
    let staged = stage_file(run, src, tgt, name, rel)?;
    count_file(run, rel, staged.bytes)?;
    if is_excludable(rel, false) {
        // Journaled before it is in place: a rerun would take it for the user's.
        run.flush()?;
    }
    rename_staged(tgt, &staged.tmp, name)
}

/// Renames a staged entry over `name` (removing the temporary if that fails).
pub fn rename_staged(tgt: &Dir, tmp: &str, name: &str) -> Result<(), Error> {
    tgt.rename(tmp, name).map_err(|e| {
        let _ = tgt.unlink(tmp);
        e.into()
    })
}

/// Counts a copied (or planned) file of `bytes` and records it as created.
pub fn count_file(run: &mut Run, rel: &str, bytes: u64) -> Result<(), Error> {
    run.report.files_copied += 1;
    run.report.bytes_copied += bytes;
    run.created(rel, EntryKind::File, rel)
}

/// Counts a recreated (or planned) symlink and records it as created.
pub fn count_link(run: &mut Run, rel: &str) -> Result<(), Error> {
    run.report.symlinks_copied += 1;
    run.created(rel, EntryKind::Symlink, rel)
}

/// `upgrade`: records a file or symlink as replaced or added.
pub fn note_change(run: &mut Run, rel: &str, replaces: bool) {
    if let Some(c) = run.changes.as_mut() {
        let list = if replaces {
            &mut c.replaced
        } else {
            &mut c.added
        };
        list.push(rel.to_owned());
    }
}

/// `upgrade`: removes TARGET's `name` (`rel`) and what it holds that was core,
/// recording each entry removed (children first) and kept; a dry run only records. A
/// directory that keeps something (a user's file, a mount point) stays.
pub fn remove_stale(run: &mut Run, tgt: &Dir, name: &str, rel: &str) -> Result<(), Error> {
    let before = run.changes.as_ref().map_or(0, |c| c.removed.len());
    remove_core(run, tgt, name, rel)?;
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
fn remove_core(run: &mut Run, dir: &Dir, name: &str, rel: &str) -> Result<bool, Error> {
    let ty = dir.lstat(name)?.type_;
    let ours =
        is_temp_name(name) && (ty != DescriptorType::Directory || run.left.staging.contains(rel));
    if run.mounts.contains(rel) || !(ours || run.was_core(rel)) {
        run.kept(rel);
        return Ok(false);
    }
    if ty == DescriptorType::Directory {
        let sub = dir.open_dir(name, run.access())?;
        let mut all = true;
        for (child, _) in sub.entries()? {
            all &= remove_core(run, &sub, &child, &join(rel, &child))?;
        }
        if !all {
            run.kept(rel);
            return Ok(false);
        }
        if !run.dry_run {
            dir.rmdir(name)?;
        }
    } else if !run.dry_run {
        dir.unlink(name)?;
    }
    if let Some(c) = run.changes.as_mut() {
        c.removed.push(rel.to_owned());
    }
    Ok(true)
}

/// A file copied under a temporary name, waiting to be renamed into place.
pub struct Staged {
    /// Its temporary name, in the same directory.
    pub tmp: String,
    /// Bytes copied.
    pub bytes: u64,
}

/// Copies the file `name` of `src` into `tgt` under a temporary name, with its mtime.
pub fn stage_file(run: &Run, src: &Dir, tgt: &Dir, name: &str, rel: &str) -> Result<Staged, Error> {
    let input = src.open_read(name)?;
    let st = input.stat()?;
    let tmp = temp_name(name, run.nonce);
    let shown = run.in_target(rel);
    let out = tgt.create_new(&tmp, &shown)?;
    let copied = input
        .copy_to(&out, st.size)
        .and_then(|n| out.set_mtime(st.data_modification_timestamp).map(|()| n));
    drop(out);
    match copied {
        Ok(bytes) => Ok(Staged { tmp, bytes }),
        Err(e) => {
            let _ = tgt.unlink(&tmp);
            Err(e.into())
        }
    }
}

/// Creates a symlink to `text` in `tgt` under a temporary name for `name`; returns it.
pub fn stage_symlink(
    run: &Run,
    tgt: &Dir,
    text: &str,
    name: &str,
    rel: &str,
) -> Result<String, Error> {
    let tmp = temp_name(name, run.nonce);
    tgt.symlink(text, &tmp)
        .map_err(|e| e.at(&run.in_target(rel)))?;
    Ok(tmp)
}

/// The text of SOURCE's symlink `name` (the planner has judged it safe).
pub fn link_text(src: &Dir, name: &str) -> Result<String, Error> {
    Ok(src.readlink(name)?)
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

/// Leaves a directory at `rel` (and its missing parents) for a volume to be mounted on:
/// a container runtime cannot create a mount point inside a read-only mount. What is
/// already there, of any kind, is left alone. `walked` says whether the walk met a path
/// of SOURCE (it then created or planned it).
fn mount_point(
    run: &mut Run,
    tgt: &Dir,
    rel: &str,
    walked: &dyn Fn(&str) -> bool,
) -> Result<(), Error> {
    // The directory reached so far (`None`: TARGET itself), and whether, in a dry run,
    // it is only planned (then nothing below it exists yet).
    let mut dir: Option<Dir> = None;
    let mut planned = false;
    let mut at = String::new();
    for comp in rel.split('/') {
        at = join(&at, comp);
        let here = dir.as_ref().unwrap_or(tgt);
        let found = if planned {
            None
        } else {
            Some(here.lstat(comp))
        };
        match found {
            Some(Ok(st)) if st.type_ == DescriptorType::Directory => {
                // Made by an interrupted run, and not met by the walk: finished as
                // this run's own.
                if run.left.adopted.contains(&at) && !walked(&at) {
                    run.report.dirs_created += 1;
                    run.created(&at, EntryKind::Directory, "")?;
                }
            }
            Some(Ok(_)) => {
                run.warn(&format!(
                    "'{}' is not a directory; mount point '{}' not created",
                    run.in_target(&at),
                    run.in_target(rel)
                ));
                return Ok(());
            }
            Some(Err(e)) if e.code != ErrorCode::NoEntry => {
                return Err(e.at(&run.in_target(&at)).into());
            }
            // Absent. In a dry run the copy may already plan it.
            _ if run.dry_run && walked(&at) => planned = true,
            _ => {
                run.report.dirs_created += 1;
                run.created(&at, EntryKind::Directory, "")?;
                planned = run.dry_run;
                if !run.dry_run {
                    run.flush()?;
                    here.mkdir(comp).map_err(|e| e.at(&run.in_target(&at)))?;
                }
            }
        }
        if !planned {
            dir = Some(here.open_dir(comp, run.access())?);
        }
    }
    Ok(())
}

/// Checks that no symlink this run created resolves outside TARGET (an entry already in
/// TARGET, such as the user's own symlink, can send a link that was safe in SOURCE
/// elsewhere): such a link is removed, and the run fails. `staged`: directories still
/// under their staging names (`install-part`), where the links are for now.
pub fn check_created_symlinks(run: &Run, tgt: &Dir, staged: &[Rename]) -> Result<(), Error> {
    if run.dry_run {
        return Ok(());
    }
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
