//! SIGTERM and SIGINT: the run stops promptly, in a state the next run completes, and
//! exits 128 + the signal's number (143, 130).
//!
//! In a FROM-scratch image wp-init is PID 1 of its PID namespace, where the kernel drops
//! every signal without a handler: without one, `docker stop` and Kubernetes' SIGTERM did
//! nothing until the SIGKILL that follows. The handler (signal-hook's, which only writes
//! to a pipe) wakes a thread of ours, which asks the library to stop every run
//! ([`wp_init::interrupt::request`]: the component interrupted, a lock wait abandoned).
//! A second signal exits at once, for a run stuck in a host call that does not return
//! (a dead NFS server): like a kill at that instant, which the install survives.
//!
//! Nothing is blocked or ignored, and handlers do not survive `exec`: the command run
//! after the install starts with the signal dispositions and mask wp-init was given. A
//! signal wp-init was started with ignored (`nohup`, a shell's background job) stays
//! ignored, as a shell leaves it: handling it would hand the command a default
//! disposition where it was given "ignore".

use anyhow::Context;
use signal_hook::consts::{SIGINT, SIGTERM};
use signal_hook::iterator::Signals;
use wp_init::interrupt;

/// Handles SIGTERM and SIGINT from now on (those not ignored), on a thread of their own.
pub fn watch() -> anyhow::Result<()> {
    let wanted: Vec<i32> = [SIGTERM, SIGINT]
        .into_iter()
        .filter(|s| !ignored(*s))
        .collect();
    let mut signals = Signals::new(wanted).context("cannot set up SIGTERM and SIGINT handling")?;
    std::thread::Builder::new()
        .name("wp-init-signals".into())
        .spawn(move || {
            for signal in signals.forever() {
                if interrupt::requested().is_some() {
                    std::process::exit(exit_code(signal).into());
                }
                interrupt::request(signal);
                say!(
                    "wp-init: {}: stopping (send it again to stop at once)",
                    interrupt::signal_name(signal)
                );
            }
        })
        .context("cannot start the thread that handles signals")?;
    Ok(())
}

/// Whether `signal` is ignored now (as it was given to wp-init: nothing here ignores one).
fn ignored(signal: i32) -> bool {
    let mut old = std::mem::MaybeUninit::<libc::sigaction>::zeroed();
    // SAFETY: with a null new action, sigaction only writes the current one into `old`,
    // a valid, writable sigaction; it changes nothing.
    #[expect(unsafe_code, reason = "sigaction(2) to read a disposition; see SAFETY")]
    let (r, old) = unsafe {
        let r = libc::sigaction(signal, std::ptr::null(), old.as_mut_ptr());
        (r, old.assume_init())
    };
    r == 0 && old.sa_sigaction == libc::SIG_IGN
}

/// The exit code of a run stopped by `signal`: 128 + its number, as a shell reports a
/// process killed by it.
pub fn exit_code(signal: i32) -> u8 {
    u8::try_from(128 + signal).unwrap_or(u8::MAX)
}

/// Fails when a stop was asked for while the run completed anyway (the component had
/// finished): the work is done, but no report is printed and no command is run, as the
/// container is being stopped.
pub fn not_stopped(command: bool) -> anyhow::Result<()> {
    match interrupt::requested() {
        None => Ok(()),
        Some(signal) => Err(anyhow::anyhow!(
            "interrupted by {} as the run finished (its work is done{})",
            interrupt::signal_name(signal),
            if command {
                "; the command after -- is not run"
            } else {
                ""
            }
        )),
    }
}
