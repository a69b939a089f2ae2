//! Builds the hostile component (`tests/hostile-component`) for `wasm32-wasip2` into
//! `OUT_DIR`, as `host/build.rs` builds the real one and as wasmtime's
//! `crates/test-programs/artifacts/build.rs` builds its test programs: a nested cargo with
//! a target directory of its own (the outer build's would deadlock on its lock), shared
//! by the outer builds for every target.

use std::env;
use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    let manifest_dir =
        PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR"));
    let crate_dir = manifest_dir
        .parent()
        .expect("artifacts/ is inside the crate");
    let root = crate_dir
        .ancestors()
        .nth(2)
        .expect("the crate is tests/hostile-component in the workspace");
    let out_dir = PathBuf::from(env::var_os("OUT_DIR").expect("OUT_DIR"));
    let cargo = env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let target_dir = nested_target_dir(&out_dir);

    let status = Command::new(&cargo)
        .current_dir(root)
        .args([
            "build",
            "--release",
            "--locked",
            "--target",
            "wasm32-wasip2",
            "-p",
            "wp-init-hostile-component",
        ])
        .env("CARGO_TARGET_DIR", &target_dir)
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_BUILD_TARGET")
        .status()
        .expect("failed to run cargo for the hostile component");
    assert!(
        status.success(),
        "building the hostile component failed (is the wasm32-wasip2 target installed?)"
    );
    let wasm = target_dir.join("wasm32-wasip2/release/wp-init-hostile-component.wasm");
    std::fs::copy(&wasm, out_dir.join("hostile.wasm")).expect("copy the hostile component");

    for dir in ["tests/hostile-component/src", "core/src", "wit"] {
        rerun_for_tree(&root.join(dir));
    }
    for file in [
        "tests/hostile-component/Cargo.toml",
        "core/Cargo.toml",
        "Cargo.lock",
        "Cargo.toml",
    ] {
        println!("cargo:rerun-if-changed={}", root.join(file).display());
    }
}

/// The nested build's target directory: `hostile-component/` in the outer build's (the
/// directory holding cargo's `CACHEDIR.TAG`), so the builds for several targets (glibc,
/// musl) share one wasm build; `OUT_DIR/target` when there is none.
fn nested_target_dir(out_dir: &Path) -> PathBuf {
    out_dir
        .ancestors()
        .find(|d| d.join("CACHEDIR.TAG").is_file())
        .map_or_else(|| out_dir.join("target"), |t| t.join("hostile-component"))
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
