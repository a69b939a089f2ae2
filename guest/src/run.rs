//! One run of a command: its options, the report so far, and what every step shares
//! (messages, the journal, the counts).

use crate::bindings::exports::wp_init::installer::hosted::{Context, Part};
use crate::bindings::exports::wp_init::installer::installer::{
    ConfigAction, ConfigReport, CreatedEntry, EntryKind, Error, InstallStatus, Options, Report,
};
use std::collections::{BTreeMap, BTreeSet};

use crate::fs::{Dir, Presence};
use crate::grant::{open_granted, open_source, path_error};
use crate::journal::Journal;
use wp_init_core::commit::Rename;
use wp_init_core::journal::{Line, journal_name};
use wp_init_core::layout::{self, mount_point_problem};
use wp_init_core::noop::{Installed, Seen};
use wp_init_core::report::EntryKind as Kind;

/// How many created entries a report names (the counts give the totals).
const CREATED_SAMPLE: usize = 100;

/// What interrupted runs left, as this run knows it: from the host (`context`), or read
/// by the component itself when no host runs it.
#[derive(Default)]
pub struct Left {
    /// Entries they created: this run finishes them as its own instead of keeping them
    /// as the user's.
    pub adopted: BTreeSet<String>,
    /// Temporary directories they made: the only ones removed whole.
    pub staging: BTreeSet<String>,
    /// Directories where they may have left temporaries.
    pub leftovers: Vec<String>,
    /// An upgrade left unfinished (`from`, `to`).
    pub upgrade: Option<(String, String)>,
    /// Their journal files (the component's own commit removes them).
    pub journals: Vec<String>,
}

/// One install run: the options, the per-run temporary-name nonce and the report so far.
pub struct Run {
    /// SOURCE's root, for judging a symlink by resolution: a descriptor is a sandbox of
    /// its own, so a chain must be followed from the root, not from the link's directory.
    pub src_root: Dir,
    /// What interrupted runs left.
    pub left: Left,
    /// Mount points inside TARGET (from the host): never entered, removed or replaced.
    pub mounts: BTreeSet<String>,
    /// Directories to leave in place for volumes mounted inside TARGET.
    pub mount_points: Vec<String>,
    /// What wp-init recorded as core when it last installed TARGET (from the host, or
    /// read by the component's own recovery).
    pub core_record: Option<BTreeSet<String>>,
    /// The core entries this run created or entered, for the record the component's own
    /// commit writes (not kept in a hosted call: the host reads them from the journal).
    pub core_paths: Vec<String>,
    /// Without that record: the files WordPress lists as old core (SOURCE's
    /// `update-core.php`), read by an upgrade.
    pub old_files: BTreeSet<String>,
    /// SOURCE as given.
    pub source: String,
    /// TARGET as given.
    pub target: String,
    /// Whether the run's executor writes or plans: for its words and statuses only (what
    /// it does is the executor's, `exec.rs`).
    pub tense: Tense,
    /// A call of the host's protocol: the host journals (stdout) and commits (the staged
    /// files are returned to it).
    pub hosted: bool,
    /// Makes this run's temporary names unique.
    pub nonce: u64,
    /// This run's journal.
    pub journal: Journal,
    /// The report being built.
    pub report: Report,
    /// The first created entries by path.
    sample: BTreeMap<String, CreatedEntry>,
    /// Directories created and their SOURCE paths, for the component's own commit (not
    /// kept in a hosted call: the host reads them from the journal).
    pub created_dirs: Vec<(String, String)>,
    /// Files left under temporary names for the commit, in commit order.
    pub staged: Vec<Rename>,
    /// Symlinks created (checked at the end: none may resolve out of TARGET).
    pub created_links: Vec<String>,
    /// `upgrade`: what was replaced, added, removed and kept (`None` for `install`).
    pub changes: Option<Changes>,
    /// Subtrees other instances copy at the same time (`install` with parts).
    pub leave: Vec<Part>,
    /// Files are hard-linked from SOURCE (wp-init's scratch tree), not copied.
    pub link_source: bool,
}

/// Whether a run does what it says or only plans it (`--dry-run`).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Tense {
    /// The executor writes.
    Doing,
    /// The executor only plans: no write call.
    Planning,
}

/// What an upgrade changed in TARGET, as paths relative to it.
#[derive(Debug, Default)]
pub struct Changes {
    /// Files and symlinks replaced.
    pub replaced: Vec<String>,
    /// Files and symlinks where TARGET had nothing.
    pub added: Vec<String>,
    /// Entries removed, children before their directory.
    pub removed: Vec<String>,
    /// Entries of the core trees that SOURCE lacks, kept.
    pub kept: Vec<String>,
}

impl Run {
    /// Opens SOURCE and TARGET and checks the options, touching nothing; `tense` is the
    /// executor's.
    pub fn open(
        options: &Options,
        context: Option<&Context>,
        tense: Tense,
    ) -> Result<(Run, Dir, Dir), Error> {
        let src = open_source(&options.source)?;
        let tgt = open_granted(&options.target, Error::InvalidTarget)?;
        for m in &options.mount_points {
            if let Some(problem) = mount_point_problem(m) {
                return Err(Error::InvalidTarget(path_error(m.clone(), problem)));
            }
        }
        let planning = tense == Tense::Planning;
        let mut run = Run {
            src_root: open_granted(&options.source, Error::InvalidSource)?,
            left: Left::default(),
            mounts: BTreeSet::new(),
            mount_points: options.mount_points.clone(),
            core_record: None,
            core_paths: Vec::new(),
            old_files: BTreeSet::new(),
            source: options.source.clone(),
            target: options.target.clone(),
            tense,
            hosted: context.is_some(),
            nonce: if planning {
                0
            } else {
                wasip2::random::random::get_random_u64()
            },
            journal: Journal::nowhere(),
            report: empty_report(),
            sample: BTreeMap::new(),
            created_dirs: Vec::new(),
            staged: Vec::new(),
            created_links: Vec::new(),
            changes: None,
            leave: Vec::new(),
            link_source: false,
        };
        if let Some(c) = context {
            run.nonce = c.nonce;
            if !planning {
                run.journal = Journal::to_host(tgt.path_of(&journal_name(c.nonce)));
            }
            run.left = Left {
                adopted: c.adopted.iter().cloned().collect(),
                staging: c.staging.iter().cloned().collect(),
                leftovers: c.leftovers.clone(),
                upgrade: c
                    .unfinished_upgrade
                    .as_ref()
                    .map(|v| (v.from.clone(), v.to.clone())),
                journals: Vec::new(),
            };
            run.mounts = c.mounts.iter().cloned().collect();
            run.link_source = c.link_source && !planning;
            run.core_record = c.core_record.as_ref().map(|r| r.iter().cloned().collect());
        }
        Ok((run, src, tgt))
    }

    /// Whether `rel` is left to another instance: a part's path or staging directory.
    pub fn leaves(&self, rel: &str) -> bool {
        self.leave.iter().any(|p| p.path == rel || p.staging == rel)
    }

    /// Whether a volume is mounted at `rel`, or below it.
    pub fn mount_at_or_below(&self, rel: &str) -> bool {
        self.mounts
            .range(rel.to_owned()..)
            .next()
            .is_some_and(|m| m == rel || m.strip_prefix(rel).is_some_and(|r| r.starts_with('/')))
    }

    /// Whether `rel`, in a core tree, was core: recorded by wp-init when it last installed
    /// TARGET or, without that record, listed by WordPress as an old file (or below an old
    /// directory). Only those are removed by an upgrade.
    pub fn was_core(&self, rel: &str) -> bool {
        match &self.core_record {
            Some(record) => record.contains(rel),
            None => wp_init_core::old_files::removable(rel, &self.old_files),
        }
    }

    /// `upgrade`: records an entry of TARGET that SOURCE lacks, kept.
    pub fn kept(&mut self, rel: &str) {
        if let Some(c) = self.changes.as_mut() {
            c.kept.push(rel.to_owned());
        }
    }

    /// Prints a message to stderr (marked as a plan in a dry run).
    pub fn say(&self, msg: &str) {
        eprintln!("{}{msg}", self.prefix());
    }

    /// Prints a message in a plan only: a real run says it after its commit, or not at all.
    pub fn say_in_plan(&self, msg: &str) {
        if self.tense == Tense::Planning {
            self.say(msg);
        }
    }

    /// Prints a warning and records it in the report.
    pub fn warn(&mut self, msg: &str) {
        let line = format!("{}WARNING: {msg}", self.prefix());
        eprintln!("{line}");
        self.report.warnings.push(line);
    }

    fn prefix(&self) -> &'static str {
        self.real_or_dry("", "(dry run) ")
    }

    /// The words for what this run does: `real` when it writes, `dry` when it plans
    /// ("copying" or "would copy"); also its statuses.
    pub fn real_or_dry<T>(&self, real: T, dry: T) -> T {
        match self.tense {
            Tense::Doing => real,
            Tense::Planning => dry,
        }
    }

    /// Counts a copied (or planned) file of `bytes` and records it as created.
    pub fn count_file(&mut self, rel: &str, bytes: u64) -> Result<(), Error> {
        self.report.files_copied += 1;
        self.report.bytes_copied += bytes;
        self.created(rel, EntryKind::File, rel)
    }

    /// Counts a recreated (or planned) symlink and records it as created.
    pub fn count_link(&mut self, rel: &str) -> Result<(), Error> {
        self.report.symlinks_copied += 1;
        self.created(rel, EntryKind::Symlink, rel)
    }

    /// `upgrade`: records a file or symlink as replaced or added.
    pub fn note_change(&mut self, rel: &str, replaces: bool) {
        if let Some(c) = self.changes.as_mut() {
            let list = if replaces {
                &mut c.replaced
            } else {
                &mut c.added
            };
            list.push(rel.to_owned());
        }
    }

    /// Records an entry created (or, in a dry run, to be created) in TARGET: in the
    /// journal, and in the report's sample. Call [`Run::flush`] before creating it when
    /// a later run must know it for wp-init's (a directory, an excludable entry).
    pub fn created(&mut self, path: &str, kind: EntryKind, source_path: &str) -> Result<(), Error> {
        self.record(&Line::Created {
            path: path.to_owned(),
            kind: match kind {
                EntryKind::File => Kind::File,
                EntryKind::Directory => Kind::Directory,
                EntryKind::Symlink => Kind::Symlink,
            },
            source: source_path.to_owned(),
        })?;
        if kind == EntryKind::Directory && !self.hosted {
            self.created_dirs
                .push((path.to_owned(), source_path.to_owned()));
        }
        let full = self.sample.len() >= CREATED_SAMPLE;
        if !full
            || self
                .sample
                .last_key_value()
                .is_some_and(|(last, _)| path < last.as_str())
        {
            self.sample.insert(
                path.to_owned(),
                CreatedEntry {
                    path: path.to_owned(),
                    kind,
                    source_path: source_path.to_owned(),
                },
            );
            if self.sample.len() > CREATED_SAMPLE {
                self.sample.pop_last();
            }
        }
        Ok(())
    }

    /// Records a line in the journal and writes it out now (before what it announces).
    pub fn announce(&mut self, line: &Line) -> Result<(), Error> {
        self.record(line)?;
        self.flush()
    }

    /// Records a line in the journal and, for the component's own commit, the core
    /// entry it names.
    fn record(&mut self, line: &Line) -> Result<(), Error> {
        self.journal.record(line)?;
        if !self.hosted
            && let Some(path) = wp_init_core::core_record::core_path(line)
        {
            self.core_paths.push(path.to_owned());
        }
        Ok(())
    }

    /// Writes out the journal lines recorded so far.
    pub fn flush(&mut self) -> Result<(), Error> {
        Ok(self.journal.flush()?)
    }

    /// The finished report, with its sample of created entries.
    pub fn into_report(mut self) -> Report {
        self.report.created = std::mem::take(&mut self.sample).into_values().collect();
        self.report
    }

    /// The user-visible path of a TARGET-relative path.
    pub fn in_target(&self, rel: &str) -> String {
        layout::join(&self.target, rel)
    }

    /// The user-visible path of a SOURCE-relative path.
    pub fn in_source(&self, rel: &str) -> String {
        layout::join(&self.source, rel)
    }
}

/// The installed test (`wp_init_core::noop::installed`): either sentinel exists in
/// TARGET, following symlinks inside TARGET (the shell's `-e`: a dangling symlink is
/// absent). One behind a symlink leading out of TARGET is refused: wp-init can neither see
/// nor replace it, so it cannot tell.
pub fn installed(run: &Run, tgt: &Dir) -> Result<bool, Error> {
    let look = |s: &str| {
        Ok::<_, Error>(match tgt.presence(s)? {
            Presence::Present(_) => Seen::Present,
            Presence::Unseen => Seen::Unseen,
            Presence::Absent => Seen::Absent,
        })
    };
    match wp_init_core::noop::installed(look)? {
        Installed::Yes => Ok(true),
        Installed::No => Ok(false),
        Installed::Unseen(s) => Err(Error::Io(path_error(
            run.in_target(s),
            format!(
                "lies behind a symlink leading out of {}, so wp-init cannot tell whether WordPress is installed; remove the symlink or make it point inside {}",
                run.target, run.target
            ),
        ))),
    }
}

fn empty_report() -> Report {
    Report {
        status: InstallStatus::AlreadyInstalled,
        files_copied: 0,
        dirs_created: 0,
        symlinks_copied: 0,
        bytes_copied: 0,
        excluded: Vec::new(),
        temporaries_removed: Vec::new(),
        config: ConfigReport {
            action: ConfigAction::NotRequested,
            template: String::new(),
            variables: Vec::new(),
        },
        warnings: Vec::new(),
        created: Vec::new(),
    }
}
