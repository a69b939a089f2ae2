#!/usr/bin/env bash
# upgrade.sh WP_INIT_BIN — end-to-end proof of `wp-init upgrade` and `wp-init verify` on two
# real WordPress releases (README, "Upgrade and verify").
#
# 1. Installs what is missing (as run.sh) and builds (or reuses) two image-like SOURCE trees
#    with build-source.sh: OLD from the machine's release (bookworm: wordpress 6.1.9) and NEW
#    with `--suite trixie` (wordpress 6.8.12), both cached per package version.
# 2. Starts a throwaway MariaDB, installs OLD with `wp-init install`, runs WordPress's web
#    installer and logs in, then adds what a site accumulates: an upload
#    (wp-content/uploads/...) and a plugin of its own (wp-content/plugins/my-plugin); and
#    symlinks in core as Debian's layout has them (a core file as a link, stale links to a
#    file and to a directory).
# 3. `wp-init upgrade --dry-run --json`: a would-* plan, TARGET unchanged. Then
#    `wp-init upgrade --json` with SOURCE = NEW, and checks: wp-admin/ and wp-includes/ are
#    identical to NEW's (diff -r, types, modes, mtimes: no stale file or directory), the root
#    core files are NEW's, .htaccess, wp-config-docker.php, wp-config.php, the upload, the
#    plugin and every other wp-content entry TARGET had are untouched (content, inode, mtime,
#    ctime), the new default themes are added, and the JSON report is sensible (from/to,
#    db versions, removed paths gone, every stale core path reported, the dry run's plan equal
#    to what was done, the install report's fields present).
# 4. WordPress's own database upgrade as a browser does it: /wp-admin/ redirects to
#    wp-admin/upgrade.php, whose "Update WordPress Database" link (step=1) runs it; then
#    db_version in the options table equals NEW's $wp_db_version, and the front page and the
#    dashboard (logged in again) serve 200 from 6.8.12.
# 5. `wp-init upgrade` again: up-to-date, nothing changed; with SOURCE = OLD: exit 3, nothing
#    changed (the whole tree's state, hashes included, before and after).
# 6. `wp-init verify`: exit 0 and empty lists, TARGET unchanged; then one core file modified,
#    one deleted, one injected: exit 1, and `--json` names exactly those three.
# 7. Timing, printed and not asserted (warm page cache): the real upgrade against a
#    `tar | tar` copy of NEW into a fresh dir (median of N), and `wp-init verify` against
#    `sha256sum` of the same core files of both trees and a diff (median of N each).
#
# With WP_E2E_SOURCE=https or registry, every wp-init run names OLD and NEW in that form instead
# of as directories (tests/e2e/sources.sh): release tarballs of the two trees over HTTPS
# (`--sha256`), or images of them in a registry with TLS and basic auth (`docker://…@sha256:…`,
# `--registry-auth`), both with `--cache`; the servers are stopped right after the upgrade, so
# steps 5 and 6 also prove that a cached, pinned SOURCE needs no network. Every check above
# still compares TARGET with the NEW directory.
#
# Every failed check exits non-zero with a message saying what failed. Servers listen on
# 127.0.0.1 only and are stopped by PID on every exit path. Environment knobs:
#   WP_E2E_SOURCE=KIND     dir (default), https or registry: the form of SOURCE (above)
#   WP_E2E_OLD_SOURCE=DIR  use DIR (a build-source.sh output) as OLD instead of the cache
#   WP_E2E_NEW_SOURCE=DIR  the same for NEW
#   WP_E2E_NEW_SUITE=S     the Debian suite NEW is built from (default trixie)
#   WP_E2E_BENCH_RUNS=N    runs per side in the timing comparison (default 3 with dir, else 0;
#                          0 skips it; it always times directory SOURCEs)
#   WP_E2E_BENCH_INPLACE=1 also time tar over a fresh OLD install (in place; costs ~20 s a run)
#   WP_E2E_KEEP=1          keep the work dir (it is always kept when a check fails)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
e2e_log_prefix=e2e-upgrade${WP_E2E_SOURCE:+-$WP_E2E_SOURCE}
# shellcheck source-path=SCRIPTDIR
source "$here/lib.sh"
# shellcheck source-path=SCRIPTDIR
source "$here/sources.sh"

[[ $# == 1 ]] || { echo "usage: $0 WP_INIT_BIN" >&2; exit 2; }
wp_init=$1
[[ $wp_init == */* ]] && wp_init=$(cd "$(dirname "$wp_init")" && pwd)/$(basename "$wp_init")
[[ -x $wp_init && -f $wp_init ]] || die "wp-init binary not found or not executable: $1"
source_kind=${WP_E2E_SOURCE:-dir}
bench_runs=${WP_E2E_BENCH_RUNS:-$([[ $source_kind == dir ]] && echo 3 || echo 0)}
new_suite=${WP_E2E_NEW_SUITE:-trixie}

for name in ${!WORDPRESS_@}; do unset "$name"; done

t_start=$(now_us)
e2e_workdir wp-init-e2e-upgrade

is_root=0
[[ $(id -u) == 0 ]] && is_root=1

# --- helpers ----------------------------------------------------------------------------------
# php_var FILE VAR: the value FILE (a version.php) assigns to $VAR, as PHP itself reads it.
# shellcheck disable=SC2016 # PHP code, not shell
php_var() { php -n -r '$n = $argv[2]; include $argv[1]; echo $$n;' "$1" "$2"; }

# state DIR: everything observable about DIR and what is in it — per entry: path, type, mode,
# owner, inode, size, mtime, ctime, link target — then every file's SHA-256. Two equal
# states mean nothing was written, replaced, chmod-ed or chown-ed.
state() {
	(
		cd "$1"
		# TARGET's root itself without its times: every locked run creates and removes
		# its lock file there (see README, "The lock").
		find . -maxdepth 0 -printf '.\t%y\t%m\t%U:%G\t%i\n'
		find . -mindepth 1 -printf '%P\t%y\t%m\t%U:%G\t%i\t%s\t%T@\t%C@\t%l\n' | LC_ALL=C sort
		find . -type f -print0 | LC_ALL=C sort -z | xargs -0 -r sha256sum
	)
}

# assert_unchanged BEFORE_FILE DIR WHAT: DIR's state equals the one saved in BEFORE_FILE.
assert_unchanged() {
	local before=$1 dir=$2 what=$3 after="$1.after"
	state "$dir" > "$after"
	diff "$before" "$after" > "$before.diff" \
		|| die "$what changed TARGET ($before.diff): $(head -n 8 "$before.diff")"
}

# core_paths DIR: TARGET-relative paths of the entries under wp-admin/ and wp-includes/.
core_paths() { (cd "$1" && find wp-admin wp-includes -mindepth 0 | LC_ALL=C sort); }

# json_flat FILE OUT: check that FILE is one JSON object; its flat form (json-flat.php) in OUT.
json_flat() { php -n "$here/json-flat.php" "$1" > "$2" || die "$1 is not one JSON object: $(head -c 300 "$1")"; }
# jval FLAT KEY: "TYPE<TAB>VALUE" of a scalar member; nothing if absent.
jval() { awk -F'\t' -v k="$2" '$1 == k { print $2 "\t" $3; exit }' "$1"; }
# jtype FLAT KEY: the member's type (string, int, list, object, ...); nothing if absent.
jtype() { awk -F'\t' -v k="$2" '$1 == k { print $2; exit }' "$1"; }
# jpaths FLAT KEY: the paths of a list member (string elements, or objects' "path"),
# normalised (no leading "./", no trailing "/"), sorted.
jpaths() {
	awk -F'\t' -v k="$2" '($1 == k "[]" && $2 == "string") || $1 == k "[].path" { print $3 }' "$1" \
		| sed -e 's#^\./##' -e 's#/$##' | LC_ALL=C sort
}
# jkeys FLAT: the top-level member names, sorted.
jkeys() { awk -F'\t' '$1 !~ /[.[]/ { print $1 }' "$1" | LC_ALL=C sort -u; }
# uncovered LIST_FILE: of the paths on stdin, print those that neither appear in LIST_FILE nor
# have an ancestor directory in it.
uncovered() {
	awk 'NR == FNR { have[$0] = 1; next }
		{ p = $0; hit = 0
		  while (p != "") { if (p in have) { hit = 1; break }; if (p !~ /\//) break; sub(/\/[^\/]*$/, "", p) }
		  if (!hit) print $0 }' "$1" -
}

# --- 1. packages and trees ---------------------------------------------------------------------
e2e_packages

phase_start "source trees (build-source.sh; OLD: this machine's release, NEW: $new_suite)"
old_root=$(bash "$here/build-source.sh" ${WP_E2E_OLD_SOURCE:+"$WP_E2E_OLD_SOURCE"} | tail -n1) \
	|| die "build-source.sh could not build the OLD tree (its error is above)"
new_root=$(bash "$here/build-source.sh" --suite "$new_suite" ${WP_E2E_NEW_SOURCE:+"$WP_E2E_NEW_SOURCE"} | tail -n1) \
	|| die "build-source.sh --suite $new_suite could not build the NEW tree (its error is above)"
old="$old_root/with-template" new="$new_root/with-template"
[[ -d $old && -d $new ]] || die "build-source.sh gave no with-template trees in '$old_root' and '$new_root'"
old_version=$(php_var "$old/wp-includes/version.php" wp_version)
new_version=$(php_var "$new/wp-includes/version.php" wp_version)
old_db=$(php_var "$old/wp-includes/version.php" wp_db_version)
new_db=$(php_var "$new/wp-includes/version.php" wp_db_version)
# shellcheck disable=SC2016 # PHP code, not shell
[[ $(php -n -r 'echo version_compare($argv[1], $argv[2]);' "$old_version" "$new_version") == -1 ]] \
	|| die "OLD ($old_version) is not older than NEW ($new_version): nothing to upgrade"
[[ $old_db =~ ^[0-9]+$ && $new_db =~ ^[0-9]+$ && $old_db != "$new_db" ]] \
	|| die "\$wp_db_version: OLD '$old_db', NEW '$new_db' (want two different integers)"
say "OLD: wordpress $old_version (db $old_db) $old"
say "NEW: wordpress $new_version (db $new_db) $new"
new_files=$(find "$new" -type f | wc -l)
phase_end

phase_start "SOURCE as $source_kind"
sources_start "$source_kind" "$old" "$new" "$old_version" "$new_version"
phase_end

# --- 2. WordPress OLD, installed and in use ------------------------------------------------------
phase_start "MariaDB start"
mariadb_start "$work/mariadb"
db_user=wpuser db=wp_upgrade
db_password=$'e2e p@ss \'q\' "dq" $HOME \\ #2'
mariadb_sql "CREATE USER '$db_user'@'127.0.0.1' IDENTIFIED BY $(sql_string "$db_password");
	CREATE DATABASE $db; GRANT ALL PRIVILEGES ON $db.* TO '$db_user'@'127.0.0.1';" \
	|| die "could not create the database and its user"
phase_end

target="$work/html"
mkdir "$target"
vars=("WORDPRESS_DB_HOST=127.0.0.1:$mariadb_port" "WORDPRESS_DB_USER=$db_user"
	"WORDPRESS_DB_NAME=$db" "WORDPRESS_DB_PASSWORD=$db_password")
db_version_in_db() { mariadb_sql "SELECT option_value FROM $db.wp_options WHERE option_name = 'db_version';"; }

phase_start "wp-init install ($old_version) and WordPress's web installer"
run_wp_init "$work/install.log" "${vars[@]}" -- install --json "${old_src[@]}" --target "$target" > "$work/install.json"
((wp_init_rc == 0)) || die "wp-init install exited $wp_init_rc (log: $work/install.log)"
json_flat "$work/install.json" "$work/install.flat"
[[ $(php_var "$target/wp-includes/version.php" wp_version) == "$old_version" ]] || die "TARGET is not $old_version after install"
php_server_start "$target" "$work/php-server.1.log" "${vars[@]}"
base="http://127.0.0.1:$php_port"
php_server_port=$php_port # the site's URL: the server after the upgrade listens there too
wp_web_install "$base" "$work" "wp-init e2e upgrade"
wp_login "$base" "$work/cookies.1.txt" "$work"
wp_dashboard "$base" "$work/cookies.1.txt" "$work"
[[ $(db_version_in_db) == "$old_db" ]] || die "db_version after the web install is '$(db_version_in_db)', want $old_db"
# wp-init upgrade runs before the web server starts (an init container): stop it first.
service_stop "$php_pid"
# What the site accumulated: an upload and a plugin of its own.
mkdir -p "$target/wp-content/uploads/2026/11" "$target/wp-content/plugins/my-plugin"
head -c 65536 /dev/urandom > "$target/wp-content/uploads/2026/11/e2e-upload.bin"
cat > "$target/wp-content/plugins/my-plugin/my-plugin.php" <<'EOF'
<?php
/**
 * Plugin Name: My Plugin (wp-init e2e)
 * Description: The site's own plugin; wp-init upgrade must leave it alone.
 */
EOF
# Symlinks in core (relative, inside TARGET): a file NEW has that TARGET holds as a symlink
# (NEW's file must replace the link), and the user's own links to a file and to a directory,
# which were never core (not in wp-init's record): kept and reported as `kept`, the directory
# behind untouched (README, "Upgrade and verify").
[[ -f $target/wp-includes/js/underscore.min.js && -f $new/wp-includes/js/underscore.min.js ]] \
	|| die "wp-includes/js/underscore.min.js missing from OLD or NEW"
ln -sfn underscore.js "$target/wp-includes/js/underscore.min.js"
ln -s version.php "$target/wp-includes/e2e-stale-link.php"
ln -s js "$target/wp-includes/e2e-stale-dir-link"
for p in wp-includes/e2e-stale-link.php wp-includes/e2e-stale-dir-link; do
	[[ ! -e $new/$p && ! -L $new/$p ]] || die "NEW has $p"
done
phase_end

user_files=(wp-config.php wp-content/uploads/2026/11/e2e-upload.bin wp-content/plugins/my-plugin/my-plugin.php
	.htaccess wp-config-docker.php)
# file_id PATH: content hash, inode, size, mtime and ctime (ns), mode, owner.
file_id() { printf '%s %s\n' "$(sha256sum < "$target/$1" | cut -d' ' -f1)" "$(stat -c '%i %s %.9Y %.9Z %a %U:%G' "$target/$1")"; }
declare -A user_id=()
for f in "${user_files[@]}"; do
	[[ -f $target/$f ]] || die "$f missing from TARGET before the upgrade"
	user_id[$f]=$(file_id "$f")
done
state "$target" > "$work/before-upgrade.state"
(cd "$target" && find wp-content -printf '%P\t%y\t%m\t%U:%G\t%i\t%s\t%T@\t%C@\t%l\n' | LC_ALL=C sort) > "$work/wp-content.before"
core_paths "$target" > "$work/core.before"
core_paths "$new" > "$work/core.new"
# Stale: what the installed OLD has under wp-admin/ and wp-includes/ and NEW does not.
user_core=(wp-includes/e2e-stale-link.php wp-includes/e2e-stale-dir-link)
LC_ALL=C comm -23 "$work/core.before" "$work/core.new" | grep -vxF -e "${user_core[0]}" -e "${user_core[1]}" > "$work/stale"
[[ -s $work/stale ]] || die "OLD and NEW have the same core paths: the stale-file check would prove nothing"

# --- 3. wp-init upgrade ------------------------------------------------------------------------
phase_start "wp-init upgrade --dry-run"
run_wp_init "$work/upgrade-dry.log" "${vars[@]}" -- upgrade --dry-run --json "${new_src[@]}" --target "$target" > "$work/upgrade-dry.json"
((wp_init_rc == 0)) || die "wp-init upgrade --dry-run exited $wp_init_rc (log: $work/upgrade-dry.log)"
assert_unchanged "$work/before-upgrade.state" "$target" "wp-init upgrade --dry-run"
json_flat "$work/upgrade-dry.json" "$work/upgrade-dry.flat"
[[ $(jval "$work/upgrade-dry.flat" status) == $'string\twould-'* ]] \
	|| die "dry run: status is '$(jval "$work/upgrade-dry.flat" status)', want would-…"
phase_end

phase_start "wp-init upgrade $old_version -> $new_version"
# It is also the timing sample: NEW's files in the page cache, as for the tar pipe it is compared
# with later, and nothing left for it to write back.
tar -C "$new" -cf - . > /dev/null
sync
run_wp_init "$work/upgrade.log" "${vars[@]}" -- upgrade --json "${new_src[@]}" --target "$target" > "$work/upgrade.json"
((wp_init_rc == 0)) || die "wp-init upgrade exited $wp_init_rc (log: $work/upgrade.log)"
upgrade_us=$wp_init_us
say "wp-init upgrade took $(fmt_us "$upgrade_us")s"
# From here on, a fetched SOURCE comes from the cache or not at all.
sources_offline
phase_end

phase_start "checks on the upgraded tree"
# The user's links in core: kept, reported, then taken away for the comparisons below.
for p in "${user_core[@]}"; do
	[[ -L $target/$p ]] || die "$p, the user's (not recorded as core), was removed"
	grep -qF "\"$p\"" "$work/upgrade.json" || die "$p is not reported as kept"
	rm "$target/$p"
done
# wp-admin/ and wp-includes/: identical to NEW's, content and listing, nothing stale.
for sub in wp-admin wp-includes; do
	diff -r --no-dereference "$new/$sub" "$target/$sub" > "$work/$sub.diff" 2>&1 \
		|| die "$sub/ differs from NEW's ($work/$sub.diff): $(head -n 6 "$work/$sub.diff")"
	diff <(tree_listing "$new/$sub") <(tree_listing "$target/$sub") > "$work/$sub.listing.diff" \
		|| die "$sub/ entries, types, modes or mtimes differ from NEW's ($work/$sub.listing.diff): $(head -n 6 "$work/$sub.listing.diff")"
done
core_paths "$target" > "$work/core.after"
cmp -s "$work/core.after" "$work/core.new" || die "core paths differ from NEW's: $(diff "$work/core.new" "$work/core.after" | head -n 6)"
# Root core files: NEW's content, mode and mtime (.htaccess and wp-config-docker.php: below).
while IFS= read -r f; do
	[[ $f == wp-config-docker.php || $f == .htaccess ]] && continue
	cmp -s "$new/$f" "$target/$f" || die "root file $f is not NEW's"
	[[ $(stat -c '%a %Y' "$new/$f") == "$(stat -c '%a %Y' "$target/$f")" ]] \
		|| die "root file $f: mode/mtime $(stat -c '%a %Y' "$target/$f"), NEW has $(stat -c '%a %Y' "$new/$f")"
done < <(cd "$new" && find . -mindepth 1 -maxdepth 1 -type f -printf '%P\n')
[[ $(php_var "$target/wp-includes/version.php" wp_version) == "$new_version" ]] || die "TARGET's version.php does not say $new_version"
if ((is_root)); then
	odd=$(cd "$target" && find wp-admin wp-includes \( ! -user www-data -o ! -group www-data \) -print | head -n 3)
	[[ -z $odd ]] || die "not owned by www-data after the upgrade: $odd"
	[[ $(stat -c %U:%G "$target/index.php") == www-data:www-data ]] || die "index.php is not owned by www-data:www-data"
fi
# The user's files, .htaccess and wp-config-docker.php: byte-identical and untouched.
for f in "${user_files[@]}"; do
	[[ -f $target/$f ]] || die "$f is gone after the upgrade"
	[[ $(file_id "$f") == "${user_id[$f]}" ]] \
		|| die "$f was touched by the upgrade: before ${user_id[$f]}, after $(file_id "$f") (sha256 inode size mtime ctime mode owner)"
done
# Every wp-content entry TARGET had is still there: files and symlinks exactly (inode,
# mtimes, ctime), directories with the same inode, mode and owner (their mtimes may change
# when entries are added).
(cd "$target" && find wp-content -printf '%P\t%y\t%m\t%U:%G\t%i\t%s\t%T@\t%C@\t%l\n' | LC_ALL=C sort) > "$work/wp-content.after"
awk -F'\t' 'NR == FNR { after[$1] = $0; split($0, a, "\t"); dir[$1] = a[2] "\t" a[3] "\t" a[4] "\t" a[5]; next }
	!($1 in after) { print "gone: " $1; next }
	$2 == "d" { if (dir[$1] != $2 "\t" $3 "\t" $4 "\t" $5) print "changed: " $1; next }
	after[$1] != $0 { print "changed: " $1 }' "$work/wp-content.after" "$work/wp-content.before" > "$work/wp-content.touched"
[[ ! -s $work/wp-content.touched ]] \
	|| die "wp-content entries TARGET had were touched ($work/wp-content.touched): $(head -n 5 "$work/wp-content.touched")"
# New entries in wp-content: only where TARGET had nothing at wp-content/*/* level (a plugin
# or theme TARGET has is left alone, never merged), and each one NEW's.
cut -f1 "$work/wp-content.before" > "$work/wp-content.before.paths"
cut -f1 "$work/wp-content.after" | LC_ALL=C comm -13 "$work/wp-content.before.paths" - > "$work/wp-content.new"
while IFS= read -r p; do
	top=$(cut -d/ -f1-2 <<<"$p")
	grep -qxF "$top" "$work/wp-content.before.paths" && [[ $top != "$p" ]] \
		&& die "wp-content/$p was added inside wp-content/$top, which TARGET already had (README, "Upgrade and verify": what wp-content has is left alone)"
	[[ -e $new/wp-content/$p || -L $new/wp-content/$p ]] || die "wp-content/$p appeared but NEW has no such entry"
done < "$work/wp-content.new"
added_themes=()
for theme in "$new"/wp-content/themes/*/; do
	theme=$(basename "$theme")
	[[ -e $old/wp-content/themes/$theme ]] && continue
	diff -r --no-dereference "$new/wp-content/themes/$theme" "$target/wp-content/themes/$theme" >/dev/null 2>&1 \
		|| die "the new default theme $theme is missing or differs from NEW's"
	added_themes+=("$theme")
done
((${#added_themes[@]})) || die "NEW brings no theme that OLD lacks: the wp-content addition check would prove nothing"
say "new themes added: ${added_themes[*]}; wp-content entries added: $(wc -l < "$work/wp-content.new")"
# The database upgrade notice.
grep -qiE 'upgrade\.php|database' "$work/upgrade.log" \
	|| die "wp-init upgrade did not say that the database upgrade runs at the next admin visit (wp-admin/upgrade.php)"
phase_end

phase_start "the --json report"
json_flat "$work/upgrade.json" "$work/upgrade.flat"
j=$work/upgrade.flat
[[ $(jval "$j" status) == $'string\tupgraded' ]] || die "status is '$(jval "$j" status)', want upgraded"
if [[ -n $new_digest ]]; then
	[[ $(jval "$j" source_digest) == $'string\t'"$new_digest" ]] || die "source_digest is '$(jval "$j" source_digest)', want $new_digest"
	if [[ $source_kind == registry ]]; then
		[[ $(jval "$j" image_digest) == $'string\tsha256:'* && $(jval "$j" image_digest) != *"$new_digest" ]] \
			|| die "image_digest is '$(jval "$j" image_digest)', want the platform's manifest (not the index $new_digest)"
	fi
fi
[[ $(jval "$j" from) == $'string\t'"$old_version" ]] || die "from is '$(jval "$j" from)', want \"$old_version\""
[[ $(jval "$j" to) == $'string\t'"$new_version" ]] || die "to is '$(jval "$j" to)', want \"$new_version\""
[[ $(jval "$j" db_version_from) == $'int\t'"$old_db" ]] || die "db_version_from is '$(jval "$j" db_version_from)', want $old_db"
[[ $(jval "$j" db_version_to) == $'int\t'"$new_db" ]] || die "db_version_to is '$(jval "$j" db_version_to)', want $new_db"
for key in replaced added removed; do
	[[ $(jtype "$j" "$key") == list ]] || die "\"$key\" is not a list (type '$(jtype "$j" "$key")')"
	jpaths "$j" "$key" > "$work/json.$key"
done
# The install report's fields are all there: at the top level, or in an "install" object.
ins=""
[[ $(jtype "$j" install) == object ]] && ins=install.
missing_keys=$(LC_ALL=C comm -23 <(jkeys "$work/install.flat") \
	<({ jkeys "$j"; awk -F'\t' '$1 ~ /^install\.[^.[]*$/ { sub(/^install\./, "", $1); print $1 }' "$j"; } | LC_ALL=C sort -u) | paste -sd' ')
[[ -z $missing_keys ]] || die "the upgrade report lacks the install report's fields: $missing_keys"
[[ -z $ins ]] || say "the install report's fields are in an \"install\" object (host fields at the top level)"
[[ $(jval "$j" "${ins}config.action") == $'string\tkept-existing' ]] \
	|| die "${ins}config.action is '$(jval "$j" "${ins}config.action")', want kept-existing (wp-config.php exists)"
# removed: non-empty, each gone, each a core path that TARGET had and NEW lacks; every stale
# path reported (itself or a directory above it).
[[ -s $work/json.removed ]] || die "\"removed\" is empty; $(wc -l < "$work/stale") stale core paths were expected"
while IFS= read -r p; do
	[[ $p == wp-admin/* || $p == wp-includes/* ]] || die "removed lists '$p', which is not under wp-admin/ or wp-includes/"
	[[ ! -e $target/$p && ! -L $target/$p ]] || die "removed lists '$p', but it still exists"
	grep -qxF "$p" "$work/stale" || die "removed lists '$p', which was not a stale core path"
done < "$work/json.removed"
uncovered "$work/json.removed" < "$work/stale" > "$work/stale.unreported"
[[ ! -s $work/stale.unreported ]] \
	|| die "stale core paths removed but not reported ($work/stale.unreported): $(head -n 5 "$work/stale.unreported")"
# replaced and added: each now exists in TARGET; nothing of the user's in them; the new
# themes among the added; nothing listed that TARGET had in wp-content.
for key in replaced added; do
	while IFS= read -r p; do
		[[ -e $target/$p || -L $target/$p ]] || die "$key lists '$p', which is not in TARGET"
		[[ -e $new/$p || -L $new/$p ]] || die "$key lists '$p', which NEW does not have"
		case $p in
			wp-config.php | wp-config-docker.php | .htaccess) die "$key lists $p, which upgrade leaves alone" ;;
		esac
		[[ $p != wp-content/* ]] || ! grep -qxF "${p#wp-content/}" "$work/wp-content.before.paths" \
			|| die "$key lists '$p', which TARGET already had in wp-content"
	done < "$work/json.$key"
done
# (The new themes: the directory itself, or each file and symlink in it.)
for theme in "${added_themes[@]}"; do
	unreported=$( (cd "$new" && find "wp-content/themes/$theme" ! -type d) | uncovered "$work/json.added" | head -n 3)
	[[ -z $unreported ]] || die "added does not report the new theme wp-content/themes/$theme: $unreported are not listed"
done
n_replaced=$(wc -l < "$work/json.replaced") n_added=$(wc -l < "$work/json.added") n_removed=$(wc -l < "$work/json.removed")
say "report: replaced $n_replaced, added $n_added, removed $n_removed paths ($(wc -l < "$work/stale") stale core paths)"
# The dry run planned what the real run did.
for key in replaced added removed; do
	jpaths "$work/upgrade-dry.flat" "$key" > "$work/json-dry.$key"
	cmp -s "$work/json-dry.$key" "$work/json.$key" \
		|| die "dry run's \"$key\" ($(wc -l < "$work/json-dry.$key") paths) differs from the real run's ($n_replaced/$n_added/$n_removed): $(diff "$work/json-dry.$key" "$work/json.$key" | head -n 4)"
done
for key in from to db_version_from db_version_to; do
	[[ $(jval "$work/upgrade-dry.flat" "$key") == "$(jval "$j" "$key")" ]] || die "dry run's $key differs from the real run's"
done
phase_end

# --- 4. WordPress's database upgrade -----------------------------------------------------------
phase_start "WordPress database upgrade, front page, dashboard ($new_version)"
php_server_start "$target" "$work/php-server.2.log" "${vars[@]}"
base="http://127.0.0.1:$php_port"
[[ $(db_version_in_db) == "$old_db" ]] || die "db_version changed before WordPress's upgrade ran"
# The admin sends everyone to upgrade.php while the database is older than the code.
status=$(http GET "$base/wp-admin/" "$work/admin-pre.html" -D "$work/admin-pre.headers")
location=$(awk 'tolower($1) == "location:" { print $2 }' "$work/admin-pre.headers" | tr -d '\r')
[[ $status == 302 && $location == *wp-admin/upgrade.php* ]] \
	|| die "GET /wp-admin/ before the database upgrade: HTTP $status to '$location', want a 302 to wp-admin/upgrade.php"
status=$(http GET "$base/wp-admin/upgrade.php" "$work/upgrade0.html")
[[ $status == 200 ]] || die "GET wp-admin/upgrade.php: HTTP $status"
grep -q 'Database Update Required' "$work/upgrade0.html" || die "upgrade.php does not ask for a database update: $(text_of "$work/upgrade0.html")"
step1=$(grep -o 'href="upgrade\.php?step=1[^"]*"' "$work/upgrade0.html" | head -n1 | sed -e 's/^href="//' -e 's/"$//' -e 's/&amp;/\&/g')
[[ -n $step1 ]] || die "upgrade.php has no 'Update WordPress Database' link (step=1)"
status=$(http GET "$base/wp-admin/$step1" "$work/upgrade1.html")
[[ $status == 200 ]] || die "GET wp-admin/$step1: HTTP $status"
grep -q 'Update Complete' "$work/upgrade1.html" || die "the database update did not complete: $(text_of "$work/upgrade1.html")"
[[ $(db_version_in_db) == "$new_db" ]] || die "db_version in the options table is '$(db_version_in_db)', want NEW's \$wp_db_version $new_db"
status=$(http GET "$base/" "$work/front.2.html")
[[ $status == 200 ]] || die "GET / after the upgrade: HTTP $status"
grep -q 'Hello world!' "$work/front.2.html" || die "front page after the upgrade does not show 'Hello world!'"
# A fresh login (6.8 checks the password hash 6.1 stored) and the dashboard of the new core.
wp_login "$base" "$work/cookies.2.txt" "$work"
wp_dashboard "$base" "$work/cookies.2.txt" "$work"
# (Its assets carry the running version; the footer's "Version X" would become "Get Version Y"
# wherever api.wordpress.org is reachable and offers a newer one.)
grep -qF "ver=$new_version" "$work/dashboard.html" || die "the dashboard's assets do not carry ver=$new_version"
service_stop "$php_pid"
for f in "${user_files[@]}"; do
	[[ $(file_id "$f") == "${user_id[$f]}" ]] || die "$f changed while WordPress $new_version served the site"
done
phase_end

# --- 5. up to date; downgrade refused ----------------------------------------------------------
phase_start "wp-init upgrade again (up to date) and back to $old_version (refused)"
state "$target" > "$work/before-again.state"
run_wp_init "$work/upgrade-again.log" "${vars[@]}" -- upgrade --json "${new_src[@]}" --target "$target" > "$work/upgrade-again.json"
((wp_init_rc == 0)) || die "wp-init upgrade to the same version exited $wp_init_rc, want 0"
json_flat "$work/upgrade-again.json" "$work/upgrade-again.flat"
[[ $(jval "$work/upgrade-again.flat" status) == $'string\tup-to-date' ]] \
	|| die "same version: status is '$(jval "$work/upgrade-again.flat" status)', want up-to-date"
assert_unchanged "$work/before-again.state" "$target" "wp-init upgrade to the same version"
run_wp_init "$work/downgrade.log" "${vars[@]}" -- upgrade "${old_src[@]}" --target "$target" > "$work/downgrade.out"
((wp_init_rc == 3)) || die "wp-init upgrade to the older $old_version exited $wp_init_rc, want 3 (refused)"
assert_unchanged "$work/before-again.state" "$target" "the refused downgrade"
phase_end

# --- 6. verify ---------------------------------------------------------------------------------
phase_start "wp-init verify, clean and tampered"
run_wp_init "$work/verify.log" -- verify "${new_src[@]}" --target "$target" > "$work/verify.out"
((wp_init_rc == 0)) || die "wp-init verify after the upgrade exited $wp_init_rc, want 0: $(head -n 5 "$work/verify.out" "$work/verify.log")"
verify_us=$wp_init_us
run_wp_init "$work/verify-json.log" -- verify --json "${new_src[@]}" --target "$target" > "$work/verify.json"
((wp_init_rc == 0)) || die "wp-init verify --json after the upgrade exited $wp_init_rc, want 0"
json_flat "$work/verify.json" "$work/verify.flat"
for key in modified missing extra; do
	[[ $(jtype "$work/verify.flat" "$key") == list ]] || die "verify --json: \"$key\" is not a list"
	[[ -z $(jpaths "$work/verify.flat" "$key") ]] || die "verify --json on a clean tree: $key = $(jpaths "$work/verify.flat" "$key" | head -n 3 | paste -sd' ')"
done
assert_unchanged "$work/before-again.state" "$target" "wp-init verify"
# Tamper: one core file modified, one deleted, one injected.
t_modified=wp-includes/functions.php t_missing=wp-admin/about.php t_extra=wp-includes/evil.php
[[ -f $target/$t_modified && -f $target/$t_missing && ! -e $target/$t_extra ]] || die "tamper targets not as expected"
printf '\n// tampered by the e2e test\n' >> "$target/$t_modified"
rm "$target/$t_missing"
# shellcheck disable=SC2016 # PHP code, not shell
printf '<?php eval($_GET["x"]);\n' > "$target/$t_extra"
run_wp_init "$work/verify-bad.log" -- verify "${new_src[@]}" --target "$target" > "$work/verify-bad.out"
((wp_init_rc == 1)) || die "wp-init verify on a tampered tree exited $wp_init_rc, want 1"
for p in "$t_modified" "$t_missing" "$t_extra"; do
	grep -qF "$p" "$work/verify-bad.out" "$work/verify-bad.log" || die "wp-init verify's human output does not name $p"
done
run_wp_init "$work/verify-bad-json.log" -- verify --json "${new_src[@]}" --target "$target" > "$work/verify-bad.json"
((wp_init_rc == 1)) || die "wp-init verify --json on a tampered tree exited $wp_init_rc, want 1"
json_flat "$work/verify-bad.json" "$work/verify-bad.flat"
for pair in "modified:$t_modified" "missing:$t_missing" "extra:$t_extra"; do
	key=${pair%%:*} want=${pair#*:}
	got=$(jpaths "$work/verify-bad.flat" "$key" | paste -sd' ')
	[[ $got == "$want" ]] || die "verify --json: $key = [$got], want exactly [$want]"
	# Counts, where the report has them (e.g. "modified_count" or "counts": {"modified": N}).
	for ck in "${key}_count" "counts.$key" "count.$key" "n_$key"; do
		c=$(jval "$work/verify-bad.flat" "$ck")
		[[ -z $c || $c == $'int\t1' ]] || die "verify --json: $ck is '$c', want 1"
	done
done
say "verify --json on the tampered tree: $(awk -F'\t' '$2 != "list" && $1 !~ /\[\]/ { printf "%s=%s ", $1, $3 }' "$work/verify-bad.flat")"
phase_end

# --- 7. timing ----------------------------------------------------------------------------------
median() { LC_ALL=C sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
# core_hashes DIR: SHA-256 of DIR's core files (the root files but wp-config-docker.php,
# .htaccess and wp-config.php; everything under wp-admin/ and wp-includes/), sorted by path.
core_hashes() {
	(
		cd "$1"
		{
			find . -mindepth 1 -maxdepth 1 -type f ! -name wp-config-docker.php ! -name .htaccess ! -name wp-config.php ! -name .wp-init-core -printf '%P\0'
			find wp-admin wp-includes -type f -print0
		} | LC_ALL=C sort -z | xargs -0 sha256sum
	)
}
if ((bench_runs > 0)); then
	phase_start "timing: tar pipe and sha256sum next to upgrade and verify ($bench_runs runs each)"
	# Undo the tampering: verify is timed on a clean tree.
	cp -p "$new/$t_modified" "$target/$t_modified"
	cp -p "$new/$t_missing" "$target/$t_missing"
	rm "$target/$t_extra"
	for f in tar tar-over verify sha; do : > "$work/bench.$f"; done
	# Each side starts after a sync, so that none pays for writing back another's dirty pages;
	# the page cache stays warm. The copies are removed after the loop (rm -rf of a tree costs
	# seconds here: the file system is mounted with discard).
	for ((i = 1; i <= bench_runs; i++)); do
		mkdir "$work/bench-t$i"
		sync
		t0=$(now_us)
		tar -C "$new" -cf - . | tar -C "$work/bench-t$i" -xf -
		printf '%s\n' "$(($(now_us) - t0))" >> "$work/bench.tar"
		if [[ ${WP_E2E_BENCH_INPLACE:-} == 1 ]]; then
			# The same job as the upgrade for tar, not atomic: NEW over a fresh OLD install (tar
			# unlinks and rewrites each existing file; nothing stale is removed).
			mkdir "$work/bench-o$i"
			run_wp_init "$work/bench-o$i.log" -- install --source "$old" --target "$work/bench-o$i" 2>/dev/null >/dev/null
			((wp_init_rc == 0)) || die "wp-init install (timing run $i) exited $wp_init_rc"
			sync
			t0=$(now_us)
			tar -C "$new" -cf - . | tar -C "$work/bench-o$i" -xf -
			printf '%s\n' "$(($(now_us) - t0))" >> "$work/bench.tar-over"
		fi
		sync
		run_wp_init "$work/bench-v$i.log" -- verify --source "$new" --target "$target" 2>/dev/null >/dev/null
		((wp_init_rc == 0)) || die "wp-init verify (timing run $i) exited $wp_init_rc"
		printf '%s\n' "$wp_init_us" >> "$work/bench.verify"
		t0=$(now_us)
		diff <(core_hashes "$new") <(core_hashes "$target") >/dev/null || die "sha256sum: the core files differ"
		printf '%s\n' "$(($(now_us) - t0))" >> "$work/bench.sha"
	done
	declare -A med=()
	for f in tar tar-over verify sha; do [[ -s $work/bench.$f ]] && med[$f]=$(median < "$work/bench.$f"); done
	core_files=$(core_hashes "$new" | wc -l)
	rm -rf "$work"/bench-[to]*
	phase_end
fi

ok=1
phase_report
say "OLD: wordpress $old_version, NEW: wordpress $new_version ($new_files files)"
say "upgrade report: replaced $n_replaced, added $n_added, removed $n_removed paths;" \
	"the real upgrade took $(fmt_us "$upgrade_us")s, the first verify $(fmt_us "$verify_us")s"
if ((bench_runs > 0)); then
	ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
	runs() { while read -r v; do printf '%s ' "$(fmt_us "$v")"; done < "$work/bench.$1"; }
	say "timing (warm page cache; shell: median of $bench_runs; load average $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) cores):"
	row() { printf '  %-34s %9s   %-46s %9s %6s\n' "$@" >&2; }
	row "wp-init" "" "shell" "" "ratio"
	row "upgrade $old_version -> $new_version (the real one)" "$(fmt_us "$upgrade_us")s" "tar -cf - NEW | tar -xf - (fresh dir)" \
		"$(fmt_us "${med[tar]}")s" "$(ratio "$upgrade_us" "${med[tar]}")"
	if [[ -n ${med[tar-over]:-} ]]; then
		row "" "" "tar -cf - NEW | tar -xf - (over OLD, in place)" \
			"$(fmt_us "${med[tar-over]}")s" "$(ratio "$upgrade_us" "${med[tar-over]}")"
	fi
	row "verify ($core_files core files; median)" "$(fmt_us "${med[verify]}")s" "sha256sum of both trees | diff" \
		"$(fmt_us "${med[sha]}")s" "$(ratio "${med[verify]}" "${med[sha]}")"
	say "  tar, fresh dir runs (s):   $(runs tar)"
	[[ -z ${med[tar-over]:-} ]] || say "  tar, over OLD runs (s):    $(runs tar-over)"
	say "  verify runs (s):           $(runs verify)"
	say "  sha256sum runs (s):        $(runs sha)"
fi
say "all checks passed in $(fmt_us $(($(now_us) - t_start)))s"
