//! Stopping the runs of this process from outside: the CLI's SIGTERM and SIGINT handler,
//! or an embedder's thread, calls [`request`].
//!
//! Every run then stops at its next check, as if killed at that instant (which the
//! install's crash safety makes harmless: the next run completes the work): a component
//! is interrupted at its next function entry or loop head, a wait for the lock on TARGET
//! is abandoned at its next poll (within 100 ms), and a run that has not started its
//! component yet stops before it. A component blocked inside one host call (a read that
//! hangs on a dead NFS server) stops when the call returns. A run whose component has
//! finished completes its host pass and commit (no copying, bounded work) and returns as
//! usual: [`requested`] tells the caller that a stop was asked for meanwhile.

use std::sync::Mutex;
use std::sync::atomic::{AtomicI32, Ordering};

use wasmtime::Engine;

/// The signal of the first request; 0 while there is none.
static REQUESTED: AtomicI32 = AtomicI32::new(0);

/// The engines whose epoch a request advances, so that their running components check it.
static ENGINES: Mutex<Vec<Engine>> = Mutex::new(Vec::new());

/// Asks every run in this process to stop, for `signal` (its number, as
/// [`crate::Error::Interrupted`] reports it; must not be 0). Only the first request's
/// signal is kept; the request cannot be withdrawn.
pub fn request(signal: i32) {
    let _ = REQUESTED.compare_exchange(0, signal, Ordering::SeqCst, Ordering::SeqCst);
    // After the flag, under the lock `watch` takes before it looks at the flag: a store
    // watched before this sees its engine's epoch move; one watched after sees the flag.
    for engine in engines().iter() {
        engine.increment_epoch();
    }
}

/// The signal of the first [`request`], if any.
pub fn requested() -> Option<i32> {
    match REQUESTED.load(Ordering::SeqCst) {
        0 => None,
        signal => Some(signal),
    }
}

/// The usual name of `signal` (`SIGTERM`), or `signal N`.
pub fn signal_name(signal: i32) -> String {
    match signal {
        1 => "SIGHUP".into(),
        2 => "SIGINT".into(),
        3 => "SIGQUIT".into(),
        15 => "SIGTERM".into(),
        n => format!("signal {n}"),
    }
}

/// Makes `store` stop at its next check once a request is made (or at once when one was
/// made already). `store`'s epoch callback must check [`requested`]: the component's
/// deadline callback does (see `component::arm_deadline`).
pub(crate) fn watch<T>(engine: &Engine, store: &mut wasmtime::Store<T>) {
    let mut engines = engines();
    if !engines.iter().any(|e| Engine::same(e, engine)) {
        engines.push(engine.clone());
    }
    // The store's deadline is armed already; a request after this moves the epoch.
    if requested().is_some() {
        store.set_epoch_deadline(0);
    }
}

fn engines() -> std::sync::MutexGuard<'static, Vec<Engine>> {
    ENGINES.lock().unwrap_or_else(|p| p.into_inner())
}
