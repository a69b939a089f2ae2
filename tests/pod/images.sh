#!/usr/bin/env bash
# images.sh — root file systems standing in for the official images, built from Debian packages.
#
# No registry other than Debian's archive is reachable, so the Pod test runs on images made
# here with debootstrap (bookworm, minbase) plus `apt-get install` in a chroot:
#
#   wordpress-fpm  php8.2-fpm, php8.2-mysql, php8.2-cli; the image-like WordPress tree of
#                  tests/e2e/build-source.sh at /usr/src/wordpress (owned by www-data, as the
#                  official image has it); php-fpm configured as the official image does
#                  (zz-docker.conf: listen on 9000, keep the environment, log to stderr; no
#                  pid file) and reachable as `php-fpm`
#   nginx          nginx
#   mariadb        mariadb-server, with a small entrypoint (mariadb-entrypoint.sh) that does
#                  what the official image's does with MARIADB_DATABASE/USER/PASSWORD
#   checker        curl (the Pod's test client)
#
# Each image is a tar of its root file system in ${XDG_CACHE_HOME:-~/.cache}/wp-init-pod/,
# named after a key over the Debian candidate versions of its packages, this recipe and the
# files it bakes in: a warm run reuses it, a new package version rebuilds it. Services are
# never started in the chroot (policy-rc.d says no), and nothing is mounted.
#
# Prints one line per image on stdout: NAME TARBALL. Progress goes to stderr.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
cache=${XDG_CACHE_HOME:-$HOME/.cache}/wp-init-pod
suite=bookworm

say() { printf 'pod-images: %s\n' "$*" >&2; }
die() { printf 'pod-images: ERROR: %s\n' "$*" >&2; exit 1; }

declare -A packages=(
	[wordpress-fpm]="php8.2-fpm php8.2-mysql php8.2-cli"
	[nginx]="nginx"
	[mariadb]="mariadb-server"
	[checker]="curl"
)
names=(wordpress-fpm nginx mariadb checker)

command -v debootstrap >/dev/null || {
	say "installing debootstrap"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap >&2 \
		|| die "apt-get install debootstrap failed"
}
# The mirror apt is configured with (never a hard-coded host), and its source files.
sources=(/etc/apt/sources.list.d/*.sources)
[[ -f ${sources[0]} ]] || die "no /etc/apt/sources.list.d/*.sources to take the Debian mirror from"
mirror=$(awk '$1 == "URIs:" { print $2; exit }' "${sources[0]}")
[[ -n $mirror ]] || die "no URIs: line in ${sources[0]}"

# One `apt-cache policy` for every package (it is slow): lines "NAME: VERSION".
policy() {
	# shellcheck disable=SC2068 # one word per package
	apt-cache policy ${packages[@]} | awk '/^[^ ]/ { p = $1 } /Candidate:/ { print p, $2 }'
}
all_candidates=$(policy)
if [[ $all_candidates == *"(none)"* || $(wc -l <<<"$all_candidates") != "$(wc -w <<<"${packages[*]}")" ]]; then
	apt-get update -qq >&2 || die "apt-get update failed"
	all_candidates=$(policy)
fi
# candidates PACKAGE...: their lines, in that order; fails if one has no candidate.
candidates() {
	local pkg line
	for pkg in "$@"; do
		line=$(awk -v p="$pkg:" '$1 == p' <<<"$all_candidates")
		[[ -n $line && $line != *"(none)" ]] || return 1
		printf '%s\n' "$line"
	done
}

# The WordPress tree (cached by build-source.sh per wordpress package version).
wp_src=$(bash "$repo/tests/e2e/build-source.sh" | tail -n1)/with-template
[[ -f $wp_src/wp-includes/version.php ]] || die "build-source.sh gave no tree"

key_of() {
	local name=$1
	{
		printf '%s\n' "$suite" "$mirror" "$(dpkg-query -W -f='${Version}' debootstrap)"
		# shellcheck disable=SC2086 # a word list
		candidates ${packages[$name]} || die "no candidate for: ${packages[$name]}"
		# The recipe (not this file's comments) and the files it bakes in.
		declare -f base_tar build "configure_$name"
		cat "$here/php-fpm-docker.conf" "$here/mariadb-entrypoint.sh" "${sources[@]}"
		[[ $name != wordpress-fpm ]] || cat "$(dirname "$wp_src")/.wp-init-e2e-complete"
	} | sha256sum | cut -c1-16
}

# base: debootstrap once (minbase), packed; every image starts from a copy of it.
base_tar() {
	local tarball rootfs
	tarball="$cache/base-$({
		printf '%s\n' "$suite" "$mirror" "$(dpkg-query -W -f='${Version}' debootstrap)"
		cat "${sources[@]}"
	} | sha256sum | cut -c1-16).tar"
	if [[ ! -s $tarball ]]; then
		rootfs="$work/base"
		say "base: debootstrap $suite (minbase) from $mirror"
		debootstrap --variant=minbase --cache-dir="$cache/debs" "$suite" "$rootfs" "$mirror" \
			>"$work/base.log" 2>&1 || { tail -n 20 "$work/base.log" >&2; die "debootstrap failed"; }
		tar -C "$rootfs" --numeric-owner -cf "$tarball.tmp" .
		mv "$tarball.tmp" "$tarball"
		rm -rf "$rootfs"
		find "$cache" -maxdepth 1 -name 'base-*.tar' ! -path "$tarball" -delete
	fi
	printf '%s\n' "$tarball"
}

# build NAME TARBALL: the base, the packages (no service started), the configuration, packed.
build() {
	local name=$1 tarball=$2 rootfs="$work/$name" base
	base=$(base_tar)
	mkdir "$rootfs"
	tar -C "$rootfs" -xf "$base"
	printf '#!/bin/sh\nexit 101\n' >"$rootfs/usr/sbin/policy-rc.d"
	chmod 0755 "$rootfs/usr/sbin/policy-rc.d"
	rm -f "$rootfs/etc/apt/sources.list"
	cp "${sources[@]}" "$rootfs/etc/apt/sources.list.d/"
	say "$name: apt-get install ${packages[$name]}"
	chroot "$rootfs" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive \
		sh -c "apt-get update -qq && apt-get install -y -qq --no-install-recommends ${packages[$name]} && apt-get clean" \
		>"$work/$name.log" 2>&1 || { tail -n 20 "$work/$name.log" >&2; die "$name: apt-get install in the chroot failed"; }
	"configure_$name" "$rootfs"
	rm -rf "$rootfs/usr/sbin/policy-rc.d" "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin \
		"$rootfs"/usr/share/{doc,man,info}/* "$rootfs"/usr/share/locale/*
	tar -C "$rootfs" --numeric-owner -cf "$tarball.tmp" .
	mv "$tarball.tmp" "$tarball"
	rm -rf "$rootfs"
}

configure_wordpress-fpm() {
	local r=$1
	cp "$here/php-fpm-docker.conf" "$r/etc/php/8.2/fpm/pool.d/zz-docker.conf"
	# No pid file (read-only root file system), errors to the container's stderr.
	sed -i -e 's|^pid = .*|;pid = none (container)|' -e 's|^error_log = .*|error_log = /proc/self/fd/2|' \
		"$r/etc/php/8.2/fpm/php-fpm.conf"
	ln -s /usr/sbin/php-fpm8.2 "$r/usr/local/sbin/php-fpm"
	cp -a "$wp_src" "$r/usr/src/wordpress"
	chown -R 33:33 "$r/usr/src/wordpress"
	install -d -o 33 -g 33 -m 0755 "$r/var/www/html"
}
configure_nginx() { :; }
configure_mariadb() {
	install -m 0755 "$here/mariadb-entrypoint.sh" "$1/usr/local/bin/mariadb-entrypoint"
}
configure_checker() { :; }

mkdir -p "$cache/debs"
work=$(mktemp -d "$cache/build.XXXXXX")
trap 'rm -rf "$work"' EXIT
# One builder at a time per cache (a developer's run and CI sharing the machine).
exec 9>"$cache/.lock"
flock 9
for name in "${names[@]}"; do
	tarball="$cache/$name-$(key_of "$name").tar"
	if [[ -s $tarball ]]; then
		say "$name: reusing $tarball"
	else
		t0=$SECONDS
		build "$name" "$tarball"
		say "$name: built in $((SECONDS - t0)) s, $(($(stat -c %s "$tarball") / 1048576)) MiB"
		# Older keys of this image are stale.
		find "$cache" -maxdepth 1 -name "$name-*.tar" ! -path "$tarball" -delete
	fi
	printf '%s %s\n' "$name" "$tarball"
done
