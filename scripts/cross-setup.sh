#!/usr/bin/env bash
# Installs what the arm64 binary is built and run with, and prints the directory to put
# first on PATH (it holds `cargo-zigbuild`, and the `python3` that runs `-m ziglang`):
#
# - PyPI's `ziglang` (Zig as a C compiler and linker for aarch64-linux-musl: no Debian
#   cross toolchain targets musl) and `cargo-zigbuild` (the cargo subcommand that uses it),
#   pinned by version and wheel hash, in a virtualenv cached under ~/.cache/wp-init-tools
#   (keyed on the versions and the Python version); concurrent callers wait on a lock;
# - the Rust target aarch64-unknown-linux-musl (rustup);
# - Debian's qemu-user-static (`qemu-aarch64-static` runs the arm64 binary on this machine).
#
# Cold: ~50 MB of wheels and ~10 s; warm: nothing. Messages go to stderr.
set -euo pipefail

ZIGLANG_VERSION=0.15.2
CARGO_ZIGBUILD_VERSION=0.24.1
# sha256 of the wheels (linux x86_64 and aarch64): a re-uploaded wheel fails to install.
REQUIREMENTS="ziglang==$ZIGLANG_VERSION \
    --hash=sha256:806316453d1ede7174ed3fefb8e5348154629089c3bb5fe812dfd0e172fac130 \
    --hash=sha256:edc0aa60ec964a4cf462d40f68d7de242ddf37fd9a80f2afaee6397059463230
cargo-zigbuild==$CARGO_ZIGBUILD_VERSION \
    --hash=sha256:238a1ab54a95053a4eadc34775c81f795a8ad75f80bfed63f3f445f518102375 \
    --hash=sha256:07c5e3dcddf208500462ec927c556bb306cca2b533b0abe29446bffb63767b85"

if ! command -v qemu-aarch64-static >/dev/null; then
  echo "cross-setup: installing qemu-user-static" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2 && apt-get install -y -qq --no-install-recommends qemu-user-static >&2
fi
rustup target add aarch64-unknown-linux-musl >/dev/null

python=$(command -v python3 || true)
if [[ -z $python ]] || ! "$python" -c 'import venv, ensurepip' 2>/dev/null; then
  echo "cross-setup: installing python3-venv" >&2
  apt-get update -qq >&2 && apt-get install -y -qq python3-venv >&2
  python=$(command -v python3)
fi
pyver=$("$python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')

cache=${XDG_CACHE_HOME:-$HOME/.cache}/wp-init-tools
venv=$cache/py$pyver-ziglang-$ZIGLANG_VERSION-cargo-zigbuild-$CARGO_ZIGBUILD_VERSION
mkdir -p "$cache"
exec 9>"$cache/.zig.lock"
flock 9
if [[ ! -e $venv/.complete ]]; then
  echo "cross-setup: creating $venv" >&2
  rm -rf "$venv"
  "$python" -m venv "$venv" >&2
  "$venv/bin/python" -m pip install -q --disable-pip-version-check --no-deps \
    --require-hashes -r /dev/stdin <<<"$REQUIREMENTS" >&2
  touch "$venv/.complete"
fi
flock -u 9
echo "$venv/bin"
