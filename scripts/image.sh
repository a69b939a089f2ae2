#!/usr/bin/env bash
# image.sh — the wp-init image for amd64 and arm64 nodes, FROM scratch, without a daemon,
# bit-for-bit reproducible from the commit.
#
#   scripts/image.sh                       build target/image/wp-init-oci.tar
#   scripts/image.sh --check-reproducible  build it, then build the same commit again from a
#                                          fresh clone in another directory and compare
#
#   1. the static binaries: `cargo build --target x86_64-unknown-linux-musl` (musl-gcc for
#      the C in wasmtime and mimalloc) and `cargo zigbuild --target aarch64-unknown-linux-musl`
#      (Zig from PyPI as C compiler and linker, scripts/cross-setup.sh); each embeds the
#      component precompiled for its own architecture (host/build.rs checks it), each is
#      checked with `file` (static, the right machine);
#   2. target/image/context/: the two binaries, stripped (binutils), as
#      wp-init-amd64 and wp-init-arm64, and /etc/passwd + /etc/group naming only root and
#      www-data;
#   3. `buildah build --platform linux/ARCH` of the Containerfile on that context for both
#      architectures (vfs storage in a temporary directory, removed on exit), labels and
#      annotations naming the build inputs (commit, Cargo.lock, toolchain, C toolchain);
#   4. target/image/wp-init-oci.tar: an OCI layout holding one image index (linux/amd64,
#      linux/arm64) tagged wp-init:VERSION, and the CycloneDX SBOM of each platform's binary
#      as an OCI artifact whose `subject` is that platform's image manifest (also written
#      next to the archive, target/image/wp-init-linux-ARCH.cdx.json); tests/image/check.py
#      checks all of it.
#
# Reproducible: every time stamp in the image is the commit's (SOURCE_DATE_EPOCH; buildah
# --timestamp clamps the layers' files, which it writes sorted), the C compilers' date is
# fixed (COMPILE_EPOCH), paths are remapped and the amd64 link has no build ID
# (scripts/rustc-reproducible.sh), the archive is a tar with sorted names, fixed owners and
# times (CONTRIBUTING.md, "The image"). The same commit, toolchain (rust-toolchain.toml), tools (pinned here and in
# scripts/cross-setup.sh) and Debian 12 packages give the same index digest.
#
# Installs what it needs (musl-tools, buildah, file, binutils for x86-64 and aarch64; the Rust
# targets; Zig, cargo-zigbuild
# and qemu-user-static through scripts/cross-setup.sh; cargo-cyclonedx through
# scripts/supply-chain.sh). Prints sizes and digests on stderr; the last line on stdout is
# the archive.
set -euo pipefail
source "$(dirname "$0")/setup.sh" # cd's to the repository root
root=$PWD

say() { printf 'image: %s\n' "$*" >&2; }
die() { printf 'image: ERROR: %s\n' "$*" >&2; exit 1; }

check_reproducible=false
case ${1:-} in
	'') ;;
	--check-reproducible) check_reproducible=true ;;
	*) echo "usage: $0 [--check-reproducible]" >&2; exit 2 ;;
esac

out=$root/target/image
archive=$out/wp-init-oci.tar
target_dir=${CARGO_TARGET_DIR:-$root/target}
# docker/OCI architecture names and the Rust targets built for them.
platforms=(amd64 arm64)
declare -A triple=([amd64]=x86_64-unknown-linux-musl [arm64]=aarch64-unknown-linux-musl)
declare -A machine=([amd64]=x86-64 [arm64]=aarch64)
# Debian 12's binutils 2.40 for each (`zig objcopy --strip-all` says "unimplemented" here).
declare -A strip=([amd64]=strip [arm64]=aarch64-linux-gnu-strip)

need=()
for pkg_tool in musl-tools:musl-gcc buildah:buildah file:file binutils:strip \
	binutils-aarch64-linux-gnu:aarch64-linux-gnu-strip; do
	command -v "${pkg_tool#*:}" >/dev/null || need+=("${pkg_tool%%:*}")
done
if ((${#need[@]})); then
	say "installing ${need[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq >&2 && apt-get install -y -qq --no-install-recommends "${need[@]}" >&2 \
		|| die "apt-get install ${need[*]} failed"
fi
rustup target add x86_64-unknown-linux-musl >/dev/null
PATH=$(scripts/cross-setup.sh):$PATH
export PATH

# --- the build's inputs, fixed -----------------------------------------------------------------
git rev-parse --verify -q HEAD >/dev/null || die "not in a git repository with a commit"
revision=$(git rev-parse HEAD)
dirty=false
git diff --quiet HEAD || { dirty=true; revision="$revision-dirty"; }
SOURCE_DATE_EPOCH=$(git log -1 --format=%ct)
# The C compilers' SOURCE_DATE_EPOCH (mimalloc embeds __DATE__ and __TIME__): a constant,
# 1980-01-01 as Nix uses, not the commit's time. cc-rs makes the variable an input of every
# crate that compiles C (wasmtime, mimalloc): a value changing at each commit would rebuild
# them at each commit. scripts/test.sh gives the musl tests the same value.
export COMPILE_EPOCH=315532800
zig_cache=${XDG_CACHE_HOME:-$HOME/.cache}/wp-init-tools/zig-cache-epoch-$COMPILE_EPOCH
umask 022
export RUSTC_WRAPPER=$root/scripts/rustc-reproducible.sh
export CC_x86_64_unknown_linux_musl=musl-gcc
version=$(cargo metadata --no-deps --format-version 1 --locked \
	| python3 -c 'import json, sys; print(next(p["version"] for p in json.load(sys.stdin)["packages"] if p["name"] == "wp-init"))')
source_url=$(sed -n 's/^repository *= *"\(.*\)"/\1/p' Cargo.toml | head -n1)
lock_sha256=$(sha256sum Cargo.lock | cut -d' ' -f1)
rustc_version=$(rustc -V)
deb_version() { dpkg-query -W -f '${Package} ${Version}' "$1" 2>/dev/null || echo "$1 ?"; }
declare -A cc_version=(
	[amd64]="$(deb_version musl-tools), gcc $(gcc -dumpfullversion 2>/dev/null || echo ?), $(deb_version binutils)"
	[arm64]="zig $(python3 -m ziglang version), cargo-zigbuild $(cargo-zigbuild --version | cut -d' ' -f2), $(deb_version binutils-aarch64-linux-gnu)"
)

# --- 1. the static binaries ----------------------------------------------------------------------
for arch in "${platforms[@]}"; do
	t=${triple[$arch]}
	start=$SECONDS
	if [[ $arch == amd64 ]]; then
		SOURCE_DATE_EPOCH=$COMPILE_EPOCH cargo build --release --locked --target "$t" -p wp-init
	else
		# Zig caches what it compiles by content and flags, not SOURCE_DATE_EPOCH: a cache of
		# our own, where every object was compiled with COMPILE_EPOCH (the machine's ~/.cache/zig
		# held a mimalloc compiled without it, dated the day it was built).
		SOURCE_DATE_EPOCH=$COMPILE_EPOCH ZIG_GLOBAL_CACHE_DIR=$zig_cache ZIG_LOCAL_CACHE_DIR=$zig_cache \
			cargo zigbuild --release --locked --target "$t" -p wp-init
	fi
	bin=$target_dir/$t/release/wp-init
	kind=$(file -b "$bin")
	[[ $kind == *"static-pie linked"* || $kind == *"statically linked"* ]] \
		|| die "$bin is not statically linked: $kind"
	[[ $kind == *", ${machine[$arch]},"* || $kind == *" ${machine[$arch]},"* ]] \
		|| die "$bin is not an ${machine[$arch]} binary: $kind"
	say "$arch: $t built in $((SECONDS - start)) s: $kind"
done

export SOURCE_DATE_EPOCH TZ=UTC LC_ALL=C

# --- 2. the build context ------------------------------------------------------------------------
context=$out/context
rm -rf "$context"
mkdir -p "$context"
for arch in "${platforms[@]}"; do
	"${strip[$arch]}" --strip-all -o "$context/wp-init-$arch" "$target_dir/${triple[$arch]}/release/wp-init"
	chmod 0755 "$context/wp-init-$arch"
done
printf '%s\n' 'root:x:0:0:root:/:/nonexistent' 'www-data:x:33:33:www-data:/var/www:/nonexistent' \
	> "$context/passwd"
printf '%s\n' 'root:x:0:' 'www-data:x:33:' > "$context/group"
chmod 0644 "$context/passwd" "$context/group"

# --- 3. the images ---------------------------------------------------------------------------------
work=$(mktemp -d "${TMPDIR:-/tmp}/wp-init-image.XXXXXX")
bah() { buildah --root "$work/root" --runroot "$work/run" --storage-driver vfs "$@"; }
clone=
cleanup() {
	bah rmi -af >/dev/null 2>&1 || true
	rm -rf "$work"
	[[ -z $clone ]] || rm -rf "$clone"
}
trap cleanup EXIT

tag="wp-init:$version"
created=$(date -u -d "@$SOURCE_DATE_EPOCH" +%Y-%m-%dT%H:%M:%SZ)
bah manifest create "$tag" >/dev/null
for arch in "${platforms[@]}"; do
	inputs=(
		"org.opencontainers.image.version=$version"
		"org.opencontainers.image.revision=$revision"
		"org.opencontainers.image.source=$source_url"
		"org.opencontainers.image.created=$created"
		"wp-init.build.target=${triple[$arch]}"
		"wp-init.build.cargo-lock-sha256=$lock_sha256"
		"wp-init.build.rustc=$rustc_version"
		"wp-init.build.c-toolchain=${cc_version[$arch]}"
	)
	args=()
	for kv in "${inputs[@]}"; do args+=(--annotation "$kv"); done
	bah build --quiet --isolation chroot --timestamp "$SOURCE_DATE_EPOCH" --platform "linux/$arch" \
		-f "$root/Containerfile" "${args[@]}" \
		--build-arg "VERSION=$version" --build-arg "REVISION=$revision" --build-arg "SOURCE=$source_url" \
		--build-arg "CREATED=$created" --build-arg "TARGET=${triple[$arch]}" \
		--build-arg "CARGO_LOCK_SHA256=$lock_sha256" --build-arg "RUSTC=$rustc_version" \
		--build-arg "C_TOOLCHAIN=${cc_version[$arch]}" \
		--manifest "$tag" "$context" >/dev/null
done
bah manifest push --quiet --all --format oci "$tag" "oci:$work/layout:$tag"

# --- 4. SBOMs, the archive ---------------------------------------------------------------------------
mkdir -p "$out"
for arch in "${platforms[@]}"; do
	scripts/supply-chain.sh sbom "${triple[$arch]}" "$out/wp-init-linux-$arch.cdx.json"
done
annotations=$(python3 -c 'import json, sys; print(json.dumps(dict(a.split("=", 1) for a in sys.argv[1:])))' \
	"org.opencontainers.image.version=$version" "org.opencontainers.image.revision=$revision" \
	"org.opencontainers.image.source=$source_url" "org.opencontainers.image.created=$created" \
	"wp-init.build.cargo-lock-sha256=$lock_sha256" "wp-init.build.rustc=$rustc_version")
python3 "$root/scripts/image-layout.py" "$work/layout" "$tag" "$out" "$annotations" "${platforms[@]}" \
	|| die "assembling the OCI layout failed"
rm -f "$archive.tmp"
# The archive itself is reproducible too: names sorted, owners and times fixed.
tar --create --file "$archive.tmp" --directory "$work/layout" --sort=name --format=posix \
	--pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime \
	--mtime="@$SOURCE_DATE_EPOCH" --owner=0 --group=0 --numeric-owner --mode=go-w,a+rX \
	oci-layout index.json blobs
mv "$archive.tmp" "$archive"
python3 "$root/tests/image/check.py" "$archive" "$version" || die "the archive fails its checks"

index_digest=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["manifests"][0]["digest"])' "$work/layout/index.json")
printf '%s\n' "$index_digest" > "$out/wp-init-oci.digest"
for arch in "${platforms[@]}"; do
	say "$arch binary $(($(stat -c %s "$target_dir/${triple[$arch]}/release/wp-init") / 1024)) KiB, stripped $(($(stat -c %s "$context/wp-init-$arch") / 1024)) KiB, sha256 $(sha256sum "$context/wp-init-$arch" | cut -d' ' -f1)"
done
say "archive $(($(stat -c %s "$archive") / 1024)) KiB ($tag), sha256 $(sha256sum "$archive" | cut -d' ' -f1)"
say "index digest $index_digest (commit $revision)"

# --- --check-reproducible: the same commit from a fresh clone in another directory ---------------
# The clone is built by this script, in a directory of another name and length, later, under
# another umask and time zone; with CARGO_TARGET_DIR pointing here, so the registry crates
# compiled above are reused (their inputs are not the clone's) and what the clone changes is
# rebuilt: the workspace's crates, the guest component (in the build script's OUT_DIR) and
# its precompiled form for each target, the links, the strip, the images, the SBOMs, the
# layout and the archive. Checked: those were rebuilt (newer than a stamp), and the
# binaries, the index digest and the archive are byte for byte the same.
if $check_reproducible; then
	$dirty && die "--check-reproducible builds the commit: commit or stash your changes first"
	clone=$(mktemp -d "${TMPDIR:-/tmp}/wp-init-reproducible-check-of-${revision:0:12}.XXXXXX")
	git clone --quiet --no-hardlinks "$root" "$clone/src"
	git -C "$clone/src" checkout --quiet --detach "$revision"
	touch "$clone/stamp"
	say "building $revision again in $clone/src (registry crates reused from $target_dir)"
	start=$SECONDS
	(
		umask 077
		cd "$clone/src"
		# Nothing this build exported: SOURCE_DATE_EPOCH would rebuild wasmtime (see above).
		env -u SOURCE_DATE_EPOCH -u RUSTC_WRAPPER -u LC_ALL TZ=Pacific/Kiritimati CARGO_TARGET_DIR="$target_dir" \
			bash scripts/image.sh >/dev/null
	) || die "the second build failed"
	for arch in "${platforms[@]}"; do
		t=${triple[$arch]}
		for f in "$t/release/wp-init" "$t/release/build/wp-init-*/out/wp-init.cwasm" \
			"$t/release/build/wp-init-*/out/guest-target/wasm32-wasip2/release/wp-init-guest.wasm"; do
			# shellcheck disable=SC2086 # the pattern is meant to expand
			[[ -n $(find $target_dir/$f -newer "$clone/stamp" 2>/dev/null) ]] \
				|| die "the second build did not rebuild $target_dir/$f"
		done
		if ! cmp "$context/wp-init-$arch" "$clone/src/target/image/context/wp-init-$arch"; then
			mkdir -p "$out/not-reproducible"
			cp "$context/wp-init-$arch" "$out/not-reproducible/wp-init-$arch.first"
			cp "$clone/src/target/image/context/wp-init-$arch" "$out/not-reproducible/wp-init-$arch.second"
			die "the $arch binaries differ (both kept in $out/not-reproducible)"
		fi
	done
	second=$(cat "$clone/src/target/image/wp-init-oci.digest")
	[[ $second == "$index_digest" ]] || die "the index digests differ: $index_digest here, $second in the clone"
	cmp "$archive" "$clone/src/target/image/wp-init-oci.tar" || die "the archives differ"
	say "reproducible: the clone's build ($((SECONDS - start)) s) gave the same binaries, index $index_digest and archive"
fi
printf '%s\n' "$archive"
