//! `wp-init`: the WordPress image's install step, run as a sandboxed WebAssembly component.
//!
//! A thin layer over the `wp_init` library: parse flags, pick the environment to forward,
//! run, print messages on stderr and (with `--json`) the report on stdout, exit with the
//! documented code.

mod cli;
mod copy_self;

use std::io::Write;
use std::os::unix::process::CommandExt;
use std::process::ExitCode;

use anyhow::Context;
use clap::Parser;

use cli::{Cli, Command, InstallArgs};

/// musl's own allocator is slow under Cranelift's many small allocations (the static
/// binary's no-op run took 1.9x the glibc build's); the static build uses mimalloc.
#[cfg(target_env = "musl")]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let json = matches!(&cli.command, Command::Install(a) if a.json);
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            let code = err
                .downcast_ref::<wp_init::Error>()
                .map_or(wp_init::ExitCode::Failure, |e| e.exit_code());
            eprintln!("wp-init: error: {err:#}");
            if json {
                let report = wp_init::ErrorReport::new(format!("{err:#}"), code);
                println!("{}", serde_json::to_string(&report).unwrap_or_default());
            }
            ExitCode::from(u8::from(code))
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Install(args) => install(&args),
        Command::Component { output } => std::fs::write(&output, wp_init::COMPONENT_WASM)
            .with_context(|| format!("cannot write the component to {}", output.display())),
        Command::CopySelf { output } => copy_self::copy_self(&output),
    }
}

fn install(args: &InstallArgs) -> anyhow::Result<()> {
    // Resolved before anything is written: an unknown user fails early.
    let owner = wp_init::owner::resolve(args.user.as_deref()).map_err(wp_init::Error::from)?;
    let mut installer = wp_init::Installer::new(&args.source, &args.target)
        .dry_run(args.dry_run)
        .memory_limit(args.memory_limit)
        .timeout(args.timeout)
        .owner(owner)
        .config_mode(args.config_mode)
        .lock(!args.no_lock)
        .lock_timeout(args.lock_timeout);
    for rel in &args.mount_point {
        installer = installer.mount_point(rel);
    }
    for (name, value) in cli::forwarded_env(&args.env) {
        installer = installer.env(name, value);
    }
    let outcome = installer.install_with(|| {
        eprintln!(
            "waiting for the lock on {} held by another wp-init...",
            args.target
        );
    })?;
    if args.json {
        let mut out = std::io::stdout().lock();
        let report = JsonReport {
            report: &outcome.report,
            host: &outcome.host,
        };
        serde_json::to_writer(&mut out, &report).context("cannot write the JSON report")?;
        writeln!(out)
            .and_then(|()| out.flush())
            .context("cannot write the JSON report")?;
    }
    if let Some((cmd, cmd_args)) = args.exec.split_first() {
        // Only returns on failure.
        let err = std::process::Command::new(cmd).args(cmd_args).exec();
        return Err(err).with_context(|| format!("cannot execute {}", cmd.to_string_lossy()));
    }
    Ok(())
}

/// The `--json` object: the component's report and what the host did, side by side.
#[derive(serde::Serialize)]
struct JsonReport<'a> {
    #[serde(flatten)]
    report: &'a wp_init::Report,
    #[serde(flatten)]
    host: &'a wp_init::HostActions,
}
