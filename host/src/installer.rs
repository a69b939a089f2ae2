//! [`Installer`]: the builder that runs the component on one SOURCE and TARGET.

use std::time::Duration;

use serde::Serialize;

use crate::component::{self, Embed};
use crate::owner::Owner;
use crate::roots::Root;
use crate::sandbox::{Grants, Sandbox};
use crate::{Error, commit, lock, metadata, report};
use wp_init_core::commit::{Journal, Rename};
use wp_init_core::report::Report;

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
    source: String,
    target: String,
    env: Vec<(String, String)>,
    dry_run: bool,
    memory_limit: u64,
    timeout: Duration,
    capture_messages: bool,
    owner: Option<Owner>,
    config_mode: u32,
    mount_points: Vec<String>,
    lock: bool,
    lock_timeout: Duration,
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

/// What [`Installer::run_command`] returns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandOutput {
    /// The component's exit code.
    pub code: u8,
    /// What it printed on stdout, when [`Installer::capture_messages`] is on.
    pub stdout: Option<String>,
    /// What it printed on stderr, when [`Installer::capture_messages`] is on.
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
    /// The most linear memory the component held at once, in bytes.
    pub guest_memory_peak: u64,
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
            config_mode: metadata::CONFIG_MODE,
            mount_points: Vec::new(),
            lock: true,
            lock_timeout: DEFAULT_LOCK_TIMEOUT,
        }
    }

    /// Gives every created entry this owner and group (see [`crate::owner::resolve`] for
    /// the CLI's rules). `None`, the default, leaves them to the running user.
    pub fn owner(mut self, owner: Option<Owner>) -> Self {
        self.owner = owner;
        self
    }

    /// The mode of a written `wp-config.php` (default [`metadata::CONFIG_MODE`], 0640).
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
    /// it created, then commits (see `wp_init_core::commit`).
    ///
    /// The umask is the process's: while the component runs it is 077, so that nothing it
    /// creates (the keys and salts above all) is readable by others before its final mode
    /// is set. Embedders that create files on other threads meanwhile should know.
    ///
    /// `on_wait` is called once if another run holds the lock (the CLI says so on stderr).
    ///
    /// # Errors
    /// Bad SOURCE or TARGET, a lock timeout, a failure inside the component (named path and
    /// cause), a memory or time limit hit, or a failed mode/owner change or commit.
    pub fn install_with(&self, on_wait: impl FnOnce()) -> Result<Outcome, Error> {
        let (source, target) = self.open_roots()?;
        let (_lock, waited) = if self.lock {
            let (held, waited) = lock::acquire_root(&target, self.lock_timeout, on_wait)?;
            (Some(held), waited)
        } else {
            (None, Duration::ZERO)
        };
        let mut messages = String::new();
        if !self.dry_run && commit::recover(&target)? {
            let line = format!(
                "Finished the install that an interrupted run left unfinished in {}\n",
                self.target
            );
            match self.capture_messages {
                true => messages.push_str(&line),
                false => eprint!("{line}"),
            }
        }
        let (report, staged, captured, guest_memory_peak) = {
            let _private = PrivateUmask::set();
            self.run_component(&source, &target)?
        };
        let messages = captured.map(|c| messages + &c);
        let mut host = HostActions {
            owner: self.owner.map(|o| o.to_string()),
            lock_wait_secs: waited.as_secs_f64(),
            guest_memory_peak,
            ..HostActions::default()
        };
        if !self.dry_run {
            // The staged files are still under their temporary names.
            let mut on_disk = report.created.clone();
            for c in &mut on_disk {
                if let Some(s) = staged.iter().find(|s| s.path == c.path) {
                    c.path.clone_from(&s.temporary);
                }
            }
            let (done, dirs) =
                metadata::apply(&source, &target, &on_disk, self.owner, self.config_mode)?;
            host.modes_set = done.modes_set;
            host.owners_set = done.owners_set;
            if !staged.is_empty() || !dirs.is_empty() {
                commit::commit(&target, &Journal::new(staged, dirs))?;
            }
        }
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
        self.install_with(|| {})
    }

    fn run_component(
        &self,
        source: &Root,
        target: &Root,
    ) -> Result<(Report, Vec<Rename>, Option<String>, u64), Error> {
        let prepared = component::prepared()?;
        let mut sb = Sandbox::new(prepared, &self.grants(source, target, &[]))?;
        let result = Embed::instantiate(&mut sb.store, &prepared.component, &prepared.linker)
            .and_then(|inst| {
                let options = component::exports::wp_init::installer::installer::Options {
                    source: self.source.clone(),
                    target: self.target.clone(),
                    dry_run: self.dry_run,
                    stage_final: true,
                    mount_points: self.mount_points.clone(),
                };
                inst.wp_init_installer_installer()
                    .call_install(&mut sb.store, &options)
            });
        match result {
            Ok(Ok(mut report)) => {
                let staged = std::mem::take(&mut report.staged)
                    .into_iter()
                    .map(|s| Rename {
                        temporary: s.temporary,
                        path: s.path,
                    })
                    .collect();
                let peak = sb.memory_peak();
                Ok((report::from_wit(report), staged, sb.captured(), peak))
            }
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

    /// Runs the component's `wasi:cli/run` export with `args` (as `wasmtime run` would,
    /// the first being the program name) under the same grants, with stdout too. No lock,
    /// modes or owners: this is the component alone.
    ///
    /// # Errors
    /// A runtime failure (trap, limit); a non-zero exit of the component is not an error.
    pub fn run_command(&self, args: &[String]) -> Result<CommandOutput, Error> {
        let (source, target) = self.open_roots()?;
        let prepared = component::prepared()?;
        let mut grants = self.grants(&source, &target, args);
        grants.stdout = true;
        let mut sb = Sandbox::new(prepared, &grants)?;
        let result = wasmtime_wasi::p2::bindings::sync::Command::instantiate(
            &mut sb.store,
            &prepared.component,
            &prepared.linker,
        )
        .and_then(|cmd| cmd.wasi_cli_run().call_run(&mut sb.store));
        let code = match result {
            Ok(Ok(())) => 0,
            Ok(Err(())) => 1,
            Err(e) => match e.downcast_ref::<wasmtime_wasi::I32Exit>() {
                Some(exit) => u8::try_from(exit.0).unwrap_or(1),
                None => return Err(sb.failure(e)),
            },
        };
        Ok(CommandOutput {
            code,
            stdout: sb.captured_stdout(),
            messages: sb.captured(),
        })
    }

    fn grants<'a>(&'a self, source: &'a Root, target: &'a Root, args: &'a [String]) -> Grants<'a> {
        Grants {
            source,
            target,
            target_writable: !self.dry_run,
            env: &self.env,
            args,
            memory_limit: self.memory_limit,
            timeout: self.timeout,
            capture_stderr: self.capture_messages,
            stdout: false,
        }
    }

    /// Opens SOURCE and TARGET, each once: both directories, and neither inside the
    /// other (a copy into itself).
    fn open_roots(&self) -> Result<(Root, Root), Error> {
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

/// The process umask set to 077 while it lives (restored on drop).
struct PrivateUmask(rustix::fs::Mode);

impl PrivateUmask {
    fn set() -> Self {
        PrivateUmask(rustix::process::umask(rustix::fs::Mode::from(0o077)))
    }
}

impl Drop for PrivateUmask {
    fn drop(&mut self) {
        rustix::process::umask(self.0);
    }
}
