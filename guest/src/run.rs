//! One run of a command: its options, the report so far, and what every step shares
//! (messages, the created-log, the granted roots).

use crate::bindings::exports::wp_init::installer::installer::{
    ConfigAction, ConfigReport, CreatedEntry, EntryKind, Error, InstallStatus, Options, Part,
    PathError, Report,
};
use std::collections::BTreeSet;

use crate::fs::{Access, Dir, FsError, Presence};
use crate::{commit, copy};
use wasip2::filesystem::types::{DescriptorType, ErrorCode};
use wp_init_core::commit::{CREATED_LOG_PREFIX, created_log_line, parse_created_log};
use wp_init_core::layout::{self, SENTINELS, mount_point_is_valid};

impl From<FsError> for Error {
    fn from(e: FsError) -> Self {
        Error::Io(PathError {
            cause: e.cause(),
            path: e.path,
        })
    }
}

/// Builds a [`PathError`].
pub fn path_error(path: impl Into<String>, cause: impl Into<String>) -> PathError {
    PathError {
        path: path.into(),
        cause: cause.into(),
    }
}

/// One install run: the options, the per-run temporary-name nonce and the report so far.
pub struct Run {
    /// SOURCE's root, for judging a symlink by resolution: a descriptor is a sandbox of
    /// its own, so a chain must be followed from the root, not from the link's directory.
    pub src_root: Dir,
    /// Entries an interrupted run created (from its logs): this run finishes them as its
    /// own instead of keeping them as the user's.
    pub adopted: BTreeSet<String>,
    /// This run's log of created entries: TARGET's root (a handle of its own), the log's
    /// name and its length.
    log: Option<(Dir, String, u64)>,
    /// Directories to leave in place for volumes mounted inside TARGET.
    pub mount_points: Vec<String>,
    /// SOURCE as given.
    pub source: String,
    /// TARGET as given.
    pub target: String,
    /// Plan only: make no write calls.
    pub dry_run: bool,
    /// Leave the final files staged for the caller to commit (see the WIT `options`).
    pub stage_final: bool,
    /// Makes this run's temporary names unique.
    pub nonce: u64,
    /// The report being built.
    pub report: Report,
    /// `upgrade`: what was replaced, added and removed (`None` for `install`).
    pub changes: Option<Changes>,
    /// Subtrees other instances copy at the same time (`install-leaving`).
    pub leave: Vec<Part>,
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
}

impl Run {
    /// Opens SOURCE and TARGET and starts a run: checks the options, finishes an
    /// interrupted commit, adopts what interrupted runs created and removes their
    /// temporaries at TARGET's root (but for the staging directories of `leave`).
    /// Returns the run, SOURCE and TARGET.
    pub fn start(options: &Options, leave: Vec<Part>) -> Result<(Run, Dir, Dir), Error> {
        let (mut run, src, tgt) = Run::open(options)?;
        run.leave = leave;
        commit::recover(&mut run, &tgt)?;
        run.adopted = read_created_logs(&tgt)?;
        copy::clean_temps(&mut run, &tgt, "")?;
        Ok((run, src, tgt))
    }

    /// Opens SOURCE and TARGET and checks the options, touching nothing.
    pub fn open(options: &Options) -> Result<(Run, Dir, Dir), Error> {
        let src = open_source(&options.source)?;
        let tgt = open_granted(&options.target, Error::InvalidTarget)?;
        for m in &options.mount_points {
            if !mount_point_is_valid(m) {
                return Err(Error::InvalidTarget(path_error(
                    m.clone(),
                    "a mount point must be a relative path inside TARGET, without '.' or '..'",
                )));
            }
        }
        let run = Run {
            src_root: open_granted(&options.source, Error::InvalidSource)?,
            adopted: BTreeSet::new(),
            log: None,
            mount_points: options.mount_points.clone(),
            source: options.source.clone(),
            target: options.target.clone(),
            dry_run: options.dry_run,
            stage_final: options.stage_final && !options.dry_run,
            nonce: if options.dry_run {
                0
            } else {
                wasip2::random::random::get_random_u64()
            },
            report: empty_report(),
            changes: None,
            leave: Vec::new(),
        };
        Ok((run, src, tgt))
    }

    /// Whether `rel` is left to another instance: a part's path or staging directory.
    pub fn leaves(&self, rel: &str) -> bool {
        self.leave.iter().any(|p| p.path == rel || p.staging == rel)
    }

    /// Prints a message to stderr (marked as a plan in a dry run).
    pub fn say(&self, msg: &str) {
        eprintln!("{}{msg}", self.prefix());
    }

    /// Prints a warning and records it in the report.
    pub fn warn(&mut self, msg: &str) {
        let line = format!("{}WARNING: {msg}", self.prefix());
        eprintln!("{line}");
        self.report.warnings.push(line);
    }

    fn prefix(&self) -> &'static str {
        if self.dry_run { "(dry run) " } else { "" }
    }

    /// The words for what this run does: `real` in a real run, `dry` in a dry run
    /// ("copying" or "would copy").
    pub fn real_or_dry<'a>(&self, real: &'a str, dry: &'a str) -> &'a str {
        if self.dry_run { dry } else { real }
    }

    /// What this run may do to TARGET's directories: nothing in a dry run.
    pub fn access(&self) -> Access {
        if self.dry_run {
            Access::Read
        } else {
            Access::Change
        }
    }

    /// Starts this run's log of created entries at TARGET's root (see
    /// `core::commit::CREATED_LOG_PREFIX`).
    pub fn open_log(&mut self, tgt: &Dir) -> Result<(), Error> {
        let name = format!("{CREATED_LOG_PREFIX}{:016x}", self.nonce);
        drop(tgt.create_new(&name, &tgt.path_of(&name))?);
        let root = tgt
            .open_dir(".", Access::Change)?
            .known_as(self.target.clone());
        self.log = Some((root, name, 0));
        Ok(())
    }

    /// Logs, before it is created, an entry a later run must know to be wp-init's.
    /// Entries adopted from an earlier log are already listed; a dry run logs nothing.
    ///
    /// Each line goes through a descriptor of its own, closed at once: an NFS client
    /// sends a file's writes to the server when it is closed (or flushed), and a node
    /// that dies loses what it had not sent. Closed, the line is on the server before the
    /// entry it announces is created there; on a local file system a close costs nothing.
    pub fn log_created(&mut self, rel: &str) -> Result<(), Error> {
        let Some((root, name, len)) = self.log.as_mut().filter(|_| !self.adopted.contains(rel))
        else {
            return Ok(());
        };
        let line = created_log_line(rel);
        root.open_write(name)?.write_all(line.as_bytes(), *len)?;
        *len += line.len() as u64;
        Ok(())
    }

    /// Closes this run's created-log (before the commit removes it).
    pub fn close_log(&mut self) {
        self.log = None;
    }

    /// The finished report, `created` sorted by path (parents before children, in the
    /// same order however many instances copied).
    pub fn into_report(mut self) -> Report {
        self.report.created.sort_by(|a, b| a.path.cmp(&b.path));
        self.report
    }

    /// Records an entry created in TARGET.
    pub fn created(&mut self, path: &str, kind: EntryKind, source_path: &str) {
        self.report.created.push(CreatedEntry {
            path: path.to_owned(),
            kind,
            source_path: source_path.to_owned(),
        });
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

/// Finds the preopen named `name` (a trailing `/` does not matter).
fn preopen(name: &str) -> Option<wasip2::filesystem::types::Descriptor> {
    fn norm(s: &str) -> &str {
        match s.trim_end_matches('/') {
            "" if s.starts_with('/') => "/",
            t => t,
        }
    }
    if name.is_empty() {
        return None;
    }
    let want = norm(name);
    wasip2::filesystem::preopens::get_directories()
        .into_iter()
        .find(|(_, path)| norm(path) == want)
        .map(|(desc, _)| desc)
}

const NOT_GRANTED: &str = "not granted to the component (no preopen)";

/// Opens a granted directory; `wrap` turns a problem into the right error variant.
pub fn open_granted(name: &str, wrap: fn(PathError) -> Error) -> Result<Dir, Error> {
    let desc = preopen(name).ok_or_else(|| wrap(path_error(name, NOT_GRANTED)))?;
    let dir = Dir::new(desc, name);
    match dir.get_type() {
        Ok(DescriptorType::Directory) => Ok(dir),
        Ok(_) => Err(wrap(path_error(name, "not a directory"))),
        Err(e) => Err(wrap(path_error(name, e.cause()))),
    }
}

/// Opens and checks SOURCE: a granted directory holding `wp-includes/version.php`.
pub fn open_source(name: &str) -> Result<Dir, Error> {
    let dir = open_granted(name, Error::InvalidSource)?;
    let missing = || {
        Error::InvalidSource(path_error(
            name,
            format!("not a WordPress tree: {} missing", SENTINELS[0]),
        ))
    };
    match dir.stat(SENTINELS[0]) {
        Ok(st) if st.type_ == DescriptorType::RegularFile => Ok(dir),
        Ok(_) => Err(missing()),
        Err(e) if matches!(e.code, ErrorCode::NoEntry | ErrorCode::NotDirectory) => Err(missing()),
        Err(e) => Err(Error::InvalidSource(path_error(e.path.clone(), e.cause()))),
    }
}

/// The entries listed in the created-logs of interrupted runs (the logs stay until a
/// commit removes them, so a run interrupted again still knows them).
fn read_created_logs(tgt: &Dir) -> Result<BTreeSet<String>, Error> {
    let mut found = BTreeSet::new();
    for (name, ty) in tgt.entries()? {
        if name.starts_with(CREATED_LOG_PREFIX) && ty == DescriptorType::RegularFile {
            let bytes = tgt.open_read(&name)?.read_to_end(LOG_CAP)?;
            found.extend(parse_created_log(&String::from_utf8_lossy(&bytes)));
        }
    }
    Ok(found)
}

/// Largest created-log read (one line per directory of the tree).
const LOG_CAP: u64 = 256 << 20;

/// The installed test: either sentinel exists in TARGET, following symlinks. One behind a
/// symlink the sandbox cannot follow (it leads out of TARGET) counts as present, with a
/// warning: wp-init does not replace what it cannot see.
pub fn installed(run: &mut Run, tgt: &Dir) -> Result<bool, Error> {
    for s in SENTINELS {
        match tgt.presence(s)? {
            Presence::Present(_) => return Ok(true),
            Presence::Unseen => {
                run.warn(&format!(
                    "'{}' lies behind a symlink leading out of {}; counting WordPress as installed",
                    run.in_target(s),
                    run.target
                ));
                return Ok(true);
            }
            Presence::Absent => {}
        }
    }
    Ok(false)
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
        staged: Vec::new(),
    }
}
