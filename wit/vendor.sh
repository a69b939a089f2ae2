#!/usr/bin/env bash
# Re-vendors the WASI 0.2 WIT packages under wit/deps from the wasmtime-wasi crate that the
# host is pinned to (its src/p2/wit/deps), so guest and host bind the exact WASI version the
# host implements. Needs only crates.io: `cargo fetch` brings the crate source.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
cargo fetch --quiet
src=$(cargo metadata --format-version 1 --locked |
  python3 -c 'import json,sys; m=json.load(sys.stdin); print(next(p["manifest_path"] for p in m["packages"] if p["name"]=="wasmtime-wasi"))')
src=$(dirname "$src")/src/p2/wit/deps
rm -rf wit/deps
for f in "$src"/*.wit; do
  pkg=$(basename "$f" .wit)
  mkdir -p "wit/deps/$pkg"
  cp "$f" "wit/deps/$pkg/$pkg.wit"
done
echo "vendored $(ls wit/deps | tr '\n' ' ')from $src"
