//! `wp-init`: the WordPress image's install step, run as a sandboxed WebAssembly component.
//!
//! A thin layer over the `wp_init` library: parse flags, pick the environment to forward,
//! run, print messages on stderr and (with `--json`) the report on stdout, exit with the
//! documented code.

mod cli;

use std::io::Write;
use std::process::ExitCode;

use anyhow::Context;
use clap::Parser;
use serde_json::json;

use cli::{Cli, Command, InstallArgs};

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
                let out = json!({"status": "error", "error": format!("{err:#}"), "exit_code": u8::from(code)});
                println!("{out}");
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
    }
}

fn install(args: &InstallArgs) -> anyhow::Result<()> {
    let mut installer = wp_init::Installer::new(&args.source, &args.target)
        .dry_run(args.dry_run)
        .memory_limit(args.memory_limit)
        .timeout(args.timeout);
    for (name, value) in cli::forwarded_env(&args.env) {
        installer = installer.env(name, value);
    }
    let outcome = installer.install()?;
    if args.json {
        let mut out = std::io::stdout().lock();
        serde_json::to_writer(&mut out, &outcome.report).context("cannot write the JSON report")?;
        writeln!(out).context("cannot write the JSON report")?;
    }
    Ok(())
}
