//! A fresh install on several cores: the host runs one extra component instance per part
//! (`core::parts` decides which), each copying a core tree into a staging directory,
//! while the first instance copies the rest; the reports are merged into one, and the
//! host's pass and commit then run once, as for a single instance.

use rustix::fs::{AtFlags, FileType};

use crate::component::exports::wp_init::installer::hosted;
use crate::component::exports::wp_init::installer::installer as wit;
use crate::installer::{Installer, Ran, Staged};
use crate::roots::Root;
use crate::sandbox::Grants;
use crate::{Error, commit, component};
use wp_init_core::layout::CORE_TREES;
use wp_init_core::layout::temp_name;
use wp_init_core::parts::parallel_parts;

impl Installer {
    /// The parts of this install for its extra instances (none for a dry run, one core,
    /// or a TARGET that is not a fresh install).
    pub(crate) fn parts(&self, grants: &Grants<'_>) -> Result<Vec<hosted::Part>, Error> {
        let Some(source) = grants
            .source
            .filter(|_| !self.dry_run && self.instances > 1)
        else {
            return Ok(Vec::new());
        };
        let source_dirs: Vec<&str> = CORE_TREES
            .into_iter()
            .filter(|t| {
                rustix::fs::statat(source.fd(), *t, AtFlags::SYMLINK_NOFOLLOW)
                    .is_ok_and(|st| FileType::from_raw_mode(st.st_mode) == FileType::Directory)
            })
            .collect();
        let names = root_names(grants.target)?;
        // This run's journal, made before the component runs, is no sign of an earlier run.
        let own = grants.journal.as_ref().map(|j| j.name());
        let names: Vec<&str> = names
            .iter()
            .map(String::as_str)
            .filter(|n| Some(*n) != own.as_deref())
            .collect();
        let nonce = commit::nonce();
        Ok(
            parallel_parts(self.instances, &source_dirs, &names, &self.mount_points)
                .into_iter()
                .map(|p| hosted::Part {
                    path: p.to_owned(),
                    staging: temp_name(p, nonce),
                })
                .collect(),
        )
    }

    /// Runs the install here, leaving `parts` to `install-part` calls on threads of their
    /// own, all writing one journal, and merges the reports ([`merge`]): the parts'
    /// staged entries (each staging directory, then what it staged inside) go before the
    /// first instance's, so that `index.php` stays last. A first instance that found
    /// TARGET installed after all (a writer outside wp-init's lock) keeps its report
    /// alone: the parts' staging directories are never renamed into place, and the next
    /// run removes them.
    pub(crate) fn install_in_parts(
        &self,
        grants: &Grants<'_>,
        options: &wit::Options,
        context: &hosted::Context,
        parts: &[hosted::Part],
    ) -> Result<Ran<Staged<wit::Report>>, Error> {
        // The component's memory image is made once per process, by whichever thread
        // instantiates first: made here, it is always this thread, and every thread's
        // system calls are the same from run to run (the crash suites count on it).
        component::prepared()?
            .component
            .initialize_copy_on_write_image()
            .map_err(Error::runtime)?;
        let (main, others) = std::thread::scope(|s| {
            let threads: Vec<_> = parts
                .iter()
                .map(|part| {
                    s.spawn(move || {
                        self.call_component(grants, grants.target, |inst, store| {
                            inst.wp_init_installer_hosted()
                                .call_install_part(store, options, context, part)
                        })
                    })
                })
                .collect();
            let main = self.call_component(grants, grants.target, |inst, store| {
                inst.wp_init_installer_hosted()
                    .call_install(store, options, context, parts)
            });
            let others: Vec<Result<Ran<Staged<wit::Report>>, Error>> = threads
                .into_iter()
                .map(|t| t.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
                .collect();
            (main, others)
        });
        let mut ran = main?;
        let others = others.into_iter().collect::<Result<Vec<_>, _>>()?;
        if ran.report.0.status != wit::InstallStatus::Copied {
            return Ok(ran);
        }
        let mut staged = Vec::new();
        for other in others {
            let (part, part_staged) = other.report;
            merge(&mut ran.report.0, part);
            staged.extend(part_staged);
            if let (Some(m), Some(c)) = (ran.messages.as_mut(), other.messages) {
                m.push_str(&c);
            }
            ran.memory_peak = ran.memory_peak.max(other.memory_peak);
            ran.instances += 1;
        }
        staged.append(&mut ran.report.1);
        ran.report.1 = staged;
        Ok(ran)
    }
}

/// Adds a part's report to the first instance's. Every field is named: a field added to
/// the WIT report does not compile here until it is merged.
fn merge(into: &mut wit::Report, part: wit::Report) {
    let wit::Report {
        status: _,
        files_copied,
        dirs_created,
        symlinks_copied,
        bytes_copied,
        excluded,
        temporaries_removed,
        config: _,
        warnings,
        created,
    } = part;
    into.files_copied += files_copied;
    into.dirs_created += dirs_created;
    into.symlinks_copied += symlinks_copied;
    into.bytes_copied += bytes_copied;
    into.excluded.extend(excluded);
    into.temporaries_removed.extend(temporaries_removed);
    into.warnings.extend(warnings);
    // The sample stays the first entries by path, however many instances copied.
    into.created.extend(created);
    into.created.sort_by(|a, b| a.path.cmp(&b.path));
    into.created.truncate(CREATED_SAMPLE);
}

/// How many created entries a report names (as the component's own sample).
const CREATED_SAMPLE: usize = 100;

/// The names at the root of `dir`.
fn root_names(dir: &Root) -> Result<Vec<String>, Error> {
    let fail = |e: rustix::io::Errno| {
        Error::Io(crate::error::PathError {
            path: dir.path_of("").display().to_string(),
            cause: format!("listing the directory: {e}"),
        })
    };
    let mut names = Vec::new();
    for entry in rustix::fs::Dir::read_from(dir.fd()).map_err(fail)? {
        let name = entry
            .map_err(fail)?
            .file_name()
            .to_string_lossy()
            .into_owned();
        if name != "." && name != ".." {
            names.push(name);
        }
    }
    Ok(names)
}
