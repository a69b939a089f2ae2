#!/usr/bin/env bash
# Shared set-up for the README's commands: the pinned toolchain (rust-toolchain.toml) with
# the wasm32-wasip2 target. Sourced, not run.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
if ! command -v cargo >/dev/null; then
  echo "error: cargo not found; install Rust with rustup (https://rustup.rs)" >&2
  exit 1
fi
# rustup installs the toolchain and target named in rust-toolchain.toml on first use;
# asking for the target explicitly also covers a toolchain that was installed without it.
rustup target add wasm32-wasip2 >/dev/null

# Runs a command and says how long it took, so a log shows where the time goes.
step() {
  local start=$SECONDS
  "$@"
  echo "step: '$*' took $((SECONDS - start)) s" >&2
}
