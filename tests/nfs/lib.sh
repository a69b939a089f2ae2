# lib.sh — two Linux "nodes" sharing an NFSv4 export, on one machine, as root (sourced).
#
# An NFSv4 server in user space (nfs-ganesha, VFS back end) and two User-Mode-Linux kernels
# (Debian's user-mode-linux: each node is an ordinary process tree with its own Linux NFS
# client; no KVM), all inside a network namespace the caller creates and deletes: a bridge
# 10.77.0.1/24 with one tap device per node, the server on the bridge address, node N at
# 10.77.0.(10+N). Nothing is configured in the machine's own namespace.
#
# A node boots from a read-only host directory (hostfs, shared by the nodes; files copied
# into it appear in the nodes at once), mounts the export at /mnt/nfs with the default
# options of a Kubernetes NFS volume (vers=4.1; no lookupcache=positive), and runs the
# commands it receives on TCP port 7777 (busybox nc), answering their output and
# `__RC=<status>`. Hard-killing a node (SIGKILL to its process group) is a node crash: its
# TCP connection goes silent, and the server releases its locks when its lease expires.
#
# Functions (all need $NFS_NS, the namespace, and $NFS_RUN, a work directory):
#   nfs_packages                       install what is missing (apt-get)
#   nfs_net_up N                       the bridge and N taps, inside $NFS_NS
#   nfs_root DIR [static binaries...]  the nodes' root directory (busybox, init), binaries in /bin
#   nfs_server EXPORT LEASE_S          start ganesha exporting EXPORT (its group: $NFS_RUN/ganesha.pgid)
#   nfs_node_start N ROOT              boot node N, wait until it serves commands
#   nfs_exec N COMMAND [TIMEOUT_S]     run COMMAND on node N; its output; its exit status
#   nfs_node_kill N                    hard-kill node N (its whole process group)
#   nfs_stop_all                       kill every node and the server this run started

nfs_packages() {
	local pkgs=(nfs-ganesha nfs-ganesha-vfs user-mode-linux busybox-static socat) need=() p
	for p in "${pkgs[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || need+=("$p"); done
	((${#need[@]} == 0)) && return 0
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >&2 \
		|| { apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
			--no-install-recommends "${need[@]}" >&2; }
}

nfs_in() { ip netns exec "$NFS_NS" "$@"; }

nfs_net_up() {
	local n=$1 i
	nfs_in ip link set lo up
	nfs_in ip link add umlbr0 type bridge
	nfs_in ip addr add 10.77.0.1/24 dev umlbr0
	nfs_in ip link set umlbr0 up
	for ((i = 1; i <= n; i++)); do
		nfs_in ip tuntap add dev "umltap$i" mode tap
		nfs_in ip link set "umltap$i" master umlbr0
		nfs_in ip link set "umltap$i" up
	done
}

nfs_root() {
	local r=$1 b
	shift
	rm -rf "$r"
	mkdir -p "$r"/{bin,proc,sys,dev,tmp,mnt/nfs,lib/modules,etc}
	cp /bin/busybox "$r/bin/busybox"
	for b in "$@"; do cp "$b" "$r/bin/"; done
	printf '%s\n' 'root:x:0:0:root:/:/bin/sh' 'www-data:x:33:33:www-data:/var/www:/bin/false' >"$r/etc/passwd"
	printf '%s\n' 'root:x:0:' 'www-data:x:33:' >"$r/etc/group"
	cat >"$r/init" <<'INIT'
#!/bin/busybox sh
/bin/busybox mount -t proc proc /proc; /bin/busybox mount -t sysfs sys /sys
/bin/busybox mount -t tmpfs tmp /tmp; /bin/busybox mkdir /tmp/bin; /bin/busybox --install -s /tmp/bin
export PATH=/bin:/tmp/bin
grep -q " /dev " /proc/mounts || mount -t devtmpfs dev /dev
arg() { sed -n "s/.*\b$1=\([^ ]*\).*/\1/p" /proc/cmdline; }
NODE=$(arg node); OPTS=$(arg nfsopts); OPTS=${OPTS:-vers=4.1}; IP=$(arg ip4)
hostname "$NODE"
mount -t hostfs -o ro,/usr/lib/uml/modules none /lib/modules
MD=/lib/modules/$(uname -r)/kernel
for m in net/sunrpc/sunrpc fs/nfs_common/grace fs/lockd/lockd fs/netfs/netfs fs/fscache/fscache net/dns_resolver/dns_resolver; do
  insmod $MD/$m.ko; done
insmod $MD/fs/nfs/nfs.ko nfs4_unique_id="$NODE"   # each node its own NFSv4 client identity
insmod $MD/fs/nfs/nfsv4.ko
ip link set lo up; ip link set eth0 up; ip addr add "$IP" dev eth0; ip route add default via 10.77.0.1
if mount -t nfs4 -o "$OPTS,addr=10.77.0.1" 10.77.0.1:/export /mnt/nfs; then
  echo "NFS-MOUNTED $(grep ' /mnt/nfs ' /proc/mounts)"
else echo "NFS-MOUNT-FAILED"; fi
nc -ll -p 7777 -e /bin/nodecmd &
for i in $(seq 1 50); do grep -q ':1E61 00000000:0000 0A' /proc/net/tcp && break; usleep 100000; done
echo "NODE-READY $NODE"
while :; do sleep 3600; done
INIT
	cat >"$r/bin/nodecmd" <<'CMD'
#!/bin/busybox sh
export PATH=/bin:/tmp/bin
cmd=$(cat)
sh -c "$cmd" < /dev/null 2>&1
echo "__RC=$?"
CMD
	chmod +x "$r/init" "$r/bin/nodecmd"
}

nfs_server() {
	local export=$1 lease=$2 st=$NFS_RUN/ganesha i
	mkdir -p "$export" "$st/recovery" /var/run/ganesha
	cat >"$st/ganesha.conf" <<CONF
NFS_CORE_PARAM {
    Protocols = 4; NFS_Port = 2049; Bind_addr = 10.77.0.1;
    Enable_NLM = false; Enable_RQUOTA = false; Enable_UDP = false;
    Plugins_Dir = /usr/lib/x86_64-linux-gnu/ganesha;
}
NFSv4 {
    Lease_Lifetime = $lease; Graceless = true; Only_Numeric_Owners = true;
    RecoveryBackend = fs; RecoveryRoot = "$st/recovery";
}
NFS_KRB5 { Active_krb5 = false; }
EXPORT {
    Export_Id = 1; Path = $export; Pseudo = /export; Protocols = 4; Transports = TCP;
    Access_Type = RW; Squash = No_Root_Squash; SecType = sys; FSAL { Name = VFS; }
}
LOG { Default_Log_Level = EVENT; }
CONF
	# setsid first: `ip netns exec` forks, and the group it leads is what is stopped.
	setsid ip netns exec "$NFS_NS" ganesha.nfsd -F -f "$st/ganesha.conf" -L "$st/ganesha.log" \
		-p "$st/ganesha.pid" -N NIV_EVENT >"$st/stdout.log" 2>&1 &
	echo $! >"$NFS_RUN/ganesha.pgid"
	for ((i = 0; i < 100; i++)); do
		nfs_in ss -ltn | grep -q '10.77.0.1\]*:2049' && return 0
		sleep 0.1
	done
	echo "ganesha does not listen; see $st/ganesha.log" >&2
	return 1
}

nfs_node_start() {
	local n=$1 root=$2 log=$NFS_RUN/node$1.log i
	rm -f "$NFS_RUN/node$n.in"
	mkfifo "$NFS_RUN/node$n.in"
	: >"$log"
	# Keeps the console's FIFO open; UML reads its console from it.
	setsid sleep 1000000 >"$NFS_RUN/node$n.in" &
	echo $! >"$NFS_RUN/node$n.holder.pid"
	setsid ip netns exec "$NFS_NS" linux.uml mem=256M rootfstype=hostfs rootflags="$root" ro init=/init \
		"eth0=tuntap,umltap$n" con0=fd:0,fd:1 con=null ssl=null \
		"node=node$n" "ip4=10.77.0.$((10 + n))/24" <"$NFS_RUN/node$n.in" >"$log" 2>&1 &
	echo $! >"$NFS_RUN/node$n.pgid"
	disown $! # its hard kill is the test's, not news
	for ((i = 0; i < 1200; i++)); do
		grep -qE 'NODE-READY|Kernel panic' "$log" && break
		sleep 0.1
	done
	grep -q 'NFS-MOUNTED' "$log" && grep -q NODE-READY "$log" \
		|| { tail -n 20 "$log" >&2; echo "node$n did not come up; see $log" >&2; return 1; }
}

nfs_exec() {
	local n=$1 cmd=$2 to=${3:-120} out rc
	out=$(printf '%s\n' "$cmd" | nfs_in timeout "$to" socat -t "$to" - "TCP:10.77.0.$((10 + n)):7777") || true
	rc=$(sed -n 's/^__RC=\([0-9]*\)$/\1/p' <<<"$out" | tail -n1)
	sed '/^__RC=[0-9]*$/d' <<<"$out"
	[[ -n $rc ]] || { echo "nfs_exec: no answer from node$n within ${to}s" >&2; return 124; }
	return "$rc"
}

# nfs_gone PGID: waits (up to 10 s) until no process of group PGID runs (zombies, which
# init reaps in its own time, do not count).
nfs_gone() {
	local i
	for ((i = 0; i < 100; i++)); do
		ps -o stat= -g "$1" | grep -qv '^Z' || return 0
		sleep 0.1
	done
	return 1
}

nfs_node_kill() {
	local n=$1 pg
	[[ -f $NFS_RUN/node$n.pgid ]] || return 0
	pg=$(cat "$NFS_RUN/node$n.pgid")
	kill -9 -- -"$pg" 2>/dev/null || true
	kill "$(cat "$NFS_RUN/node$n.holder.pid")" 2>/dev/null || true
	nfs_gone "$pg" || echo "node$n's processes (group $pg) did not go away" >&2
	rm -f "$NFS_RUN/node$n.pgid" "$NFS_RUN/node$n.holder.pid"
}

nfs_stop_all() {
	local f
	for f in "$NFS_RUN"/node*.pgid; do
		[[ -f $f ]] || continue
		f=${f##*/node}
		nfs_node_kill "${f%.pgid}"
	done
	if [[ -f $NFS_RUN/ganesha.pgid ]]; then
		f=$(cat "$NFS_RUN/ganesha.pgid")
		kill -- -"$f" 2>/dev/null || true
		nfs_gone "$f" || kill -9 -- -"$f" 2>/dev/null || true
		rm -f "$NFS_RUN/ganesha.pgid"
	fi
}
