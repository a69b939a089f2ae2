#!/usr/bin/env bash
# scripts/bench-scale.sh — does wp-init's time grow linearly with the tree? A benchmark,
# not a test: nothing here asserts a time.
#
#   scripts/bench-scale.sh [--rounds N] [--bin PATH]
#
# Builds (once, cached on a tmpfs for the run) the bundled example tree plus N empty files
# under wp-content/many (1,000 per directory) for N = 100,000 and 1,000,000, installs each
# into a fresh TARGET on the same tmpfs, N rounds, alternating the sizes, with `cp -a` of
# the same tree next to it (the file system's own growth), and prints the median
# wall-clock times, the ratios of the two sizes (10x the entries: 10.0x is linear) and the
# component's peak memory (`guest_memory_peak`). host/tests/scale.rs holds the memory bound
# as a test. Needs root (mount), python3, GNU time.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
rounds=3
bin=
while (($#)); do
	case $1 in
	--rounds) rounds=$2; shift 2 ;;
	--bin) bin=$2; shift 2 ;;
	-h | --help) sed -n '2,12p' "$0"; exit 0 ;;
	*) echo "bench-scale: unknown argument $1" >&2; exit 2 ;;
	esac
done
say() { printf 'bench-scale: %s\n' "$*" >&2; }
((EUID == 0)) || { say "needs root (it mounts a tmpfs)"; exit 1; }
if [[ -z $bin ]]; then
	cargo build --release --locked -p wp-init --manifest-path "$root/Cargo.toml" >&2
	bin=$root/target/release/wp-init
fi

work=$(mktemp -d /tmp/wp-init-bench-scale.XXXXXX)
mounted=
cleanup() {
	[[ -n $mounted ]] && umount "$work"
	rmdir "$work"
}
trap cleanup EXIT
mount -t tmpfs -o size=2g,nr_inodes=4000000 tmpfs "$work"
mounted=1

sizes=(100000 1000000)
for n in "${sizes[@]}"; do
	say "building a tree of $n extra entries"
	mkdir "$work/src-$n"
	cp -a "$root/examples/wordpress/." "$work/src-$n/"
	python3 - "$work/src-$n/wp-content/many" "$n" <<-'PY'
		import os, sys
		base, n = sys.argv[1], int(sys.argv[2])
		for d in range((n + 999) // 1000):
		    p = f"{base}/{d:04}"
		    os.makedirs(p)
		    for f in range(min(1000, n - d * 1000)):
		        open(f"{p}/{f}.php", "w").close()
	PY
done

declare -A times cps peak
for ((r = 1; r <= rounds; r++)); do
	for n in "${sizes[@]}"; do
		rm -rf "$work/dst"
		mkdir "$work/dst"
		/usr/bin/time -f '%e' -o "$work/time" "$bin" install --json --source "$work/src-$n" \
			--target "$work/dst" >"$work/report.json"
		times[$n]+="$(cat "$work/time") "
		peak[$n]=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["guest_memory_peak"])' "$work/report.json")
		rm -rf "$work/dst"
		/usr/bin/time -f '%e' -o "$work/time-cp" cp -a "$work/src-$n" "$work/dst"
		cps[$n]+="$(cat "$work/time-cp") "
		say "round $r, $n entries: wp-init $(cat "$work/time") s, cp -a $(cat "$work/time-cp") s"
	done
done
rm -rf "$work/dst" "$work"/src-*

median() { tr ' ' '\n' | grep . | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
small=$(median <<<"${times[100000]}")
large=$(median <<<"${times[1000000]}")
cp_small=$(median <<<"${cps[100000]}")
cp_large=$(median <<<"${cps[1000000]}")
echo "| entries (plus the example tree) | wp-init install, median of $rounds (tmpfs) | cp -a | guest_memory_peak |"
echo "|---|---|---|---|"
echo "| 100,000 | ${small} s | ${cp_small} s | ${peak[100000]} bytes |"
echo "| 1,000,000 | ${large} s | ${cp_large} s | ${peak[1000000]} bytes |"
awk -v a="$large" -v b="$small" -v c="$cp_large" -v d="$cp_small" -v ld="$(cut -d" " -f1-3 /proc/loadavg)" \
	'BEGIN { printf "\n10x the entries: wp-init %.2fx the time, cp -a %.2fx (load: %s)\n", a / b, c / d, ld }'
