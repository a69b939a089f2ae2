#!/usr/bin/env bash
# run.sh WP_INIT_BIN — end-to-end proof of `wp-init install` on a real WordPress.
#
# 1. Installs what is missing (mariadb-server, php-cli, php-mysql, curl) with apt-get.
# 2. Builds (or reuses) an image-like SOURCE tree from Debian's wordpress package
#    (build-source.sh; cached per package version), with and without wp-config-docker.php.
# 3. Starts a throwaway MariaDB on 127.0.0.1 with a database per variant and a user with a
#    password.
# 4. For each variant — "fixture": SOURCE with tests/fixtures/wp-config-docker.php and a plain
#    WORDPRESS_DB_PASSWORD; "builtin": SOURCE without a template (wp-init's built-in one),
#    the password through WORDPRESS_DB_PASSWORD_FILE and a custom table prefix — it runs
#    `WP_INIT_BIN install --source SRC --target TARGET` into a fresh TARGET and checks the
#    copy (content, types, modes, mtimes, owner), wp-config.php (php -l, keys, the runtime
#    semantics via config-semantics.sh), a second run changing nothing; then serves TARGET
#    with `php -S` under the same WORDPRESS_* environment, installs WordPress through
#    wp-admin/install.php, and checks the front page ("Hello world!") and a login to the
#    dashboard.
# 5. Times `wp-init install` against a `tar | tar` copy of the same tree (median of N runs).
#
# Every failed check exits non-zero with a message saying what failed. Servers listen on
# 127.0.0.1 only and are stopped by PID on every exit path. Environment knobs:
#   WP_E2E_SOURCE=DIR     use DIR (a build-source.sh output) instead of the cache
#   WP_E2E_BENCH_RUNS=N   runs per side in the timing comparison (default 5; 0 skips it)
#   WP_E2E_KEEP=1         keep the work dir (it is always kept when a check fails)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
e2e_log_prefix=e2e
# shellcheck source-path=SCRIPTDIR
source "$here/lib.sh"

[[ $# == 1 ]] || { echo "usage: $0 WP_INIT_BIN" >&2; exit 2; }
wp_init=$1
[[ $wp_init == */* ]] && wp_init=$(cd "$(dirname "$wp_init")" && pwd)/$(basename "$wp_init")
[[ -x $wp_init && -f $wp_init ]] || die "wp-init binary not found or not executable: $1"
bench_runs=${WP_E2E_BENCH_RUNS:-5}

# Only the WORDPRESS_* variables each step sets may reach wp-init and PHP.
for name in ${!WORDPRESS_@}; do unset "$name"; done

t_start=$(now_us)
e2e_workdir wp-init-e2e

is_root=0
[[ $(id -u) == 0 ]] && is_root=1

# --- 1. packages ------------------------------------------------------------------------------
e2e_packages

# --- 2. source tree ---------------------------------------------------------------------------
phase_start "source tree (build-source.sh)"
src_root=$(bash "$here/build-source.sh" ${WP_E2E_SOURCE:+"$WP_E2E_SOURCE"} | tail -n1) \
	|| die "build-source.sh could not build the SOURCE tree (its error is above)"
[[ -d $src_root/with-template && -d $src_root/no-template ]] || die "build-source.sh gave no trees in '$src_root'"
tree_files=$(find "$src_root/with-template" -type f | wc -l)
tree_dirs=$(find "$src_root/with-template" -type d | wc -l)
tree_bytes=$(find "$src_root/with-template" -type f -printf '%s\n' | awk '{ s += $1 } END { print s }')
phase_end

# --- 3. MariaDB -------------------------------------------------------------------------------
phase_start "MariaDB start"
mariadb_start "$work/mariadb"
db_user=wpuser
# Quotes, $, a backslash, spaces and '#': wp-init never writes values, so none of this may matter.
db_password=$'e2e p@ss \'q\' "dq" $HOME \\ #1'
mariadb_sql "CREATE USER '$db_user'@'127.0.0.1' IDENTIFIED BY $(sql_string "$db_password");" \
	|| die "could not create the database user"
for db in wp_fixture wp_builtin; do
	mariadb_sql "CREATE DATABASE $db; GRANT ALL PRIVILEGES ON $db.* TO '$db_user'@'127.0.0.1';" \
		|| die "could not create database $db"
done
phase_end

# --- 4. the variants ----------------------------------------------------------------------------
declare -a summary=()

# run_variant NAME SOURCE DB PASSWORD_MODE(plain|file) TABLE_PREFIX
run_variant() {
	local name=$1 src=$2 db=$3 pw_mode=$4 prefix=$5
	local dir="$work/$name" target vars=() names jar
	e2e_log_prefix="e2e[$name]"
	mkdir -p "$dir/html"
	target="$dir/html"

	vars=("WORDPRESS_DB_HOST=127.0.0.1:$mariadb_port" "WORDPRESS_DB_USER=$db_user" "WORDPRESS_DB_NAME=$db")
	if [[ $pw_mode == file ]]; then
		# A secret file as editors and `kubectl create secret --from-file` leave it: CRLF at the end.
		printf '%s\r\n' "$db_password" > "$dir/db-password"
		vars+=("WORDPRESS_DB_PASSWORD_FILE=$dir/db-password")
	else
		vars+=("WORDPRESS_DB_PASSWORD=$db_password")
	fi
	[[ $prefix == wp_ ]] || vars+=("WORDPRESS_TABLE_PREFIX=$prefix")
	names=$(printf '%s\n' "${vars[@]%%=*}" | LC_ALL=C sort | paste -sd' ')

	# wp-init install
	phase_start "$name: wp-init install"
	run_wp_init "$dir/wp-init.log" "${vars[@]}" -- install --source "$src" --target "$target"
	((wp_init_rc == 0)) || die "wp-init install exited $wp_init_rc (log: $dir/wp-init.log)"
	say "wp-init install took $(fmt_us "$wp_init_us")s"
	summary+=("$name: wp-init install (copy + config) $(fmt_us "$wp_init_us")s")
	grep -qF "WordPress not found in $target - copying now..." "$dir/wp-init.log" \
		|| die "wp-init did not say 'WordPress not found in $target - copying now...'"
	grep -qF "Complete! WordPress has been successfully copied to $target" "$dir/wp-init.log" \
		|| die "wp-init did not print the 'Complete!' message"
	grep -qF "No 'wp-config.php' found in $target, but 'WORDPRESS_...' variables supplied; copying '" "$dir/wp-init.log" \
		|| die "wp-init did not announce the wp-config.php it wrote"
	grep -qF "($names)" "$dir/wp-init.log" || die "wp-init did not list the variable names ($names)"
	! grep -qF "$db_password" "$dir/wp-init.log" || die "wp-init printed the database password"
	phase_end

	phase_start "$name: checks on the copied tree"
	[[ -s $target/wp-config.php ]] || die "no wp-config.php in $target"
	# Same entries, types, modes and file mtimes as SOURCE, plus wp-config.php and, when
	# SOURCE has none, the empty wp-content/uploads mount point (0755).
	# wp-init's record of the core it installed (README, "Guarantees") is not SOURCE's.
	local extra="Only in $target: wp-config.php"$'\n'"Only in $target: .wp-init-core" skip='^wp-config\.php	|^\.wp-init-core	'
	if [[ ! -e $src/wp-content/uploads ]]; then
		skip+='|^wp-content/uploads	'
		[[ -d $target/wp-content/uploads && -z $(ls -A "$target/wp-content/uploads") ]] \
			|| die "no empty wp-content/uploads mount point in $target"
		[[ $(stat -c %a "$target/wp-content/uploads") == 755 ]] \
			|| die "wp-content/uploads has mode $(stat -c %a "$target/wp-content/uploads"), want 755"
		extra="Only in $target/wp-content: uploads"$'\n'"$extra"
	fi
	diff <(tree_listing "$src") <(tree_listing "$target" | grep -Ev "$skip") > "$dir/listing.diff" \
		|| die "TARGET's entries/types/modes/mtimes differ from SOURCE (see $dir/listing.diff): $(head -n 6 "$dir/listing.diff")"
	diff -rq --no-dereference "$src" "$target" > "$dir/content.diff" 2>&1 || true
	[[ $(sort "$dir/content.diff") == "$(sort <<<"$extra")" ]] \
		|| die "TARGET's content differs from SOURCE: $(head -n 6 "$dir/content.diff")"
	# Owner and config mode (README, "What the host adds": www-data as root; 0640, never readable by others).
	if ((is_root)); then
		for f in . index.php wp-includes/version.php wp-content/themes/twentytwentythree/style.css wp-config.php; do
			[[ $f == . ]] && continue # TARGET existed before: it keeps its owner
			[[ $(stat -c %U:%G "$target/$f") == www-data:www-data ]] \
				|| die "$f is owned by $(stat -c %U:%G "$target/$f"), want www-data:www-data"
		done
		[[ $(stat -c %a "$target/wp-config.php") == 640 ]] \
			|| die "wp-config.php has mode $(stat -c %a "$target/wp-config.php"), want 640"
	else
		[[ $(stat -c %a "$target/wp-config.php") == 640 ]] \
			|| die "wp-config.php has mode $(stat -c %a "$target/wp-config.php"), want 640"
	fi
	php -n -l "$target/wp-config.php" >/dev/null || die "php -l $target/wp-config.php failed"
	cp "$target/wp-config.php" "$work/wp-config.$name.php"
	bash "$here/config-semantics.sh" "$target/wp-config.php" "$name" \
		|| die "wp-config.php generated from the $name template does not behave like upstream's"
	# A second run finds WordPress installed and a non-empty wp-config.php: nothing changes.
	local before
	before=$(tree_listing "$target" | sha256sum)
	run_wp_init "$dir/wp-init.2.log" "${vars[@]}" -- install --source "$src" --target "$target"
	((wp_init_rc == 0)) || die "second wp-init install exited $wp_init_rc"
	! grep -q 'copying' "$dir/wp-init.2.log" || die "second wp-init install copied again"
	cmp -s "$target/wp-config.php" "$work/wp-config.$name.php" || die "second wp-init install changed wp-config.php"
	[[ $(tree_listing "$target" | sha256sum) == "$before" ]] || die "second wp-init install changed TARGET"
	phase_end

	# WordPress, for real.
	phase_start "$name: WordPress install, front page, login"
	php_server_start "$target" "$dir/php-server.log" "${vars[@]}"
	local base="http://127.0.0.1:$php_port"
	wp_web_install "$base" "$dir" "wp-init e2e ($name)"
	jar="$dir/cookies.txt"
	wp_login "$base" "$jar" "$dir"
	wp_dashboard "$base" "$jar" "$dir"
	# The environment reached WordPress at runtime: its tables carry the configured prefix.
	[[ $(mariadb_sql "SHOW TABLES FROM $db LIKE '${prefix//_/\\_}options';") == "${prefix}options" ]] \
		|| die "no ${prefix}options table in $db"
	service_stop "$php_pid"
	phase_end
	e2e_log_prefix=e2e
}

run_variant fixture "$src_root/with-template" wp_fixture plain wp_
run_variant builtin "$src_root/no-template" wp_builtin file wpb_
services_stop

# --- 5. timing: wp-init install vs tar | tar ------------------------------------------------------
median() { LC_ALL=C sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
if ((bench_runs > 0)); then
	phase_start "timing: wp-init install vs tar pipe ($bench_runs runs each)"
	bench_src="$src_root/with-template"
	: > "$work/bench.wp-init" && : > "$work/bench.tar"
	for ((i = 1; i <= bench_runs; i++)); do
		# Alternate the two so that neither gets a warmer cache; no WORDPRESS_* set: copy only.
		# sync first, so that neither pays for writing back the other's (or rm's) dirty pages.
		mkdir "$work/bench-w$i"
		sync
		run_wp_init "$work/bench-w$i.log" -- install --source "$bench_src" --target "$work/bench-w$i" 2>/dev/null
		((wp_init_rc == 0)) || die "wp-init install (timing run $i) exited $wp_init_rc"
		printf '%s\n' "$wp_init_us" >> "$work/bench.wp-init"
		rm -rf "$work/bench-w$i"
		mkdir "$work/bench-t$i"
		sync
		t0=$(now_us)
		tar -C "$bench_src" -cf - . | tar -C "$work/bench-t$i" -xf -
		printf '%s\n' "$(($(now_us) - t0))" >> "$work/bench.tar"
		rm -rf "$work/bench-t$i"
	done
	med_w=$(median < "$work/bench.wp-init")
	med_t=$(median < "$work/bench.tar")
	phase_end
fi

ok=1
phase_report
say "tree: wordpress from Debian, $tree_files files, $tree_dirs directories, $((tree_bytes / 1024)) KiB ($src_root)"
for line in "${summary[@]}"; do say "$line"; done
if ((bench_runs > 0)); then
	say "median of $bench_runs, copy into a fresh dir: wp-init install $(fmt_us "$med_w")s," \
		"tar | tar $(fmt_us "$med_t")s; wp-init/tar = $(awk -v a="$med_w" -v b="$med_t" 'BEGIN { printf "%.2f", a / b }')"
	say "  wp-init runs (s): $(while read -r v; do printf '%s ' "$(fmt_us "$v")"; done < "$work/bench.wp-init")"
	say "  tar runs (s):     $(while read -r v; do printf '%s ' "$(fmt_us "$v")"; done < "$work/bench.tar")"
fi
say "all checks passed in $(fmt_us $(($(now_us) - t_start)))s"
