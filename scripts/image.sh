#!/usr/bin/env bash
# image.sh — build the static wp-init binary and its FROM-scratch OCI image, without a daemon.
#
#   1. `cargo build --release --locked --target x86_64-unknown-linux-musl -p wp-init`
#      (statically linked, component embedded; checked with `file`);
#   2. target/image/context/: that binary, stripped, and /etc/passwd + /etc/group naming only
#      root and www-data (so `--user www-data` and the root default resolve in the image);
#   3. `buildah build -f Containerfile` on that context (vfs storage in a temporary directory,
#      removed on exit: no daemon, no mount), labels from Cargo.toml and git;
#   4. target/image/wp-init-oci.tar, an OCI archive tagged wp-init:VERSION
#      (`skopeo copy oci-archive:target/image/wp-init-oci.tar containers-storage:wp-init`,
#      `podman load -i target/image/wp-init-oci.tar`).
#
# Installs what it needs (musl-tools, buildah, file, binutils; the musl Rust target).
# Prints the image's size and the binary's on stderr; the last line on stdout is the archive.
set -euo pipefail
source "$(dirname "$0")/setup.sh" # cd's to the repository root
root=$PWD

say() { printf 'image: %s\n' "$*" >&2; }
die() { printf 'image: ERROR: %s\n' "$*" >&2; exit 1; }

target=x86_64-unknown-linux-musl
out=$root/target/image
archive=$out/wp-init-oci.tar

need=()
for pkg_tool in musl-tools:musl-gcc buildah:buildah file:file binutils:strip; do
	command -v "${pkg_tool#*:}" >/dev/null || need+=("${pkg_tool%%:*}")
done
if ((${#need[@]})); then
	say "installing ${need[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq >&2 && apt-get install -y -qq --no-install-recommends "${need[@]}" >&2 \
		|| die "apt-get install ${need[*]} failed"
fi
rustup target add "$target" >/dev/null

# --- 1. the static binary ---------------------------------------------------------------------
# wasmtime's and mimalloc's build scripts compile C: musl-gcc, not the glibc compiler.
export CC_x86_64_unknown_linux_musl=musl-gcc
cargo build --release --locked --target "$target" -p wp-init
bin=$root/target/$target/release/wp-init
kind=$(file -b "$bin")
[[ $kind == *"static-pie linked"* || $kind == *"statically linked"* ]] \
	|| die "$bin is not statically linked: $kind"

# --- 2. the build context -----------------------------------------------------------------------
context=$out/context
rm -rf "$context"
mkdir -p "$context"
strip --strip-all -o "$context/wp-init" "$bin"
chmod 0755 "$context/wp-init"
printf '%s\n' 'root:x:0:0:root:/:/nonexistent' 'www-data:x:33:33:www-data:/var/www:/nonexistent' \
	> "$context/passwd"
printf '%s\n' 'root:x:0:' 'www-data:x:33:' > "$context/group"
chmod 0644 "$context/passwd" "$context/group"

# --- 3. the image ---------------------------------------------------------------------------------
version=$(cargo metadata --no-deps --format-version 1 --locked \
	| python3 -c 'import json, sys; print(next(p["version"] for p in json.load(sys.stdin)["packages"] if p["name"] == "wp-init"))')
revision=$(git rev-parse HEAD 2>/dev/null || echo unknown)
git diff --quiet HEAD 2>/dev/null || revision="$revision-dirty"
source_url=$(sed -n 's/^repository *= *"\(.*\)"/\1/p' Cargo.toml | head -n1)
# Reproducible: every timestamp is the commit's.
epoch=$(git log -1 --format=%ct 2>/dev/null || echo 0)

work=$(mktemp -d "${TMPDIR:-/tmp}/wp-init-image.XXXXXX")
bah() { buildah --root "$work/root" --runroot "$work/run" --storage-driver vfs "$@"; }
cleanup() {
	bah rmi -af >/dev/null 2>&1 || true
	rm -rf "$work"
}
trap cleanup EXIT

tag="wp-init:$version"
bah build --quiet --isolation chroot --timestamp "$epoch" -f "$root/Containerfile" -t "$tag" \
	--build-arg "VERSION=$version" --build-arg "REVISION=$revision" --build-arg "SOURCE=$source_url" \
	"$context" >/dev/null
mkdir -p "$out"
rm -f "$archive.tmp"
bah push --quiet "$tag" "oci-archive:$archive.tmp:$tag"
mv "$archive.tmp" "$archive"

bin_size=$(stat -c %s "$bin")
shipped=$(stat -c %s "$context/wp-init")
say "binary: $kind"
say "binary $((bin_size / 1024)) KiB, stripped $((shipped / 1024)) KiB; image archive $(($(stat -c %s "$archive") / 1024)) KiB ($tag)"
printf '%s\n' "$archive"
