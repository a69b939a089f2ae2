#!/usr/bin/env bash
# Builds wp-init and installs the bundled example tree (examples/wordpress) into a fresh
# temporary directory, with a WORDPRESS_* variable set so wp-config.php is written.
set -euo pipefail
source "$(dirname "$0")/setup.sh"
cargo build --release --locked -p wp-init
target=$(mktemp -d "${TMPDIR:-/tmp}/wp-init-example.XXXXXX")
echo "== wp-init install --source examples/wordpress --target $target" >&2
WORDPRESS_DB_HOST=db:3306 WORDPRESS_DB_NAME=example \
  ./target/release/wp-init install --source examples/wordpress --target "$target" --json > "$target.json"
echo "== report ($target.json):" >&2
if command -v python3 >/dev/null; then python3 -m json.tool "$target.json"; else cat "$target.json"; fi
echo "== installed tree (mode, owner, path):" >&2
(cd "$target" && find . -mindepth 1 -printf '%M %u:%g %p\n' | sort -k3)
echo "== running it again (already installed: nothing to do, nothing printed):" >&2
WORDPRESS_DB_HOST=db:3306 ./target/release/wp-init install --source examples/wordpress --target "$target"
echo "== done: $target" >&2
