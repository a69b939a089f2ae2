//! [`Write`]: the executor that makes the WASI calls.

use super::{Executor, NewDir, Removal, flush_if_excludable, staging_line, temporary};
use crate::bindings::exports::wp_init::installer::installer::Error;
use crate::commit;
use crate::fs::{Access, Dir};
use crate::run::{Run, Tense};
use wasip2::filesystem::types::DescriptorType;
use wp_init_core::commit::{Journal, Rename};

/// A real run: writes TARGET.
pub struct Write;

impl Executor for Write {
    type Dir = Dir;
    const TENSE: Tense = Tense::Doing;
    const ACCESS: Access = Access::Change;

    fn root(&self, tgt: &Dir) -> Result<Dir, Error> {
        Ok(tgt.reopen(Self::ACCESS)?)
    }

    fn existing<'a>(&self, d: &'a Dir) -> Option<&'a Dir> {
        Some(d)
    }

    fn enter(&self, d: &Dir, name: &str) -> Result<Dir, Error> {
        Ok(d.open_dir(name, Self::ACCESS)?)
    }

    fn mkdir(&self, run: &mut Run, d: &Dir, name: &str, rel: &str) -> Result<Dir, Error> {
        run.flush()?;
        d.mkdir(name).map_err(|e| e.at(&run.in_target(rel)))?;
        self.enter(d, name)
    }

    fn make_dir(
        &self,
        run: &mut Run,
        d: &Dir,
        name: &str,
        rel: &str,
        how: NewDir,
    ) -> Result<Dir, Error> {
        let shown = run.in_target(rel);
        let build = if how.staged {
            temporary(run, name)
        } else {
            name.to_owned()
        };
        if how.replace && !how.staged {
            d.unlink(name)?;
        }
        if how.staged {
            run.journal.record(&staging_line(rel, &build))?;
        }
        // Journaled before it exists: a later run must know it for wp-init's.
        run.flush()?;
        d.mkdir(&build).map_err(|e| e.at(&shown))?;
        Ok(d.open_dir(&build, Access::Change)?.known_as(shown))
    }

    fn place_dir(&self, run: &Run, d: &Dir, name: &str, how: NewDir) -> Result<(), Error> {
        if how.staged {
            if how.replace {
                d.unlink(name)?;
            }
            d.rename(&temporary(run, name), name)?;
        }
        Ok(())
    }

    fn copy_file(
        &self,
        run: &mut Run,
        src: &Dir,
        d: &Dir,
        name: &str,
        rel: &str,
    ) -> Result<(), Error> {
        let (tmp, bytes) = stage_file(run, src, d, name, rel)?;
        run.count_file(rel, bytes)?;
        flush_if_excludable(run, rel, false)?;
        rename_staged(d, &tmp, name)
    }

    fn copy_link(
        &self,
        run: &mut Run,
        text: &str,
        d: &Dir,
        name: &str,
        rel: &str,
    ) -> Result<(), Error> {
        let tmp = stage_symlink(run, d, text, name, rel)?;
        run.count_link(rel)?;
        // A link where the exclusion rule looks (`wp-content/themes/default`).
        flush_if_excludable(run, rel, true)?;
        rename_staged(d, &tmp, name)?;
        run.created_links.push(rel.to_owned());
        Ok(())
    }

    fn stage(
        &self,
        run: &mut Run,
        src: &Dir,
        d: &Dir,
        (name, rel): (&str, &str),
        ty: DescriptorType,
    ) -> Result<Option<String>, Error> {
        if ty == DescriptorType::SymbolicLink {
            let tmp = stage_symlink(run, d, &src.readlink(name)?, name, rel)?;
            run.count_link(rel)?;
            run.created_links.push(rel.to_owned());
            return Ok(Some(tmp));
        }
        let (tmp, bytes) = stage_file(run, src, d, name, rel)?;
        run.count_file(rel, bytes)?;
        Ok(Some(tmp))
    }

    fn stage_new(
        &self,
        run: &Run,
        tgt: &Dir,
        name: &str,
        content: &mut dyn FnMut() -> Result<Vec<u8>, Error>,
    ) -> Result<Option<Rename>, Error> {
        let bytes = content()?;
        let tmp = temporary(run, name);
        let out = tgt.create_new(&tmp, &run.in_target(name))?;
        if let Err(e) = out.write_all(&bytes, 0) {
            drop(out);
            let _ = tgt.unlink(&tmp);
            return Err(e.into());
        }
        Ok(Some(Rename {
            temporary: tmp,
            path: name.to_owned(),
        }))
    }

    fn remove(&self, d: &Dir, name: &str, how: Removal) -> Result<(), Error> {
        Ok(match how {
            Removal::Entry => d.unlink(name),
            Removal::EmptyDir => d.rmdir(name),
            Removal::Tree => d.remove_tree(name),
        }?)
    }

    fn finish_left(&self, tgt: &Dir, journal: &Journal, name: &str) -> Result<(), Error> {
        Ok(commit::finish_left(tgt, journal, name)?)
    }

    fn commit(
        &self,
        run: &mut Run,
        src: &Dir,
        tgt: &Dir,
        complete: Option<String>,
    ) -> Result<(), Error> {
        commit::commit(run, src, tgt)?;
        if let Some(line) = complete {
            run.say(&line);
        }
        Ok(())
    }
}

/// Copies the file `name` of `src` (`rel`) into `tgt` under a temporary name, with its
/// mtime (or, from wp-init's scratch tree, links it there); returns the name and the
/// bytes copied.
fn stage_file(
    run: &Run,
    src: &Dir,
    tgt: &Dir,
    name: &str,
    rel: &str,
) -> Result<(String, u64), Error> {
    let tmp = temporary(run, name);
    // SOURCE is wp-init's scratch tree: the file itself becomes TARGET's (its mode and
    // owner are the host's pass's to set, its scratch name goes with the scratch tree).
    // Not a file the archive hard-linked: the host changes no file with links elsewhere.
    if run.link_source {
        let st = src.lstat(name)?;
        if st.link_count == 1 && src.link(name, tgt, &tmp, &run.in_target(rel)).is_ok() {
            return Ok((tmp, st.size));
        }
    }
    let input = src.open_read(name)?;
    let st = input.stat()?;
    let out = tgt.create_new(&tmp, &run.in_target(rel))?;
    let copied = input
        .copy_to(&out, st.size)
        .and_then(|n| out.set_mtime(st.data_modification_timestamp).map(|()| n));
    drop(out);
    match copied {
        Ok(bytes) => Ok((tmp, bytes)),
        Err(e) => {
            let _ = tgt.unlink(&tmp);
            Err(e.into())
        }
    }
}

/// Creates a symlink to `text` in `tgt` under a temporary name for `name`; returns it.
fn stage_symlink(run: &Run, tgt: &Dir, text: &str, name: &str, rel: &str) -> Result<String, Error> {
    let tmp = temporary(run, name);
    tgt.symlink(text, &tmp)
        .map_err(|e| e.at(&run.in_target(rel)))?;
    Ok(tmp)
}

/// Renames a staged entry over `name` (removing the temporary if that fails).
fn rename_staged(tgt: &Dir, tmp: &str, name: &str) -> Result<(), Error> {
    tgt.rename(tmp, name).map_err(|e| {
        let _ = tgt.unlink(tmp);
        e.into()
    })
}
