#!/usr/bin/env bash
# scripts/bench.sh — how fast is wp-init next to what it replaces? A benchmark, not a test:
# nothing here asserts a time.
#
#   scripts/bench.sh [--rounds N] [--no-10x] [--no-disk] [--bin PATH]
#
# --bin runs a given wp-init binary (e.g. an older build) instead of building this tree's,
# and leaves out the start-up stages.
#
# For each tree — the synthetic WordPress-sized tree (3,000 files, 60 MB, seeded), the same
# ten times over (30,000 files, 600 MB), and the real Debian WordPress tree of the
# end-to-end test when it is cached (tests/e2e/build-source.sh builds it) — and each file
# system — a tmpfs mounted for the run (the CPU cost) and the disk under /var/tmp — it runs
# `wp-init install` (default instances, and `--instances 1` when the binary has the flag),
# upstream's tar pipe and `cp -a` alternately, N rounds, each into a
# fresh TARGET, and prints the medians of the wall-clock time and of the CPU time (user +
# system, all processes of the run) and the ratios to the tar pipe. wp-init's disk time
# includes its `syncfs` (a durable install); tar's and cp's do not.
#
# On the disk, each run's TARGET is kept until the end (they need rounds x 3 x the tree's
# size; if /var/tmp lacks the space, each is removed after its run, and the report says
# so): on an ext4 without a journal (this project's VMs), a just-deleted inode is not
# reused for 60-300 s and the allocator scans past every one of them, which made the
# previous round's `rm -rf` the largest cost of every disk run (60% of tar's profile).
#
# Per tree, on tmpfs: an install from the tree as a release archive (`.tar.gz`, `.zip`) next
# to `tar -xzf` and `unzip -q` into a fresh directory, and the component's peak memory; from
# the tree as an image in a registry on loopback (`docker://`) next to `skopeo copy` +
# `umoci unpack` + a directory install (needs docker-registry, skopeo, umoci, apache2-utils).
#
# Then, per tree on tmpfs: the no-op (`wp-init install` on the installed TARGET) median
# next to upstream's `[ -e index.php ]` in a fresh shell, the component's peak linear
# memory (`guest_memory_peak` in `--json`) and wp-init's peak RSS; `wp-init verify` (default
# instances, and `--instances 1`) next to `sha256sum` of the same core files of both trees;
# and once, the start-up stages of a cold run (`cargo run --example startup`).
#
# With the disk and both real trees cached (tests/e2e/upgrade.sh builds the newer one),
# the upgrade of the real tree (`wp-init upgrade` from the older tree's install to the
# newer tree) next to a fresh `wp-init install` of the newer tree into an empty directory,
# and to the same upgrade in plain shell: `rsync -a -I` (every file to a temporary name,
# renamed over the old one) then `sync -f` (as durable as wp-init's `syncfs`).
#
# Needs root (mount), python3 (tree generator), GNU time. Trees are cached under
# ~/.cache/wp-init-bench. Progress goes to stderr, the tables (Markdown) to stdout.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
rounds=5
tenx=1
disk=1
bin=
while (($#)); do
	case $1 in
	--rounds) rounds=$2; shift 2 ;;
	--no-10x) tenx=0; shift ;;
	--no-disk) disk=0; shift ;;
	--bin) bin=$2; shift 2 ;;
	-h | --help) sed -n '2,44p' "$0"; exit 0 ;;
	*) echo "bench: unknown argument $1" >&2; exit 2 ;;
	esac
done

say() { printf 'bench: %s\n' "$*" >&2; }
die() { printf 'bench: ERROR: %s\n' "$*" >&2; exit 1; }
((EUID == 0)) || die "needs root (it mounts a tmpfs)"
for tool in python3 tar cp mount umount; do
	command -v "$tool" >/dev/null || die "'$tool' not found"
done
if [[ ! -x /usr/bin/time ]]; then
	say "installing GNU time"
	apt-get install -y -qq time >&2 || die "cannot install GNU time"
fi

# --- Build -----------------------------------------------------------------------------
startup=
if [[ -z $bin ]]; then
	# shellcheck source=scripts/setup.sh
	source "$root/scripts/setup.sh" >&2
	(cd "$root" && cargo build --release --locked -p wp-init --bin wp-init --example startup >&2)
	target_dir=$(cd "$root" && cargo metadata --format-version 1 --no-deps |
		python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
	bin=$target_dir/release/wp-init
	startup=$target_dir/release/examples/startup
fi

# --- Scratch space: a tmpfs and a disk directory, both removed on every exit path -------
scratch=$(mktemp -d /var/tmp/wp-init-bench.XXXXXX)
mnt=$scratch/tmpfs
cleanup() {
	# The registry of the image rows, when it runs.
	if declare -F services_stop >/dev/null; then services_stop; fi
	if mountpoint -q "$mnt" 2>/dev/null; then umount "$mnt"; fi
	rm -rf "$scratch"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
mkdir "$mnt" "$scratch/disk"
mount -t tmpfs -o size=4g,mode=0755 wp-init-bench "$mnt"

# --- Trees -----------------------------------------------------------------------------
cache=${XDG_CACHE_HOME:-$HOME/.cache}/wp-init-bench
# synthetic FILES BYTES: a seeded WordPress-shaped tree (log-normal sizes), cached.
synthetic() {
	local dir=$cache/synthetic-$1-$2-v1
	if [[ ! -f $dir/.complete ]]; then
		say "generating $dir"
		rm -rf "$dir"
		python3 - "$dir" "$1" "$2" <<-'EOF'
			import os, random, sys
			root, files, total = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
			rng = random.Random(7)
			sizes = [rng.lognormvariate(9.0, 1.4) for _ in range(files)]
			scale = total / sum(sizes)
			k = max(1, files // 3000)
			dirs = [f"wp-includes/d{i:04d}" for i in range(120 * k)] + \
			    [f"wp-admin/d{i:03d}" for i in range(40 * k)] + \
			    [f"wp-content/plugins/p{i:03d}" for i in range(25 * k)] + \
			    [f"wp-content/themes/t{i:02d}" for i in range(15 * k)]
			for d in dirs:
			    os.makedirs(os.path.join(root, d), exist_ok=True)
			for i, s in enumerate(sizes):
			    rel = "index.php" if i == 0 else "wp-includes/version.php" if i == 1 else \
			        f"{dirs[i % len(dirs)]}/f{i:05d}.php"
			    with open(os.path.join(root, rel), "wb") as fh:
			        fh.write(rng.randbytes(max(1, int(s * scale))))
			open(os.path.join(root, ".complete"), "w").close()
		EOF
	fi
	printf '%s\n' "$dir"
}
declare -A tree_dir
tree_names=(synthetic)
tree_dir[synthetic]=$(synthetic 3000 60000000)
if ((tenx)); then
	tree_names+=(synthetic-10x)
	tree_dir[synthetic-10x]=$(synthetic 30000 600000000)
fi
# The tree build-source.sh builds by default: this machine's wordpress package (the cache also
# holds the upgrade test's newer release, e.g. trixie's, which is not the one measured).
real_version=$(apt-cache policy wordpress 2>/dev/null | awk '/Candidate:/ { print $2 }')
real="${XDG_CACHE_HOME:-$HOME/.cache}/wp-init-e2e/$real_version/with-template"
[[ -n $real_version && $real_version != "(none)" && -d $real ]] || real=""
if [[ -n $real ]]; then
	tree_names+=(debian)
	tree_dir[debian]=$real
else
	say "no real tree cached (tests/e2e/build-source.sh builds one): skipping it"
fi

# --- Measuring -------------------------------------------------------------------------
owner=www-data
id -u "$owner" >/dev/null 2>&1 || owner=33
# cpu_between A B: user + system seconds of the finished children between two outputs of
# `times` (its second line: children's user and system times).
cpu_between() {
	awk 'FNR == 2 {
		for (i = 1; i <= 2; i++) { split($i, p, "m"); s[FILENAME] += p[1] * 60 + p[2] } }
		END { printf "%.4f\n", s[ARGV[2]] - s[ARGV[1]] }' "$1" "$2"
}
# run NAME SRC DST: one timed run into DST (made afresh, empty); prints the wall-clock and
# the CPU seconds.
run() {
	local name=$1 src=$2 dst=$3 t0 t1
	rm -rf "$dst"
	mkdir "$dst"
	sync
	times >"$scratch/times0"
	case $name in
	wp-init | wp-init-1)
		local flags=()
		[[ $name == wp-init-1 ]] && flags=(--instances 1)
		t0=$EPOCHREALTIME
		"$bin" install --source "$src" --target "$dst" "${flags[@]}" 2>"$scratch/log" ||
			{ cat "$scratch/log" >&2; die "wp-init failed"; }
		t1=$EPOCHREALTIME ;;
	tar)
		# Upstream's docker-entrypoint.sh, as root.
		t0=$EPOCHREALTIME
		tar --create --file - --directory "$src" --owner "$owner" --group "$owner" . |
			tar --extract --file - --directory "$dst"
		t1=$EPOCHREALTIME ;;
	cp)
		t0=$EPOCHREALTIME
		cp -a "$src/." "$dst/"
		t1=$EPOCHREALTIME ;;
	esac
	times >"$scratch/times1"
	printf '%s %s\n' "$(awk -v t0="$t0" -v t1="$t1" 'BEGIN { printf "%.4f", t1 - t0 }')" \
		"$(cpu_between "$scratch/times0" "$scratch/times1")"
}
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
mib() { awk -v b="$1" 'BEGIN { if (b < 0) print "n/a"; else printf "%.1f MiB", b / 1048576 }'; }
ms() { awk -v s="$1" 'BEGIN { printf "%.1f ms", s * 1000 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f×", a / b }'; }
# timed CMD...: the wall-clock seconds of one run of CMD (its output dropped).
timed() {
	local t0 t1
	t0=$EPOCHREALTIME
	"$@" >/dev/null 2>&1 || die "failed: $*"
	t1=$EPOCHREALTIME
	awk -v t0="$t0" -v t1="$t1" 'BEGIN { printf "%.6f\n", t1 - t0 }'
}
# core_sha DIR...: sha256sum of the core files `verify` compares, in each DIR in turn.
core_sha() {
	local d
	for d in "$@"; do
		(cd "$d" && {
			find . -mindepth 1 -maxdepth 1 -type f ! -name wp-config-docker.php ! -name .htaccess \
				! -name wp-config.php ! -name '.wp-init-*' -printf '%P\0'
			find wp-admin wp-includes -type f -print0
		} | LC_ALL=C sort -z | xargs -0 -r sha256sum >/dev/null)
	done
}

tools=(wp-init tar cp)
# A binary with --instances (issue 9) also runs with one instance, for the comparison.
if "$bin" install --help | grep -q -- --instances; then tools+=(wp-init-1); fi
verify_one=0
if "$bin" verify --help | grep -q -- --instances; then verify_one=1; fi
results=()
extras=()
verifies=()
# Disk targets are kept until the end when /var/tmp has room for all of them.
keep=1
if ((disk)); then
	need=0
	for tree in "${tree_names[@]}"; do
		need=$((need + $(du -sk "${tree_dir[$tree]}" | cut -f1) * rounds * ${#tools[@]}))
	done
	free=$(df -Pk "$scratch/disk" | awk 'NR == 2 { print $4 }')
	if ((need + need / 10 > free)); then
		keep=0
		say "only $((free / 1024)) MiB free under /var/tmp for $((need / 1024)) MiB of targets: each disk target is removed after its run"
	fi
fi
for tree in "${tree_names[@]}"; do
	files=$(find "${tree_dir[$tree]}" -type f ! -name .complete | wc -l)
	mb=$(du -sm --apparent-size "${tree_dir[$tree]}" | cut -f1)
	for fs in tmpfs disk; do
		[[ $fs == disk ]] && ((!disk)) && continue
		if [[ $fs == tmpfs ]]; then
			src=$mnt/src
			rm -rf "$src"
			cp -a "${tree_dir[$tree]}" "$src"
			dst=$mnt/dst
		else
			src=${tree_dir[$tree]}
		fi
		say "$tree ($files files, $mb MB) on $fs: $rounds rounds"
		declare -A wall=() cput=()
		for ((r = 0; r < rounds; r++)); do
			for ((i = 0; i < ${#tools[@]}; i++)); do
				tool=${tools[(i + r) % ${#tools[@]}]}
				if [[ $fs == disk ]]; then
					dst=$scratch/disk/$tree-$r-$tool
				fi
				read -r w c < <(run "$tool" "$src" "$dst")
				wall[$tool]+="$w "
				cput[$tool]+="$c "
				if [[ $fs == disk ]] && ((!keep)); then rm -rf "$dst"; fi
			done
		done
		declare -A med=() cpu_med=()
		for tool in "${tools[@]}"; do
			med[$tool]=$(tr ' ' '\n' <<<"${wall[$tool]}" | grep . | median)
			cpu_med[$tool]=$(tr ' ' '\n' <<<"${cput[$tool]}" | grep . | median)
		done
		one="n/a"
		[[ -v "med[wp-init-1]" ]] && one="$(ms "${med[wp-init-1]}") ($(ratio "${med[wp-init-1]}" "${med[tar]}"))"
		results+=("| $tree ($files files, $mb MB) | $fs | $(ms "${med[wp-init]}") | $(ms "${med[tar]}") | $(ms "${med[cp]}") | $(ratio "${med[wp-init]}" "${med[tar]}") | $one | $(ratio "${med[cp]}" "${med[tar]}") | $(ms "${cpu_med[wp-init]}") / $(ms "${cpu_med[tar]}") = $(ratio "${cpu_med[wp-init]}" "${cpu_med[tar]}") |")

		if [[ $fs == tmpfs ]]; then
			# Installed by the last round's run of some tool: install with wp-init afresh.
			rm -rf "$dst" && mkdir "$dst"
			peak=$(/usr/bin/time -f %M -o "$scratch/rss" \
				"$bin" install --source "$src" --target "$dst" --json 2>/dev/null |
				python3 -c 'import json,sys; print(json.load(sys.stdin).get("guest_memory_peak", -1))')
			rss=$(cat "$scratch/rss")
			noop=()
			shell=()
			for ((k = 0; k < 21; k++)); do
				t0=$EPOCHREALTIME
				"$bin" install --source "$src" --target "$dst" 2>/dev/null
				t1=$EPOCHREALTIME
				noop+=("$(echo "$t0 $t1" | awk '{ printf "%.6f\n", $2 - $1 }')")
				t0=$EPOCHREALTIME
				sh -c '[ -e "$1/index.php" ]' sh "$dst"
				t1=$EPOCHREALTIME
				shell+=("$(echo "$t0 $t1" | awk '{ printf "%.6f\n", $2 - $1 }')")
			done
			noop_med=$(printf '%s\n' "${noop[@]}" | median)
			shell_med=$(printf '%s\n' "${shell[@]}" | median)
			extras+=("| $tree | $(ms "$noop_med") | $(ms "$shell_med") | $(mib "$peak") | $(awk -v k="$rss" 'BEGIN { printf "%.1f MiB", k / 1024 }') |")
			ver=()
			ver1=()
			sha=()
			for ((k = 0; k < 11; k++)); do
				ver+=("$(timed "$bin" verify --source "$src" --target "$dst")")
				if ((verify_one)); then
					ver1+=("$(timed "$bin" verify --source "$src" --target "$dst" --instances 1)")
				fi
				sha+=("$(timed core_sha "$src" "$dst")")
			done
			ver_med=$(printf '%s\n' "${ver[@]}" | median)
			sha_med=$(printf '%s\n' "${sha[@]}" | median)
			one="n/a"
			if ((verify_one)); then
				ver1_med=$(printf '%s\n' "${ver1[@]}" | median)
				one="$(ms "$ver1_med") ($(ratio "$ver1_med" "$sha_med"))"
			fi
			verifies+=("| $tree | $(ms "$ver_med") | $one | $(ms "$sha_med") | $(ratio "$ver_med" "$sha_med") |")
			if [[ -n $startup && $tree == "${tree_names[-1]}" ]]; then
				declare -A stage=()
				stages=()
				for ((k = 0; k < 21; k++)); do
					while IFS=$'\t' read -r name us; do
						[[ -v "stage[$name]" ]] || stages+=("$name")
						stage[$name]+="$us "
					done < <("$startup" "$src" "$dst")
				done
			fi
		fi
		if [[ $fs == tmpfs ]]; then rm -rf "$dst" "$src"; fi
	done
done

# --- Release archives, tmpfs ---------------------------------------------------------------
# Per tree: `wp-init install --source wordpress.tar.gz` next to `tar -xzf` into a fresh
# directory, and the same for `.zip` and `unzip -q`; guest peak memory of the tar.gz
# install (the component streams a tar.gz: flat in its size; a zip it holds whole).
archives=()
for tree in "${tree_names[@]}"; do
	src=$mnt/arc
	rm -rf "$src" && mkdir "$src"
	cp -a "${tree_dir[$tree]}" "$src/wordpress"
	tar -C "$src" -czf "$src/wordpress.tar.gz" wordpress
	(cd "$src" && zip -qry wordpress.zip wordpress)
	rm -rf "$src/wordpress"
	say "$tree as release archives on tmpfs: $rounds rounds"
	declare -A arc=()
	for ((r = 0; r < rounds; r++)); do
		for kind in wp-tgz tar-xzf wp-zip unzip; do
			dst=$mnt/dst
			rm -rf "$dst" && mkdir "$dst"
			case $kind in
			wp-tgz) arc[$kind]+="$(timed "$bin" install --source "$src/wordpress.tar.gz" --target "$dst") " ;;
			tar-xzf) arc[$kind]+="$(timed tar -xzf "$src/wordpress.tar.gz" -C "$dst") " ;;
			wp-zip) arc[$kind]+="$(timed "$bin" install --source "$src/wordpress.zip" --target "$dst") " ;;
			unzip) arc[$kind]+="$(timed unzip -q "$src/wordpress.zip" -d "$dst") " ;;
			esac
		done
	done
	declare -A arc_med=()
	for kind in wp-tgz tar-xzf wp-zip unzip; do
		arc_med[$kind]=$(tr ' ' '\n' <<<"${arc[$kind]}" | grep . | median)
	done
	rm -rf "$dst" && mkdir "$dst"
	arc_peak=$("$bin" install --source "$src/wordpress.tar.gz" --target "$dst" --json 2>/dev/null |
		python3 -c 'import json,sys; print(json.load(sys.stdin).get("guest_memory_peak", -1))')
	tgz_mb=$(du -m --apparent-size "$src/wordpress.tar.gz" | cut -f1)
	archives+=("| $tree (.tar.gz $tgz_mb MB) | $(ms "${arc_med[wp-tgz]}") | $(ms "${arc_med[tar-xzf]}") | $(ratio "${arc_med[wp-tgz]}" "${arc_med[tar-xzf]}") | $(ms "${arc_med[wp-zip]}") | $(ms "${arc_med[unzip]}") | $(ratio "${arc_med[wp-zip]}" "${arc_med[unzip]}") | $(mib "$arc_peak") |")
	rm -rf "$src" "$dst"
done

# --- Images in a registry, tmpfs -------------------------------------------------------------
# Per tree but the 10x one: its image (tests/oci/image-from-tree.py: three layers, a whiteout
# and an opaque directory over /usr/src/wordpress) in Debian's docker-registry on 127.0.0.1
# (TLS, basic auth: tests/e2e/sources.sh); `wp-init install --source docker://…@sha256:…` (no
# cache: every run pulls) next to `skopeo copy` into an OCI layout + `umoci unpack` + `wp-init
# install` of the unpacked /usr/src/wordpress, each into a fresh directory.
registries=()
if command -v docker-registry skopeo umoci htpasswd openssl >/dev/null; then
	e2e_log_prefix=bench here=$root/tests/e2e work=$mnt
	# shellcheck source=tests/e2e/lib.sh
	source "$root/tests/e2e/lib.sh"
	# shellcheck source=tests/e2e/sources.sh
	source "$root/tests/e2e/sources.sh"
	mkdir -p "$mnt/registry"
	sources_tls "$mnt/registry/tls"
	sources_registry "$mnt/registry"
	for tree in "${tree_names[@]}"; do
		[[ $tree == *10x ]] && continue
		digest=$(sources_push "${tree_dir[$tree]}" "$tree")
		# skopeo takes no tag beside a digest.
		ref=127.0.0.1:$registry_port/wordpress@$digest
		say "$tree as an image in a registry on tmpfs: $rounds rounds"
		declare -A reg=()
		for ((r = 0; r < rounds; r++)); do
			dst=$mnt/dst
			rm -rf "$dst" "$mnt/oci" "$mnt/bundle" && mkdir "$dst"
			reg[wp]+="$(timed "$bin" install --source "docker://$ref" --registry-auth "$mnt/registry/config.json" --target "$dst") "
			rm -rf "$dst" && mkdir "$dst"
			reg[shell]+="$(timed sh -c 'skopeo copy --quiet --src-cert-dir "$1/tls/ca" --src-creds "$2" "docker://$3" "oci:$4/oci:x" &&
				umoci unpack --image "$4/oci:x" "$4/bundle" && "$5" install --source "$4/bundle/rootfs/usr/src/wordpress" --target "$6"' \
				- "$mnt/registry" "$registry_creds" "$ref" "$mnt" "$bin" "$dst") "
		done
		declare -A reg_med=()
		for kind in wp shell; do reg_med[$kind]=$(tr ' ' '\n' <<<"${reg[$kind]}" | grep . | median); done
		registries+=("| $tree | $(ms "${reg_med[wp]}") | $(ms "${reg_med[shell]}") | $(ratio "${reg_med[wp]}" "${reg_med[shell]}") |")
		rm -rf "$mnt/dst" "$mnt/oci" "$mnt/bundle"
	done
	services_stop
else
	say "no docker-registry, skopeo, umoci, htpasswd or openssl (apt-get install docker-registry skopeo umoci apache2-utils openssl): no registry rows"
fi

# --- Upgrade of the real tree, on disk ----------------------------------------------------
upgrades=()
new_real=""
if [[ -n $real ]]; then
	for d in "${XDG_CACHE_HOME:-$HOME/.cache}"/wp-init-e2e/*/with-template; do
		[[ $d != "$real" ]] && new_real=$d
	done
fi
if ((disk)) && [[ -n $new_real ]]; then
	say "upgrade $(basename "$(dirname "$real")") -> $(basename "$(dirname "$new_real")") on disk: $rounds rounds"
	# upgrade_run KIND DST: one timed run into DST (made afresh: an install of the older
	# tree for an upgrade, empty for a fresh install), flushed before the clock starts.
	upgrade_run() {
		local kind=$1 dst=$2
		rm -rf "$dst"
		mkdir "$dst"
		if [[ $kind != fresh ]]; then
			"$bin" install --source "$real" --target "$dst" 2>/dev/null || die "installing the older tree failed"
		fi
		sync
		case $kind in
		upgrade) timed "$bin" upgrade --source "$new_real" --target "$dst" ;;
		fresh) timed "$bin" install --source "$new_real" --target "$dst" ;;
		rsync) timed sh -c 'rsync -a -I "$1/" "$2/" && sync -f "$2"' sh "$new_real" "$dst" ;;
		esac
	}
	kinds=(upgrade fresh rsync)
	declare -A up=()
	for ((r = 0; r < rounds; r++)); do
		for ((i = 0; i < ${#kinds[@]}; i++)); do
			kind=${kinds[(i + r) % ${#kinds[@]}]}
			up[$kind]+="$(upgrade_run "$kind" "$scratch/disk/upgrade-$r-$kind") "
			if ((!keep)); then rm -rf "$scratch/disk/upgrade-$r-$kind"; fi
		done
	done
	declare -A up_med=()
	for kind in "${kinds[@]}"; do
		up_med[$kind]=$(tr ' ' '\n' <<<"${up[$kind]}" | grep . | median)
	done
	upgrades+=("| $(basename "$(dirname "$real")") → $(basename "$(dirname "$new_real")") | $(ms "${up_med[upgrade]}") | $(ms "${up_med[fresh]}") | $(ms "${up_med[rsync]}") | $(ratio "${up_med[upgrade]}" "${up_med[fresh]}") | $(ratio "${up_med[upgrade]}" "${up_med[rsync]}") |")
fi

# --- Report ----------------------------------------------------------------------------
cpu=$(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)
disk_fs=$(df -T /var/tmp | awk 'NR == 2 { print $2 }')
echo "Machine: $(nproc) cores ($cpu), $(free -g | awk '/Mem:/ { print $2 }') GB RAM, kernel $(uname -r); disk: $disk_fs under /var/tmp; $rounds rounds, medians; $(date -u +%F)."
echo
if ((disk && !keep)); then
	echo "Disk targets were removed after each run (too little space to keep them): disk times include the allocator's scan past just-deleted inodes."
	echo
fi
echo "| tree | fs | wp-init | tar pipe | cp -a | wp-init / tar | wp-init --instances 1 (/ tar) | cp / tar | CPU (user + sys): wp-init / tar |"
echo "|---|---|---|---|---|---|---|---|---|"
printf '%s\n' "${results[@]}"
echo
echo "| tree (tmpfs) | no-op wp-init | no-op \`[ -e index.php ]\` | guest peak linear memory | wp-init peak RSS (full install) |"
echo "|---|---|---|---|---|"
printf '%s\n' "${extras[@]}"
echo
echo "| tree (tmpfs) | \`wp-init verify\` | \`--instances 1\` (/ sha256sum) | \`sha256sum\` of both trees' core files | verify / sha256sum |"
echo "|---|---|---|---|---|"
printf '%s\n' "${verifies[@]}"
echo
echo "| release archive (tmpfs) | \`wp-init install --source .tar.gz\` | \`tar -xzf\` | / tar | \`--source .zip\` | \`unzip -q\` | / unzip | guest peak, unpacking included (.tar.gz) |"
echo "|---|---|---|---|---|---|---|---|"
printf '%s\n' "${archives[@]}"
if ((${#registries[@]})); then
	echo
	echo "| image in a registry (tmpfs) | \`wp-init install --source docker://…\` | \`skopeo copy\` + \`umoci unpack\` + \`wp-init install\` | ratio |"
	echo "|---|---|---|---|"
	printf '%s\n' "${registries[@]}"
fi
if ((${#upgrades[@]})); then
	echo
	echo "| upgrade of the real tree (disk) | \`wp-init upgrade\` | fresh \`wp-init install\` of the new tree | \`rsync -a -I\` + \`sync -f\` over the old tree | upgrade / fresh | upgrade / rsync |"
	echo "|---|---|---|---|---|---|"
	printf '%s\n' "${upgrades[@]}"
fi
[[ -n $startup ]] || exit 0
echo
echo "Start-up stages of a cold run (\`examples/startup.rs\`, ${tree_names[-1]} tree, 21 runs, medians):"
echo
echo "| stage | µs |"
echo "|---|---|"
for name in "${stages[@]}"; do
	echo "| $name | $(tr ' ' '\n' <<<"${stage[$name]}" | grep . | median) |"
done
