//! The copy step: walk SOURCE depth-first in name order and recreate it in TARGET.
//!
//! Files and symlinks are made under a temporary name and renamed over their final name;
//! new `wp-content/*/*` directories are built under a temporary name and renamed into
//! place when complete; new directories are listed in the created-log before they are
//! made; the sentinels come last and stay staged for the commit, which also gives the new
//! directories their final mode and time. In a dry run the same decisions are taken and
//! counted, and no write call is made.

use crate::bindings::exports::wp_init::installer::installer::{EntryKind, Error};
use crate::fs::{Dir, Presence, describe};
use crate::install::{Run, path_error};
use crate::sentinels;
use wasip2::filesystem::types::{DescriptorType, ErrorCode};
use wp_init_core::layout::{
    CONTENT_DIR, DEFAULT_MOUNT_POINTS, is_excludable, is_own_name, is_pluggable, is_sentinel,
    is_temp_name, join, temp_name,
};

/// Removes (or, in a dry run, lists) leftover temporaries directly in `dir`, whose path
/// relative to TARGET is `rel`.
pub fn clean_temps(run: &mut Run, dir: &Dir, rel: &str) -> Result<(), Error> {
    for (name, _) in dir.entries()? {
        if !is_temp_name(&name) {
            continue;
        }
        let child = join(rel, &name);
        if !run.dry_run {
            dir.remove_tree(&name)?;
        }
        let msg = run.word("Removed", "Would remove");
        run.say(&format!(
            "{msg} leftover temporary '{}' of an interrupted run",
            run.in_target(&child)
        ));
        run.report.temporaries_removed.push(child);
    }
    Ok(())
}

/// Copies SOURCE into TARGET (TARGET's own temporaries are already cleaned up).
pub fn copy_tree(run: &mut Run, src: &Dir, tgt: &Dir) -> Result<(), Error> {
    let now = run.word("copying now...", "would copy now...");
    run.say(&format!("WordPress not found in {} - {now}", run.target));
    if tgt
        .entries()?
        .iter()
        .any(|(n, _)| n != CONTENT_DIR && !is_own_name(n))
    {
        let anyhow = run.word("copying anyhow", "would copy anyhow");
        run.warn(&format!("{} is not empty! ({anyhow})", run.target));
    }

    let mut deferred = Vec::new();
    copy_dir(run, src, Some(tgt), "", &mut deferred)?;
    let extra = std::mem::take(&mut run.mount_points);
    for m in DEFAULT_MOUNT_POINTS
        .iter()
        .copied()
        .chain(extra.iter().map(String::as_str))
    {
        mount_point(run, tgt, m)?;
    }
    check_created_symlinks(run, tgt)?;
    sentinels::copy_sentinels(run, src, tgt, &deferred)?;

    if run.dry_run {
        let r = &run.report;
        run.say(&format!(
            "Complete! WordPress would be copied to {} ({} files, {} bytes, {} directories, {} symlinks)",
            run.target, r.files_copied, r.bytes_copied, r.dirs_created, r.symlinks_copied
        ));
    } else {
        run.say(&format!(
            "Complete! WordPress has been successfully copied to {}",
            run.target
        ));
    }
    Ok(())
}

/// Copies the entries of `src` (SOURCE-relative `rel`) into `tgt`, which is `None` in a
/// dry run when the directory would be created. Sentinels go to `deferred`.
fn copy_dir(
    run: &mut Run,
    src: &Dir,
    tgt: Option<&Dir>,
    rel: &str,
    deferred: &mut Vec<String>,
) -> Result<(), Error> {
    for (name, ty) in src.entries()? {
        let child = join(rel, &name);
        if is_own_name(&name) {
            run.warn(&format!(
                "'{}' has the prefix of wp-init's own files; not copied",
                run.in_source(&child)
            ));
        } else if is_sentinel(&child) {
            deferred.push(child);
        } else {
            copy_entry(run, src, tgt, &name, &child, ty, deferred)?;
        }
    }
    Ok(())
}

/// Copies one entry `name` of `src` (relative path `rel`) into `tgt`.
pub(crate) fn copy_entry(
    run: &mut Run,
    src: &Dir,
    tgt: Option<&Dir>,
    name: &str,
    rel: &str,
    ty: DescriptorType,
    deferred: &mut Vec<String>,
) -> Result<(), Error> {
    if excluded(run, src, tgt, name, rel, ty)? {
        return Ok(());
    }
    match ty {
        DescriptorType::Directory => copy_subdir(run, src, tgt, name, rel, deferred),
        DescriptorType::RegularFile => match tgt.filter(|_| !run.dry_run) {
            Some(t) => {
                let staged = stage_file(run, src, t, name, rel)?;
                if is_excludable(rel, false) {
                    run.log_created(rel)?;
                }
                commit_file(run, t, staged)
            }
            None => plan_file(run, src, tgt, name, rel),
        },
        DescriptorType::SymbolicLink => copy_symlink(run, src, tgt, name, rel),
        other => {
            let what = match other {
                DescriptorType::Fifo => "a fifo",
                DescriptorType::Socket => "a socket",
                DescriptorType::BlockDevice => "a block device",
                DescriptorType::CharacterDevice => "a character device",
                _ => "a special file (not a regular file, directory or symlink)",
            };
            run.warn(&format!("'{}' is {what}; not copied", run.in_source(rel)));
            Ok(())
        }
    }
}

/// The exclusion rule: `.htaccess` and `wp-content/*/*` directories that TARGET already
/// has (following symlinks) are left alone, with a warning.
fn excluded(
    run: &mut Run,
    src: &Dir,
    tgt: Option<&Dir>,
    name: &str,
    rel: &str,
    ty: DescriptorType,
) -> Result<bool, Error> {
    let link = ty == DescriptorType::SymbolicLink;
    let is_dir = match ty {
        DescriptorType::Directory => true,
        _ if link && is_pluggable(rel) => src
            .stat(name)
            .is_ok_and(|st| st.type_ == DescriptorType::Directory),
        _ => false,
    };
    if !is_excludable(rel, is_dir) || run.adopted.contains(rel) {
        return Ok(false);
    }
    // Upstream only considers candidates that exist in SOURCE (`-e`, so not dangling).
    if link && !src.exists(name)? {
        return Ok(false);
    }
    let Some(t) = tgt else { return Ok(false) };
    if !t.exists(name)? {
        return Ok(false);
    }
    let not = run.word("not copying", "would not copy");
    run.warn(&format!(
        "'{}' exists! ({not} the WordPress version)",
        run.in_target(rel)
    ));
    run.report.excluded.push(rel.to_owned());
    Ok(true)
}

/// A directory: kept if TARGET has one, else created (replacing a symlink or file).
fn copy_subdir(
    run: &mut Run,
    src: &Dir,
    tgt: Option<&Dir>,
    name: &str,
    rel: &str,
    deferred: &mut Vec<String>,
) -> Result<(), Error> {
    let s = src.open_dir(name, false, src.show(name))?;
    let mut replace = false;
    if let Some(t) = tgt {
        match t.lstat(name) {
            Ok(st) if st.type_ == DescriptorType::Directory => {
                // Pre-existing: keep it and its metadata as they are, unless an
                // interrupted run created it: then it is finished as this run's own.
                if run.adopted.contains(rel) {
                    run.report.dirs_created += 1;
                    run.created(rel, EntryKind::Directory, rel);
                }
                let sub = t.open_dir(name, !run.dry_run, t.show(name))?;
                clean_temps(run, &sub, rel)?;
                return copy_dir(run, &s, Some(&sub), rel, deferred);
            }
            Ok(st) => {
                let what = if st.type_ == DescriptorType::SymbolicLink {
                    "a symlink"
                } else {
                    "not a directory"
                };
                let done = run.word("replaced", "would be replaced");
                run.warn(&format!(
                    "'{}' is {what}; {done} by a directory",
                    run.in_target(rel)
                ));
                replace = true;
            }
            Err(e) if e.code == ErrorCode::NoEntry => {}
            Err(e) => return Err(e.into()),
        }
    }

    run.report.dirs_created += 1;
    run.created(rel, EntryKind::Directory, rel);
    let Some(t) = tgt.filter(|_| !run.dry_run) else {
        return copy_dir(run, &s, None, rel, deferred);
    };
    let shown = run.in_target(rel);
    let pluggable = is_pluggable(rel);
    let build = if pluggable {
        temp_name(name, run.nonce)
    } else {
        name.to_owned()
    };
    if replace && !pluggable {
        t.unlink(name)?;
    }
    run.log_created(rel)?;
    t.mkdir(&build).map_err(|e| e.at(&shown))?;
    {
        // Its mode and time are set by the commit, after everything inside is in place.
        let sub = t.open_dir(&build, true, shown.clone())?;
        copy_dir(run, &s, Some(&sub), rel, deferred)?;
    }
    if pluggable {
        if replace {
            t.unlink(name)?;
        }
        t.rename(&build, name)?;
    }
    Ok(())
}

/// A file copied under a temporary name, waiting to be renamed into place.
pub(crate) struct Staged {
    pub(crate) tmp: String,
    name: String,
    pub(crate) rel: String,
    bytes: u64,
}

/// Copies the file `name` of `src` into `tgt` under a temporary name, with its mtime.
pub(crate) fn stage_file(
    run: &Run,
    src: &Dir,
    tgt: &Dir,
    name: &str,
    rel: &str,
) -> Result<Staged, Error> {
    let input = src.open_read(name, false)?;
    let st = input.stat()?;
    let tmp = temp_name(name, run.nonce);
    let shown = run.in_target(rel);
    let out = tgt.create_new(&tmp, &shown)?;
    let copied = input
        .copy_to(&out, st.size)
        .and_then(|n| out.set_mtime(st.data_modification_timestamp).map(|()| n));
    drop(out);
    match copied {
        Ok(bytes) => Ok(Staged {
            tmp,
            name: name.to_owned(),
            rel: rel.to_owned(),
            bytes,
        }),
        Err(e) => {
            let _ = tgt.unlink(&tmp);
            Err(e.into())
        }
    }
}

/// Renames a staged file over its final name and records it.
fn commit_file(run: &mut Run, tgt: &Dir, staged: Staged) -> Result<(), Error> {
    if let Err(e) = tgt.rename(&staged.tmp, &staged.name) {
        let _ = tgt.unlink(&staged.tmp);
        return Err(e.into());
    }
    record_file(run, &staged);
    Ok(())
}

/// Counts a copied file and lists it as created.
pub(crate) fn record_file(run: &mut Run, staged: &Staged) {
    run.report.files_copied += 1;
    run.report.bytes_copied += staged.bytes;
    run.created(&staged.rel, EntryKind::File, &staged.rel);
}

/// Dry run: counts a file that would be copied, and fails as the copy would if a
/// directory is in the way.
fn plan_file(
    run: &mut Run,
    src: &Dir,
    tgt: Option<&Dir>,
    name: &str,
    rel: &str,
) -> Result<(), Error> {
    let size = src.lstat(name)?.size;
    dir_in_the_way(run, tgt, name, rel)?;
    run.report.files_copied += 1;
    run.report.bytes_copied += size;
    run.created(rel, EntryKind::File, rel);
    Ok(())
}

/// Dry run: the error the rename of a file or symlink over a directory would give.
fn dir_in_the_way(run: &Run, tgt: Option<&Dir>, name: &str, rel: &str) -> Result<(), Error> {
    match tgt {
        Some(t)
            if t.lstat(name)
                .is_ok_and(|st| st.type_ == DescriptorType::Directory) =>
        {
            Err(Error::Io(path_error(
                run.in_target(rel),
                describe(ErrorCode::IsDirectory),
            )))
        }
        _ => Ok(()),
    }
}

/// A symlink: recreated with the same text (see [`checked_link_text`]).
fn copy_symlink(
    run: &mut Run,
    src: &Dir,
    tgt: Option<&Dir>,
    name: &str,
    rel: &str,
) -> Result<(), Error> {
    let text = checked_link_text(run, src, name, rel)?;
    if run.dry_run {
        dir_in_the_way(run, tgt, name, rel)?;
    } else if let Some(t) = tgt {
        let tmp = stage_symlink(run, t, &text, name, rel)?;
        if let Err(e) = t.rename(&tmp, name) {
            let _ = t.unlink(&tmp);
            return Err(e.into());
        }
    }
    run.report.symlinks_copied += 1;
    run.created(rel, EntryKind::Symlink, rel);
    Ok(())
}

/// Creates a symlink to `text` in `tgt` under a temporary name for `name`; returns it.
pub(crate) fn stage_symlink(
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

/// The text of the symlink `name` in `src` (SOURCE-relative `rel`), if it resolves,
/// following the whole chain from SOURCE's root, to an entry inside SOURCE (the sandbox
/// refuses to follow it out); otherwise an error.
pub(crate) fn checked_link_text(
    run: &Run,
    src: &Dir,
    name: &str,
    rel: &str,
) -> Result<String, Error> {
    let text = match src.readlink(name) {
        Ok(text) => text,
        Err(e) if e.code == ErrorCode::NotPermitted => {
            let cause = "absolute symlink: the runtime refuses to read it (not-permitted)";
            return Err(Error::UnsafeSymlink(path_error(e.path, cause)));
        }
        Err(e) => return Err(e.into()),
    };
    let unresolved = if text.starts_with('/') {
        Some(format!("absolute symlink to '{text}'"))
    } else {
        match run.src_root.presence(rel)? {
            Presence::Present(_) => None,
            Presence::Unseen => Some(format!(
                "symlink to '{text}' resolves outside {}",
                run.source
            )),
            Presence::Absent => Some(format!(
                "symlink to '{text}' does not resolve to an entry inside {} (dangling or a loop)",
                run.source
            )),
        }
    };
    match unresolved {
        Some(cause) => Err(Error::UnsafeSymlink(path_error(src.show(name), cause))),
        None => Ok(text),
    }
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
            dir = Some(here.open_dir(comp, !run.dry_run, run.in_target(&at))?);
        }
    }
    Ok(())
}

/// Checks that no symlink this run created resolves outside TARGET (an entry already in
/// TARGET, such as the user's own symlink, can send a link that was safe in SOURCE
/// elsewhere): such a link is removed, and the run fails.
fn check_created_symlinks(run: &Run, tgt: &Dir) -> Result<(), Error> {
    if run.dry_run {
        return Ok(());
    }
    for c in run
        .report
        .created
        .iter()
        .filter(|c| c.kind == EntryKind::Symlink)
    {
        if let Presence::Unseen = tgt.presence(&c.path)? {
            tgt.unlink(&c.path)?;
            return Err(Error::UnsafeSymlink(path_error(
                run.in_target(&c.path),
                "resolves outside TARGET through an entry already there; removed",
            )));
        }
    }
    Ok(())
}
