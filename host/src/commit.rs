//! The host's commit: `core::commit`'s journaled transaction on TARGET's open directory,
//! with modes (which WASI cannot set), and the recovery of an interrupted commit before
//! the component runs.
//!
//! Everything here is relative to TARGET's descriptor, walked one component at a time
//! with `O_NOFOLLOW`: a directory swapped for a symlink is refused, never followed.
//! Before the journal is written, the whole copy is flushed to disk (`syncfs`), and
//! every step is made durable (`fsync` of the directory it changed): after a power loss,
//! TARGET looks installed only if the whole copy reached the disk.

use std::fs::File;
use std::io::Write;

use rustix::fs::{AtFlags, Mode, OFlags, Timespec, Timestamps};
use rustix::io::Errno;

use crate::born::{self, Born, Floor};
use crate::dir_cache::DirCache;
use crate::journal::{JournalStream, read_lines};
use crate::owner::Owner;
use crate::permissions::{self, PermissionsReport};
use crate::roots::Root;
use crate::{Error, PathError};
use wp_init_core::commit::{
    self, DirFinal, Finisher, Journal, Rename, after_commit, before_commit,
};
use wp_init_core::core_record::{self, NAME as CORE_RECORD};
use wp_init_core::journal::{Line, MAX_LINE_BYTES, from_component};
use wp_init_core::layout::temp_name;
use wp_init_core::report::Created;

/// A journal file to remove once a commit is done: its name at TARGET's root, and the
/// file itself (emptied first, so that a copy renamed away meanwhile says nothing).
pub(crate) struct Retired {
    /// Its name.
    pub name: String,
    /// The open file.
    pub file: File,
}

/// [`Finisher`] on TARGET's open directory, appending the commit to `journal` and
/// retiring `retired` when done; no directory born before `floor`, and no mount point,
/// gets a mode or a time.
struct OnDisk<'a> {
    target: &'a Root,
    dirs: DirCache,
    journal: Option<&'a JournalStream>,
    retired: Vec<Retired>,
    floor: Option<Born>,
}

impl<'a> OnDisk<'a> {
    fn new(
        target: &'a Root,
        journal: Option<&'a JournalStream>,
        retired: Vec<Retired>,
        floor: Option<Born>,
    ) -> Self {
        OnDisk {
            target,
            dirs: DirCache::new(OFlags::RDONLY),
            journal,
            retired,
            floor,
        }
    }

    fn fail(&self, rel: &str, what: &str, e: impl std::fmt::Display) -> Error {
        fail(self.target, rel, what, e)
    }
}

fn fail(target: &Root, rel: &str, what: &str, e: impl std::fmt::Display) -> Error {
    Error::Commit(PathError {
        path: target.path_of(rel).display().to_string(),
        cause: format!("{what}: {e}"),
    })
}

/// The components of `rel`, a directory below TARGET (`""`: TARGET).
fn components(rel: &str) -> Vec<&str> {
    rel.split('/').filter(|c| !c.is_empty()).collect()
}

impl Finisher for OnDisk<'_> {
    type Error = Error;

    fn exists(&mut self, rel: &str) -> Result<bool, Error> {
        let (dir, name) = rel.rsplit_once('/').unwrap_or(("", rel));
        let target = self.target;
        let found = match self
            .dirs
            .get(target.fd(), &components(dir))
            .map_err(|(_, e)| e)
        {
            Ok(parent) => rustix::fs::statat(parent, name, AtFlags::SYMLINK_NOFOLLOW),
            Err(Errno::NOENT) => return Ok(false),
            Err(e) => return Err(fail(target, dir, "opening without following symlinks", e)),
        };
        match found {
            Ok(_) => Ok(true),
            Err(Errno::NOENT) => Ok(false),
            Err(e) => Err(fail(target, rel, "examining", e)),
        }
    }

    fn rename(&mut self, from: &str, to: &str) -> Result<(), Error> {
        let (from_dir, from_name) = from.rsplit_once('/').unwrap_or(("", from));
        let (to_dir, name) = to.rsplit_once('/').unwrap_or(("", to));
        if from_dir != to_dir {
            return Err(self.fail(to, "refusing to rename", "staged in another directory"));
        }
        let target = self.target;
        let parent = self
            .dirs
            .get(target.fd(), &components(to_dir))
            .map_err(|(_, e)| fail(target, to_dir, "opening without following symlinks", e))?;
        rustix::fs::renameat(parent, from_name, parent, name)
            .map_err(|e| fail(target, to, "renaming the staged file into place", e))?;
        rustix::fs::fsync(parent).map_err(|e| fail(target, to_dir, "flushing to disk", e))
    }

    fn finish_dir(&mut self, d: &DirFinal) -> Result<(), Error> {
        let target = self.target;
        let fd = self
            .dirs
            .get(target.fd(), &components(&d.path))
            .map_err(|(_, e)| fail(target, &d.path, "opening without following symlinks", e))?;
        let facts = born::facts(fd).map_err(|e| fail(target, &d.path, "examining", e))?;
        if facts.mount_root {
            return Err(fail(
                target,
                &d.path,
                "refusing to change it",
                "a mount point, not created by the run",
            ));
        }
        if let Some(why) = born::too_old(facts.born, self.floor) {
            return Err(Error::Commit(PathError {
                path: target.path_of(&d.path).display().to_string(),
                cause: why,
            }));
        }
        if let Some(mode) = d.mode {
            rustix::fs::fchmod(fd, Mode::from_raw_mode(mode)).map_err(|e| {
                fail(
                    target,
                    &d.path,
                    &format!("setting the mode to {mode:04o}"),
                    e,
                )
            })?;
        }
        if let Some(t) = d.mtime {
            let ts = Timespec {
                tv_sec: t.secs,
                tv_nsec: t.nanos.into(),
            };
            let times = Timestamps {
                last_access: ts,
                last_modification: ts,
            };
            rustix::fs::futimens(fd, &times)
                .map_err(|e| fail(target, &d.path, "setting the modification time", e))?;
        }
        Ok(())
    }

    fn write_commit(&mut self, journal: &Journal) -> Result<(), Error> {
        match self.journal {
            Some(j) => j.append_durably(&Line::Commit(journal.clone())),
            None => Ok(()),
        }
    }

    fn retire(&mut self) -> Result<(), Error> {
        let root = self.target.fd();
        for r in std::mem::take(&mut self.retired) {
            let failed = |what: &str, e: std::io::Error| fail(self.target, &r.name, what, e);
            r.file.set_len(0).map_err(|e| failed("emptying", e))?;
            // Only the file itself: whatever else was renamed to its name stays.
            let mine = rustix::fs::fstat(&r.file).map_err(|e| failed("examining", e.into()))?;
            match rustix::fs::statat(root, r.name.as_str(), AtFlags::SYMLINK_NOFOLLOW) {
                Ok(st) if (st.st_dev, st.st_ino) == (mine.st_dev, mine.st_ino) => {
                    rustix::fs::unlinkat(root, r.name.as_str(), AtFlags::empty())
                        .map_err(|e| failed("removing", e.into()))?;
                }
                _ => {}
            }
        }
        rustix::fs::fsync(root).map_err(|e| self.fail("", "flushing to disk", e))
    }
}

/// Finishes the commit `journal` an interrupted run appended to its journal file
/// `retired`, then retires that file. No directory born before `floor` (the earliest
/// journal at TARGET's root) gets a mode or a time, nor a mount point: a genuine commit
/// names only directories its run (or one it took over) made.
pub(crate) fn finish_left(
    target: &Root,
    journal: &Journal,
    retired: Retired,
    floor: Option<Born>,
) -> Result<(), Error> {
    commit::finish(
        journal,
        &mut OnDisk::new(target, None, vec![retired], floor),
    )
}

/// How many created entries the pass takes at once (its memory, not the tree's).
const PASS_CHUNK: usize = 64 * 1024;

/// The host's part of a run that wrote TARGET, as one transaction: owners and file modes
/// on exactly the entries the component's `journal` names (found where they are before
/// the commit: staged entries under their temporary names), each born no earlier than
/// `floor` and this run's journal, then the commit of the `staged` renames (after the
/// core record's, with `record`) and of each new directory's final mode and time, by its
/// final name; then the journals retire, this run's first, then the interrupted ones it
/// took over (`left`): a commit still in a journal always finds the journals whose
/// entries it adopted, and with them its floor.
///
/// The journal is read back one line at a time; past its first line (the host's), only
/// lines the component may write are taken (it can write to the file directly), and the
/// staged renames must each stay in one directory of TARGET, by plain relative paths.
#[allow(
    clippy::too_many_arguments,
    reason = "the transaction's parts, each named; a struct would only rename them"
)]
pub(crate) fn pass_then_commit(
    source: &Root,
    target: &Root,
    journal: &JournalStream,
    mut staged: Vec<Rename>,
    (owner, config_mode): (Option<Owner>, u32),
    left: Vec<Retired>,
    floor: Floor,
    record: bool,
) -> Result<PermissionsReport, Error> {
    check_staged(target, &staged)?;
    let floor = floor.with(journal.born()).born();
    let how = (owner, config_mode, floor);
    let (mut g, mine) = pass_journal(source, target, journal, &staged, how)?;
    let mut retired: Vec<Retired> = mine.into_iter().collect();
    retired.extend(left);
    for d in &mut g.dirs {
        d.path = after_commit(&d.path, &staged);
    }
    if record {
        let tmp = temp_name(CORE_RECORD, nonce());
        write_private(target, &tmp, core_record::text(g.core).as_bytes())?;
        staged.insert(
            0,
            Rename {
                temporary: tmp,
                path: CORE_RECORD.to_owned(),
            },
        );
    }
    let mut f = OnDisk::new(target, Some(journal), retired, floor);
    if staged.is_empty() && g.dirs.is_empty() {
        f.retire()?;
    } else {
        rustix::fs::syncfs(target.fd()).map_err(|e| f.fail("", "flushing the copy to disk", e))?;
        commit::commit(&Journal::new(staged, g.dirs), &mut f)?;
    }
    Ok(g.done)
}

/// What the pass over this run's journal gathered: its report, the new directories'
/// final modes and times, and the core entries for the record.
#[derive(Default)]
struct Gathered {
    done: PermissionsReport,
    dirs: Vec<DirFinal>,
    core: Vec<String>,
}

/// Reads this run's journal back a line at a time and gives modes and owners to the
/// entries it names as created (found under their staged names); returns what it
/// gathered and the journal, to retire once the commit is done (none if the run wrote
/// no line).
fn pass_journal(
    source: &Root,
    target: &Root,
    journal: &JournalStream,
    staged: &[Rename],
    how: (Option<Owner>, u32, Option<Born>),
) -> Result<(Gathered, Option<Retired>), Error> {
    let mut g = Gathered::default();
    let Some(file) = journal.reopen()? else {
        return Ok((g, None));
    };
    let name = journal.name();
    let shown = target.path_of(&name).display().to_string();
    let mut chunk = Vec::new();
    let (mut first, begin) = (true, journal.first_line());
    read_lines(&file, &shown, Some(MAX_LINE_BYTES), |text| {
        if std::mem::take(&mut first) {
            return match text == begin.as_bytes() {
                true => Ok(()),
                false => Err(refused(&shown, "its first line is not the host's")),
            };
        }
        let line = from_component(text).map_err(|why| refused(&shown, &why))?;
        if let Some(path) = core_record::core_path(&line) {
            g.core.push(path.to_owned());
        }
        if let Line::Created { path, kind, source } = line {
            chunk.push(Created {
                path: before_commit(&path, staged),
                kind,
                source_path: source,
            });
        }
        if chunk.len() == PASS_CHUNK {
            pass(source, target, &mut chunk, how, &mut g.done, &mut g.dirs)?;
        }
        Ok(())
    })?;
    pass(source, target, &mut chunk, how, &mut g.done, &mut g.dirs)?;
    Ok((g, Some(Retired { name, file })))
}

/// The refusal of a line of this run's journal.
fn refused(shown: &str, why: &str) -> Error {
    Error::Io(PathError {
        path: shown.to_owned(),
        cause: format!("refused what the component wrote to its journal: {why}"),
    })
}

/// Refuses a staged rename the commit would not make (`Rename::problem`).
fn check_staged(target: &Root, staged: &[Rename]) -> Result<(), Error> {
    match staged.iter().find_map(|r| Some((r, r.problem()?))) {
        None => Ok(()),
        Some((r, why)) => Err(Error::Io(PathError {
            path: target.path_of(&r.path).display().to_string(),
            cause: format!(
                "refused the component's staged rename from {:?}: {why}",
                r.temporary
            ),
        })),
    }
}

/// The pass over one chunk of created entries (emptied), adding to `done` and `dirs`.
fn pass(
    source: &Root,
    target: &Root,
    chunk: &mut Vec<Created>,
    (owner, config_mode, floor): (Option<Owner>, u32, Option<Born>),
    done: &mut PermissionsReport,
    dirs: &mut Vec<DirFinal>,
) -> Result<(), Error> {
    if chunk.is_empty() {
        return Ok(());
    }
    // Instances journal concurrently: in path order, each pass makes the same calls on
    // the same threads from run to run (parents before children, as the pass wants).
    chunk.sort_unstable_by(|a, b| a.path.cmp(&b.path));
    let (report, more) = permissions::apply(source, target, chunk, owner, config_mode, floor)?;
    done.modes_set += report.modes_set;
    done.owners_set += report.owners_set;
    dirs.extend(more);
    chunk.clear();
    Ok(())
}

/// Writes a new file `name` at TARGET's root, private to this user, to disk.
fn write_private(target: &Root, name: &str, bytes: &[u8]) -> Result<(), Error> {
    let flags = OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC;
    let fd = rustix::fs::openat(target.fd(), name, flags, Mode::from(0o600))
        .map_err(|e| fail(target, name, "creating", e))?;
    let mut file = File::from(fd);
    file.write_all(bytes)
        .and_then(|()| file.sync_data())
        .map_err(|e| fail(target, name, "writing", e))
}

/// Makes temporary names of concurrent unlocked runs distinct.
pub(crate) fn nonce() -> u64 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    (u64::from(std::process::id()) << 32) | u64::from(nanos)
}
