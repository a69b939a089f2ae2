//! The commit inside the sandbox: `core::commit`'s journaled transaction executed with
//! WASI calls, for runs with no host around the component (`wasmtime run`), and the
//! recovery of an interrupted commit at the start of every run.
//!
//! WASI cannot set modes, so here a directory's final step sets only its time.

use crate::bindings::exports::wp_init::installer::installer::{EntryKind, Error};
use crate::fs::{Access, Dir, FsError};
use crate::run::{Run, path_error};
use wasip2::filesystem::types::{Datetime, DescriptorType, ErrorCode};
use wp_init_core::commit::{
    self, CREATED_LOG_PREFIX, DirFinal, Finisher, JOURNAL, Journal, Rename, Time,
};
use wp_init_core::layout::temp_name;

/// Largest journal read (one line per staged file and new directory).
const JOURNAL_CAP: u64 = 64 << 20;

/// [`Finisher`] on TARGET's descriptor.
struct Sandboxed<'a> {
    tgt: &'a Dir,
    nonce: u64,
}

impl Sandboxed<'_> {
    /// Flushes the directory holding `rel` (renames and removals there).
    fn sync_parent(&self, rel: &str) -> Result<(), FsError> {
        match rel.rsplit_once('/') {
            Some((parent, _)) => self.tgt.open_dir(parent, Access::Read)?.sync(),
            None => self.tgt.sync(),
        }
    }
}

impl Finisher for Sandboxed<'_> {
    type Error = FsError;

    fn exists(&mut self, rel: &str) -> Result<bool, FsError> {
        match self.tgt.lstat(rel) {
            Ok(_) => Ok(true),
            Err(e) if e.code == ErrorCode::NoEntry => Ok(false),
            Err(e) => Err(e),
        }
    }

    fn rename(&mut self, from: &str, to: &str) -> Result<(), FsError> {
        self.tgt.rename(from, to)?;
        self.sync_parent(to)
    }

    fn finish_dir(&mut self, dir: &DirFinal) -> Result<(), FsError> {
        let Some(t) = dir.mtime else { return Ok(()) };
        let d = self.tgt.open_dir(&dir.path, Access::Read)?;
        d.set_mtime(Some(Datetime {
            seconds: u64::try_from(t.secs).unwrap_or(0),
            nanoseconds: t.nanos,
        }))
    }

    fn write_journal(&mut self, text: &str) -> Result<(), FsError> {
        let tmp = temp_name(JOURNAL, self.nonce);
        let out = self.tgt.create_new(&tmp, &self.tgt.path_of(JOURNAL))?;
        out.write_all(text.as_bytes(), 0)?;
        out.sync()?;
        drop(out);
        self.tgt.rename(&tmp, JOURNAL)?;
        self.tgt.sync()
    }

    fn remove_journal(&mut self) -> Result<(), FsError> {
        for (name, _) in self.tgt.entries()? {
            if name.starts_with(CREATED_LOG_PREFIX) {
                self.tgt.unlink(&name)?;
            }
        }
        self.tgt.unlink(JOURNAL)?;
        self.tgt.sync()
    }
}

/// Finishes the commit of an interrupted run, if TARGET holds its journal; a dry run
/// only says it would.
pub fn recover(run: &mut Run, tgt: &Dir) -> Result<(), Error> {
    let file = match tgt.open_read(JOURNAL) {
        Ok(f) => f,
        Err(e) if e.code == ErrorCode::NoEntry => return Ok(()),
        Err(e) => return Err(e.into()),
    };
    let text = String::from_utf8(file.read_to_end(JOURNAL_CAP)?).unwrap_or_default();
    let journal = Journal::parse(&text)
        .map_err(|cause| Error::Io(path_error(run.in_target(JOURNAL), cause)))?;
    if !run.dry_run {
        let mut f = Sandboxed {
            tgt,
            nonce: run.nonce,
        };
        commit::finish(&journal, &mut f)?;
    }
    let done = run.real_or_dry("Finished", "Would finish");
    run.say(&format!(
        "{done} the install that an interrupted run left unfinished in {}",
        run.target
    ));
    Ok(())
}

/// Commits this run's staged files and new directories (the component's own commit,
/// when no host makes one).
pub fn commit(run: &mut Run, src: &Dir, tgt: &Dir) -> Result<(), Error> {
    let renames = std::mem::take(&mut run.report.staged)
        .into_iter()
        .map(|s| Rename {
            temporary: s.temporary,
            path: s.path,
        })
        .collect::<Vec<_>>();
    let mut dirs = Vec::new();
    for c in &run.report.created {
        if c.kind != EntryKind::Directory {
            continue;
        }
        let mtime = if c.source_path.is_empty() {
            None
        } else {
            let st = src.lstat(&c.source_path)?;
            if st.type_ != DescriptorType::Directory {
                return Err(Error::Io(path_error(
                    run.in_source(&c.source_path),
                    "is no longer a directory",
                )));
            }
            st.data_modification_timestamp.map(|t| Time {
                secs: i64::try_from(t.seconds).unwrap_or(i64::MAX),
                nanos: t.nanoseconds,
            })
        };
        dirs.push(DirFinal {
            path: c.path.clone(),
            mode: None,
            mtime,
        });
    }
    if renames.is_empty() && dirs.is_empty() {
        return Ok(());
    }
    let mut f = Sandboxed {
        tgt,
        nonce: run.nonce,
    };
    commit::commit(&Journal::new(renames, dirs), &mut f)?;
    Ok(())
}
