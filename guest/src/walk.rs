//! The walk of `install` and `upgrade`: list a directory on both sides, plan it
//! (`core::plan`), have the executor carry out each step, and recurse. A dry run is the
//! same walk on the [`Plan`](crate::exec::Plan) executor.

use crate::bindings::exports::wp_init::installer::installer::{EntryKind, Error};
use crate::copy::{self, clean_temps, unsafe_link};
use crate::exec::{Executor, NewDir};
use crate::fs::{Access, Dir, describe};
use crate::grant::path_error;
use crate::listing;
use crate::run::Run;
use wasip2::filesystem::types::{DescriptorType, ErrorCode};
use wp_init_core::journal::Line;
use wp_init_core::layout::{DEFAULT_MOUNT_POINTS, join};
use wp_init_core::plan::{Entry, Kind, Known, Planned, Resolved, Scope, Step, plan_dir};

/// One walk: the executor, the run, and the sentinels met (copied last).
pub struct Walk<'a, E: Executor> {
    /// What carries out the steps.
    pub ex: &'a E,
    /// The run.
    pub run: &'a mut Run,
    /// The sentinels met, for [`crate::sentinels`].
    pub deferred: Vec<String>,
}

/// A directory of the walk: its path from the roots, and each side's handle.
pub struct At<'d, E: Executor> {
    /// Its path relative to SOURCE and TARGET.
    pub rel: &'d str,
    /// SOURCE's directory.
    pub src: &'d Dir,
    /// TARGET's directory.
    pub tgt: &'d E::Dir,
    /// Made by this run: nothing to list.
    pub fresh: bool,
}

impl<E: Executor> Walk<'_, E> {
    /// Plans and carries out the directory `at` with `scope`.
    pub fn dir(&mut self, scope: Scope, at: &At<E>) -> Result<(), Error> {
        let run = &*self.run;
        let src_list = listing::source(&run.src_root, at.src, at.rel)?;
        let tgt_list = match self.ex.existing(at.tgt).filter(|_| !at.fresh) {
            Some(t) => listing::target(t, at.rel, &|p| run.mounts.contains(p))?,
            None => Vec::new(),
        };
        let known = Known {
            adopted: &|p: &str| run.left.adopted.contains(p),
            was_core: &|p: &str| run.was_core(p),
        };
        for Planned { name, step } in plan_dir(scope, at.rel, &src_list, &tgt_list, &known) {
            let path = join(at.rel, &name);
            if !self.run.leaves(&path) {
                self.step(at, &src_list, &name, &path, step)?;
            }
        }
        Ok(())
    }

    /// Carries out `step` for the entry `name` (`path`) of `at`.
    fn step(
        &mut self,
        at: &At<E>,
        src_list: &[Entry],
        name: &str,
        path: &str,
        step: Step,
    ) -> Result<(), Error> {
        let (ex, run) = (self.ex, &mut *self.run);
        match step {
            Step::SkipOwnName => run.warn(&format!(
                "'{}' has the prefix of wp-init's own files; not copied",
                run.in_source(path)
            )),
            Step::SkipSpecial => {
                let what = kind_words(at.src.lstat(name)?.type_);
                run.warn(&format!("'{}' is {what}; not copied", run.in_source(path)));
            }
            Step::UnsafeLink => {
                let resolved = match find(src_list, name) {
                    Some(Kind::Symlink(r)) => r,
                    _ => Resolved::Dangling,
                };
                return Err(unsafe_link(run, at.src, name, resolved));
            }
            Step::Keep { warn } => keep(run, path, warn),
            Step::Defer => self.deferred.push(path.to_owned()),
            Step::Enter { scope, adopted } => self.enter(at, name, path, scope, adopted)?,
            Step::MakeDir {
                replace,
                staged,
                scope,
            } => self.make_dir(at, name, path, NewDir { replace, staged }, scope)?,
            Step::CopyFile { replaces } => {
                ex.copy_file(run, at.src, at.tgt, name, path)?;
                run.note_change(path, replaces);
            }
            Step::CopyLink { replaces } => {
                ex.copy_link(run, &at.src.readlink(name)?, at.tgt, name, path)?;
                run.note_change(path, replaces);
            }
            Step::DirInTheWay => {
                return Err(Error::Io(path_error(
                    run.in_target(path),
                    describe(ErrorCode::IsDirectory),
                )));
            }
            Step::Remove => {
                if let Some(t) = ex.existing(at.tgt).filter(|_| !at.fresh) {
                    copy::remove_stale(ex, run, t, name, path)?;
                }
            }
            Step::KeepExtra => {
                let keep = run.real_or_dry("kept", "would keep");
                run.warn(&format!(
                    "'{}' is not in the new WordPress and not known to be part of the old one; {keep}",
                    run.in_target(path)
                ));
                run.kept(path);
            }
            Step::LeaveMount => leave_mount(run, path),
            Step::KeepSymlink => run.warn(&format!(
                "'{}' is a symlink; left alone (an upgrade never replaces a symlinked directory outside wp-admin/ and wp-includes/)",
                run.in_target(path)
            )),
        }
        Ok(())
    }

    /// Enters TARGET's directory `name` (`path`), made by an interrupted run when
    /// `adopted`, and walks it with `scope`.
    fn enter(
        &mut self,
        at: &At<E>,
        name: &str,
        path: &str,
        scope: Scope,
        adopted: bool,
    ) -> Result<(), Error> {
        let run = &mut *self.run;
        if adopted {
            run.report.dirs_created += 1;
            run.created(path, EntryKind::Directory, path)?;
        } else {
            run.announce(&Line::Entered {
                path: path.to_owned(),
            })?;
        }
        let src = at.src.open_dir(name, Access::Read)?;
        let tgt = self.ex.enter(at.tgt, name)?;
        clean_temps(self.ex, self.run, &tgt, path)?;
        let sub = At {
            rel: path,
            src: &src,
            tgt: &tgt,
            fresh: false,
        };
        self.dir(scope, &sub)
    }

    /// Makes the directory `name` (`path`) as `how` says and fills it with `scope`. Its
    /// mode and time are set by the commit, after everything inside is in place.
    fn make_dir(
        &mut self,
        at: &At<E>,
        name: &str,
        path: &str,
        how: NewDir,
        scope: Scope,
    ) -> Result<(), Error> {
        let run = &mut *self.run;
        if how.replace {
            let link = self.ex.existing(at.tgt).is_some_and(|t| {
                t.lstat(name)
                    .is_ok_and(|st| st.type_ == DescriptorType::SymbolicLink)
            });
            let what = if link { "a symlink" } else { "not a directory" };
            let done = run.real_or_dry("replaced", "would be replaced");
            run.warn(&format!(
                "'{}' is {what}; {done} by a directory",
                run.in_target(path)
            ));
        }
        run.report.dirs_created += 1;
        run.created(path, EntryKind::Directory, path)?;
        let src = at.src.open_dir(name, Access::Read)?;
        let tgt = self.ex.make_dir(run, at.tgt, name, path, how)?;
        let sub = At {
            rel: path,
            src: &src,
            tgt: &tgt,
            fresh: true,
        };
        self.dir(scope, &sub)?;
        drop(tgt);
        self.ex.place_dir(self.run, at.tgt, name, how)
    }
}

/// Leaves TARGET's entry at `path` (the exclusion rule's warning when `warn`).
fn keep(run: &mut Run, path: &str, warn: bool) {
    if warn {
        let not = run.real_or_dry("not copying", "would not copy");
        run.warn(&format!(
            "'{}' exists! ({not} the WordPress version)",
            run.in_target(path)
        ));
        run.report.excluded.push(path.to_owned());
    }
}

/// Leaves the volume mounted at `path` alone, saying so unless it is a named mount point.
fn leave_mount(run: &mut Run, path: &str) {
    let named = DEFAULT_MOUNT_POINTS.contains(&path) || run.mount_points.iter().any(|m| m == path);
    if !named {
        run.warn(&format!(
            "'{}' is a volume mounted inside {}; left alone",
            run.in_target(path),
            run.target
        ));
    }
    run.kept(path);
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
