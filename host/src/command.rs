//! [`Installer::run_command`]: the component's own command line, as `wasmtime run` runs
//! it, under the same grants.

use crate::installer::Installer;
use crate::sandbox::Sandbox;
use crate::{Error, component};

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

impl Installer {
    /// Runs the component's `wasi:cli/run` export with `args` (as `wasmtime run` would,
    /// the first being the program name) under the same grants, with stdout too. No lock,
    /// modes or owners: this is the component alone.
    ///
    /// # Errors
    /// A runtime failure (trap, limit); a non-zero exit of the component is not an error.
    pub fn run_command(&self, args: &[String]) -> Result<CommandOutput, Error> {
        let (source, target) = self.open_roots()?;
        let prepared = component::prepared()?;
        let mut grants = self.grants(&source, &target, !self.dry_run, args);
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
}
