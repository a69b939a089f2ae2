//! [`Installer`]: the builder that runs the component on one SOURCE and TARGET.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::component::{self, Embed};
use crate::report::Report;
use crate::sandbox::{Grants, Sandbox};
use crate::{Error, PathError};

/// Default SOURCE: where the official image keeps WordPress.
pub const DEFAULT_SOURCE: &str = "/usr/src/wordpress";
/// Default TARGET: the official image's document root.
pub const DEFAULT_TARGET: &str = "/var/www/html";
/// Default cap on the component's linear memory.
pub const DEFAULT_MEMORY_LIMIT: u64 = 128 << 20;
/// Default cap on the component's run time.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(600);

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
}

/// What a run returns.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// The component's report.
    pub report: Report,
    /// The messages the component printed, when [`Installer::capture_messages`] is on.
    pub messages: Option<String>,
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
        }
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

    /// Runs the install (or the plan, in a dry run) through the component's typed API.
    ///
    /// # Errors
    /// Bad SOURCE or TARGET, a failure inside the component (named path and cause), or a
    /// memory or time limit hit.
    pub fn install(&self) -> Result<Outcome, Error> {
        self.check_paths()?;
        let prepared = component::prepared()?;
        let mut sb = Sandbox::new(prepared, &self.grants(&[]))?;
        let result = Embed::instantiate(&mut sb.store, &prepared.component, &prepared.linker)
            .and_then(|inst| {
                let options = component::exports::wp_init::installer::installer::Options {
                    source: self.source.clone(),
                    target: self.target.clone(),
                    dry_run: self.dry_run,
                };
                inst.wp_init_installer_installer()
                    .call_install(&mut sb.store, &options)
            });
        match result {
            Ok(Ok(report)) => Ok(Outcome {
                report: report.into(),
                messages: sb.captured(),
            }),
            Ok(Err(e)) => Err(e.into()),
            Err(e) => Err(sb.failure(e)),
        }
    }

    /// Runs the component's `wasi:cli/run` export with `args` (as `wasmtime run` would,
    /// the first being the program name) under the same grants, and returns its exit code
    /// with the captured messages when capturing.
    ///
    /// # Errors
    /// A runtime failure (trap, limit); a non-zero exit of the component is not an error.
    pub fn run_command(&self, args: &[String]) -> Result<(u8, Option<String>), Error> {
        let prepared = component::prepared()?;
        let mut sb = Sandbox::new(prepared, &self.grants(args))?;
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
        Ok((code, sb.captured()))
    }

    fn grants<'a>(&'a self, args: &'a [String]) -> Grants<'a> {
        Grants {
            source: &self.source,
            target: &self.target,
            target_writable: !self.dry_run,
            env: &self.env,
            args,
            memory_limit: self.memory_limit,
            timeout: self.timeout,
            capture_stderr: self.capture_messages,
        }
    }

    /// Checks SOURCE and TARGET before the component sees them: both directories, and
    /// neither inside the other (a copy into itself).
    fn check_paths(&self) -> Result<(), Error> {
        let source = directory(&self.source).map_err(Error::InvalidSource)?;
        let target = directory(&self.target).map_err(Error::InvalidTarget)?;
        if source.starts_with(&target) || target.starts_with(&source) {
            return Err(Error::Usage(format!(
                "SOURCE {} and TARGET {} must not be the same directory or inside each other",
                self.source, self.target
            )));
        }
        Ok(())
    }
}

/// The canonical path of a directory, or why `path` is not one.
fn directory(path: &str) -> Result<PathBuf, PathError> {
    let err = |cause: String| PathError {
        path: path.to_owned(),
        cause,
    };
    let canonical = Path::new(path)
        .canonicalize()
        .map_err(|e| err(e.to_string()))?;
    if canonical.is_dir() {
        Ok(canonical)
    } else {
        Err(err("not a directory".to_owned()))
    }
}
