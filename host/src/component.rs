//! The embedded component and the engine that runs it: compiled once per process.

use std::sync::OnceLock;
use std::thread;
use std::time::Duration;

use wasmtime::component::{Component, Linker};
use wasmtime::{Config, Engine};

use crate::Error;
use crate::sandbox::Host;

/// The wp-init component (`wasm32-wasip2`), built from `guest/` by the build script.
pub const COMPONENT_WASM: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/wp-init.wasm"));

/// How often the shared epoch advances; deadlines are counted in these ticks.
pub(crate) const TICK: Duration = Duration::from_millis(50);

wasmtime::component::bindgen!({
    path: "../wit",
    world: "embed",
});

/// The compiled component with a linker holding WASI 0.2.
pub(crate) struct Prepared {
    pub engine: Engine,
    pub component: Component,
    pub linker: Linker<Host>,
}

/// Compiles the component on first use; later calls share the result.
///
/// A single engine serves every run, with one ticker thread advancing its epoch every
/// [`TICK`]; each run sets its own deadline in ticks, so runs never cut each other short.
pub(crate) fn prepared() -> Result<&'static Prepared, Error> {
    static PREPARED: OnceLock<Result<Prepared, String>> = OnceLock::new();
    PREPARED
        .get_or_init(|| prepare().map_err(|e| format!("{e:#}")))
        .as_ref()
        .map_err(|e| Error::Runtime(e.clone()))
}

fn prepare() -> wasmtime::Result<Prepared> {
    let mut config = Config::new();
    config.epoch_interruption(true);
    // The component spends its time in host calls (file I/O), not in its own code: an
    // unoptimised compile halves start-up (0.29 s -> 0.15 s on 2 cores) and the 60 MB
    // benchmark copy got faster overall, not slower.
    config.cranelift_opt_level(wasmtime::OptLevel::None);
    let engine = Engine::new(&config)?;
    let component = Component::new(&engine, COMPONENT_WASM)?;
    let mut linker = Linker::new(&engine);
    wasmtime_wasi::p2::add_to_linker_sync(&mut linker)?;
    let ticker = engine.clone();
    thread::Builder::new()
        .name("wp-init-epoch".into())
        .spawn(move || {
            loop {
                thread::sleep(TICK);
                ticker.increment_epoch();
            }
        })
        .map_err(wasmtime::Error::from)?;
    Ok(Prepared {
        engine,
        component,
        linker,
    })
}
