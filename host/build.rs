//! Builds the guest crate for `wasm32-wasip2` and leaves the component in `OUT_DIR`, so the
//! library can embed it with `include_bytes!`.
//!
//! The nested cargo gets its own target directory under `OUT_DIR`: pointed at the outer
//! build's directory it would wait forever on the artifact lock the outer build holds.
//! The same pattern as wasmtime's `crates/test-programs/artifacts/build.rs`.

use std::env;
use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    let manifest_dir =
        PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR"));
    let root = manifest_dir.parent().expect("host/ has a parent");
    let out_dir = PathBuf::from(env::var_os("OUT_DIR").expect("OUT_DIR"));
    let cargo = env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let target_dir = out_dir.join("guest-target");

    let status = Command::new(&cargo)
        .current_dir(root)
        .args([
            "build",
            "--release",
            "--locked",
            "--target",
            "wasm32-wasip2",
            "-p",
            "wp-init-guest",
        ])
        .env("CARGO_TARGET_DIR", &target_dir)
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_BUILD_TARGET")
        .status()
        .expect("failed to run cargo for the guest");
    assert!(
        status.success(),
        "building the guest component failed (is the wasm32-wasip2 target installed? `rustup target add wasm32-wasip2`)"
    );

    let wasm = target_dir.join("wasm32-wasip2/release/wp-init-guest.wasm");
    std::fs::copy(&wasm, out_dir.join("wp-init.wasm"))
        .expect("copy the guest component into OUT_DIR");

    for dir in ["guest/src", "core/src", "wit"] {
        rerun_for_tree(&root.join(dir));
    }
    for file in [
        "guest/Cargo.toml",
        "core/Cargo.toml",
        "Cargo.lock",
        "Cargo.toml",
    ] {
        println!("cargo:rerun-if-changed={}", root.join(file).display());
    }
}

/// Emits `rerun-if-changed` for a directory and every file below it.
fn rerun_for_tree(dir: &Path) {
    println!("cargo:rerun-if-changed={}", dir.display());
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            rerun_for_tree(&path);
        } else {
            println!("cargo:rerun-if-changed={}", path.display());
        }
    }
}
