//! [`Installer`]: the builder that runs the component on one SOURCE and TARGET.

use std::time::Duration;

use serde::Serialize;

use wasmtime::Store;

use crate::component::exports::wp_init::installer::hosted;
use crate::component::exports::wp_init::installer::installer as wit;
use crate::component::{self, Host_ as Bindings};
use crate::owner::Owner;
use crate::roots::Root;
use crate::sandbox::{Grants, Sandbox};
use crate::store::Host;
use crate::{Error, from_wit, lock, permissions};
use wp_init_core::report::upgrade::{UpgradeReport, UpgradeStatus};
use wp_init_core::report::{Report, Status, messages};

mod fetching;
mod noop;
mod transact;

/// What a call of the typed interface returns.
pub(crate) type CallResult<W> = wasmtime::Result<Result<W, wit::Error>>;

/// What running the component gave.
pub(crate) struct Ran<W> {
    /// Its report.
    pub report: W,
    /// Its messages, when captured.
    pub messages: Option<String>,
    /// The most linear memory one instance held.
    pub memory_peak: u64,
    /// How many instances ran.
    pub instances: u64,
}

/// What a call of the host's protocol returns: the report and the staged files.
pub(crate) type Staged<W> = (W, Vec<hosted::StagedEntry>);

/// A report of a command that writes TARGET, as the host's transaction needs it.
pub(crate) trait Written {
    /// Its warnings, which the host adds to.
    fn warnings(&mut self) -> &mut Vec<String>;
    /// The line that ends a run that changed TARGET, once committed (`target` as given).
    fn complete(&self, target: &str) -> Option<String>;
    /// Whether core was installed or replaced (the commit records it).
    fn installed_core(&self) -> bool;
}

impl Written for Report {
    fn warnings(&mut self) -> &mut Vec<String> {
        &mut self.warnings
    }
    fn complete(&self, target: &str) -> Option<String> {
        (self.status == Status::Copied).then(|| messages::copied(target))
    }
    fn installed_core(&self) -> bool {
        self.status == Status::Copied
    }
}

impl Written for UpgradeReport {
    fn warnings(&mut self) -> &mut Vec<String> {
        &mut self.install.warnings
    }
    fn complete(&self, target: &str) -> Option<String> {
        match self.status {
            UpgradeStatus::Installed => Some(messages::copied(target)),
            UpgradeStatus::Upgraded | UpgradeStatus::Downgraded => Some(messages::upgraded(
                target,
                &self.to,
                (self.replaced.len(), self.added.len(), self.removed.len()),
            )),
            _ => None,
        }
    }
    fn installed_core(&self) -> bool {
        self.complete("").is_some()
    }
}

/// Default cap on the component's linear memory.
pub const DEFAULT_MEMORY_LIMIT: u64 = 128 << 20;
/// Default cap on the component's run time.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(600);
/// Default wait for another run's lock on TARGET.
pub const DEFAULT_LOCK_TIMEOUT: Duration = Duration::from_secs(900);

/// Runs the wp-init component on one SOURCE and TARGET.
///
/// ```no_run
/// let outcome = wp_init::Installer::new("/usr/src/wordpress", "/var/www/html")
///     .env("WORDPRESS_DB_HOST", "db")
///     .install()?;
/// println!("{} files copied", outcome.report.files_copied);
/// # Ok::<(), wp_init::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct Installer {
    pub(crate) source: String,
    pub(crate) target: String,
    env: Vec<(String, String)>,
    pub(crate) dry_run: bool,
    memory_limit: u64,
    timeout: Duration,
    pub(crate) capture_messages: bool,
    owner: Option<Owner>,
    config_mode: u32,
    pub(crate) mount_points: Vec<String>,
    lock: bool,
    lock_timeout: Duration,
    pub(crate) instances: usize,
    pub(crate) source_path: Option<String>,
    pub(crate) max_source_bytes: u64,
    pub(crate) sha256: Option<String>,
    pub(crate) fetch: fetching::FetchSettings,
}

/// What a run returns.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// The component's report.
    pub report: Report,
    /// What the host did around the component.
    pub host: HostActions,
    /// The messages the component printed, when [`Installer::capture_messages`] is on.
    pub messages: Option<String>,
}

/// What the host did around the component (WASI cannot set modes and owners, or lock).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct HostActions {
    /// Created entries whose mode was set to SOURCE's (or `wp-config.php`'s).
    pub modes_set: u64,
    /// Created entries whose owner and group were set.
    pub owners_set: u64,
    /// The owner given to created entries, as `uid:gid`, if any.
    pub owner: Option<String>,
    /// Seconds spent waiting for another run's lock on TARGET.
    pub lock_wait_secs: f64,
    /// How TARGET was locked, who held it, what was at the lock file's name.
    pub lock: lock::LockReport,
    /// The most linear memory one component instance held at once, in bytes.
    pub guest_memory_peak: u64,
    /// Component instances that ran (more than one: a fresh install split in parts).
    pub instances: u64,
    /// The digests an archive or image SOURCE was checked against.
    #[serde(flatten)]
    pub source: crate::SourceDigests,
}

impl Installer {
    /// An installer from `source` to `target`, with no environment, default limits, and
    /// messages going to this process's stderr. Paths are passed to the component as given
    /// (so its messages show them as the user wrote them).
    pub fn new(source: impl Into<String>, target: impl Into<String>) -> Self {
        Installer {
            source: source.into(),
            target: target.into(),
            env: Vec::new(),
            dry_run: false,
            memory_limit: DEFAULT_MEMORY_LIMIT,
            timeout: DEFAULT_TIMEOUT,
            capture_messages: false,
            owner: None,
            config_mode: permissions::CONFIG_MODE,
            mount_points: Vec::new(),
            lock: true,
            lock_timeout: DEFAULT_LOCK_TIMEOUT,
            instances: std::thread::available_parallelism().map_or(1, usize::from),
            source_path: None,
            max_source_bytes: wp_init_core::source::DEFAULT_MAX_SOURCE_BYTES,
            sha256: None,
            fetch: fetching::FetchSettings::default(),
        }
    }

    /// For an archive SOURCE: the directory in it WordPress is taken from (default
    /// `wordpress`, a release archive's; `/usr/src/wordpress` for an image).
    pub fn source_path(mut self, path: impl Into<String>) -> Self {
        self.source_path = Some(path.into());
        self
    }

    /// For an archive SOURCE: the most bytes it may expand to (default 1 GiB); more is
    /// refused as a bomb.
    pub fn max_source_bytes(mut self, bytes: u64) -> Self {
        self.max_source_bytes = bytes;
        self
    }

    /// Component instances a fresh install, or a verify, may run at once (default: the
    /// available cores; 1 for one instance). An install's extra instances copy whole core
    /// trees (`wp-includes`, then `wp-admin`), so more than 3 change nothing there; a
    /// verify's share the hashing file by file.
    pub fn instances(mut self, n: usize) -> Self {
        self.instances = n.max(1);
        self
    }

    /// Gives every created entry this owner and group (see [`Owner::resolve`] for
    /// the CLI's rules). `None`, the default, leaves them to the running user.
    pub fn owner(mut self, owner: Option<Owner>) -> Self {
        self.owner = owner;
        self
    }

    /// The mode of a written `wp-config.php` (default 0640).
    /// It is private to its owner from the first byte until this mode is set.
    pub fn config_mode(mut self, mode: u32) -> Self {
        self.config_mode = mode;
        self
    }

    /// Also leaves this directory (relative to TARGET) in place for a volume mounted
    /// inside TARGET; `wp-content/uploads` always is.
    pub fn mount_point(mut self, rel: impl Into<String>) -> Self {
        self.mount_points.push(rel.into());
        self
    }

    /// Whether to take the lock on TARGET for the run (default yes). Without it, two runs on
    /// one TARGET may copy at the same time.
    pub fn lock(mut self, yes: bool) -> Self {
        self.lock = yes;
        self
    }

    /// How long to wait for another run's lock on TARGET before giving up.
    pub fn lock_timeout(mut self, timeout: Duration) -> Self {
        self.lock_timeout = timeout;
        self
    }

    /// Gives the component an environment variable (the install step only looks at the
    /// names of `WORDPRESS_*` variables).
    pub fn env(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.env.push((name.into(), value.into()));
        self
    }

    /// Plans instead of installing: TARGET is granted read-only.
    pub fn dry_run(mut self, yes: bool) -> Self {
        self.dry_run = yes;
        self
    }

    /// Caps the component's memory, in bytes.
    pub fn memory_limit(mut self, bytes: u64) -> Self {
        self.memory_limit = bytes;
        self
    }

    /// Caps the component's run time.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Collects the component's messages into [`Outcome::messages`] instead of printing them.
    pub fn capture_messages(mut self, yes: bool) -> Self {
        self.capture_messages = yes;
        self
    }

    /// Runs the install (or the plan, in a dry run): opens SOURCE and TARGET once, takes
    /// the lock on TARGET, finishes the commit of an interrupted run, runs the component's
    /// typed API under a private umask, sets owners and file modes on exactly the entries
    /// it created, then commits (see `wp_init_core::commit`). An installed TARGET with
    /// nothing to do is told first, without the component and writing nothing, under a
    /// reader's lock (`installer/noop.rs`).
    ///
    /// The umask is the process's: while the component runs it is 077, so that nothing it
    /// creates (the keys and salts above all) is readable by others before its final mode
    /// is set. Embedders that create files on other threads meanwhile should know.
    ///
    /// `on_lock` hears what happens while the lock is taken: a wait for another holder
    /// (once), an entry at the lock file's name that wp-init did not make (the CLI says
    /// both on stderr).
    ///
    /// # Errors
    /// Bad SOURCE or TARGET, a lock timeout, a failure inside the component (named path and
    /// cause), a memory or time limit hit, or a failed mode/owner change or commit.
    pub fn install_with(&self, on_lock: impl FnMut(lock::Event<'_>)) -> Result<Outcome, Error> {
        if let Some(outcome) = self.noop()? {
            return Ok(outcome);
        }
        let (report, host, messages) = self.transact(
            on_lock,
            |grants, options, context| {
                let parts = self.parts(grants)?;
                if parts.is_empty() {
                    self.call_component(grants, grants.target, |inst, store| {
                        inst.wp_init_installer_hosted()
                            .call_install(store, options, context, &[])
                    })
                } else {
                    self.install_in_parts(grants, options, context, &parts)
                }
            },
            from_wit::report,
        )?;
        Ok(Outcome {
            report,
            host,
            messages,
        })
    }

    /// [`Installer::install_with`], silently waiting for the lock.
    ///
    /// # Errors
    /// As [`Installer::install_with`].
    pub fn install(&self) -> Result<Outcome, Error> {
        self.install_with(|_| {})
    }

    /// Instantiates the typed interface under `grants` and calls it once.
    pub(crate) fn call_component<W>(
        &self,
        grants: &Grants<'_>,
        target: &Root,
        call: impl FnOnce(&Bindings, &mut Store<Host>) -> CallResult<W>,
    ) -> Result<Ran<W>, Error> {
        let prepared = component::prepared()?;
        let mut sb = Sandbox::new(prepared, grants)?;
        let result = Bindings::instantiate(&mut sb.store, &prepared.component, &prepared.linker)
            .and_then(|inst| call(&inst, &mut sb.store));
        match result {
            Ok(Ok(report)) => Ok(Ran {
                report,
                memory_peak: sb.memory_peak(),
                messages: sb.captured(),
                instances: 1,
            }),
            Ok(Err(e)) => Err(self.diagnose(e.into(), target)),
            Err(e) => Err(sb.failure(e)),
        }
    }

    /// Adds what the host can see and the component cannot: WASI reports a write to a
    /// read-only mount as a plain I/O error.
    fn diagnose(&self, e: Error, target: &Root) -> Error {
        let read_only = || {
            rustix::fs::fstatvfs(target.fd())
                .is_ok_and(|v| v.f_flag.contains(rustix::fs::StatVfsMountFlags::RDONLY))
        };
        match e {
            Error::Io(mut pe) if !self.dry_run && read_only() => {
                pe.cause = format!("{} (TARGET is on a read-only file system)", pe.cause);
                Error::Io(pe)
            }
            e => e,
        }
    }

    pub(crate) fn grants<'a>(
        &'a self,
        source: &'a Root,
        target: &'a Root,
        target_writable: bool,
        args: &'a [String],
    ) -> Grants<'a> {
        Grants {
            source: Some(source),
            source_writable: false,
            target,
            target_writable,
            target_granted: true,
            env: &self.env,
            args,
            memory_limit: self.memory_limit,
            timeout: self.timeout,
            capture_stderr: self.capture_messages,
            stdout: false,
            journal: None,
            stdin: None,
            stdout_file: None,
        }
    }

    /// Opens SOURCE and TARGET, each once: both directories, and neither inside the
    /// other (a copy into itself).
    pub(crate) fn open_roots(&self) -> Result<(Root, Root), Error> {
        let source = Root::open(&self.source).map_err(Error::InvalidSource)?;
        let target = Root::open(&self.target).map_err(Error::InvalidTarget)?;
        let (s, t) = (
            source.real_path().map_err(Error::InvalidSource)?,
            target.real_path().map_err(Error::InvalidTarget)?,
        );
        if s.starts_with(&t) || t.starts_with(&s) {
            return Err(Error::Usage(format!(
                "SOURCE {} and TARGET {} must not be the same directory or inside each other",
                self.source, self.target
            )));
        }
        Ok((source, target))
    }
}
