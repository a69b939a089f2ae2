//! The hostile test component (`tests/hostile-component`), built for `wasm32-wasip2` by
//! this crate's build script, for `host/tests/hostile_component.rs`. A dev-dependency of
//! the host only: never part of a shipped build.

/// The component's bytes.
pub const HOSTILE_COMPONENT: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/hostile.wasm"));

/// Where the component file is, for runners that take a file (`wasmtime run`).
pub const HOSTILE_COMPONENT_PATH: &str = concat!(env!("OUT_DIR"), "/hostile.wasm");
