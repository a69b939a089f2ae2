#!/usr/bin/env bash
# bench-static.sh SOURCE LABEL=BINARY... — wp-init builds side by side, in one run.
#
# For each binary: a full install of SOURCE (a real WordPress tree, e.g. from
# tests/e2e/build-source.sh) into a fresh TARGET, and a no-op run (TARGET already installed:
# start-up, component instantiation, the installed test). Rounds interleave the binaries so
# they share the machine's state; prints the median of ROUNDS (default 7) per binary and
# its ratio to the first one. Not a test: it asserts nothing about time.
set -euo pipefail
[[ $# -ge 2 ]] || { echo "usage: $0 SOURCE LABEL=BINARY..." >&2; exit 2; }
src=$1
shift
rounds=${ROUNDS:-7}
work=$(mktemp -d "${TMPDIR:-/tmp}/wp-init-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT

labels=() bins=()
for arg in "$@"; do labels+=("${arg%%=*}"); bins+=("${arg#*=}"); done
now_us() { local t=${EPOCHREALTIME/[.,]/}; printf '%s\n' "$((10#$t))"; }
# timed OUT BINARY ARGS...: run, append the wall time in microseconds to OUT.
timed() {
	local out=$1 t0
	shift
	t0=$(now_us)
	"$@" >/dev/null 2>&1 || { echo "failed: $*" >&2; exit 1; }
	echo $(($(now_us) - t0)) >>"$out"
}
for ((r = 0; r < rounds; r++)); do
	for i in "${!bins[@]}"; do
		dst=$work/dst-$i-$r
		mkdir "$dst"
		timed "$work/full-$i" env WORDPRESS_DB_HOST=db "${bins[i]}" install --source "$src" --target "$dst"
		timed "$work/noop-$i" env WORDPRESS_DB_HOST=db "${bins[i]}" install --source "$src" --target "$dst"
		rm -rf "$dst"
	done
done
median() { sort -n "$1" | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
printf '%-28s %12s %8s %12s %8s\n' binary "no-op ms" ratio "install ms" ratio
base_noop=$(median "$work/noop-0") base_full=$(median "$work/full-0")
for i in "${!bins[@]}"; do
	noop=$(median "$work/noop-$i") full=$(median "$work/full-$i")
	awk -v l="${labels[i]}" -v n="$noop" -v f="$full" -v bn="$base_noop" -v bf="$base_full" \
		'BEGIN { printf "%-28s %12.1f %8.2f %12.1f %8.2f\n", l, n / 1000, n / bn, f / 1000, f / bf }'
done
