//! The copy's primitives (files and symlinks under temporary names renamed into place,
//! stale entries removed, mount points, the final symlink check) and [`populate`], which
//! runs the walk and the sentinels in order.

use crate::bindings::exports::wp_init::installer::installer::{EntryKind, Error};
use crate::fs::{Access, Dir, Presence};
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
    let extra = std::mem::take(&mut run.mount_points);
    for m in DEFAULT_MOUNT_POINTS
        .iter()
        .copied()
        .chain(extra.iter().map(String::as_str))
    {
        mount_point(run, tgt, m)?;
    }
    check_created_symlinks(run, tgt, &[])?;
    sentinels::copy_sentinels(run, src, tgt, "", &deferred)
}

/// Removes (or, in a dry run, lists) leftover temporaries directly in `dir`, whose path
/// relative to TARGET is `rel`.
pub fn clean_temps(run: &mut Run, dir: &Dir, rel: &str) -> Result<(), Error> {
    for (name, _) in dir.entries()? {
        let child = join(rel, &name);
        if !is_temp_name(&name) || run.leaves(&child) {
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

/// Copies the file `name` of `src` (`rel`) over TARGET's, logging it first when the
/// exclusion rule looks at it.
pub fn copy_file(run: &mut Run, src: &Dir, tgt: &Dir, name: &str, rel: &str) -> Result<(), Error> {
    let staged = stage_file(run, src, tgt, name, rel)?;
    if is_excludable(rel, false) {
        run.log_created(rel)?;
    }
    rename_staged(tgt, &staged.tmp, name)?;
    count_file(run, rel, staged.bytes);
    Ok(())
}

/// Renames a staged entry over `name` (removing the temporary if that fails).
pub fn rename_staged(tgt: &Dir, tmp: &str, name: &str) -> Result<(), Error> {
    tgt.rename(tmp, name).map_err(|e| {
        let _ = tgt.unlink(tmp);
        e.into()
    })
}

/// Counts a copied (or planned) file of `bytes` and lists it as created.
pub fn count_file(run: &mut Run, rel: &str, bytes: u64) {
    run.report.files_copied += 1;
    run.report.bytes_copied += bytes;
    run.created(rel, EntryKind::File, rel);
}

/// Counts a recreated (or planned) symlink and lists it as created.
pub fn count_link(run: &mut Run, rel: &str) {
    run.report.symlinks_copied += 1;
    run.created(rel, EntryKind::Symlink, rel);
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

/// `upgrade`: removes TARGET's `name` (`rel`) and all it holds, recording each entry
/// removed (children first); a dry run only records.
pub fn remove_stale(run: &mut Run, tgt: &Dir, name: &str, rel: &str) -> Result<(), Error> {
    let before = run.changes.as_ref().map_or(0, |c| c.removed.len());
    list_tree(run, tgt, name, rel)?;
    if !run.dry_run {
        tgt.remove_tree(name)?;
    }
    let n = run.changes.as_ref().map_or(0, |c| c.removed.len()) - before;
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

/// Records `name` (`rel`) of `dir` and, for a directory, everything in it, children
/// before their directory.
fn list_tree(run: &mut Run, dir: &Dir, name: &str, rel: &str) -> Result<(), Error> {
    if dir.lstat(name)?.type_ == DescriptorType::Directory {
        let sub = dir.open_dir(name, Access::Read)?;
        for (child, _) in sub.entries()? {
            list_tree(run, &sub, &child, &join(rel, &child))?;
        }
    }
    if let Some(c) = run.changes.as_mut() {
        c.removed.push(rel.to_owned());
    }
    Ok(())
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
/// already there, of any kind, is left alone.
fn mount_point(run: &mut Run, tgt: &Dir, rel: &str) -> Result<(), Error> {
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
                // Made by an interrupted run: finished as this run's own.
                if run.adopted.contains(&at) && !run.report.created.iter().any(|c| c.path == at) {
                    run.report.dirs_created += 1;
                    run.created(&at, EntryKind::Directory, "");
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
            _ if run.report.created.iter().any(|c| c.path == at) => planned = true,
            _ => {
                run.report.dirs_created += 1;
                run.created(&at, EntryKind::Directory, "");
                planned = run.dry_run;
                if !run.dry_run {
                    run.log_created(&at)?;
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
    for c in run
        .report
        .created
        .iter()
        .filter(|c| c.kind == EntryKind::Symlink)
    {
        let now = before_commit(&c.path, staged);
        if let Presence::Unseen = tgt.presence(&now)? {
            tgt.unlink(&now)?;
            return Err(Error::UnsafeSymlink(path_error(
                run.in_target(&c.path),
                "resolves outside TARGET through an entry already there; removed",
            )));
        }
    }
    Ok(())
}
