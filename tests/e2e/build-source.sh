#!/usr/bin/env bash
# build-source.sh [--suite SUITE] [OUTDIR] — build an image-like WordPress SOURCE tree from
# Debian's packages.
#
# The official image's /usr/src/wordpress is the upstream tarball plus `.htaccess` and
# `wp-config-docker.php`. We cannot fetch the tarball here, so we rebuild an equivalent
# tree from Debian's `wordpress` package without installing anything system-wide:
#
#   * `apt-get download` wordpress, its default themes (the `wordpress-theme-*` packages built
#     from the same source at the same version), and the packages its symlinks point into
#     (its plain dependencies: php-getid3, libjs-underscore, libjs-cropper, ca-certificates,
#     and libjs-lodash from trixie on), all in a scratch dir, and `dpkg -x` them into one
#     fake root;
#   * take the core tree (/usr/share/wordpress) and replace every symlink by the real
#     content it points to, resolved inside that fake root (Debian links e.g.
#     wp-includes/ID3/* to /usr/share/php/getid3 and ca-bundle.crt to the generated
#     /etc/ssl/certs/ca-certificates.crt, which we regenerate from the package); a symlink
#     whose target no downloaded package provides is an error;
#   * drop Debian's own wp-config.php (it reads /etc/wordpress), fill wp-content the way
#     the upstream tarball has it (index.php files, akismet, the default themes)
#     and write the image's "basic WP" `.htaccess`.
#
# Which release: without --suite, the machine's own apt configuration and lists (on
# bookworm: wordpress 6.1.9). With --suite SUITE (e.g. trixie: wordpress 6.8.x), a private
# apt configuration under the cache dir (apt-SUITE/): one source line naming the Debian
# mirror this machine is configured with (the deb822 entry in /etc/apt/sources.list.d whose
# Suites include the machine's codename) with suite SUITE, signed by
# /usr/share/keyrings/debian-archive-keyring.gpg, its own lists, cache and an empty dpkg
# status, and none of the machine's apt.conf.d (no update hooks, no extra index targets; its
# Acquire:: settings such as proxies are carried over). The machine's apt sources and state
# are never touched. The lists are fetched once and reused; they are refreshed when they
# have no `wordpress` or a download fails.
#
# Output: OUTDIR/with-template (adds tests/fixtures/wp-config-docker.php) and
# OUTDIR/no-template (wp-init must use its built-in template). OUTDIR defaults to
# ${XDG_CACHE_HOME:-$HOME/.cache}/wp-init-e2e/<wordpress package version>; a tree whose
# completion marker names the current version is reused as is. The last line on stdout
# is OUTDIR; progress goes to stderr. The script fails loudly if the tree would contain
# an absolute symlink or one leaving the tree (wp-init refuses those).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
fixture="$here/../fixtures/wp-config-docker.php"
marker_name=.wp-init-e2e-complete

say() { printf 'build-source: %s\n' "$*" >&2; }
die() { printf 'build-source: ERROR: %s\n' "$*" >&2; exit 1; }

usage() { printf 'usage: %s [--suite SUITE] [OUTDIR]\n' "$0" >&2; exit 2; }
suite=""
while (($#)); do
	case $1 in
		--suite) (($# >= 2)) || usage; suite=$2; shift 2 ;;
		--suite=*) suite=${1#--suite=}; shift ;;
		--) shift; break ;;
		-*) usage ;;
		*) break ;;
	esac
done
(($# <= 1)) || usage
[[ -z $suite || $suite =~ ^[a-z][a-z0-9-]*$ ]] || die "not a Debian suite name: '$suite'"

for tool in apt-get apt-cache apt-config dpkg-deb find cp; do
	command -v "$tool" >/dev/null || die "'$tool' not found (this script needs a Debian system)"
done
[[ -s $fixture ]] || die "fixture missing: $fixture"
cache_base=${XDG_CACHE_HOME:-$HOME/.cache}/wp-init-e2e

# --- Which apt: the machine's, or a private one for another suite ---------------------------
apt_env=()
apt_opts=(-q)
# As root, apt would drop to the _apt user, which cannot write into our private dirs.
[[ $(id -u) == 0 ]] && apt_opts+=(-o APT::Sandbox::User=root)

# machine_mirror: the first URI of the enabled deb822 "deb" entry in /etc/apt/sources.list.d
# whose Suites include this machine's codename (e.g. bookworm, not bookworm-security).
machine_mirror() {
	local codename file
	codename=$(. /etc/os-release && printf '%s' "${VERSION_CODENAME:-}")
	[[ -n $codename ]] || return 1
	for file in /etc/apt/sources.list.d/*.sources; do
		[[ -f $file ]] || continue
		awk -v want="$codename" '
			function flush(   i, n, s, t, u, ok) {
				if (types != "" && suites != "" && uris != "" && tolower(enabled) != "no") {
					ok = 0
					n = split(types, t, /[ \t]+/); for (i = 1; i <= n; i++) if (t[i] == "deb") ok = 1
					if (ok) {
						ok = 0
						n = split(suites, s, /[ \t]+/); for (i = 1; i <= n; i++) if (s[i] == want) ok = 1
						if (ok) { split(uris, u, /[ \t]+/); print u[1]; found = 1; exit }
					}
				}
				types = suites = uris = enabled = ""
			}
			/^[ \t]*#/ { next }
			/^[ \t]*$/ { flush(); next }
			{ line = $0; key = tolower(line); sub(/:.*/, "", key); sub(/^[^:]*:[ \t]*/, "", line); sub(/[ \t]+$/, "", line) }
			key == "types" { types = line } key == "suites" { suites = line }
			key == "uris" { uris = line } key == "enabled" { enabled = line }
			END { if (!found) flush() }
		' "$file" | head -n1 | grep . && return 0
	done
	return 1
}

if [[ -n $suite ]]; then
	aptdir="$cache_base/apt-$suite"
	keyring=/usr/share/keyrings/debian-archive-keyring.gpg
	[[ -s $keyring ]] || die "$keyring missing (package debian-archive-keyring)"
	mirror=$(machine_mirror) \
		|| die "no Debian mirror found in /etc/apt/sources.list.d/*.sources (an enabled 'deb' entry whose Suites include this machine's codename)"
	[[ $mirror =~ ^(https?|file):// ]] || die "unexpected mirror URI '$mirror' in /etc/apt/sources.list.d"
	mkdir -p "$aptdir/lists/partial" "$aptdir/cache/archives/partial" "$aptdir/apt.conf.d"
	# One user of this private apt at a time.
	if command -v flock >/dev/null; then
		exec 8>"$aptdir/.lock"
		flock 8
	fi
	# write_if_changed FILE: stdin into FILE unless FILE already holds exactly that (apt
	# rebuilds its package cache when its configuration files change).
	write_if_changed() {
		local new
		new=$(cat)
		[[ -f $1 && $(cat "$1") == "$new" ]] || printf '%s\n' "$new" > "$1"
	}
	printf 'deb [signed-by=%s] %s %s main\n' "$keyring" "$mirror" "$suite" | write_if_changed "$aptdir/sources.list"
	[[ -f $aptdir/status ]] || : > "$aptdir/status"
	# Read before apt.conf.d: an empty parts dir instead of the machine's (whose update hooks
	# would run and whose extra index targets would be fetched), keeping its Acquire settings.
	{
		printf 'Dir::Etc::Parts "%s";\n' "$aptdir/apt.conf.d"
		printf 'Dir::Etc::main "/dev/null";\n'
		printf 'Acquire::Languages "none";\n'
		apt-config dump | grep '^Acquire::' | grep -Ev '^Acquire::(IndexTargets|Languages)(::| )' || true
	} | write_if_changed "$aptdir/apt.conf"
	apt_env=(env "APT_CONFIG=$aptdir/apt.conf")
	apt_opts+=(-o "Dir::Etc::SourceList=$aptdir/sources.list" -o Dir::Etc::SourceParts=/dev/null
		-o "Dir::State::Lists=$aptdir/lists" -o "Dir::Cache=$aptdir/cache" -o "Dir::State::status=$aptdir/status"
		-o Dir::Cache::srcpkgcache=) # pkgcache.bin alone makes warm runs fast; the copy would add 40 MB
fi
apt_get() { "${apt_env[@]}" apt-get "${apt_opts[@]}" "$@"; }
apt_cache() { "${apt_env[@]}" apt-cache "${apt_opts[@]}" "$@"; }
apt_update() {
	if [[ -n $suite ]]; then
		say "fetching $suite's package lists from $mirror into $aptdir"
		apt_get update >&2 \
			|| die "apt-get update for $suite failed (mirror $mirror, keyring $keyring: does it hold $suite's release key?)"
	else
		apt-get update -qq >&2 || die "apt-get update failed"
	fi
}

# --- Which version? (apt lists may be empty on a fresh machine) ---------------------------
candidate() { apt_cache policy wordpress 2>/dev/null | awk '/Candidate:/ { print $2 }'; }
version=$(candidate)
if [[ -z $version || $version == "(none)" ]]; then
	say "no candidate for 'wordpress' in the apt lists${suite:+ of $suite}; running apt-get update"
	apt_update
	version=$(candidate)
	[[ -n $version && $version != "(none)" ]] || die "Debian package 'wordpress' not available from apt${suite:+ ($suite)}"
fi

outdir=${1:-$cache_base/$version}
mkdir -p "$outdir"
outdir=$(cd "$outdir" && pwd)
marker="$outdir/$marker_name"
# One builder at a time per OUTDIR (e.g. a developer's run and a test run sharing the cache).
if command -v flock >/dev/null; then
	exec 9>"$outdir/.lock"
	flock 9
fi
if [[ -f $marker && $(cat "$marker") == "$version" && -d $outdir/with-template && -d $outdir/no-template ]]; then
	say "reusing $outdir (wordpress $version)"
	printf '%s\n' "$outdir"
	exit 0
fi
rm -f "$marker"
scratch=$(mktemp -d "${TMPDIR:-/tmp}/wp-init-e2e-build.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
say "building wordpress $version${suite:+ ($suite)} into $outdir"

# --- Download and unpack (never installed) ------------------------------------------------
# The default themes: the wordpress-theme-* packages built from the same source at the same
# version (bookworm: twentytwenty{one,two,three}; trixie: twentytwenty{three,four,five}).
themes=()
while read -r name _; do
	# (grep without -q: with pipefail, an early exit would make apt-cache's SIGPIPE the status)
	apt_cache show "$name=$version" 2>/dev/null | grep -E '^Source: wordpress( |$)' >/dev/null && themes+=("$name")
done < <(apt_cache search --names-only '^wordpress-theme-' | LC_ALL=C sort)
((${#themes[@]})) || die "no wordpress-theme-* package at version $version"
# The packages its symlinks point into: wordpress's plain dependencies (the alternatives are
# the web server, PHP and the MySQL client). php-getid3 (wp-includes/ID3/*), libjs-underscore,
# libjs-cropper, libjs-lodash (trixie: wp-includes/js/dist/vendor/lodash*), ca-certificates
# (ca-bundle.crt); a PHP extension metapackage among them brings no files and does no harm.
depends=$(apt_cache show "wordpress=$version" | sed -n 's/^Depends: //p' | head -n1)
[[ -n $depends ]] || die "no Depends for wordpress=$version in the apt lists"
helpers=()
IFS=',' read -ra deps <<<"$depends"
for dep in "${deps[@]}"; do
	[[ $dep == *'|'* ]] && continue
	read -r name _ <<<"$dep"
	helpers+=("$name")
done
packages=("wordpress=$version")
for name in "${themes[@]}"; do packages+=("$name=$version"); done
packages+=("${helpers[@]}")
say "downloading: ${packages[*]}"
mkdir "$scratch/debs" "$scratch/root"
download() { (cd "$scratch/debs" && apt_get download "${packages[@]}" >&2); }
if ! download; then
	[[ -n $suite ]] || die "apt-get download failed for: ${packages[*]}"
	say "download failed; refreshing $suite's lists and trying once more"
	apt_update
	[[ $(candidate) == "$version" ]] \
		|| die "wordpress in $suite is now $(candidate), not $version; run again to build that one"
	download || die "apt-get download failed for: ${packages[*]}"
fi
for deb in "$scratch"/debs/*.deb; do
	dpkg-deb -x "$deb" "$scratch/root"
done
root="$scratch/root"

# ca-certificates.crt is generated at install time by update-ca-certificates: it is the
# concatenation of the packaged certificates. Do the same inside the fake root.
mkdir -p "$root/etc/ssl/certs"
find "$root/usr/share/ca-certificates" -name '*.crt' -type f -print0 | LC_ALL=C sort -z \
	| xargs -0 cat > "$root/etc/ssl/certs/ca-certificates.crt"
[[ -s $root/etc/ssl/certs/ca-certificates.crt ]] || die "could not assemble ca-certificates.crt"

# resolve_in_root PATH: PATH (absolute, inside the fake root) with every symlink resolved as
# if the fake root were '/', printed as an absolute path relative to that root.
resolve_in_root() {
	local rest=$1 resolved="" comp link hops=0
	while [[ -n $rest ]]; do
		if [[ $rest == */* ]]; then comp=${rest%%/*}; rest=${rest#*/}; else comp=$rest; rest=""; fi
		case $comp in
			"" | .) continue ;;
			..) resolved=${resolved%/*}; continue ;;
		esac
		if [[ -L $root$resolved/$comp ]]; then
			((++hops <= 40)) || die "too many symlink levels resolving $1"
			link=$(readlink "$root$resolved/$comp")
			[[ $link == /* ]] && resolved=""
			rest="$link${rest:+/$rest}"
		else
			resolved="$resolved/$comp"
		fi
	done
	printf '%s\n' "${resolved:-/}"
}

# --- Assemble the core tree ---------------------------------------------------------------
core=/usr/share/wordpress
[[ -f $root$core/wp-includes/version.php ]] || die "no $core/wp-includes/version.php in the package"
tree="$scratch/tree"
cp -a "$root$core" "$tree"
# Debian's wp-config.php reads /etc/wordpress/config-*.php and its .htaccess is a symlink to
# a commented-out file in /etc/wordpress: neither is part of the image's tree.
rm -f "$tree/.htaccess" "$tree/wp-config.php"

# Replace symlinks by content until none is left to replace (a copied directory may bring
# symlinks of its own). Relative links whose target stays inside the tree are kept.
changed=1
while ((changed)); do
	changed=0
	while IFS= read -r -d '' link; do
		rel=${link#"$tree"/}
		target=$(resolve_in_root "$core/$rel")
		case $target in
			"$core"/*)
				if [[ $(readlink "$link") != /* ]]; then
					continue # relative and inside the tree: allowed, wp-init copies it as a symlink
				fi
				src="$tree/${target#"$core"/}" ;;
			*) src="$root$target" ;;
		esac
		[[ -e $src ]] || die "symlink $rel -> $(readlink "$link") points to $target, which no downloaded package provides"
		rm "$link"
		cp -a --dereference "$src" "$link" # -a --dereference: content, mode and mtime of the target
		say "resolved $rel -> $target"
		changed=1
	done < <(find "$tree" -type l -print0)
done

# wp-content as in the upstream tarball: Debian splits it between /usr/share/wordpress
# (akismet, the themes) and /var/lib/wordpress (index.php, empty dirs, theme symlinks).
wpc="$tree/wp-content"
mkdir -p "$wpc/plugins" "$wpc/themes"
silence="$root/var/lib/wordpress/wp-content/index.php"
[[ -f $silence ]] || die "no wp-content/index.php in the package"
for dir in "$wpc" "$wpc/plugins" "$wpc/themes"; do
	[[ -e $dir/index.php ]] || cp -p "$silence" "$dir/index.php"
done
required=(plugins/akismet/akismet.php)
for name in "${themes[@]}"; do required+=("themes/${name#wordpress-theme-}/style.css"); done
for required in "${required[@]}"; do
	[[ -f $wpc/$required ]] || die "wp-content/$required missing from the assembled tree"
done
# The theme a fresh install activates (WP_DEFAULT_THEME) must be among them.
default_theme=$(sed -n "s/.*define( *'WP_DEFAULT_THEME', *'\([^']*\)' *).*/\1/p" "$tree/wp-includes/default-constants.php" | head -n1)
[[ -n $default_theme ]] || die "no WP_DEFAULT_THEME in wp-includes/default-constants.php"
[[ -f $wpc/themes/$default_theme/style.css ]] || die "the default theme '$default_theme' is not in the assembled tree"

# The image's .htaccess (Dockerfile): the "basic WP" block, no <IfModule> wrapper.
cat > "$tree/.htaccess" <<'EOF'
# BEGIN WordPress

RewriteEngine On
RewriteRule .* - [E=HTTP_AUTHORIZATION:%{HTTP:Authorization}]
RewriteBase /
RewriteRule ^index\.php$ - [L]
RewriteCond %{REQUEST_FILENAME} !-f
RewriteCond %{REQUEST_FILENAME} !-d
RewriteRule . /index.php [L]

# END WordPress
EOF

# --- Check: no absolute or escaping symlinks, nothing dangling ------------------------------
check_links() {
	local top=$1 link dest real
	top=$(cd "$top" && pwd -P)
	while IFS= read -r -d '' link; do
		dest=$(readlink "$link")
		[[ $dest != /* ]] || die "absolute symlink in the tree: ${link#"$top"/} -> $dest"
		real=$(realpath -e "$link" 2>/dev/null) || die "dangling symlink in the tree: ${link#"$top"/} -> $dest"
		[[ $real == "$top"/* ]] || die "symlink leaves the tree: ${link#"$top"/} -> $dest"
	done < <(find "$top" -type l -print0)
}
check_links "$tree"
[[ ! -e $tree/wp-config.php ]] || die "wp-config.php must not be in the SOURCE tree"
tree_version=$(sed -n "s/^\$wp_version = '\(.*\)';/\1/p" "$tree/wp-includes/version.php")
[[ $version == "$tree_version"+* || $version == "$tree_version"-* ]] \
	|| die "version.php says '$tree_version' but the package is $version"

# --- The two variants, then the marker (last) ----------------------------------------------
rm -rf "$outdir/with-template" "$outdir/no-template" "$outdir/with-template.tmp" "$outdir/no-template.tmp"
cp -a "$tree" "$outdir/no-template.tmp"
mv "$tree" "$outdir/with-template.tmp"
cp "$fixture" "$outdir/with-template.tmp/wp-config-docker.php"
chmod 0644 "$outdir/with-template.tmp/wp-config-docker.php"
mv "$outdir/no-template.tmp" "$outdir/no-template"
mv "$outdir/with-template.tmp" "$outdir/with-template"
for variant in with-template no-template; do check_links "$outdir/$variant"; done

files=$(find "$outdir/with-template" -type f | wc -l)
links=$(find "$outdir/with-template" -type l | wc -l)
dirs=$(find "$outdir/with-template" -type d | wc -l)
bytes=$(du -sb "$outdir/with-template" | cut -f1)
apparent=$(find "$outdir/with-template" -type f -printf '%s\n' | awk '{ s += $1 } END { print s }')
say "wordpress $tree_version (package $version): $files files, $dirs directories, $links symlinks;" \
	"$((apparent / 1024)) KiB of file content, $((bytes / 1024)) KiB on disk (with-template)"
printf '%s\n' "$version" > "$marker"
printf '%s\n' "$outdir"
