//! The embedded component and the engine that runs it: loaded once per process.
//!
//! The build script precompiles the component for this target (see `build.rs`), so a run
//! deserializes native code (about a millisecond) instead of compiling it with Cranelift
//! (about 0.1 s). Should the artifact not load here, the embedded `.wasm` is compiled
//! instead, after a one-line notice: slower, never wrong.

use std::sync::{Arc, Condvar, Mutex, OnceLock};
use std::thread;
use std::time::{Duration, Instant};

use wasmtime::component::{Component, Linker};
use wasmtime::{Engine, Store, Trap, UpdateDeadline};

use crate::Error;
use crate::artifact_arch::artifact_arch;
use crate::engine_config::engine_config;
use crate::store::Host as StoreData;

/// The wp-init component (`wasm32-wasip2`), built from `guest/` by the build script.
pub const COMPONENT_WASM: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/wp-init.wasm"));

/// [`COMPONENT_WASM`] compiled ahead of time by the build script for this target.
const COMPONENT_CWASM: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/wp-init.cwasm"));

// World `host`: the public `installer` interface and the host's own `hosted` one.
wasmtime::component::bindgen!({
    path: "../wit",
    world: "host",
});

/// The loaded component with a linker holding WASI 0.2.
pub(crate) struct Prepared {
    pub engine: Engine,
    pub component: Component,
    pub linker: Linker<StoreData>,
    alarm: Arc<Alarm>,
}

/// The loaded component of this process, made on first use (a failure too).
static PREPARED: OnceLock<Result<Prepared, SharedError>> = OnceLock::new();

/// A load failure, shared by every later call.
type SharedError = Arc<dyn std::error::Error + Send + Sync>;

/// Loads the component on first use; later calls share the result (a failure too).
pub(crate) fn prepared() -> Result<&'static Prepared, Error> {
    PREPARED
        .get_or_init(|| prepare(&mut |_| {}).map_err(|e| e.into_boxed_dyn_error().into()))
        .as_ref()
        .map_err(|e| Error::Runtime(Box::new(Arc::clone(e))))
}

/// Test-only (feature `test-component`, which only this crate's dev-dependency on itself
/// enables): every later run in this process runs `wasm` instead of [`COMPONENT_WASM`],
/// compiled as the fallback of [`load`] compiles, with the same linker, sandbox and
/// [`crate::Installer`] path. Fails if a run already loaded the embedded component.
#[cfg(feature = "test-component")]
#[doc(hidden)]
pub fn use_test_component(wasm: &[u8]) -> Result<(), Error> {
    let prepare = || {
        let engine = Engine::new(&engine_config())?;
        let component = Component::new(&engine, wasm)?;
        link(engine, component)
    };
    let prepared = prepare().map_err(Error::runtime)?;
    PREPARED
        .set(Ok(prepared))
        .map_err(|_| Error::Runtime("a component is already loaded in this process".into()))
}

/// Builds the engine, loads the component and links WASI, calling `lap` after each stage.
pub(crate) fn prepare(lap: &mut dyn FnMut(&'static str)) -> wasmtime::Result<Prepared> {
    let (engine, component) = load(COMPONENT_CWASM, lap)?;
    let prepared = link(engine, component)?;
    lap("linker");
    Ok(prepared)
}

/// `component` with a linker holding WASI 0.2.
fn link(engine: Engine, component: Component) -> wasmtime::Result<Prepared> {
    let mut linker = Linker::new(&engine);
    wasmtime_wasi::p2::add_to_linker_sync(&mut linker)?;
    Ok(Prepared {
        alarm: Alarm::new(engine.clone()),
        engine,
        component,
        linker,
    })
}

/// The precompiled component `cwasm` or, if it does not load here, the compiled
/// [`COMPONENT_WASM`] (after a one-line notice), with the engine it belongs to.
///
/// The artifact is built for this target with no optional CPU feature, by this wasmtime,
/// under [`engine_config`]: it should load wherever the binary runs. The fallback is for
/// what the build cannot foresee; it costs the compile (~0.1 s) and nothing else.
fn load(cwasm: &[u8], lap: &mut dyn FnMut(&'static str)) -> wasmtime::Result<(Engine, Component)> {
    match load_precompiled(cwasm, lap) {
        Ok(loaded) => Ok(loaded),
        Err(e) => {
            crate::stderr::say(&format!(
                "wp-init: notice: the precompiled component does not load on this host ({e}); compiling it instead\n"
            ));
            let engine = Engine::new(&engine_config())?;
            let component = Component::new(&engine, COMPONENT_WASM)?;
            lap("compile (fallback)");
            Ok((engine, component))
        }
    }
}

/// An engine without a compiler, and `cwasm` loaded into it if its native code is for
/// this binary's architecture (the build script checked it too).
fn load_precompiled(
    cwasm: &[u8],
    lap: &mut dyn FnMut(&'static str),
) -> wasmtime::Result<(Engine, Component)> {
    let mut config = engine_config();
    config.enable_compiler(false);
    let engine = Engine::new(&config)?;
    lap("engine");
    let arch = artifact_arch(cwasm);
    if arch != Some(std::env::consts::ARCH) {
        wasmtime::bail!(
            "it holds code for {}, not {}",
            arch.unwrap_or("no known architecture"),
            std::env::consts::ARCH
        );
    }
    // SAFETY: the bytes (`COMPONENT_CWASM`, or a test's) are the unmodified output of
    // `Engine::precompile_component` from this very wasmtime version (the build script,
    // same settings via `engine_config`), embedded in this binary and so as trusted as the
    // binary itself; bytes that are no artifact at all, or one from another version,
    // settings or CPU, are refused with an `Err` before any code is used.
    #[expect(unsafe_code, reason = "deserializing native code; see SAFETY above")]
    let component = unsafe { Component::deserialize(&engine, cwasm)? };
    lap("deserialize");
    Ok((engine, component))
}

/// Gives `store` a deadline `timeout` from now: past it, the guest traps with
/// [`Trap::Interrupt`] at its next function entry or loop head; likewise once a stop is
/// requested ([`crate::interrupt`]).
///
/// The engine's epoch only advances when some run's deadline passes (one sleeping
/// thread per process, woken by nothing else), and each store checks its own clock then,
/// so runs sharing the engine never cut each other short.
///
/// # Errors
/// The thread that advances the epoch cannot be started.
pub(crate) fn arm_deadline(
    prepared: &Prepared,
    store: &mut Store<StoreData>,
    timeout: Duration,
) -> Result<(), Error> {
    let deadline = Instant::now().checked_add(timeout);
    store.set_epoch_deadline(1);
    store.epoch_deadline_callback(move |_| match deadline {
        _ if crate::interrupt::requested().is_some() => Err(Trap::Interrupt.into()),
        Some(d) if Instant::now() >= d => Err(Trap::Interrupt.into()),
        _ => Ok(UpdateDeadline::Continue(1)),
    });
    match deadline {
        Some(d) => prepared.alarm.set(d),
        None => Ok(()),
    }
}

/// A thread or runtime the host needs could not be started.
#[derive(Debug, Clone, thiserror::Error)]
#[error("cannot start {what}")]
struct CannotStart {
    what: &'static str,
    source: Arc<std::io::Error>,
}

impl CannotStart {
    fn error(what: &'static str, e: std::io::Error) -> Error {
        Error::Runtime(Box::new(CannotStart {
            what,
            source: Arc::new(e),
        }))
    }
}

/// The deadlines of the runs in this process, and the thread that advances the epoch
/// when one passes.
struct Alarm {
    engine: Engine,
    pending: Mutex<Vec<Instant>>,
    changed: Condvar,
    /// Whether the thread runs.
    started: Mutex<bool>,
}

impl Alarm {
    fn new(engine: Engine) -> Arc<Self> {
        Arc::new(Alarm {
            engine,
            pending: Mutex::new(Vec::new()),
            changed: Condvar::new(),
            started: Mutex::new(false),
        })
    }

    /// Adds a deadline, starting the thread on first use. Without the thread no deadline
    /// fires: a failure to start it fails the run.
    fn set(self: &Arc<Self>, deadline: Instant) -> Result<(), Error> {
        self.lock().push(deadline);
        self.changed.notify_one();
        let mut started = self.started.lock().unwrap_or_else(|p| p.into_inner());
        if !*started {
            let me = Arc::clone(self);
            thread::Builder::new()
                .name("wp-init-deadline".into())
                .spawn(move || me.run())
                .map_err(|e| CannotStart::error("the thread that enforces the time limit", e))?;
            *started = true;
        }
        Ok(())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Instant>> {
        self.pending.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Sleeps until the earliest deadline, advances the epoch, repeats.
    fn run(&self) {
        let mut pending = self.lock();
        loop {
            let now = Instant::now();
            let before = pending.len();
            pending.retain(|d| *d > now);
            if pending.len() < before {
                self.engine.increment_epoch();
            }
            pending = match pending.iter().min() {
                Some(next) => {
                    let wait = next.saturating_duration_since(now);
                    self.changed
                        .wait_timeout(pending, wait)
                        .unwrap_or_else(|p| p.into_inner())
                        .0
                }
                None => self
                    .changed
                    .wait(pending)
                    .unwrap_or_else(|p| p.into_inner()),
            };
        }
    }
}

/// Enters a Tokio runtime on this thread for as long as the guard lives.
///
/// wasmtime-wasi's synchronous host calls run their async implementation on the current
/// Tokio runtime; with none entered they build a multi-thread one, with a worker thread
/// per core, on the first call. With the file system calls blocking on the calling
/// thread (`allow_blocking_current_thread`), a current-thread runtime is all they need:
/// no thread is started.
///
/// # Errors
/// The runtime cannot be built (once per process; later calls give the same error).
pub(crate) fn enter_runtime() -> Result<tokio::runtime::EnterGuard<'static>, Error> {
    static RUNTIME: OnceLock<Result<tokio::runtime::Runtime, CannotStart>> = OnceLock::new();
    let runtime = RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .map_err(|e| CannotStart {
                what: "a current-thread Tokio runtime",
                source: Arc::new(e),
            })
    });
    match runtime {
        Ok(runtime) => Ok(runtime.enter()),
        Err(e) => Err(Error::Runtime(Box::new(e.clone()))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_artifact_loads_under_the_run_time_config() {
        assert!(matches!(
            Engine::detect_precompiled(COMPONENT_CWASM),
            Some(wasmtime::Precompiled::Component)
        ));
        let mut stages = Vec::new();
        let loaded = load_precompiled(COMPONENT_CWASM, &mut |s| stages.push(s));
        assert!(loaded.is_ok(), "{:#}", loaded.err().unwrap());
        assert_eq!(stages, ["engine", "deserialize"]);
    }

    #[test]
    fn an_artifact_for_another_architecture_is_refused_before_loading() {
        // ELF machine numbers: 62 is x86-64, 183 is AArch64.
        let (other, name) = match std::env::consts::ARCH {
            "aarch64" => (62u16, "x86_64"),
            _ => (183, "aarch64"),
        };
        let mut cwasm = COMPONENT_CWASM.to_vec();
        cwasm[18..20].copy_from_slice(&other.to_le_bytes());
        let refused = load_precompiled(&cwasm, &mut |_| {}).err().unwrap();
        let want = format!("it holds code for {name}, not {}", std::env::consts::ARCH);
        assert_eq!(refused.to_string(), want);
    }

    #[test]
    fn an_artifact_that_does_not_load_falls_back_to_compiling() {
        let mut stages = Vec::new();
        let (engine, component) = load(COMPONENT_WASM, &mut |s| stages.push(s)).unwrap();
        assert_eq!(stages, ["engine", "compile (fallback)"]);
        let exports: Vec<_> = component
            .component_type()
            .exports(&engine)
            .map(|(name, _)| name.to_owned())
            .collect();
        assert!(
            exports
                .iter()
                .any(|n| n == "wp-init:installer/installer@1.0.0"),
            "{exports:?}"
        );
    }
}
