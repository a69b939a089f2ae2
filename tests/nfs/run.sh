#!/usr/bin/env bash
# run.sh WP_INIT — wp-init on two nodes sharing an NFSv4 volume, as Kubernetes replicas on
# two nodes share a ReadWriteMany volume (EFS, Filestore, Longhorn RWX, nfs-subdir).
#
# WP_INIT is the static (musl) binary (scripts/image.sh builds it). Everything runs inside
# a network namespace this script creates and deletes (lib.sh): nfs-ganesha exporting a
# work directory with a short lease (WP_NFS_LEASE, 10 s), two User-Mode-Linux nodes
# mounting it with the default options, wp-init and two synthetic WordPress trees in the
# nodes' root (an "old" 6.1.9 and a "new" 6.8.12 that differ in content and in files).
# Needs root and gcc; installs nfs-ganesha, user-mode-linux, busybox-static, socat
# and jq when missing.
#
#   1. both nodes run `install` on one TARGET at the same instant (a barrier), several
#      rounds (WP_NFS_ROUNDS, 3), then `upgrade` to the new tree once: both exit 0,
#      exactly one copies, the other waited for the lock its --json names (the holder's
#      node) or found the work done; TARGET equals SOURCE, verify is clean, nothing of
#      wp-init's is left;
#   2. node 1 is hard-killed (its whole process group: a node crash) in the middle of a
#      copy, and in the middle of the commit (at its first rename, seen by inotify on
#      the server's side), for `install` and for `upgrade`; beforehand node 2 looked the
#      names up (a dry run), so its NFS client holds them as "not found". Node 2 then runs
#      the same command: exit 0, the journal of node 1 finished where there was one,
#      TARGET equals SOURCE, nothing left; its --json names node 1 as the holder it
#      waited for, and the wait (the hand-over: the server's lease expiry plus at most one
#      100 ms poll) is printed and must stay under twice the lease.
# Prints what each step took; WP_NFS_KEEP=1 keeps the work directory.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tests/nfs/lib.sh
source "$here/lib.sh"

say() { printf 'nfs: %s\n' "$*" >&2; }
die() { printf 'nfs: FAILED: %s\n' "$*" >&2; exit 1; }
t_start=$SECONDS
phase() { say "--- $* (at $((SECONDS - t_start)) s)"; }

bin=$(realpath "${1:?usage: run.sh STATIC_WP_INIT}")
lease=${WP_NFS_LEASE:-10}
rounds=${WP_NFS_ROUNDS:-3}
[[ $(id -u) == 0 ]] || die "needs root (network namespace, ganesha, User-Mode-Linux)"
[[ $(file -b "$bin") == *static* ]] || die "$bin is not a static binary (the nodes have no libc)"

phase "packages"
nfs_packages
command -v jq >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq jq >&2

NFS_NS=wp-init-nfs-$$
work=$(mktemp -d "${TMPDIR:-/var/tmp}/wp-init-nfs.XXXXXX")
NFS_RUN=$work/run
mkdir -p "$NFS_RUN"
ok=0 watcher=
cleanup() {
	set +e
	[[ -z $watcher ]] || kill "$watcher" 2>/dev/null
	nfs_stop_all
	ip netns del "$NFS_NS" 2>/dev/null
	if ((ok)) || [[ ${WP_NFS_KEEP:-} != 1 ]]; then rm -rf "$work"; else say "work dir kept: $work"; fi
	say "total $((SECONDS - t_start)) s"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
ip netns add "$NFS_NS"
nfs_net_up 2

# --- the nodes' root: busybox, wp-init, two WordPress-shaped trees -------------------------
phase "root, trees, server, nodes"
root=$work/root
gcc -O2 -static -o "$work/hold-lock" "$here/hold-lock.c" || die "cannot build hold-lock (gcc, static libc)"
gcc -O2 -o "$work/watch-kill" "$here/watch-kill.c" || die "cannot build watch-kill"
cp "$bin" "$work/wp-init" # whatever its name, the nodes run it as wp-init
nfs_root "$root" "$work/wp-init" "$work/hold-lock"
mkdir -p "$root/gate"
# tree DIR VERSION DB_VERSION SALT: ~330 files in ~180 directories (the commit gives each
# new directory its mode and time: a window to kill node 1 in); core file contents
# depend on SALT, and each version has wp-includes files the other lacks.
tree() {
	local d=$1 v=$2 db=$3 salt=$4 i j sub dirs extra
	mkdir -p "$d/wp-content/plugins" "$d/wp-content/themes/t1" "$d/wp-content/uploads"
	for sub in wp-admin wp-includes; do
		dirs=120
		[[ $sub == wp-admin ]] && dirs=40
		for ((i = 0; i < dirs; i++)); do
			mkdir -p "$d/$sub/d$((i % 10))/d$i"
			for ((j = 0; j < 2; j++)); do printf '%s %s %d %d\n' "$salt" "$sub" "$i" "$j" >"$d/$sub/d$((i % 10))/d$i/f$j.php"; done
		done
	done
	for ((i = 0; i < 5; i++)); do printf 'only in %s %d\n' "$v" "$i" >"$d/wp-includes/only-$v-$i.php"; done
	# The new version brings new directories: its commit has them to finish too.
	extra=0
	[[ $salt == new ]] && extra=80
	for ((i = 0; i < extra; i++)); do
		mkdir -p "$d/wp-includes/n$((i % 8))/n$i"
		printf '%s new dir %d\n' "$salt" "$i" >"$d/wp-includes/n$((i % 8))/n$i/f.php"
	done
	printf '<?php\n$wp_version = '\''%s'\'';\n$wp_db_version = %s;\n' "$v" "$db" >"$d/wp-includes/version.php"
	for f in index.php wp-login.php wp-settings.php; do printf '<?php // %s %s\n' "$f" "$salt" >"$d/$f"; done
	printf '<?php // silence\n' | tee "$d/wp-content/index.php" "$d/wp-content/plugins/index.php" >/dev/null
	printf '/* theme */\n' >"$d/wp-content/themes/t1/style.css"
	find "$d" -type d -exec chmod 0755 {} + && find "$d" -type f -exec chmod 0644 {} +
}
tree "$root/src/old" 6.1.9 53496 old
tree "$root/src/new" 6.8.12 60421 new
files_in() { find "$1" -type f | wc -l; }
# written DIR SALT: files in DIR with the content of SOURCE SALT's tree (staged ones too).
written() { grep -rl "^$2 " "$1" 2>/dev/null | wc -l; }
total_old=$(files_in "$root/src/old")

export=$work/export
nfs_server "$export" "$lease"
nfs_node_start 1 "$root" & n1=$!
nfs_node_start 2 "$root" & n2=$!
wait "$n1" && wait "$n2" || die "the nodes did not boot"

# --- helpers ------------------------------------------------------------------------------------
# wp NODE ARGS...: runs wp-init on NODE, --json; prints its stderr lines prefixed with
# "stderr: ", then the JSON line; returns its exit status.
wp() {
	local n=$1
	shift
	nfs_exec "$n" "wp-init $* --json >/tmp/o 2>/tmp/e; rc=\$?; sed 's/^/stderr: /' /tmp/e; tail -n1 /tmp/o; exit \$rc" 300
}
json_of() { grep -v '^stderr: ' <<<"$1" | tail -n1; }
# listing DIR: every entry but wp-config.php and the record of core, with its type, mode
# and content hash.
listing() {
	(cd "$1" && find . -mindepth 1 ! -name wp-config.php ! -path ./.wp-init-core -printf '%P %y %m\n' | LC_ALL=C sort \
		&& find . -type f ! -name wp-config.php ! -path ./.wp-init-core -exec md5sum {} + | LC_ALL=C sort -k2)
}
# committed DIR: whether a journal in DIR has its commit line.
committed() { grep -qs '^{"commit":' "$1"/.wp-init-journal.*; }
# same_tree SOURCE TARGET WHAT: TARGET is SOURCE, owned by 33:33, with nothing of wp-init's
# but its record of core (root's, private).
same_tree() {
	local src=$1 dst=$2 what=$3 left
	diff <(listing "$src") <(listing "$dst") >"$work/diff" \
		|| { head -n 20 "$work/diff" >&2; grep '^stderr' "$work/$what.out" >&2; die "$what: TARGET differs from SOURCE"; }
	left=$(find "$dst" \( -name '.wp-init-*' -o -name '.nfs*' \) ! -path "$dst/.wp-init-core" -printf '%P\n')
	[[ -z $left ]] || die "$what: left behind: $left"
	[[ -f $dst/.wp-init-core ]] || die "$what: no record of core"
	[[ -z $(find "$dst" -mindepth 1 ! -user 33 ! -path "$dst/.wp-init-core" -printf '%P\n') ]] || die "$what: entries not owned by uid 33"
}
verify_clean() { # NODE SOURCE TARGET WHAT
	local out
	out=$(wp "$1" verify --source "$2" --target "$3") || { echo "$out" >&2; die "$4: verify is not clean"; }
	[[ $(json_of "$out" | jq -r .clean) == true ]] || die "$4: verify says not clean: $out"
}

# --- 1. both nodes at the same instant ----------------------------------------------------------
# together ROUND COMMAND ARGS...: both nodes wait at a barrier (a file in the shared root),
# then run; sets out1, out2, rc1, rc2.
together() {
	local r=$1 p1 p2
	shift
	# Each node has looked TARGET's names up before (a dry run): its NFS client holds
	# the missing ones as "not found".
	for n in 1 2; do
		nfs_exec "$n" "wp-init $* --dry-run >/dev/null 2>&1" >/dev/null || die "$r: node$n's dry run failed"
	done
	for n in 1 2; do
		nfs_exec "$n" "touch /mnt/nfs/ready-$r-$n; until ls /gate | grep -qx go-$r; do usleep 2000; done; \
			wp-init $* --json >/tmp/o 2>/tmp/e; rc=\$?; sed 's/^/stderr: /' /tmp/e; tail -n1 /tmp/o; exit \$rc" 300 \
			>"$work/out-$r-$n" 2>&1 &
		eval "p$n=\$!"
	done
	for ((i = 0; i < 600; i++)); do
		[[ -e $export/ready-$r-1 && -e $export/ready-$r-2 ]] && break
		sleep 0.05
	done
	touch "$root/gate/go-$r"
	rc1=0 rc2=0
	wait "$p1" || rc1=$?
	wait "$p2" || rc2=$?
	out1=$(cat "$work/out-$r-1") out2=$(cat "$work/out-$r-2")
	rm -f "$export/ready-$r-"*
}
# one_did_it ROUND WORK_STATUS IDLE_STATUS: exactly one node did the work; a node that
# waited names the other node as the holder.
one_did_it() {
	local r=$1 want=$2 idle=$3 s1 s2 n other w h
	((rc1 == 0 && rc2 == 0)) || { printf '%s\n--\n%s\n' "$out1" "$out2" >&2; die "$r: exit codes $rc1 and $rc2"; }
	s1=$(json_of "$out1" | jq -r .status) s2=$(json_of "$out2" | jq -r .status)
	[[ "$(printf '%s\n' "$s1" "$s2" | sort | paste -sd' ')" == "$(printf '%s\n' "$want" "$idle" | sort | paste -sd' ')" ]] \
		|| die "$r: statuses $s1 and $s2, want one $want and one $idle"
	for n in 1 2; do
		other=$((3 - n))
		eval "j=\$(json_of \"\$out$n\")"
		w=$(jq -r .lock.waited_secs <<<"$j") h=$(jq -r '.lock.held_by // ""' <<<"$j")
		[[ $(jq -r .lock.mode <<<"$j") == exclusive ]] || die "$r: node$n's lock is not exclusive: $j"
		if [[ $h != "" ]]; then
			[[ $h == *" on node$other, "* ]] || die "$r: node$n waited for '$h', not node$other's wp-init"
		fi
		say "$r: node$n $(jq -r .status <<<"$j"), waited ${w} s${h:+ for $h}"
	done
}

for ((r = 1; r <= rounds; r++)); do
	phase "round $r: install on both nodes at once"
	mkdir "$export/i$r"
	together "i$r" install --source /src/old --target "/mnt/nfs/i$r"
	one_did_it "install round $r" copied already-installed
	same_tree "$root/src/old" "$export/i$r" "install round $r"
	verify_clean 2 /src/old "/mnt/nfs/i$r" "install round $r"
done
if ((rounds > 0)); then
	phase "upgrade on both nodes at once"
	together u1 upgrade --source /src/new --target /mnt/nfs/i1
	one_did_it "upgrade" upgraded up-to-date
	same_tree "$root/src/new" "$export/i1" "upgrade"
	verify_clean 1 /src/new /mnt/nfs/i1 "upgrade"
fi

# --- 2. node 1 dies ------------------------------------------------------------------------------
# crash NAME COMMAND SOURCE WHEN: node 2 looks the names up; node 1 runs COMMAND on a
# TARGET prepared for NAME and is killed WHEN (copy: a third of the files are there;
# commit: the journal appears); node 2 runs COMMAND. Sets handover.
crash() {
	local name=$1 cmd=$2 src=$3 when=$4 t=/mnt/nfs/$1 dst=$export/$1 out j k0 state
	phase "node 1 dies during the $when of $cmd"
	mkdir "$dst"
	# The lock file a node that died earlier left (so that taking it changes nothing in
	# TARGET's root that node 2's client would notice).
	install -m 0600 /dev/null "$dst/.wp-init-lock"
	if [[ $cmd == upgrade ]]; then
		out=$(wp 2 install --source /src/old --target "$t") || { echo "$out" >&2; die "$name: the first install failed"; }
	fi
	out=$(wp 2 "$cmd" --dry-run --source "$src" --target "$t") || { echo "$out" >&2; die "$name: node 2's dry run failed"; }
	if [[ $when == commit ]]; then
		# The kill comes from the watcher itself, the instant the commit's first rename
		# (the record of core) is done
		# (real-time priority where the machine allows it: the commit lasts tens of ms).
		pg=$(cat "$NFS_RUN/node1.pgid")
		rt=(chrt -f 50)
		"${rt[@]}" true 2>/dev/null || rt=()
		"${rt[@]}" "$work/watch-kill" "$dst" .wp-init-core "$pg" >"$work/watch.out" &
		watcher=$!
		for ((i = 0; i < 500; i++)); do grep -qs watching "$work/watch.out" && break; sleep 0.01; done
	fi
	nfs_exec 1 "wp-init $cmd --source $src --target $t >/tmp/crash.out 2>&1 &" >/dev/null
	if [[ $when == copy ]]; then
		# Synchronised on the state the server holds: a third of SOURCE's files written.
		for ((i = 0; i < 6000; i++)); do
			(($(written "$dst" "${src##*/}") >= total_old / 3)) && break
			sleep 0.02
		done
	else
		wait "$watcher" || die "$name: the watcher failed"
		watcher=
	fi
	k0=$(date +%s.%N)
	nfs_node_kill 1
	if [[ $when == commit ]]; then
		committed "$dst" || die "$name: no journal with its commit when node 1 was killed"
		state="journal left"
	else
		! committed "$dst" && ! grep -qs 6.8.12 "$dst/wp-includes/version.php" \
			&& [[ $cmd == upgrade || ! -e $dst/index.php ]] \
			|| die "$name: node 1 got past the copy before it was killed"
		state="$(written "$dst" "${src##*/}") of $total_old files written"
	fi
	say "$name: node 1 killed ($state)"
	t2=$(date +%s.%N)
	out=$(wp 2 "$cmd" --source "$src" --target "$t") || { echo "$out" >&2; die "$name: node 2's run failed"; }
	printf '%s\n' "$out" >"$work/$name.out"
	j=$(json_of "$out")
	w=$(jq -r .lock.waited_secs <<<"$j") h=$(jq -r '.lock.held_by // ""' <<<"$j")
	[[ $h == *" on node1, "* ]] || die "$name: node 2 did not wait for node 1's lock: $j"
	# The hand-over: from the kill to node 2 holding the lock.
	handover=$(awk -v k="$k0" -v s="$t2" -v w="$w" 'BEGIN { printf "%.1f", s - k + w }')
	awk -v h="$handover" -v l="$lease" 'BEGIN { exit !(h < 2 * l) }' \
		|| die "$name: node 2 held the lock $handover s after node 1 died, over twice the lease"
	printf '%s %s\n' "$name" "$handover" >>"$work/handovers"
	if [[ $when == commit ]]; then
		grep -q "^stderr: Finished the run that an interrupted run left unfinished" <<<"$out" \
			|| { echo "$out" >&2; die "$name: node 2 did not finish node 1's journal"; }
	fi
	same_tree "$root/src/${src##*/}" "$dst" "$name"
	verify_clean 2 "$src" "$t" "$name"
	say "$name: node 2 $(jq -r .status <<<"$j"), holding the lock $handover s after node 1 died (lease $lease s; it waited ${w} s for $h)"
	nfs_node_start 1 "$root" || die "node 1 did not boot again"
}
# --- 3. a waiter decides on what was done while it waited -----------------------------------------
# Node 2 looked TARGET's names up (a dry run), then starts while another process holds the
# lock (hold-lock, on the lock file a dead node left: nothing changes in TARGET's root that
# node 2's client could notice). While it waits, node 1 installs (--no-lock: standing for
# the holder's work), then the lock is released. Node 2's client still holds index.php and
# wp-includes as "not found" from its dry run; its decision must be "already installed".
phase "a waiter sees what was done while it waited"
t=/mnt/nfs/stale dst=$export/stale
mkdir "$dst"
install -m 0600 /dev/null "$dst/.wp-init-lock"
out=$(wp 2 install --dry-run --source /src/old --target "$t") || { echo "$out" >&2; die "stale: node 2's dry run failed"; }
nfs_exec 1 "hold-lock $t/.wp-init-lock >/tmp/hold.out 2>&1 &" >/dev/null
for ((i = 0; i < 600; i++)); do nfs_exec 1 'grep -q holding /tmp/hold.out' >/dev/null && break; sleep 0.05; done
wp 2 install --source /src/old --target "$t" >"$work/stale.out" 2>&1 &
waiter=$!
for ((i = 0; i < 600; i++)); do nfs_exec 2 'grep -q "waiting for the lock" /tmp/e' >/dev/null && break; sleep 0.05; done
nfs_exec 2 'grep -q "waiting for the lock" /tmp/e' >/dev/null || die "stale: node 2 does not wait for the lock"
out=$(wp 1 install --no-lock --source /src/old --target "$t") || { echo "$out" >&2; die "stale: node 1's install failed"; }
nfs_exec 1 'kill $(sed -n "s/^holding //p" /tmp/hold.out)' >/dev/null
wait "$waiter" || { cat "$work/stale.out" >&2; die "stale: node 2's run failed"; }
j=$(json_of "$(cat "$work/stale.out")")
[[ $(jq -r .status <<<"$j") == already-installed ]] \
	|| { cat "$work/stale.out" >&2; die "stale: node 2 did not see node 1's install: $(jq -r .status <<<"$j")"; }
same_tree "$root/src/old" "$dst" stale
say "stale: node 2 found the install done while it waited ($(jq -r .lock.waited_secs <<<"$j") s)"

crash kill-install-copy install /src/old copy
crash kill-install-commit install /src/old commit
crash kill-upgrade-copy upgrade /src/new copy
crash kill-upgrade-commit upgrade /src/new commit

say "hand-over after a node died (lease $lease s): $(sort -n -k2 "$work/handovers" | awk '{ print $2 }' | paste -sd' ') s"
ok=1
say "all multi-node checks passed"
