//! The engine settings shared by the build script (which precompiles the component) and
//! the run time (which loads it). One function, so the two cannot drift apart: a
//! precompiled component only loads under the tunables it was compiled with.
//!
//! Included in `build.rs` with `#[path]`: it must not depend on anything of this crate.

use wasmtime::{Config, WasmBacktraceDetails};

/// The settings both sides use. The build script adds the pinned target and Cranelift's
/// options (neither is checked at load time on Linux); the run time adds nothing.
pub fn engine_config() -> Config {
    let mut config = Config::new();
    // Deadlines (`--timeout`) are epoch-based; this changes the compiled code.
    config.epoch_interruption(true);
    // The default reads WASMTIME_BACKTRACE_DETAILS from the environment at
    // `Config::new()`: a value set on the build machine would make the artifact
    // unloadable at run time. Fix it.
    config.wasm_backtrace_details(WasmBacktraceDetails::Disable);
    config
}
