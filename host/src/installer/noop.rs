//! [`Installer::noop`]: an installed TARGET with nothing to do, decided before the
//! component is loaded, by the functions the component decides with
//! (`wp_init_core::noop`), from what the host sees without following a symlink. Anything
//! it cannot see so, or any doubt, leaves the run to the component.
//!
//! It only reads TARGET, so it locks as a reader does, and writes nothing: not the lock
//! file, not a journal. It goes ahead only with no lock file there (no writer at work
//! when it started, none that died leaving its file for the next writer to remove) and
//! checks once it has decided that no writer has made one meanwhile. It never waits: a
//! lock a writer holds leaves the run to the component's path, which waits for the
//! exclusive lock (and says so) as before.

use std::time::Duration;

use rustix::fs::{AtFlags, FileType};
use rustix::io::Errno;

use super::{HostActions, Installer, Outcome};
use crate::roots::Root;
use crate::{Error, lock, mounts, state};
use wp_init_core::config::{CONFIG_FILE, Found, Step, found, requested_by, step};
use wp_init_core::layout::{LOCK_FILE, SENTINELS, mount_point_problem};
use wp_init_core::noop::{Facts, Seen, installed, nothing_to_do};
use wp_init_core::report::{Config, ConfigAction, Report, Status};
use wp_init_core::source::SourceSpec;
use wp_init_core::{core_record, layout};

/// Something the host cannot tell without the component.
struct Doubt;

impl Installer {
    /// The outcome of an install with nothing to do, when the host can tell without the
    /// component; `None` leaves the run to it (it then decides again, under its lock).
    pub(crate) fn noop(&self) -> Result<Option<Outcome>, Error> {
        if self.dry_run
            || self
                .mount_points
                .iter()
                .any(|m| mount_point_problem(m).is_some())
        {
            return Ok(None);
        }
        let Some((source, target, archive)) = self.noop_roots() else {
            return Ok(None);
        };
        // A writer at work: the run waits for it as it always does, for the exclusive lock.
        let acquired = match self.lock {
            true => lock::acquire_root(
                &target,
                lock::Access::Shared,
                Duration::ZERO,
                &|| false,
                &mut |_| {},
            ),
            false => Ok(lock::Acquired {
                lock: None,
                report: lock::LockReport::none("--no-lock"),
            }),
        };
        let Ok(acquired) = acquired else {
            return Ok(None);
        };
        let vars = requested_by(self.env.iter().map(|(name, _)| name));
        let decided = self.look(source.as_ref(), &target, !vars.is_empty());
        let Ok(Some(config)) = decided else {
            return Ok(None);
        };
        // Hashed only once the rest says "nothing to do": a run with work to do hashes it
        // once, on its own path.
        if archive
            .as_ref()
            .is_some_and(|path| self.archive_file(path).is_err())
        {
            return Ok(None);
        }
        // Unlocked: a writer that started meanwhile made the lock file first.
        if self.lock
            && acquired.lock.is_none()
            && !matches!(lstat(&target, LOCK_FILE), Err(Errno::NOENT))
        {
            return Ok(None);
        }
        let report = already_installed(config, vars);
        let host = HostActions {
            owner: self.owner.map(|o| o.to_string()),
            lock_wait_secs: acquired.report.waited_secs,
            lock: acquired.report,
            // Checked only for a local archive: a fetched SOURCE is not fetched for a no-op.
            source: match archive {
                Some(_) => self.checked_digest(),
                None => crate::SourceDigests::default(),
            },
            ..HostActions::default()
        };
        let messages = self.capture_messages.then(String::new);
        Ok(Some(Outcome {
            report,
            host,
            messages,
        }))
    }

    /// SOURCE (a directory) and TARGET, opened as a run opens them; for an archive SOURCE,
    /// none (it is not unpacked to be told that TARGET is installed), but its path, to be
    /// checked (a regular file, `--sha256`) before a no-op is told; for a fetched SOURCE
    /// (https, OCI, registry), nothing: it is not fetched to be told either, as upstream
    /// never looks at SOURCE once TARGET is installed (an init container then starts without
    /// the network). `None`: the run's own path tells.
    fn noop_roots(&self) -> Option<(Option<Root>, Root, Option<String>)> {
        let target = || Root::open(&self.target).ok();
        match self.spec().ok()? {
            SourceSpec::Directory(_) => self.open_roots().ok().map(|(s, t)| (Some(s), t, None)),
            SourceSpec::Archive { path, .. } => Some((None, target()?, Some(path))),
            SourceSpec::Https { .. }
            | SourceSpec::OciLayout { .. }
            | SourceSpec::OciArchive { .. }
            | SourceSpec::Registry(_) => Some((None, target()?, None)),
        }
    }

    /// What decides the no-op, and the decision: `Some` with what is at `wp-config.php`
    /// when there is nothing to do (`requested`: a variable asks for the config step).
    fn look(
        &self,
        source: Option<&Root>,
        target: &Root,
        requested: bool,
    ) -> Result<Option<Found>, Doubt> {
        // The component's check that SOURCE is a WordPress tree, when no symlink is on the way.
        if let Some(source) = source
            && (seen(source, SENTINELS[0])? != Seen::Present
                || !lstat(source, SENTINELS[0]).is_ok_and(|t| t == FileType::RegularFile))
        {
            return Err(Doubt);
        }
        let names = state::own_names(target).map_err(|_| Doubt)?;
        // A record that is not wp-init's is reported by the run that takes it. Its content
        // is not read: only an upgrade reads it (and says what it finds there).
        if names.iter().any(|n| n == core_record::NAME)
            && !matches!(
                state::open_trusted(target, core_record::NAME, false, false),
                Ok(Ok(_))
            )
        {
            return Err(Doubt);
        }
        let mounts = mounts::mounts_inside(target, &self.mount_points).map_err(|_| Doubt)?;
        if mounts.incomplete.is_some() {
            return Err(Doubt);
        }
        let config = match lstat(target, CONFIG_FILE) {
            Err(Errno::NOENT) => Found::Nothing,
            Ok(FileType::Symlink) | Err(_) => return Err(Doubt),
            Ok(_) => {
                let st = rustix::fs::statat(target.fd(), CONFIG_FILE, AtFlags::SYMLINK_NOFOLLOW)
                    .map_err(|_| Doubt)?;
                let ty = FileType::from_raw_mode(st.st_mode);
                found(
                    ty == FileType::Directory,
                    ty == FileType::RegularFile,
                    st.st_size as u64,
                )
            }
        };
        let facts = Facts {
            own_names: &names.iter().map(String::as_str).collect::<Vec<_>>(),
            installed: installed(|s| seen(target, s))?,
            config_requested: requested,
            config,
        };
        Ok(nothing_to_do(&facts).then_some(config))
    }
}

/// The type of `rel` in `root`, not following a symlink at its end.
fn lstat(root: &Root, rel: &str) -> Result<FileType, Errno> {
    rustix::fs::statat(root.fd(), rel, AtFlags::SYMLINK_NOFOLLOW)
        .map(|st| FileType::from_raw_mode(st.st_mode))
}

/// What the component's look at `rel` (following symlinks) finds, when no symlink is on
/// the way; a doubt otherwise.
fn seen(root: &Root, rel: &str) -> Result<Seen, Doubt> {
    let mut at = String::new();
    for part in rel.split('/') {
        at = layout::join(&at, part);
        match lstat(root, &at) {
            Err(Errno::NOENT) => return Ok(Seen::Absent),
            Ok(FileType::Directory) => {}
            Ok(FileType::Symlink) | Err(_) => return Err(Doubt),
            Ok(_) if at == rel => {}
            Ok(_) => return Err(Doubt),
        }
    }
    Ok(Seen::Present)
}

/// The report of an installed TARGET with nothing to do (`vars`: the variables that asked
/// for the config step; `config`: what is at `wp-config.php`).
fn already_installed(config: Found, vars: Vec<String>) -> Report {
    let action = match step(!vars.is_empty(), config) {
        Step::NotRequested => ConfigAction::NotRequested,
        _ => ConfigAction::KeptExisting,
    };
    Report {
        status: Status::AlreadyInstalled,
        files_copied: 0,
        dirs_created: 0,
        symlinks_copied: 0,
        bytes_copied: 0,
        excluded: Vec::new(),
        temporaries_removed: Vec::new(),
        config: Config {
            action,
            template: String::new(),
            variables: vars,
        },
        warnings: Vec::new(),
        created: Vec::new(),
    }
}
