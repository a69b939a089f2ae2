//! Builds the guest crate for `wasm32-wasip2` and leaves the component in `OUT_DIR`, so the
//! library can embed it with `include_bytes!`.
//!
//! The nested cargo gets its own target directory under `OUT_DIR`: pointed at the outer
//! build's directory it would wait forever on the artifact lock the outer build holds.
//! The same pattern as wasmtime's `crates/test-programs/artifacts/build.rs`.
//!
//! Then it precompiles the component with Cranelift for `TARGET` (not for this machine:
//! an explicit triple enables no optional CPU feature, so the artifact loads on any CPU
//! of the architecture) under the run time's own engine settings, and leaves the
//! `.cwasm` next to the `.wasm`: a run deserializes it instead of compiling. The artifact's
//! ELF header must name `TARGET`'s architecture, or the build fails: a cross build (e.g.
//! `cargo zigbuild --target aarch64-unknown-linux-musl` on x86-64) never embeds code for the
//! machine it was built on.

use std::env;
use std::path::{Path, PathBuf};
use std::process::Command;

use wasmtime::{Engine, OptLevel};

#[path = "src/engine_config.rs"]
mod engine_config;

#[path = "src/artifact_arch.rs"]
mod artifact_arch;

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
    let bytes = std::fs::read(&wasm).expect("read the guest component");
    std::fs::write(out_dir.join("wp-init.wasm"), &bytes)
        .expect("copy the guest component into OUT_DIR");
    let target = env::var("TARGET").expect("TARGET");
    let cwasm = precompile(&bytes, &target);
    let arch = env::var("CARGO_CFG_TARGET_ARCH").expect("CARGO_CFG_TARGET_ARCH");
    let made_for = artifact_arch::artifact_arch(&cwasm);
    assert!(
        made_for == Some(arch.as_str()),
        "the component precompiled for {target} holds code for {made_for:?}, not {arch}"
    );
    std::fs::write(out_dir.join("wp-init.cwasm"), cwasm)
        .expect("write the precompiled component into OUT_DIR");

    for dir in ["guest/src", "core/src", "wit"] {
        rerun_for_tree(&root.join(dir));
    }
    for file in [
        "host/src/engine_config.rs",
        "host/src/artifact_arch.rs",
        "guest/Cargo.toml",
        "core/Cargo.toml",
        "Cargo.lock",
        "Cargo.toml",
    ] {
        println!("cargo:rerun-if-changed={}", root.join(file).display());
    }
}

/// Compiles the component for `target` with the run time's engine settings.
fn precompile(wasm: &[u8], target: &str) -> Vec<u8> {
    let mut config = engine_config::engine_config();
    config
        .target(target)
        .unwrap_or_else(|e| panic!("wasmtime cannot compile for {target}: {e}"));
    // Not checked at load time; the copy loop runs in the guest, so optimise it.
    config.cranelift_opt_level(OptLevel::Speed);
    let engine = Engine::new(&config).expect("a compiling engine");
    engine
        .precompile_component(wasm)
        .unwrap_or_else(|e| panic!("precompiling the component for {target}: {e:#}"))
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
