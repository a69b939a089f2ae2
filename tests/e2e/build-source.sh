#!/usr/bin/env bash
# build-source.sh [OUTDIR] — build an image-like WordPress SOURCE tree from Debian's packages.
#
# The official image's /usr/src/wordpress is the upstream tarball plus `.htaccess` and
# `wp-config-docker.php`. We cannot fetch the tarball here, so we rebuild an equivalent
# tree from Debian's `wordpress` package without installing anything system-wide:
#
#   * `apt-get download` wordpress, its default themes, and the packages its symlinks
#     point into (php-getid3, libjs-underscore, libjs-cropper, ca-certificates), all in
#     a scratch dir, and `dpkg -x` them into one fake root;
#   * take the core tree (/usr/share/wordpress) and replace every symlink by the real
#     content it points to, resolved inside that fake root (Debian links e.g.
#     wp-includes/ID3/* to /usr/share/php/getid3 and ca-bundle.crt to the generated
#     /etc/ssl/certs/ca-certificates.crt, which we regenerate from the package);
#   * drop Debian's own wp-config.php (it reads /etc/wordpress), fill wp-content the way
#     the upstream tarball has it (index.php files, akismet, the three default themes)
#     and write the image's "basic WP" `.htaccess`.
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

for tool in apt-get apt-cache dpkg-deb find cp; do
	command -v "$tool" >/dev/null || die "'$tool' not found (this script needs a Debian system)"
done
[[ -s $fixture ]] || die "fixture missing: $fixture"

# --- Which version? (apt lists may be empty on a fresh machine) ---------------------------
candidate() { apt-cache policy wordpress 2>/dev/null | awk '/Candidate:/ { print $2 }'; }
version=$(candidate)
if [[ -z $version || $version == "(none)" ]]; then
	say "no candidate for 'wordpress' in the apt lists; running apt-get update"
	apt-get update -qq >&2 || die "apt-get update failed"
	version=$(candidate)
	[[ -n $version && $version != "(none)" ]] || die "Debian package 'wordpress' not available from apt"
fi

outdir=${1:-${XDG_CACHE_HOME:-$HOME/.cache}/wp-init-e2e/$version}
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
say "building wordpress $version into $outdir"

# --- Download and unpack (never installed) ------------------------------------------------
# The themes are built from the same source package, so they share wordpress's version.
packages=(
	"wordpress=$version"
	"wordpress-theme-twentytwentyone=$version"
	"wordpress-theme-twentytwentytwo=$version"
	"wordpress-theme-twentytwentythree=$version"
	php-getid3        # wp-includes/ID3/*           -> /usr/share/php/getid3/*
	libjs-underscore  # wp-includes/js/underscore*  -> /usr/share/javascript/underscore/*
	libjs-cropper     # wp-includes/js/crop/*       -> /usr/share/javascript/cropper/*
	ca-certificates   # wp-includes/certificates/ca-bundle.crt -> /etc/ssl/certs/ca-certificates.crt
)
mkdir "$scratch/debs" "$scratch/root"
apt_opts=(-q)
# As root, apt would drop to the _apt user, which cannot write into our private scratch dir.
[[ $(id -u) == 0 ]] && apt_opts+=(-o APT::Sandbox::User=root)
(cd "$scratch/debs" && apt-get "${apt_opts[@]}" download "${packages[@]}" >&2) \
	|| die "apt-get download failed for: ${packages[*]}"
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
for required in plugins/akismet/akismet.php themes/twentytwentythree/style.css \
	themes/twentytwentytwo/style.css themes/twentytwentyone/style.css; do
	[[ -f $wpc/$required ]] || die "wp-content/$required missing from the assembled tree"
done

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
