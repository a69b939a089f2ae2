//! `wp-init`: the WordPress image's install step, run as a sandboxed WebAssembly component.
//!
//! A thin layer over the `wp_init` library: parse flags, pick the environment to forward,
//! run, print messages on stderr and (with `--json`) the report on stdout, exit with the
//! documented code.

/// Prints a line on stderr, best effort: a stderr nobody reads any more (`2>&1 | head -1`)
/// must neither fail the run nor abort it, as `eprintln!` would.
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}

mod cli;
mod copy_self;
mod signals;

use std::io::Write;
use std::os::unix::process::CommandExt;
use std::process::ExitCode;

use anyhow::Context;
use clap::Parser;

use cli::{Cli, Command, InstallArgs, UpgradeArgs, VerifyArgs};
use wp_init::interrupt;

/// musl's own allocator is slow under Cranelift's many small allocations (the static
/// binary's no-op run took 1.9x the glibc build's); the static build uses mimalloc.
#[cfg(target_env = "musl")]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => return usage_error(&err),
    };
    let (json, runs) = match &cli.command {
        Command::Install(a) | Command::Upgrade(UpgradeArgs { install: a, .. }) => (a.json, true),
        Command::Verify(a) => (a.json, true),
        Command::Component { .. } | Command::CopySelf { .. } => (false, false),
    };
    let result = match runs {
        true => signals::watch().and_then(|()| run(cli)),
        false => run(cli),
    };
    match result {
        Ok(code) => ExitCode::from(u8::from(code)),
        Err(err) => report_error(&err, json),
    }
}

/// A command line clap refused (or `--help`, `--version`): its message as clap prints it,
/// and with `--json` (before any `--`) the error report on stdout too.
fn usage_error(err: &clap::Error) -> ExitCode {
    // Help to stdout, errors to stderr; a failure to print is dropped.
    let _ = err.print();
    let code = u8::try_from(err.exit_code()).unwrap_or(2);
    let json = std::env::args_os()
        .skip(1)
        .take_while(|a| a != "--")
        .any(|a| a == "--json");
    if code != 0 && json {
        let text = err.render().to_string();
        let first = text.lines().next().unwrap_or_default();
        let message = first.strip_prefix("error: ").unwrap_or(first);
        print_error_report(message, wp_init::ExitCode::Usage.into());
    }
    ExitCode::from(code)
}

/// The one error printer: the message and its causes, once each, on stderr (and with
/// `--json` as an error report on stdout); returns the exit code the error stands for.
fn report_error(err: &anyhow::Error, json: bool) -> ExitCode {
    say!("wp-init: error: {err:#}");
    // The run itself succeeded (its report is printed); only the command after `--` failed.
    if let Some(exec) = err.downcast_ref::<ExecFailed>() {
        return ExitCode::from(exec.code());
    }
    let code = match interrupt::requested() {
        Some(signal) => signals::exit_code(signal),
        None => err
            .downcast_ref::<wp_init::Error>()
            .map_or(wp_init::ExitCode::Failure, |e| e.exit_code())
            .into(),
    };
    if json {
        print_error_report(&format!("{err:#}"), code);
    }
    ExitCode::from(code)
}

/// The JSON error report on stdout, best effort: stdout may be the very thing that failed
/// (a closed pipe).
fn print_error_report(message: &str, code: u8) {
    let mut report = wp_init::ErrorReport::new(message, wp_init::ExitCode::Failure);
    report.exit_code = code;
    let text = serde_json::to_string(&report).unwrap_or_default();
    let _ = writeln!(std::io::stdout(), "{text}");
}

fn run(cli: Cli) -> anyhow::Result<wp_init::ExitCode> {
    let done = wp_init::ExitCode::Success;
    match cli.command {
        Command::Install(args) => {
            let outcome = installer(&args)?.install_with(|e| lock_event(&args.target, e))?;
            signals::not_stopped(!args.exec.is_empty())?;
            print_json(args.json, &outcome.report, &outcome.host)?;
            exec(&args.exec).map(|()| done)
        }
        Command::Upgrade(UpgradeArgs {
            allow_downgrade,
            install: args,
        }) => {
            let outcome =
                installer(&args)?.upgrade_with(allow_downgrade, |e| lock_event(&args.target, e))?;
            signals::not_stopped(!args.exec.is_empty())?;
            print_json(args.json, &outcome.report, &outcome.host)?;
            exec(&args.exec).map(|()| done)
        }
        Command::Verify(args) => verify(&args),
        Command::Component { output } => copy_self::write_component(&output).map(|()| done),
        Command::CopySelf { output } => copy_self::copy_self(&output).map(|()| done),
    }
}

/// Says what happens while the lock on `target` is taken.
fn lock_event(target: &str, event: wp_init::lock::Event<'_>) {
    match event {
        wp_init::lock::Event::Waiting(holder) => {
            say!("waiting for the lock on {target} held by {holder}...");
        }
        wp_init::lock::Event::Replaced { path, what } => say!(
            "wp-init: warning: {}: {what}, not made by wp-init; removed, to lock TARGET with a lock file of its own",
            path.display()
        ),
    }
}

/// `wp-init verify`: exit 0 when clean, 1 when anything differs.
fn verify(args: &VerifyArgs) -> anyhow::Result<wp_init::ExitCode> {
    let mut installer = wp_init::Installer::new(&args.source, &args.target)
        .memory_limit(args.memory_limit)
        .timeout(args.timeout)
        .lock(!args.no_lock)
        .lock_timeout(args.lock_timeout);
    installer = archive(installer, &args.archive);
    if let Some(n) = args.instances {
        installer = installer.instances(n.into());
    }
    let outcome = installer.verify_with(|e| lock_event(&args.target, e))?;
    signals::not_stopped(false)?;
    let host = VerifyHost {
        lock_wait_secs: outcome.lock_wait_secs,
        lock: outcome.lock,
        instances: outcome.instances,
        source: outcome.source,
    };
    print_json(args.json, &outcome.report, &host)?;
    Ok(outcome.report.exit_code())
}

/// What the host adds to `verify`'s JSON.
#[derive(serde::Serialize)]
struct VerifyHost {
    lock_wait_secs: f64,
    lock: wp_init::lock::LockReport,
    instances: u64,
    #[serde(flatten)]
    source: wp_init::SourceDigests,
}

/// The library's builder from the install and upgrade flags.
fn installer(args: &InstallArgs) -> anyhow::Result<wp_init::Installer> {
    // Resolved before anything is written: an unknown user fails early.
    let owner = wp_init::Owner::resolve(args.user.as_deref()).map_err(wp_init::Error::from)?;
    let mut installer = wp_init::Installer::new(&args.source, &args.target)
        .dry_run(args.dry_run)
        .memory_limit(args.memory_limit)
        .timeout(args.timeout)
        .owner(owner)
        .config_mode(args.config_mode)
        .lock(!args.no_lock)
        .lock_timeout(args.lock_timeout);
    installer = archive(installer, &args.archive);
    if let Some(n) = args.instances {
        installer = installer.instances(n.into());
    }
    for rel in &args.mount_point {
        installer = installer.mount_point(rel);
    }
    for (name, value) in cli::forwarded_env(std::env::vars_os(), &args.env) {
        installer = installer.env(name, value);
    }
    Ok(installer)
}

/// The builder with an archive SOURCE's flags.
fn archive(mut installer: wp_init::Installer, args: &cli::SourceArgs) -> wp_init::Installer {
    installer = installer.max_source_bytes(args.max_source_bytes);
    if let Some(path) = &args.source_path {
        installer = installer.source_path(path);
    }
    if let Some(hex) = &args.sha256 {
        installer = installer.sha256(hex);
    }
    if let Some(dir) = &args.cache {
        installer = installer.cache(dir);
    }
    if let Some(file) = &args.registry_auth {
        installer = installer.registry_auth(file);
    }
    if let Some(platform) = &args.platform {
        installer = installer.platform(platform);
    }
    installer
}

/// With `--json`: the component's report and what the host did, side by side in one
/// object on stdout.
fn print_json(
    json: bool,
    report: &impl serde::Serialize,
    host: &impl serde::Serialize,
) -> anyhow::Result<()> {
    if !json {
        return Ok(());
    }
    #[derive(serde::Serialize)]
    struct JsonReport<'a, R, H> {
        #[serde(flatten)]
        report: &'a R,
        #[serde(flatten)]
        host: &'a H,
    }
    let mut out = std::io::stdout().lock();
    serde_json::to_writer(&mut out, &JsonReport { report, host })
        .context("cannot write the JSON report")?;
    writeln!(out)
        .and_then(|()| out.flush())
        .context("cannot write the JSON report")
}

/// After a successful run: executes `-- CMD ARGS...` in place of wp-init, if given.
fn exec(command: &[std::ffi::OsString]) -> anyhow::Result<()> {
    let Some((cmd, cmd_args)) = command.split_first() else {
        return Ok(());
    };
    // Only returns on failure.
    let source = std::process::Command::new(cmd).args(cmd_args).exec();
    Err(ExecFailed {
        command: cmd.to_string_lossy().into_owned(),
        source,
    }
    .into())
}

/// The command after `--` could not be executed.
#[derive(Debug, thiserror::Error)]
#[error("cannot execute {command}")]
struct ExecFailed {
    command: String,
    source: std::io::Error,
}

impl ExecFailed {
    /// The shell's exit code for it: 127 when the command is not found, else 126.
    fn code(&self) -> u8 {
        if self.source.kind() == std::io::ErrorKind::NotFound {
            127
        } else {
            126
        }
    }
}
