#!/usr/bin/env bash
# The supply chain users can audit, in three steps (all offline once the tools are built):
#
#   scripts/supply-chain.sh deny      cargo deny check bans licenses sources (deny.toml)
#   scripts/supply-chain.sh release   the release binary built with `cargo auditable` (its
#                                     dependency list is embedded in the `.dep-v0` section,
#                                     checked here), and a CycloneDX SBOM from Cargo.lock
#                                     written to target/image/wp-init.cdx.json
#   scripts/supply-chain.sh package   the component built for this version put into
#                                     host/component/wp-init.wasm (git-ignored) and the
#                                     `cargo package --list` of wp-init checked: what a
#                                     published crate needs, no repository-only files
#   scripts/supply-chain.sh ci        all three (what .ci/run runs)
#   scripts/supply-chain.sh build [ARGS]  only the auditable release build, with cargo ARGS
#   scripts/supply-chain.sh sbom TARGET FILE  the CycloneDX SBOM of wp-init built for the Rust
#                                     target TARGET (what scripts/image.sh ships per platform)
#
# `cargo deny check advisories` needs the RustSec database from the network: it is a release
# step, run by hand before tagging (see README, "Supply chain").
#
# The tools are built from crates.io once per version with `cargo install --locked` into
# ~/.cache/wp-init-tools/<tool>-<version>; a warm machine does not rebuild them.
set -euo pipefail
source "$(dirname "$0")/setup.sh"

CARGO_DENY_VERSION=0.20.2
CARGO_AUDITABLE_VERSION=0.7.7
CARGO_CYCLONEDX_VERSION=0.5.9

# Installs (once) and prints the path of a cargo tool binary.
tool() {
  local name=$1 version=$2 root
  root=${XDG_CACHE_HOME:-$HOME/.cache}/wp-init-tools/$name-$version
  if [[ ! -x $root/bin/$name ]]; then
    echo "supply-chain: building $name $version into $root (once per version)" >&2
    cargo install --quiet --locked --version "$version" --root "$root" "$name" >&2
  fi
  echo "$root/bin/$name"
}

deny() {
  local bin
  bin=$(tool cargo-deny "$CARGO_DENY_VERSION")
  "$bin" --locked check --hide-inclusion-graph bans licenses sources
}

# The release binary, built with `cargo auditable` (a cargo subcommand: the tool goes on PATH
# for cargo to find it); extra arguments go to cargo, e.g. `--target x86_64-unknown-linux-musl`.
# `--workspace`: the packages scripts/test.sh builds, hence the same features, so that after
# it only the workspace's own crates are rebuilt (cargo auditable wraps those alone), not
# wasmtime (`-p wp-init` resolves other features and rebuilt all of it: about 3.5 min of CI).
build_release() {
  local auditable
  auditable=$(tool cargo-auditable "$CARGO_AUDITABLE_VERSION")
  PATH=$(dirname "$auditable"):$PATH cargo auditable build --release --locked --workspace "$@"
}

release() {
  local out=target/image
  build_release
  check_audit_data target/release/wp-init
  mkdir -p "$out"
  sbom "" "$out/wp-init.cdx.json"
  echo "supply-chain: target/release/wp-init (auditable), $out/wp-init.cdx.json"
}

# The SBOM of wp-init (for the Rust target $1, or the host's if empty) written to $2.
# cargo-cyclonedx writes `<package>.cdx.json` next to every workspace member's manifest:
# keep wp-init's, drop the others. Reproducible: dated by the commit, the checkout's path
# replaced by /wp-init, and its serial number (a random UUID) replaced by a UUID derived from
# the rest of the document, so the same commit and target give the same bytes in any clone
# (scripts/image.sh puts them in the image index).
sbom() {
  local cyclonedx target=$1 file=$2
  cyclonedx=$(tool cargo-cyclonedx "$CARGO_CYCLONEDX_VERSION")
  SOURCE_DATE_EPOCH=$(git log -1 --format=%ct) PATH=$(dirname "$cyclonedx"):$PATH \
    cargo cyclonedx --quiet --format json --spec-version 1.5 --manifest-path host/Cargo.toml \
    ${target:+--target "$target"}
  python3 - host/wp-init.cdx.json "$file" "$PWD" <<'EOF'
import json, sys, uuid
source, dest, root = sys.argv[1:]
# Workspace members are named by their path (bom-ref `path+file:///...`): the same fixed
# name as scripts/rustc-reproducible.sh gives the workspace in the binaries.
bom = json.loads(open(source).read().replace(json.dumps(root)[1:-1], "/wp-init"))
bom.pop("serialNumber", None)
text = json.dumps(bom, sort_keys=True)
bom["serialNumber"] = "urn:uuid:" + str(uuid.uuid5(uuid.NAMESPACE_URL, "wp-init-sbom:" + text))
with open(dest, "w") as f:
    json.dump(bom, f, indent=2, sort_keys=True)
    f.write("\n")
EOF
  cargo metadata --locked --no-deps --format-version 1 | python3 -c '
import json, os, sys
for p in json.load(sys.stdin)["packages"]:
    bom = os.path.join(os.path.dirname(p["manifest_path"]), p["name"] + ".cdx.json")
    if os.path.exists(bom):
        os.remove(bom)'
  check_sbom "$file"
}

# The binary carries its dependency list: zlib-compressed JSON in the `.dep-v0` section.
check_audit_data() {
  local section
  section=$(mktemp)
  objcopy --dump-section .dep-v0="$section" "$1" /dev/null || { rm -f "$section"; return 1; }
  python3 -c '
import json, sys, zlib
deps = json.loads(zlib.decompress(open(sys.argv[1], "rb").read()))
names = {p["name"] for p in deps["packages"]}
missing = {"wp-init", "wasmtime", "wasmtime-wasi"} - names
assert not missing, f"audit data lacks {missing}"
print(f"supply-chain: {len(names)} packages in the audit data of " + sys.argv[2], file=sys.stderr)
' "$section" "$1" || { rm -f "$section"; return 1; }
  rm -f "$section"
}

# The SBOM describes wp-init and lists the crates Cargo.lock resolves for it.
check_sbom() {
  python3 - "$1" <<'EOF'
import json, sys
bom = json.load(open(sys.argv[1]))
assert bom["bomFormat"] == "CycloneDX", bom.get("bomFormat")
assert bom["metadata"]["component"]["name"] == "wp-init"
names = {c["name"] for c in bom.get("components", [])}
missing = {"wasmtime", "wasmtime-wasi", "wp-init-core"} - names
assert not missing, f"SBOM lacks {missing}"
print(f"supply-chain: SBOM lists {len(names)} components", file=sys.stderr)
EOF
}

# A published crate has no ../guest to build: it ships the component and the WIT it implements.
package() {
  build_release
  mkdir -p host/component
  target/release/wp-init component --output host/component/wp-init.wasm
  local list
  # --allow-dirty: the component is git-ignored (built, not committed) yet included.
  list=$(cargo package --list --locked --allow-dirty -p wp-init)
  local need
  for need in Cargo.toml build.rs src/lib.rs src/main.rs component/wp-init.wasm \
      wit/installer.wit wit/deps/filesystem/filesystem.wit wit/deps/cli/cli.wit; do
    grep -qx "$need" <<<"$list" || { echo "supply-chain: the package lacks $need" >&2; exit 1; }
  done
  if grep -q '^tests/' <<<"$list"; then
    echo "supply-chain: the package holds repository-only tests" >&2
    exit 1
  fi
  echo "supply-chain: the wp-init package lists $(wc -l <<<"$list") files, component and WIT included" >&2
}

case ${1:-ci} in
  deny) deny ;;
  release) release ;;
  package) package ;;
  build)
    shift
    build_release "$@"
    ;;
  sbom)
    (($# == 3)) || { echo "usage: $0 sbom TARGET FILE" >&2; exit 2; }
    sbom "$2" "$3"
    ;;
  ci) deny && release && package ;;
  tools)
    tool cargo-deny "$CARGO_DENY_VERSION"
    tool cargo-auditable "$CARGO_AUDITABLE_VERSION"
    tool cargo-cyclonedx "$CARGO_CYCLONEDX_VERSION"
    ;;
  *) echo "usage: $0 [deny|release|package|ci|tools|build ARGS|sbom TARGET FILE]" >&2; exit 2 ;;
esac
