//! The wp-init component: the official WordPress image's install step, sandboxed.
//!
//! Built for `wasm32-wasip2`, this one binary is a WASI 0.2 component that exports
//! - `wasi:cli/run` (from `fn main`): `install`, `upgrade` and `verify`, see `cli.rs`;
//! - `wp-init:installer/installer@1.0.0`: the same commands, typed, for embedders;
//! - `wp-init:installer/hosted@1.0.0`: the `wp-init` host's own protocol (the journal on
//!   stdout, staged files for its commit, an install split over instances: `part.rs`).
//!
//! All file access goes through raw `wasi:filesystem` descriptors of the two preopens
//! that SOURCE and TARGET name; see `install.rs` for the steps and `core::plan` for the
//! decisions.

mod cli;
mod commit;
mod config;
mod copy;
mod fs;
mod install;
mod journal;
mod listing;
mod part;
mod run;
mod sentinels;
mod upgrade;
mod verify;
mod walk;

/// The typed interfaces, generated from `wit/installer.wit` (world `host`, so that it does
/// not clash with the `wasi:cli/run` export std makes from `fn main`).
#[allow(unsafe_code, missing_docs, clippy::all)]
mod bindings {
    wit_bindgen::generate!({
        world: "host",
        path: "../wit",
        additional_derives: [PartialEq, Eq],
    });

    use crate::install::Component;
    export!(Component);
}

fn main() {
    if !cfg!(target_os = "wasi") {
        eprintln!(
            "error: wp-init-guest is a WebAssembly component: build it with \
             `cargo build --release --target wasm32-wasip2 -p wp-init-guest` and run it \
             with `wp-init` or `wasmtime run`"
        );
        std::process::exit(2);
    }
    cli::main();
}
