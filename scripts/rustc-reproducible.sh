#!/usr/bin/env bash
# RUSTC_WRAPPER for the image's binaries (scripts/image.sh): runs rustc with the build's
# absolute paths mapped to fixed names, so that where the clone, the cargo home and the
# target directory are leaves no trace in the binary (panic locations, debug info):
#
#   the workspace (this script's parent directory)  -> /wp-init
#   CARGO_HOME (registry sources, git checkouts)     -> /cargo
#   OUT_DIR (generated code a crate include!s)       -> /out
#
# A wrapper rather than RUSTFLAGS: cargo puts RUSTFLAGS in every crate's fingerprint, so
# flags naming this clone's path would rebuild every dependency in a second clone and in
# every later build without them (the musl tests'); a wrapper's arguments are not
# fingerprinted. Nor are they in `-C metadata` (neither are RUSTFLAGS since cargo 1.8x):
# symbol names do not depend on paths. The workspace's own crates are given relative paths
# by cargo already. Cargo calls the wrapper as `WRAPPER RUSTC ARGS...`.
set -euo pipefail
rustc=$1
shift
workspace=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
cargo_home=${CARGO_HOME:-$HOME/.cargo}
# rustc applies the last matching prefix: the most specific goes last. Both spellings of
# the cargo home, in case it is reached through a symbolic link.
maps=(--remap-path-prefix="$workspace=/wp-init" --remap-path-prefix="$cargo_home=/cargo")
real_home=$(cd "$cargo_home" 2>/dev/null && pwd -P) || real_home=$cargo_home
[[ $real_home == "$cargo_home" ]] || maps+=(--remap-path-prefix="$real_home=/cargo")
[[ -z ${OUT_DIR:-} ]] || maps+=(--remap-path-prefix="$OUT_DIR=/out")
# The GNU linker's build ID (x86_64-unknown-linux-musl links with the system's cc) hashes the
# unstripped output, whose symbols and debug sections `strip` removes: two clones gave
# binaries equal but for those 20 bytes. No build ID, then (Zig's linker writes none).
for arg in "$@"; do
	[[ $arg != x86_64-unknown-linux-musl ]] || maps+=(-C link-arg=-Wl,--build-id=none)
done
exec "$rustc" "$@" "${maps[@]}"
