#!/usr/bin/env bash
# run.sh [IMAGE_ARCHIVE] — the Kubernetes examples, run as real Pods; the drop-in entrypoint.
#
# IMAGE_ARCHIVE is the wp-init image (default target/image/wp-init-oci.tar, from
# scripts/image.sh). Steps, each failing loudly:
#   1. packages (podman, runc, catatonit, python3-venv; apt-get) and a virtualenv with
#      kubernetes-validate and podman-compose 1.6.0 (PyPI; Debian's 1.0.3 has no `config`),
#      cached under ~/.cache/wp-init-pod keyed on their versions;
#   2. examples/kubernetes/*.yaml validated with `kubernetes-validate --strict` against 1.35
#      (wordpress-fpm-registry.yaml only so: its init container pulls from a registry, which
#      a Pod with --network none cannot reach; tests/e2e/upgrade.sh tests that pull)
#      and against the oldest version each supports (found and checked: the image-volume
#      example must fail before 1.31), examples/compose.yaml parsed by `podman-compose config`;
#   3. the stand-in images (images.sh: Debian packages, cached keyed on versions) imported
#      into a podman whose whole state lives in a temporary directory (runc, cgroupfs, no
#      network: every Pod runs with --network none), the wp-init image loaded from the archive;
#   4. for each example (image volume; binary handed over through an emptyDir): the Pod from
#      adapt.py played with `podman kube play`; its checker (check.sh) installs WordPress
#      through nginx + php-fpm + MariaDB, logs in, uploads a file; then, inside the php-fpm
#      container, writing the docroot must fail with EROFS and writing uploads must work;
#   5. a failing init container (SOURCE missing) must fail `kube play` and start no app
#      container;
#   6. the drop-in entrypoint: an image FROM the php-fpm image with `COPY --from=` the wp-init
#      image, ENTRYPOINT ["wp-init","install","--"], CMD ["php-fpm8.2","-F"], in a Pod with
#      nginx and MariaDB: it installs, then php-fpm serves the installer page.
# Everything started is stopped on every exit path (pods, containers, volumes, secrets, image
# mounts, podman's own overlay mount), and the temporary podman state is removed.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
examples=$repo/examples/kubernetes
archive=${1:-$repo/target/image/wp-init-oci.tar}
cache=${XDG_CACHE_HOME:-$HOME/.cache}/wp-init-pod
validate_version=1.37.0
compose_version=1.6.0 # podman-compose; Debian's 1.0.3 has no `config`

say() { printf 'pod: %s\n' "$*" >&2; }
die() { printf 'pod: FAILED: %s\n' "$*" >&2; exit 1; }
t_start=$SECONDS
phase() { say "--- $* (at $((SECONDS - t_start)) s)"; }

[[ -f $archive ]] || die "no image archive at $archive (run scripts/image.sh)"
[[ $(id -u) == 0 ]] || die "needs root (podman with runc, debootstrap)"

# unmount_under PREFIX: unmount every mount below PREFIX, innermost first.
unmount_under() {
	findmnt -rn -o TARGET | { grep -F "$1" || true; } | sort -r | while read -r mp; do
		umount "$mp" || umount -l "$mp"
	done
}

work=$(mktemp -d "${TMPDIR:-/tmp}/wp-init-pod.XXXXXX")
netns_was_mount=0
mountpoint -q /run/netns 2>/dev/null && netns_was_mount=1
ok=0 podman_ours=0
cleanup() {
	set +e
	if ((podman_ours)); then # only our own podman state, never the caller's
		local f
		for f in "$work"/*/pod.yaml; do [[ -f $f ]] && podman kube down "$f" >/dev/null 2>&1; done
		podman pod rm -af -t 0 >/dev/null 2>&1
		podman rm -af -t 0 >/dev/null 2>&1
		podman umount -a >/dev/null 2>&1
		podman volume rm -af >/dev/null 2>&1
		podman secret rm -a >/dev/null 2>&1
		podman rmi -af >/dev/null 2>&1 # the writable store only; the cached one is read-only
	fi
	# podman's storage bind-mounts its overlay directory onto itself; unmount what is ours.
	unmount_under "$work/"
	[[ -z ${store:-} ]] || unmount_under "$store.tmp/"
	[[ -z ${store:-} ]] || rm -rf "$store.tmp"
	declare -F registry_stop >/dev/null && registry_stop
	if ((!netns_was_mount)) && mountpoint -q /run/netns 2>/dev/null && [[ -z $(ls -A /run/netns) ]]; then
		umount /run/netns
	fi
	if ((ok)) || [[ ${WP_POD_KEEP:-} != 1 ]]; then rm -rf "$work"; else say "work dir kept: $work"; fi
	say "total $((SECONDS - t_start)) s"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- 1. tools -----------------------------------------------------------------------------------
phase "tools"
need=()
for pkg_tool in podman:podman runc:runc catatonit:catatonit python3-venv:ensurepip; do
	tool=${pkg_tool#*:}
	if [[ $tool == ensurepip ]]; then python3 -c 'import ensurepip' 2>/dev/null || need+=("${pkg_tool%%:*}")
	else command -v "$tool" >/dev/null || need+=("${pkg_tool%%:*}"); fi
done
if ((${#need[@]})); then
	say "installing ${need[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq >&2 && apt-get install -y -qq --no-install-recommends "${need[@]}" >&2 \
		|| die "apt-get install ${need[*]} failed"
fi
venv=$cache/venv-kubernetes-validate-$validate_version-podman-compose-$compose_version
if [[ ! -f $venv/.complete ]]; then # a virtualenv cannot be moved: built in place, then marked
	say "virtualenv with kubernetes-validate $validate_version, podman-compose $compose_version"
	rm -rf "$venv"
	python3 -m venv "$venv" && "$venv/bin/pip" install -q "kubernetes-validate==$validate_version" \
		"podman-compose==$compose_version" >&2 || die "pip install into $venv failed"
	touch "$venv/.complete"
fi
python=$venv/bin/python # has PyYAML (a dependency of both)

# --- 2. manifests and compose ---------------------------------------------------------------------
phase "manifests and compose"
kv() { "$venv/bin/kubernetes-validate" --strict -k "$1" "${@:2}" >/dev/null 2>&1; }
versions=$("$venv/bin/python" -c '
import kubernetes_validate.utils as u
print("\n".join(sorted(set(u.all_versions()), key=lambda v: tuple(int(x) for x in v.split(".")))))')
oldest_passing() {
	local v
	for v in $versions; do
		kv "$v" "$@" && { printf '%s\n' "$v"; return; }
	done
	die "$* validates against no Kubernetes version"
}
for f in common.yaml wordpress-fpm.yaml wordpress-fpm-any-cluster.yaml wordpress-fpm-registry.yaml; do
	"$venv/bin/kubernetes-validate" --strict -k 1.35.0 "$examples/$f" >&2 || die "$f does not validate against Kubernetes 1.35"
done
declare -A oldest
for f in common.yaml wordpress-fpm.yaml wordpress-fpm-any-cluster.yaml wordpress-fpm-registry.yaml; do
	oldest[$f]=$(oldest_passing "$examples/$f")
	say "$f: valid (--strict) from Kubernetes ${oldest[$f]} on"
done
[[ ${oldest[wordpress-fpm.yaml]} == 1.31.* ]] \
	|| die "wordpress-fpm.yaml (image volume) should validate from 1.31 on, not ${oldest[wordpress-fpm.yaml]}"
[[ ${oldest[wordpress-fpm-any-cluster.yaml]} == "${oldest[common.yaml]}" ]] \
	|| die "wordpress-fpm-any-cluster.yaml should validate on the oldest version, ${oldest[common.yaml]}"
[[ ${oldest[wordpress-fpm-registry.yaml]} == "${oldest[common.yaml]}" ]] \
	|| die "wordpress-fpm-registry.yaml should validate on the oldest version, ${oldest[common.yaml]}"
# The compose file, as a compose implementation reads it (variables substituted): its nginx
# configuration must be the ConfigMap's.
WORDPRESS_DB_PASSWORD=x MARIADB_ROOT_PASSWORD=y "$venv/bin/podman-compose" -f "$repo/examples/compose.yaml" \
	config >"$work/compose-config.out" || die "podman-compose cannot parse examples/compose.yaml"
"$python" - "$work/compose-config.out" "$examples/common.yaml" <<'EOF' || die "examples/compose.yaml's nginx.conf differs from the ConfigMap's"
import sys, yaml
compose = yaml.safe_load(open(sys.argv[1]))["configs"]["wordpress-nginx"]["content"]
configmap = next(d for d in yaml.safe_load_all(open(sys.argv[2])) if d["kind"] == "ConfigMap")
sys.exit(compose != configmap["data"]["nginx.conf"])
EOF

# --- 3. podman, images ----------------------------------------------------------------------------
phase "images"
mapfile -t built < <(bash "$here/images.sh")
((${#built[@]} == 4)) || die "images.sh built ${#built[@]} images, want 4"
# The images, imported once into a read-only image store (cached, keyed on the tarballs'
# keys); each run's podman has its own writable store in the work dir on top of it.
mkdir -p "$work/tmp"
cat >"$work/containers.conf" <<EOF
[containers]
default_ulimits = ["nofile=$(ulimit -Hn):$(ulimit -Hn)", "nproc=4096:4096"]
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
tmp_dir = "$work/tmp"
EOF
store=$cache/store-$(printf '%s\n' "${built[@]}" | sha256sum | cut -c1-16)
if [[ ! -f $store/.complete ]]; then
	say "importing the images into $store"
	rm -rf "$store" "$store.tmp"
	mkdir -p "$store.tmp" "$work/import-run"
	printf '[storage]\ndriver = "overlay"\nrunroot = "%s"\ngraphroot = "%s"\n' "$work/import-run" "$store.tmp" \
		>"$work/import-storage.conf"
	for line in "${built[@]}"; do
		read -r name tarball <<<"$line"
		CONTAINERS_STORAGE_CONF=$work/import-storage.conf CONTAINERS_CONF=$work/containers.conf podman import --quiet \
			--change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
			"$tarball" "localhost/wp-init-test/$name:latest" >/dev/null || die "podman import $tarball failed"
	done
	unmount_under "$store.tmp/"
	find "$cache" -maxdepth 1 -name 'store-*' ! -path "$store.tmp" -exec rm -rf {} +
	mv "$store.tmp" "$store"
	touch "$store/.complete"
fi

mkdir -p "$work/run" "$work/graph" "$work/tmp"
cat >"$work/storage.conf" <<EOF
[storage]
driver = "overlay"
runroot = "$work/run"
graphroot = "$work/graph"
[storage.options]
additionalimagestores = ["$store"]
EOF
export CONTAINERS_STORAGE_CONF=$work/storage.conf CONTAINERS_CONF=$work/containers.conf BUILDAH_ISOLATION=chroot
podman_ours=1

loaded=$(podman load --quiet -i "$archive") || die "podman load -i $archive failed"
wp_init_image=${loaded#Loaded image: }
wp_init_image=${wp_init_image#Loaded image(s): }
say "wp-init image: $wp_init_image ($(podman image inspect -f '{{.Size}}' "$wp_init_image") bytes)"
[[ $(podman image inspect -f '{{.Config.User}}' "$wp_init_image") == 33:33 ]] || die "the wp-init image does not run as 33:33"
# The drop-in entrypoint image, built as users would: COPY --from the wp-init image (no RUN
# step, so nothing reaches a network; chroot isolation has no --network none).
podman build --quiet --pull=never -t localhost/wp-init-test/wordpress-entrypoint:latest \
	--build-arg "WP_INIT_IMAGE=$wp_init_image" -f "$here/Containerfile.entrypoint" "$here" >/dev/null \
	|| die "building the drop-in entrypoint image failed"

images=$(printf '{"wp-init:0.1.0": "%s", "wordpress:6-php8.3-fpm": "%s", "nginx:1.27": "%s", "mariadb": "%s", "checker": "%s", "wordpress-entrypoint": "%s"}' \
	"$wp_init_image" localhost/wp-init-test/wordpress-fpm:latest localhost/wp-init-test/nginx:latest \
	localhost/wp-init-test/mariadb:latest localhost/wp-init-test/checker:latest \
	localhost/wp-init-test/wordpress-entrypoint:latest)
[[ $(grep -ho 'image: wp-init:[^ ]*' "$examples"/*.yaml | sort -u) == "image: wp-init:$(
	podman image inspect -f '{{index .Labels "org.opencontainers.image.version"}}' "$wp_init_image")" ]] \
	|| die "the examples name another wp-init version than the image's"

# --- 4.-6. the Pods --------------------------------------------------------------------------------
# play VARIANT [SOURCE_DIR]: adapt the example, create its secret, play it (with
# --network none, or in the network namespace $play_netns names). Sets pod, dir.
play_netns=""
play() {
	local variant=$1
	dir=$work/$variant pod=wp-$variant
	mkdir -p "$dir"
	"$python" "$here/adapt.py" "$variant" "$examples" "$images" "$dir" "${@:2}" || die "adapt.py $variant failed"
	podman secret create wordpress-env "$dir/secret.json" >/dev/null || die "podman secret create failed"
	if [[ -n $play_netns ]]; then
		# podman 4.3 refuses `--network ns:PATH` for a Pod: podman itself enters the
		# namespace (its network only) and gives the Pod its "host" network, that one.
		nsenter --net="$play_netns" podman kube play --network host "$dir/pod.yaml" >"$dir/play.log" 2>&1
	else
		podman kube play --network none "$dir/pod.yaml" >"$dir/play.log" 2>&1
	fi
}
# unplay: remove the Pod, its volumes and the secret (the next variant starts clean).
unplay() {
	podman kube down "$dir/pod.yaml" >/dev/null 2>&1 || true
	podman pod rm -f -t 0 "$pod" >/dev/null 2>&1 || true
	podman volume rm -af >/dev/null || die "podman volume rm failed"
	podman secret rm wordpress-env >/dev/null || die "podman secret rm failed"
}
logs() { podman logs "$pod-$1" 2>&1 | sed "s/^/  $1| /" >&2; }
# checker_result: wait for the checker to exit; fail with every container's log if it failed.
checker_result() {
	local rc c
	rc=$(podman wait "$pod-checker") || die "podman wait $pod-checker failed"
	logs checker
	if [[ $rc != 0 ]]; then
		for c in php-fpm nginx mariadb; do logs "$c"; done
		die "$pod: the checker exited $rc"
	fi
}
# in_fpm PHP: run PHP inside the php-fpm container (its user, its mounts).
in_fpm() { podman exec "$pod-php-fpm" php -r "$1"; }

wordpress_pod() {
	local variant=$1
	phase "Pod: $variant"
	play "$@" || { cat "$dir/play.log" >&2; die "$pod: podman kube play failed"; }
	checker_result
	[[ $(podman inspect -f '{{.Config.User}}' "$pod-php-fpm") == 33:33 ]] || die "$pod: php-fpm does not run as 33:33"
	local out
	out=$(in_fpm '$r = @file_put_contents("/var/www/html/pod-probe.php", "<?php"); echo $r === false ? error_get_last()["message"] : "written";')
	[[ $out == *"Read-only file system"* ]] || die "$pod: php-fpm could write the docroot: $out"
	out=$(in_fpm '$r = @file_put_contents("/var/www/html/wp-config.php", "x"); echo $r === false ? error_get_last()["message"] : "written";')
	[[ $out == *"Read-only file system"* ]] || die "$pod: php-fpm could overwrite wp-config.php: $out"
	out=$(in_fpm 'echo file_put_contents("/var/www/html/wp-content/uploads/pod-probe.txt", "x") === 1 ? "written" : "failed";')
	[[ $out == written ]] || die "$pod: php-fpm cannot write wp-content/uploads: $out"
	say "ok: $pod: php-fpm cannot write the docroot (EROFS), can write wp-content/uploads"
	[[ $variant != registry ]] || registry_pulled
	unplay
}

# podman 4.3 has no image volumes: the WordPress image's file system (the root of a container
# created from it, never started) goes in as a read-only hostPath (adapt.py).
podman create --quiet --network none --name wordpress-image-volume localhost/wp-init-test/wordpress-fpm:latest true >/dev/null \
	|| die "podman create from the WordPress image failed"
image_root=$(podman mount wordpress-image-volume) || die "podman mount failed"

phase "the image alone (the README's podman run)"
# Nothing in it but the binary and the two files naming www-data: no shell.
podman create --quiet --name wp-init-contents "$wp_init_image" >/dev/null || die "podman create $wp_init_image failed"
contents=$(podman export wp-init-contents | tar -t | grep -v '/$' | LC_ALL=C sort | paste -sd' ')
podman rm wp-init-contents >/dev/null
[[ $contents == "etc/group etc/passwd usr/local/bin/wp-init" ]] || die "unexpected files in the image: $contents"
install -d -o 33 -g 33 "$work/html"
podman run --rm --network none -v "$image_root/usr/src/wordpress:/usr/src/wordpress:ro" -v "$work/html:/var/www/html" \
	-e WORDPRESS_DB_HOST=db "$wp_init_image" install || die "podman run $wp_init_image install failed"
[[ $(stat -c %u:%g "$work/html/wp-includes/version.php") == 33:33 && -s $work/html/wp-config.php ]] \
	|| die "podman run $wp_init_image install did not install as 33:33 with a wp-config.php"
say "ok: the image holds only $contents and installs as 33:33"

wordpress_pod image-volume "$image_root/usr/src/wordpress"
wordpress_pod any-cluster

# The registry example: its Pod in a network namespace of the test's own, where the
# registry listens on the loopback the Pod shares (tests/pod/registry.sh).
# shellcheck source=tests/pod/registry.sh
source "$here/registry.sh"
registry_start
play_netns=$registry_ns
wordpress_pod registry "$work/registry"
play_netns=""
registry_stop

phase "Pod: a failing init container"
mkdir -p "$work/empty-source"
if play image-volume "$work/empty-source"; then
	die "podman kube play succeeded with an empty SOURCE"
fi
for c in php-fpm nginx mariadb checker; do
	state=$(podman inspect -f '{{.State.Status}}' "$pod-$c") || die "podman inspect $pod-$c failed"
	[[ $state == created ]] || die "$pod-$c is $state although its init container failed"
done
init_log=$(podman logs "$pod-wp-init" 2>&1)
[[ $init_log == *"/usr/src/wordpress"* ]] || die "the init container's error does not name SOURCE: $init_log"
say "ok: the failing init container kept the app containers from starting; it said: $init_log"
unplay

phase "Pod: the drop-in entrypoint"
play entrypoint || { cat "$dir/play.log" >&2; die "$pod: podman kube play failed"; }
checker_result
fpm_log=$(podman logs "$pod-php-fpm" 2>&1)
grep -q 'Complete! WordPress has been successfully copied to /var/www/html' <<<"$fpm_log" \
	|| { logs php-fpm; die "$pod: wp-init did not install before php-fpm"; }
grep -q 'ready to handle connections' <<<"$fpm_log" || { logs php-fpm; die "$pod: php-fpm did not start after wp-init"; }
[[ $(podman exec "$pod-php-fpm" stat -c %U:%G /var/www/html/index.php) == www-data:www-data ]] \
	|| die "$pod: the entrypoint's install is not owned by www-data"
say "ok: wp-init installed, then exec'd php-fpm, which serves WordPress"
unplay

# shellcheck source=tests/pod/day2.sh
source "$here/day2.sh" # 7. day 2: install, the image's tag bump, a rollback (two replicas)
day2

ok=1
say "all Pod checks passed"
