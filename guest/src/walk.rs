//! The walk of `install` and `upgrade`: list a directory on both sides, plan it
//! (`core::plan`), execute the steps, and recurse. In a dry run the same steps are
//! recorded and no write call is made.

use crate::bindings::exports::wp_init::installer::installer::{EntryKind, Error};
use crate::copy::{self, link_text, unsafe_link};
use crate::fs::{Access, Dir, describe};
use crate::listing;
use crate::run::{Run, path_error};
use wasip2::filesystem::types::{DescriptorType, ErrorCode};
use wp_init_core::journal::Line;
use wp_init_core::layout::DEFAULT_MOUNT_POINTS;
use wp_init_core::layout::{is_excludable, join, temp_name};
use wp_init_core::plan::{Entry, Kind, Known, Planned, Resolved, Scope, Step, plan_dir};

/// TARGET's side of the directory being walked.
#[derive(Clone, Copy)]
pub enum Target<'a> {
    /// A directory that was there before this run.
    Existing(&'a Dir),
    /// A directory this run has just made (empty: nothing to list).
    New(&'a Dir),
    /// Dry run: a directory that would be made.
    Planned,
}

impl<'a> Target<'a> {
    /// The directory to write into, unless this is a dry run.
    fn writable(self, run: &Run) -> Option<&'a Dir> {
        match self {
            Target::Existing(d) | Target::New(d) if !run.dry_run => Some(d),
            _ => None,
        }
    }
}

/// Plans and executes the directory at `rel`, SOURCE's `src`, TARGET's `tgt`, with
/// `scope`; the sentinels met go to `deferred`.
pub fn walk(
    run: &mut Run,
    scope: Scope,
    rel: &str,
    src: &Dir,
    tgt: Target,
    deferred: &mut Vec<String>,
) -> Result<(), Error> {
    let src_list = listing::source(&run.src_root, src, rel)?;
    let tgt_list = match tgt {
        Target::Existing(t) => listing::target(t, rel, &|p| run.mounts.contains(p))?,
        Target::New(_) | Target::Planned => Vec::new(),
    };
    let known = Known {
        adopted: &|p: &str| run.left.adopted.contains(p),
        was_core: &|p: &str| run.was_core(p),
    };
    let plan = plan_dir(scope, rel, &src_list, &tgt_list, &known);
    for Planned { name, step } in plan {
        let path = join(rel, &name);
        if run.leaves(&path) {
            continue;
        }
        match step {
            Step::SkipOwnName => run.warn(&format!(
                "'{}' has the prefix of wp-init's own files; not copied",
                run.in_source(&path)
            )),
            Step::SkipSpecial => {
                let what = kind_words(src.lstat(&name)?.type_);
                run.warn(&format!("'{}' is {what}; not copied", run.in_source(&path)));
            }
            Step::UnsafeLink => {
                let resolved = match find(&src_list, &name) {
                    Some(Kind::Symlink(r)) => r,
                    _ => Resolved::Dangling,
                };
                return Err(unsafe_link(run, src, &name, resolved));
            }
            Step::Keep { warn: false } => {}
            Step::Keep { warn: true } => {
                let not = run.real_or_dry("not copying", "would not copy");
                run.warn(&format!(
                    "'{}' exists! ({not} the WordPress version)",
                    run.in_target(&path)
                ));
                run.report.excluded.push(path);
            }
            Step::Defer => deferred.push(path),
            Step::Enter { scope, adopted } => {
                if adopted {
                    run.report.dirs_created += 1;
                    run.created(&path, EntryKind::Directory, &path)?;
                }
                let s = src.open_dir(&name, Access::Read)?;
                let sub = match tgt {
                    Target::Existing(t) | Target::New(t) => Some(t.open_dir(&name, run.access())?),
                    Target::Planned => None,
                };
                let next = match &sub {
                    Some(t) => {
                        if !adopted && !run.dry_run {
                            run.announce(&Line::Entered { path: path.clone() })?;
                        }
                        copy::clean_temps(run, t, &path)?;
                        Target::Existing(t)
                    }
                    None => Target::Planned,
                };
                walk(run, scope, &path, &s, next, deferred)?;
            }
            Step::MakeDir {
                replace,
                staged,
                scope,
            } => make_dir(
                run,
                src,
                tgt,
                &name,
                &path,
                (replace, staged),
                scope,
                deferred,
            )?,
            Step::CopyFile { replaces } => {
                match tgt.writable(run) {
                    Some(t) => copy::copy_file(run, src, t, &name, &path)?,
                    None => {
                        let size = src.lstat(&name)?.size;
                        copy::count_file(run, &path, size)?;
                    }
                }
                copy::note_change(run, &path, replaces);
            }
            Step::CopyLink { replaces } => {
                let text = link_text(src, &name)?;
                if let Some(t) = tgt.writable(run) {
                    let tmp = copy::stage_symlink(run, t, &text, &name, &path)?;
                    copy::count_link(run, &path)?;
                    // A link where the exclusion rule looks (`wp-content/themes/default`)
                    // would be taken for the user's by a rerun: journal it first.
                    if is_excludable(&path, true) {
                        run.flush()?;
                    }
                    copy::rename_staged(t, &tmp, &name)?;
                } else {
                    copy::count_link(run, &path)?;
                }
                run.created_links.push(path.clone());
                copy::note_change(run, &path, replaces);
            }
            Step::DirInTheWay => {
                return Err(Error::Io(path_error(
                    run.in_target(&path),
                    describe(ErrorCode::IsDirectory),
                )));
            }
            Step::Remove => {
                if let Target::Existing(t) = tgt {
                    copy::remove_stale(run, t, &name, &path)?;
                }
            }
            Step::KeepExtra => {
                let keep = run.real_or_dry("kept", "would keep");
                run.warn(&format!(
                    "'{}' is not in the new WordPress and not known to be part of the old one; {keep}",
                    run.in_target(&path)
                ));
                run.kept(&path);
            }
            Step::LeaveMount => {
                let named = DEFAULT_MOUNT_POINTS.contains(&path.as_str())
                    || run.mount_points.contains(&path);
                if !named {
                    run.warn(&format!(
                        "'{}' is a volume mounted inside {}; left alone",
                        run.in_target(&path),
                        run.target
                    ));
                }
                run.kept(&path);
            }
            Step::KeepSymlink => run.warn(&format!(
                "'{}' is a symlink; left alone (an upgrade never replaces a symlinked directory outside wp-admin/ and wp-includes/)",
                run.in_target(&path)
            )),
        }
    }
    Ok(())
}

/// The directory part of a relative path (`""` at the root).
fn parent_of(rel: &str) -> &str {
    rel.rsplit_once('/').map_or("", |(parent, _)| parent)
}

/// The kind of a SOURCE entry in its listing.
fn find(list: &[Entry], name: &str) -> Option<Kind> {
    list.binary_search_by(|e| e.name.as_str().cmp(name))
        .ok()
        .map(|i| list[i].kind)
}

/// An entry's kind in words.
pub fn kind_words(ty: DescriptorType) -> &'static str {
    match ty {
        DescriptorType::RegularFile => "a regular file",
        DescriptorType::Directory => "a directory",
        DescriptorType::SymbolicLink => "a symlink",
        DescriptorType::Fifo => "a fifo",
        DescriptorType::Socket => "a socket",
        DescriptorType::BlockDevice => "a block device",
        DescriptorType::CharacterDevice => "a character device",
        _ => "a special file (not a regular file, directory or symlink)",
    }
}

/// Makes the directory `name` (`rel`) and fills it: after removing TARGET's
/// non-directory when `replace`; under a temporary name, renamed into place when
/// complete, when `staged` (a `wp-content/*/*` directory). Its mode and time are set by
/// the commit, after everything inside is in place.
#[expect(
    clippy::too_many_arguments,
    reason = "the walk's state at this directory, passed down as the other steps take it"
)]
fn make_dir(
    run: &mut Run,
    src: &Dir,
    tgt: Target,
    name: &str,
    rel: &str,
    (replace, staged): (bool, bool),
    scope: Scope,
    deferred: &mut Vec<String>,
) -> Result<(), Error> {
    if replace {
        let link = match tgt {
            Target::Existing(t) => t
                .lstat(name)
                .is_ok_and(|st| st.type_ == DescriptorType::SymbolicLink),
            _ => false,
        };
        let what = if link { "a symlink" } else { "not a directory" };
        let done = run.real_or_dry("replaced", "would be replaced");
        run.warn(&format!(
            "'{}' is {what}; {done} by a directory",
            run.in_target(rel)
        ));
    }
    run.report.dirs_created += 1;
    run.created(rel, EntryKind::Directory, rel)?;
    let s = src.open_dir(name, Access::Read)?;
    let Some(t) = tgt.writable(run) else {
        return walk(run, scope, rel, &s, Target::Planned, deferred);
    };
    let shown = run.in_target(rel);
    let build = if staged {
        temp_name(name, run.nonce)
    } else {
        name.to_owned()
    };
    if replace && !staged {
        t.unlink(name)?;
    }
    if staged {
        run.journal.record(&Line::Staging {
            path: join(parent_of(rel), &build),
        })?;
    }
    // Journaled before it exists: a later run must know it for wp-init's.
    run.flush()?;
    t.mkdir(&build).map_err(|e| e.at(&shown))?;
    {
        let sub = t.open_dir(&build, Access::Change)?.known_as(shown.clone());
        walk(run, scope, rel, &s, Target::New(&sub), deferred)?;
    }
    if staged {
        if replace {
            t.unlink(name)?;
        }
        t.rename(&build, name)?;
    }
    Ok(())
}
