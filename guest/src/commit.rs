//! The commit inside the sandbox: `core::commit`'s journaled transaction executed with
//! WASI calls, for runs with no host around the component (`wasmtime run`), and the
//! finish of an interrupted one.
//!
//! WASI cannot set modes, so here a directory's final step sets only its time.

use crate::bindings::exports::wp_init::installer::installer::{Error, InstallStatus};
use crate::fs::{Access, Dir, FsError};
use crate::grant::path_error;
use crate::journal::Journal as Writer;
use crate::run::Run;
use wasip2::filesystem::types::{Datetime, DescriptorType, ErrorCode};
use wp_init_core::commit::{self, DirFinal, Finisher, Journal, Rename, Time};
use wp_init_core::core_record;
use wp_init_core::journal::{Line, journal_name};
use wp_init_core::layout::temp_name;

/// [`Finisher`] on TARGET's descriptor: `journal` is the file the commit is appended to,
/// `retired` the journal files removed when it is done.
struct Sandboxed<'a> {
    tgt: &'a Dir,
    journal: Option<&'a mut Writer>,
    retired: Vec<String>,
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

    fn write_commit(&mut self, journal: &Journal) -> Result<(), FsError> {
        if let Some(w) = self.journal.as_mut() {
            w.record(&Line::Commit(journal.clone()))?;
            w.flush()?;
            w.sync()?;
        }
        Ok(())
    }

    fn retire(&mut self) -> Result<(), FsError> {
        for name in &self.retired {
            match self.tgt.unlink(name) {
                Err(e) if e.code != ErrorCode::NoEntry => return Err(e),
                _ => {}
            }
        }
        self.tgt.sync()
    }
}

/// Finishes the journaled commit of an interrupted run (its journal `name`) and retires
/// that journal.
pub fn finish_left(tgt: &Dir, journal: &Journal, name: &str) -> Result<(), FsError> {
    let mut f = Sandboxed {
        tgt,
        journal: None,
        retired: vec![name.to_owned()],
    };
    commit::finish(journal, &mut f)
}

/// Writes the record of the core entries this run created or entered under a temporary
/// name, returning the rename that commits it.
fn write_record(run: &mut Run, tgt: &Dir) -> Result<Rename, Error> {
    let temporary = temp_name(core_record::NAME, run.nonce);
    let file = tgt.create_new(&temporary, &run.in_target(&temporary))?;
    file.write_all(
        core_record::text(std::mem::take(&mut run.core_paths)).as_bytes(),
        0,
    )?;
    file.sync()?;
    Ok(Rename {
        temporary,
        path: core_record::NAME.to_owned(),
    })
}

/// Commits this run's staged files and new directories (the component's own commit,
/// when no host makes one), with the record of core when it installed or replaced core,
/// and retires its journal and those it took over.
pub fn commit(run: &mut Run, src: &Dir, tgt: &Dir) -> Result<(), Error> {
    let mut renames = std::mem::take(&mut run.staged);
    if run.report.status == InstallStatus::Copied {
        renames.insert(0, write_record(run, tgt)?);
    }
    let mut dirs = Vec::new();
    for (path, source_path) in &run.created_dirs {
        let mtime = if source_path.is_empty() {
            None
        } else {
            let st = src.lstat(source_path)?;
            if st.type_ != DescriptorType::Directory {
                return Err(Error::Io(path_error(
                    run.in_source(source_path),
                    "is no longer a directory",
                )));
            }
            st.data_modification_timestamp.map(|t| Time {
                secs: i64::try_from(t.seconds).unwrap_or(i64::MAX),
                nanos: t.nanoseconds,
            })
        };
        dirs.push(DirFinal {
            path: path.clone(),
            mode: None,
            mtime,
        });
    }
    let mut retired = std::mem::take(&mut run.left.journals);
    retired.push(journal_name(run.nonce));
    let nothing = renames.is_empty() && dirs.is_empty();
    let mut f = Sandboxed {
        tgt,
        journal: Some(&mut run.journal),
        retired,
    };
    if nothing {
        f.retire()?;
    } else {
        commit::commit(&Journal::new(renames, dirs), &mut f)?;
    }
    Ok(())
}
