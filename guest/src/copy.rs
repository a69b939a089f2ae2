//! The copy step: walk SOURCE depth-first in name order and recreate it in TARGET.
//!
//! Files and symlinks are made under a temporary name and renamed over their final name;
//! new `wp-content/*/*` directories are built under a temporary name and renamed into
//! place when complete; the sentinels are written last, `index.php` very last. In a dry
//! run the same decisions are taken and counted, and no write call is made.

use crate::bindings::exports::wp_init::installer::installer::{EntryKind, Error};
use crate::fs::{Dir, describe};
use crate::install::{Run, path_error};
use crate::sentinels;
use wasip2::filesystem::types::{DescriptorType, ErrorCode};
use wp_init_core::layout::{
    CONTENT_DIR, is_excludable, is_pluggable, is_sentinel, is_temp_name, join, symlink_escapes,
    temp_name,
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
        .any(|(n, _)| n != CONTENT_DIR && !is_temp_name(n))
    {
        let anyhow = run.word("copying anyhow", "would copy anyhow");
        run.warn(&format!("{} is not empty! ({anyhow})", run.target));
    }

    let mut deferred = Vec::new();
    copy_dir(run, src, Some(tgt), "", &mut deferred)?;
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
        if is_temp_name(&name) {
            run.warn(&format!(
                "'{}' has wp-init's temporary prefix; not copied",
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
    if !is_excludable(rel, is_dir) {
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
                // Pre-existing: keep it and its metadata as they are.
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
    t.mkdir(&build).map_err(|e| e.at(&shown))?;
    {
        let sub = t.open_dir(&build, true, shown.clone())?;
        copy_dir(run, &s, Some(&sub), rel, deferred)?;
        sub.set_mtime(s.stat_self()?.data_modification_timestamp)?;
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
pub(crate) fn commit_file(run: &mut Run, tgt: &Dir, staged: Staged) -> Result<(), Error> {
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

/// A symlink: recreated with the same text, unless it is absolute or leaves SOURCE.
fn copy_symlink(
    run: &mut Run,
    src: &Dir,
    tgt: Option<&Dir>,
    name: &str,
    rel: &str,
) -> Result<(), Error> {
    let text = match src.readlink(name) {
        Ok(text) => text,
        Err(e) if matches!(e.code, ErrorCode::NotPermitted | ErrorCode::Access) => {
            let cause = format!(
                "absolute symlink: the runtime refuses to read it ({})",
                e.code.name()
            );
            return Err(Error::UnsafeSymlink(path_error(e.path, cause)));
        }
        Err(e) => return Err(e.into()),
    };
    if symlink_escapes(rel, &text) {
        let cause = if text.starts_with('/') {
            format!("absolute symlink to '{text}'")
        } else if text.is_empty() {
            "empty symlink".to_owned()
        } else {
            format!("symlink to '{text}' points outside {}", run.source)
        };
        return Err(Error::UnsafeSymlink(path_error(src.show(name), cause)));
    }
    if run.dry_run {
        dir_in_the_way(run, tgt, name, rel)?;
    } else if let Some(t) = tgt {
        let tmp = temp_name(name, run.nonce);
        t.symlink(&text, &tmp)
            .map_err(|e| e.at(&run.in_target(rel)))?;
        if let Err(e) = t.rename(&tmp, name) {
            let _ = t.unlink(&tmp);
            return Err(e.into());
        }
    }
    run.report.symlinks_copied += 1;
    run.created(rel, EntryKind::Symlink, rel);
    Ok(())
}
