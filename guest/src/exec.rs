//! What a run does to TARGET, behind one trait: [`Write`] makes the calls, [`Plan`]
//! (`--dry-run`) makes none, and a directory it would make is `None` to it. The steps
//! (the walk, mount points, sentinels, config, recovery, commit) run the same code on
//! either and record the same counts, journal lines and messages: the plan is the run.

use crate::bindings::exports::wp_init::installer::installer::Error;
use crate::fs::{Access, Dir};
use crate::run::{Run, Tense};
use wasip2::filesystem::types::{DescriptorType, ErrorCode};
use wp_init_core::commit::{Journal, Rename};
use wp_init_core::journal::Line;
use wp_init_core::layout::{is_excludable, join, temp_name};

mod write;
pub use write::Write;

/// How a directory the walk fills is made.
#[derive(Clone, Copy)]
pub struct NewDir {
    /// TARGET has a non-directory at its name, removed.
    pub replace: bool,
    /// Built under a temporary name and renamed into place when complete (a
    /// `wp-content/*/*` directory).
    pub staged: bool,
}

/// How an entry is removed.
#[derive(Clone, Copy)]
pub enum Removal {
    /// A file or symlink.
    Entry,
    /// An empty directory.
    EmptyDir,
    /// A directory with all it holds (wp-init's own temporaries only).
    Tree,
}

/// What a run does to TARGET.
pub trait Executor {
    /// A directory of TARGET as this executor holds it.
    type Dir;
    /// The tense of the run's words and statuses.
    const TENSE: Tense;
    /// What the executor's handles on existing directories may do.
    const ACCESS: Access;

    /// TARGET's root.
    fn root(&self, tgt: &Dir) -> Result<Self::Dir, Error>;
    /// The directory as it is, if it exists (a directory a plan would make does not).
    fn existing<'a>(&self, d: &'a Self::Dir) -> Option<&'a Dir>;
    /// The subdirectory `name` (a relative path) of `d`, there before this step.
    fn enter(&self, d: &Self::Dir, name: &str) -> Result<Self::Dir, Error>;
    /// Makes the empty directory `name` (`rel`) of `d` (a mount point), already journaled.
    fn mkdir(
        &self,
        run: &mut Run,
        d: &Self::Dir,
        name: &str,
        rel: &str,
    ) -> Result<Self::Dir, Error>;
    /// Makes the directory `name` (`rel`) of `d` that the walk fills, already journaled.
    fn make_dir(
        &self,
        run: &mut Run,
        d: &Self::Dir,
        name: &str,
        rel: &str,
        how: NewDir,
    ) -> Result<Self::Dir, Error>;
    /// Puts a directory made by [`Executor::make_dir`], now filled, in place.
    fn place_dir(&self, run: &Run, d: &Self::Dir, name: &str, how: NewDir) -> Result<(), Error>;
    /// Copies SOURCE's file `name` (`rel`) of `src` over `d`'s; counts and journals it.
    fn copy_file(
        &self,
        run: &mut Run,
        src: &Dir,
        d: &Self::Dir,
        name: &str,
        rel: &str,
    ) -> Result<(), Error>;
    /// Recreates a symlink to `text` at `name` (`rel`) of `d`; counts and journals it.
    fn copy_link(
        &self,
        run: &mut Run,
        text: &str,
        d: &Self::Dir,
        name: &str,
        rel: &str,
    ) -> Result<(), Error>;
    /// Copies SOURCE's file or symlink `entry` (name, path) of type `ty` into `d` under a
    /// temporary name for the commit, returned; counts and journals it.
    fn stage(
        &self,
        run: &mut Run,
        src: &Dir,
        d: &Self::Dir,
        entry: (&str, &str),
        ty: DescriptorType,
    ) -> Result<Option<String>, Error>;
    /// Writes the file `name` at TARGET's root under a temporary name for the commit,
    /// with the bytes `content` makes; returns the rename that commits it.
    fn stage_new(
        &self,
        run: &Run,
        tgt: &Dir,
        name: &str,
        content: &mut dyn FnMut() -> Result<Vec<u8>, Error>,
    ) -> Result<Option<Rename>, Error>;
    /// Removes the entry `name` of `d`.
    fn remove(&self, d: &Dir, name: &str, how: Removal) -> Result<(), Error>;
    /// Finishes the journaled commit of an interrupted run whose journal is `name`.
    fn finish_left(&self, tgt: &Dir, journal: &Journal, name: &str) -> Result<(), Error>;
    /// The run's own commit (when no host commits), then the `complete` message.
    fn commit(
        &self,
        run: &mut Run,
        src: &Dir,
        tgt: &Dir,
        complete: Option<String>,
    ) -> Result<(), Error>;
}

/// A dry run: reads TARGET, changes nothing.
pub struct Plan;

impl Executor for Plan {
    /// `None`: a directory the run would make.
    type Dir = Option<Dir>;
    const TENSE: Tense = Tense::Planning;
    const ACCESS: Access = Access::Read;

    fn root(&self, tgt: &Dir) -> Result<Option<Dir>, Error> {
        Ok(Some(tgt.reopen(Self::ACCESS)?))
    }

    fn existing<'a>(&self, d: &'a Option<Dir>) -> Option<&'a Dir> {
        d.as_ref()
    }

    fn enter(&self, d: &Option<Dir>, name: &str) -> Result<Option<Dir>, Error> {
        let Some(d) = d else { return Ok(None) };
        match d.open_dir(name, Self::ACCESS) {
            Ok(sub) => Ok(Some(sub)),
            // One the walk plans to make.
            Err(e) if e.code == ErrorCode::NoEntry => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    fn mkdir(&self, _: &mut Run, _: &Option<Dir>, _: &str, _: &str) -> Result<Option<Dir>, Error> {
        Ok(None)
    }

    fn make_dir(
        &self,
        _: &mut Run,
        _: &Option<Dir>,
        _: &str,
        _: &str,
        _: NewDir,
    ) -> Result<Option<Dir>, Error> {
        Ok(None)
    }

    fn place_dir(&self, _: &Run, _: &Option<Dir>, _: &str, _: NewDir) -> Result<(), Error> {
        Ok(())
    }

    fn copy_file(
        &self,
        run: &mut Run,
        src: &Dir,
        _: &Option<Dir>,
        name: &str,
        rel: &str,
    ) -> Result<(), Error> {
        let size = src.lstat(name)?.size;
        run.count_file(rel, size)
    }

    fn copy_link(
        &self,
        run: &mut Run,
        _: &str,
        _: &Option<Dir>,
        _: &str,
        rel: &str,
    ) -> Result<(), Error> {
        run.count_link(rel)
    }

    fn stage(
        &self,
        run: &mut Run,
        src: &Dir,
        d: &Option<Dir>,
        (name, rel): (&str, &str),
        ty: DescriptorType,
    ) -> Result<Option<String>, Error> {
        match ty {
            DescriptorType::SymbolicLink => self.copy_link(run, "", d, name, rel)?,
            _ => self.copy_file(run, src, d, name, rel)?,
        }
        Ok(None)
    }

    fn stage_new(
        &self,
        _: &Run,
        _: &Dir,
        _: &str,
        _: &mut dyn FnMut() -> Result<Vec<u8>, Error>,
    ) -> Result<Option<Rename>, Error> {
        Ok(None)
    }

    fn remove(&self, _: &Dir, _: &str, _: Removal) -> Result<(), Error> {
        Ok(())
    }

    fn finish_left(&self, _: &Dir, _: &Journal, _: &str) -> Result<(), Error> {
        Ok(())
    }

    fn commit(&self, _: &mut Run, _: &Dir, _: &Dir, _: Option<String>) -> Result<(), Error> {
        Ok(())
    }
}

/// Journals an entry that the exclusion rule looks at before it is put in place: a
/// rerun would take it for the user's.
fn flush_if_excludable(run: &mut Run, rel: &str, link: bool) -> Result<(), Error> {
    if is_excludable(rel, link) {
        run.flush()?;
    }
    Ok(())
}

/// The journal line of a staging directory `build` next to `rel`.
fn staging_line(rel: &str, build: &str) -> Line {
    let parent = rel.rsplit_once('/').map_or("", |(parent, _)| parent);
    Line::Staging {
        path: join(parent, build),
    }
}

/// The temporary name of `name` in this run.
fn temporary(run: &Run, name: &str) -> String {
    temp_name(name, run.nonce)
}
