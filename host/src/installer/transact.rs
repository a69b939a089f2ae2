//! [`Installer::transact`]: one run of a command that writes TARGET, as one
//! transaction (lock, what interrupted runs left, the component, the mode/owner pass,
//! the commit).

use super::{HostActions, Installer, Ran, Staged, Written};
use crate::born::Floor;
use crate::commit::{self, Retired};
use crate::component::exports::wp_init::installer::hosted;
use crate::component::exports::wp_init::installer::installer as wit;
use crate::journal::JournalStream;
use crate::permissions::PermissionsReport;
use crate::roots::Root;
use crate::sandbox::{Grants, PrivateUmask};
use crate::{Error, lock, state};
use wp_init_core::commit::Rename;

/// What a run found and decided before SOURCE was opened.
struct Begun {
    journal: JournalStream,
    found: state::Found,
    mounts: Vec<String>,
    nonce: u64,
    /// The host's messages so far, and the warnings among them.
    opening: (String, Vec<String>),
    lock_report: lock::LockReport,
}

impl Installer {
    /// One run of a command that writes TARGET, as one transaction: opens SOURCE and
    /// TARGET once, takes the lock, finishes the commit an interrupted run left and takes
    /// what the others left (`state`: only what is wp-init's own), runs the component
    /// (`call`, with the grants, options and that context) under a private umask with
    /// its journal going to this run's journal file, sets owners and file modes on
    /// exactly the entries the journal names, then commits, and says it is complete.
    pub(crate) fn transact<W, U: Written>(
        &self,
        on_lock: impl FnMut(lock::Event<'_>),
        call: impl FnOnce(&Grants<'_>, &wit::Options, &hosted::Context) -> Result<Ran<Staged<W>>, Error>,
        convert: impl FnOnce(W) -> U,
    ) -> Result<(U, HostActions, Option<String>), Error> {
        let spec = self.spec()?;
        let (dir, target) = self.open_for(&spec)?;
        let access = match self.dry_run {
            true => lock::Access::Shared,
            false => lock::Access::Exclusive,
        };
        // Held until the commit is done.
        let lock::Acquired {
            lock: _held,
            report: lock_report,
        } = self.lock_target(&target, access, on_lock)?;
        let id = state::identity(&target)?;
        let found = state::scan(&target, &id, self.dry_run)?;
        let mounts = crate::mounts::mounts_inside(&target, &self.mount_points)?;
        let (mut messages, mut notes) = self.opening(&found, mounts.incomplete.as_deref());
        let nonce = commit::nonce();
        // Made before an archive is unpacked: its birth is the floor of what the run made,
        // the scratch tree's files (hard-linked into TARGET) included.
        let journal = JournalStream::new(&target, nonce, id)?;
        if !self.dry_run && !spec.is_directory() {
            journal.start();
        }
        let alone = self.lock && !self.dry_run;
        let opened = self
            .open_source((dir, &spec), &target, nonce, (alone, &mounts.points))
            .inspect_err(|_| {
                let _ = journal.discard_if_empty();
            })?;
        for warning in &opened.warnings {
            let line = format!("WARNING: {warning}");
            self.say(&mut messages, &line);
            notes.push(line);
        }
        let begun = Begun {
            journal,
            found,
            mounts: mounts.points.into_iter().collect(),
            nonce,
            opening: (messages, notes),
            lock_report,
        };
        let linked = opened.scratch.is_some();
        let result = self
            .transact_in((&opened.root, &target), (begun, linked), call, convert)
            .map(|(report, host, messages)| {
                let host = HostActions {
                    source: opened.digests,
                    // The unpacking instances' too.
                    guest_memory_peak: host.guest_memory_peak.max(opened.memory_peak),
                    ..host
                };
                (report, host, messages)
            });
        if let Some(scratch) = opened.scratch {
            let removed = scratch.remove(&target);
            if result.is_ok() {
                removed?;
            }
        }
        result
    }

    /// [`Installer::transact`] from the component on, SOURCE open.
    fn transact_in<W, U: Written>(
        &self,
        (source, target): (&Root, &Root),
        (begun, linked): (Begun, bool),
        call: impl FnOnce(&Grants<'_>, &wit::Options, &hosted::Context) -> Result<Ran<Staged<W>>, Error>,
        convert: impl FnOnce(W) -> U,
    ) -> Result<(U, HostActions, Option<String>), Error> {
        let Begun {
            journal,
            found,
            mounts,
            nonce,
            opening: (messages, notes),
            lock_report,
        } = begun;
        let left = found.left;
        let context = hosted::Context {
            nonce,
            adopted: left.adopted,
            leftovers: left.leftovers,
            staging: left.staging,
            mounts,
            core_record: found.core_record,
            unfinished_upgrade: left
                .upgrade
                .map(|(from, to)| wit::VersionChange { from, to }),
            link_source: linked && !self.dry_run,
        };
        let ran = self.run_guest((source, target), &journal, &context, call)?;
        let (report, staged) = ran.report;
        let mut report = convert(report);
        report.warnings().splice(0..0, notes);
        let mut messages = ran.messages.map(|c| messages + &c);
        let mut host = HostActions {
            owner: self.owner.map(|o| o.to_string()),
            lock_wait_secs: lock_report.waited_secs,
            lock: lock_report,
            guest_memory_peak: ran.memory_peak,
            instances: ran.instances,
            ..HostActions::default()
        };
        if !self.dry_run {
            let left = (found.journals, found.floor);
            let done = self.finish((source, target), &journal, staged, left, &report)?;
            host.modes_set = done.modes_set;
            host.owners_set = done.owners_set;
            if let Some(line) = report.complete(&self.target) {
                match messages.as_mut() {
                    Some(m) => m.push_str(&format!("{line}\n")),
                    None => crate::stderr::say(&format!("{line}\n")),
                }
            }
        }
        Ok((report, host, messages))
    }

    /// The host's first words: an interrupted commit finished, and what it found and did
    /// not obey (`incomplete`: why the mounts inside TARGET could not all be listed), as
    /// the messages so far and the report's warnings.
    fn opening(&self, found: &state::Found, incomplete: Option<&str>) -> (String, Vec<String>) {
        let mut messages = String::new();
        if found.finished {
            let done = if self.dry_run {
                "Would finish"
            } else {
                "Finished"
            };
            self.say(
                &mut messages,
                &format!(
                    "{done} the run that an interrupted run left unfinished in {}",
                    self.target
                ),
            );
        }
        let mut notes = found.notes.clone();
        if let Some(why) = incomplete {
            notes.push(format!(
                "cannot list what is mounted inside {} ({why}); only its first levels and the --mount-point paths were checked",
                self.target
            ));
        }
        let notes: Vec<String> = notes.iter().map(|n| format!("WARNING: {n}")).collect();
        for note in &notes {
            self.say(&mut messages, note);
        }
        (messages, notes)
    }

    /// Runs the component (`call`) under a private umask, its journal going to
    /// `journal` (made now, before it runs: its birth is the run's floor).
    fn run_guest<W>(
        &self,
        (source, target): (&Root, &Root),
        journal: &JournalStream,
        context: &hosted::Context,
        call: impl FnOnce(&Grants<'_>, &wit::Options, &hosted::Context) -> Result<Ran<Staged<W>>, Error>,
    ) -> Result<Ran<Staged<W>>, Error> {
        let _private = PrivateUmask::set();
        let mut grants = self.grants(source, target, !self.dry_run, &[]);
        grants.source_writable = context.link_source;
        if !self.dry_run {
            journal.start();
            grants.journal = Some(journal.clone());
        }
        let options = wit::Options {
            source: self.source.clone(),
            target: self.target.clone(),
            dry_run: self.dry_run,
            mount_points: self.mount_points.clone(),
        };
        let ran = call(&grants, &options, context);
        // A line refused says more than what the component made of the refusal.
        let ran = match journal.refusal() {
            Some(refused) => Err(refused),
            None => ran,
        };
        if ran.is_err() {
            // The run's error is the one to give: a journal with its first line only
            // that could not be removed is harmless (the next run retires it).
            let _ = journal.discard_if_empty();
        }
        ran
    }

    /// The mode/owner pass and the commit of `staged`, retiring the journals `left` (with
    /// their floor) that this run took over.
    fn finish<U: Written>(
        &self,
        (source, target): (&Root, &Root),
        journal: &JournalStream,
        staged: Vec<hosted::StagedEntry>,
        left: (Vec<Retired>, Floor),
        report: &U,
    ) -> Result<PermissionsReport, Error> {
        let staged = staged
            .into_iter()
            .map(|s| Rename {
                temporary: s.temporary,
                path: s.path,
            })
            .collect();
        commit::pass_then_commit(
            source,
            target,
            journal,
            staged,
            (self.owner, self.config_mode),
            left.0,
            left.1,
            report.installed_core(),
        )
    }

    /// Prints a line of the host's (or keeps it with the component's, when captured).
    fn say(&self, messages: &mut String, line: &str) {
        if self.capture_messages {
            messages.push_str(line);
            messages.push('\n');
        } else {
            crate::stderr::say(&format!("{line}\n"));
        }
    }

    /// Takes the lock on TARGET unless told not to.
    pub(crate) fn lock_target(
        &self,
        target: &Root,
        access: lock::Access,
        mut on_lock: impl FnMut(lock::Event<'_>),
    ) -> Result<lock::Acquired, Error> {
        if !self.lock {
            let report = lock::LockReport::none("--no-lock");
            return Ok(lock::Acquired { lock: None, report });
        }
        // A stop asked for (SIGTERM) abandons the wait at its next poll.
        let stopped = || crate::interrupt::requested().is_some();
        let acquired =
            lock::acquire_root(target, access, self.lock_timeout, &stopped, &mut on_lock)?;
        Ok(acquired)
    }
}
