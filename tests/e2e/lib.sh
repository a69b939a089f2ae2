# shellcheck shell=bash
# lib.sh — helpers for the end-to-end scripts, sourced by run.sh (not run on its own).
#
#   say / die / phase_start / phase_end   messages and per-phase timing (stderr)
#   ensure_packages PKG...                apt-get install what is missing; fails loudly
#   free_port                             a free TCP port on 127.0.0.1
#   mariadb_start DIR / mariadb_sql SQL   a throwaway MariaDB on 127.0.0.1 (data, socket in DIR)
#   php_server_start DOCROOT LOG VAR=VAL… `php -S 127.0.0.1:PORT` with exactly that environment
#   services_stop                         stop everything started here (also run from the trap)
#   http METHOD URL OUT [curl args…]      print the HTTP status; body in OUT
#   tree_listing DIR                      entries with type, mode and (files) mtime, sorted
#   run_wp_init LOG VAR=VAL… -- ARGS…     run $wp_init with exactly those WORDPRESS_* variables
#   wp_web_install BASE DIR TITLE         WordPress's web installer (user admin), then the front page
#   wp_login BASE JAR DIR                 log in as admin; cookies in JAR
#
# Every server is started in the background, remembered by PID, bound to 127.0.0.1 only, and
# stopped (TERM, wait, then KILL) by services_stop, which the caller's EXIT/INT/TERM trap runs.
# php -S runs with worker processes in a process group of its own, stopped as a group.

e2e_log_prefix=${e2e_log_prefix:-e2e}
say() { printf '%s: %s\n' "$e2e_log_prefix" "$*" >&2; }
die() {
	printf '%s: FAILED: %s\n' "$e2e_log_prefix" "$*" >&2
	exit 1
}

# Microseconds since the epoch (bash 5).
now_us() { local t=${EPOCHREALTIME/[.,]/}; printf '%s\n' "$((10#$t))"; }
# fmt_us N: N microseconds as seconds with 2 decimals.
fmt_us() { printf '%d.%02d' "$(($1 / 1000000))" "$((($1 % 1000000) / 10000))"; }

declare -a e2e_phase_report=()
phase_name="" phase_t0=0
phase_start() {
	phase_name=$1
	phase_t0=$(now_us)
	say "--- $phase_name"
}
phase_end() {
	local dt=$(($(now_us) - phase_t0))
	e2e_phase_report+=("$(printf '%8ss  %s' "$(fmt_us "$dt")" "$phase_name")")
	say "--- $phase_name: $(fmt_us "$dt")s"
}
phase_report() {
	local line
	say "time per phase:"
	for line in "${e2e_phase_report[@]}"; do printf '%s\n' "  $line" >&2; done
}

# ensure_packages PKG...: install the Debian packages that are not installed yet.
ensure_packages() {
	local missing=() pkg
	for pkg in "$@"; do
		[[ $(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null) == 'install ok installed' ]] || missing+=("$pkg")
	done
	((${#missing[@]})) || return 0
	if [[ $(id -u) != 0 ]]; then
		die "missing Debian packages: ${missing[*]} (run as root, or: apt-get install ${missing[*]})"
	fi
	say "installing Debian packages: ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq >&2 || die "apt-get update failed (needed to install ${missing[*]})"
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2 \
		|| die "apt-get install ${missing[*]} failed"
}

# e2e_packages: the "packages" phase both e2e scripts start with: MariaDB, PHP with mysqli,
# curl, and the tools the checks use.
e2e_packages() {
	phase_start "packages"
	ensure_packages mariadb-server mariadb-client php-cli php-mysql curl
	local tool
	for tool in php curl mariadb mariadb-admin mariadb-install-db tar diff sha256sum; do
		command -v "$tool" >/dev/null || die "'$tool' not found after installing packages"
	done
	php -r 'exit(extension_loaded("mysqli") ? 0 : 1);' || die "PHP has no mysqli extension (package php-mysql)"
	phase_end
}

# free_port: print a TCP port that is free on 127.0.0.1 right now.
free_port() {
	if command -v python3 >/dev/null; then
		python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
		return
	fi
	local port
	for _ in $(seq 1 100); do
		port=$((20000 + RANDOM % 40000))
		# Nothing answers there (connection refused): take it.
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
			printf '%s\n' "$port"
			return
		fi
	done
	die "no free port found on 127.0.0.1"
}

declare -a e2e_service_pids=()
declare -A e2e_service_names=() e2e_service_groups=()
# service_track PID NAME [group]: remember a service; "group": PID leads a process group of its own.
service_track() {
	e2e_service_pids+=("$1")
	e2e_service_names[$1]=$2
	e2e_service_groups[$1]=${3:-}
}

# stop_pid PID: TERM (to its process group if it has one of its own), wait up to 10 s, then
# KILL; reap it.
stop_pid() {
	local pid=$1 i dest=$1
	[[ ${e2e_service_groups[$pid]:-} == group ]] && dest=-$pid
	if kill -0 -- "$dest" 2>/dev/null; then
		kill -TERM -- "$dest" 2>/dev/null || true
		for i in $(seq 1 100); do
			kill -0 -- "$dest" 2>/dev/null || break
			sleep 0.1
		done
		if kill -0 -- "$dest" 2>/dev/null; then
			say "${e2e_service_names[$pid]:-process} $pid did not stop on TERM; killing it"
			kill -KILL -- "$dest" 2>/dev/null || true
		fi
	fi
	wait "$pid" 2>/dev/null || true
}

# service_stop PID: stop one tracked service and forget it.
service_stop() {
	local pid=$1 p keep=()
	stop_pid "$pid"
	for p in "${e2e_service_pids[@]}"; do [[ $p == "$pid" ]] || keep+=("$p"); done
	e2e_service_pids=("${keep[@]}")
}

# e2e_workdir NAME: makes $work, a scratch dir under $TMPDIR, and sets the traps: on every
# exit the services are stopped; $work is removed when the script set ok=1 (and
# WP_E2E_KEEP is not 1), else kept for diagnosis.
e2e_workdir() {
	work=$(mktemp -d "${TMPDIR:-/tmp}/$1.XXXXXX")
	ok=0
	trap e2e_cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
}

e2e_cleanup() {
	services_stop
	if ((ok)) && [[ ${WP_E2E_KEEP:-} != 1 ]]; then
		rm -rf "$work"
	else
		say "work dir kept: $work"
	fi
}

services_stop() {
	local i
	# Newest first (the web servers before the database).
	for ((i = ${#e2e_service_pids[@]} - 1; i >= 0; i--)); do
		stop_pid "${e2e_service_pids[i]}"
	done
	e2e_service_pids=()
}

# wait_until SECONDS PID CMD...: poll CMD every 0.1 s; fail if PID dies or time runs out.
wait_until() {
	local secs=$1 pid=$2 i
	shift 2
	for ((i = 0; i < secs * 10; i++)); do
		"$@" >/dev/null 2>&1 && return 0
		kill -0 "$pid" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}

# --- MariaDB --------------------------------------------------------------------------------
mariadb_dir="" mariadb_port="" mariadb_pid=""

# mariadb_start DIR: initialise a data dir in DIR and start mariadbd on 127.0.0.1:$mariadb_port.
# root@localhost gets no password and is reachable only through the socket in DIR; the test
# creates its own password-protected user for WordPress.
mariadb_start() {
	mariadb_dir=$1
	local daemon user_opt=() log="$1/mariadbd.log"
	# /usr/sbin may not be on a non-root PATH.
	for daemon in "$(command -v mariadbd)" "$(command -v mysqld)" /usr/sbin/mariadbd /usr/sbin/mysqld ""; do
		[[ -n $daemon && -x $daemon ]] && break
	done
	[[ -n $daemon ]] || die "mariadbd not found (package mariadb-server)"
	# mariadbd refuses to run as root unless told to; as another user it runs as that user.
	[[ $(id -u) == 0 ]] && user_opt=(--user=root)
	mkdir -p "$mariadb_dir/data" "$mariadb_dir/tmp"
	mariadb-install-db --no-defaults --datadir="$mariadb_dir/data" "${user_opt[@]}" \
		--auth-root-authentication-method=normal --skip-test-db >"$mariadb_dir/install-db.log" 2>&1 \
		|| { tail -n 30 "$mariadb_dir/install-db.log" >&2; die "mariadb-install-db failed"; }
	mariadb_port=$(free_port)
	"$daemon" --no-defaults "${user_opt[@]}" --datadir="$mariadb_dir/data" --tmpdir="$mariadb_dir/tmp" \
		--socket="$mariadb_dir/mysqld.sock" --pid-file="$mariadb_dir/mysqld.pid" \
		--port="$mariadb_port" --bind-address=127.0.0.1 --skip-name-resolve \
		--log-error="$log" --innodb-buffer-pool-size=64M --innodb-log-file-size=16M \
		</dev/null >>"$log" 2>&1 &
	mariadb_pid=$!
	service_track "$mariadb_pid" mariadbd
	if ! wait_until 60 "$mariadb_pid" mariadb-admin --no-defaults --socket="$mariadb_dir/mysqld.sock" -uroot ping; then
		tail -n 30 "$log" >&2
		die "MariaDB did not come up on 127.0.0.1:$mariadb_port (log above: $log)"
	fi
	say "MariaDB up on 127.0.0.1:$mariadb_port (pid $mariadb_pid)"
}

# mariadb_sql SQL: run SQL as root through the socket; prints tab-separated rows.
mariadb_sql() {
	mariadb --no-defaults --socket="$mariadb_dir/mysqld.sock" -uroot --batch --skip-column-names -e "$1"
}

# sql_string VALUE: VALUE as a single-quoted SQL string literal.
sql_string() {
	local v=${1//\\/\\\\}
	printf "'%s'" "${v//\'/\'\'}"
}

# --- php -S -----------------------------------------------------------------------------------
php_port="" php_pid=""

# php_server_start DOCROOT LOG [VAR=VALUE...]: serve DOCROOT with exactly the given environment
# (plus PATH), so WordPress sees what wp-init was given and nothing else. The port is
# $php_server_port when set (a site keeps the URL it was installed under: WordPress redirects
# every other one to it), else a free one.
# Several workers: WordPress makes loopback requests to itself (the permalink test during
# install, wp-cron and its HTTPS check), which a single-process php -S can only answer after a
# 5-10 s timeout each. The workers outlive a TERM sent to the parent alone, so php -S gets a
# process group of its own (setsid) and is stopped as a group.
php_server_start() {
	local docroot=$1 log=$2
	shift 2
	php_port=${php_server_port:-$(free_port)}
	# In a background job of a non-interactive shell, setsid creates the session and execs:
	# $! is php's PID, and the new process group's ID.
	setsid env -i PATH="$PATH" PHP_CLI_SERVER_WORKERS=4 "$@" \
		php -d display_errors=stderr -d log_errors=0 -S "127.0.0.1:$php_port" -t "$docroot" \
		</dev/null >"$log" 2>&1 &
	php_pid=$!
	service_track "$php_pid" "php -S" group
	sleep 0.1
	[[ $(awk '{ print $5 }' "/proc/$php_pid/stat" 2>/dev/null) == "$php_pid" ]] \
		|| die "php -S (pid $php_pid) did not get a process group of its own"
	if ! wait_until 20 "$php_pid" curl -s -o /dev/null "http://127.0.0.1:$php_port/readme.html"; then
		tail -n 30 "$log" >&2
		die "php -S did not come up on 127.0.0.1:$php_port (log: $log)"
	fi
	say "php -S serving $docroot on 127.0.0.1:$php_port (pid $php_pid)"
}

# --- WordPress over HTTP ---------------------------------------------------------------------
wp_admin_user=admin wp_admin_pass=e2e-admin-pass

# http METHOD URL OUTFILE [curl args...]: print the HTTP status; body in OUTFILE.
http() {
	local method=$1 url=$2 out=$3
	shift 3
	curl -sS --max-time 120 -X "$method" -o "$out" -w '%{http_code}' "$@" "$url" \
		|| die "curl $method $url failed"
}

# text_of FILE: an HTML file's text, tags removed, whitespace squeezed, at most 400 bytes.
text_of() { sed -e 's/<[^>]*>//g' "$1" | tr -s ' \n\t' ' ' | head -c 400; }

# wp_web_install BASE DIR TITLE: install WordPress at BASE through wp-admin/install.php (as a
# browser would: the language step, then step 2), then check that the front page shows the
# first post. Pages are kept in DIR.
wp_web_install() {
	local base=$1 dir=$2 title=$3 status
	status=$(http GET "$base/wp-admin/install.php" "$dir/install0.html")
	[[ $status == 200 ]] || die "GET /wp-admin/install.php: HTTP $status"
	status=$(http POST "$base/wp-admin/install.php?step=2" "$dir/install2.html" \
		--data-urlencode "weblog_title=$title" --data-urlencode "user_name=$wp_admin_user" \
		--data-urlencode "admin_password=$wp_admin_pass" --data-urlencode "admin_password2=$wp_admin_pass" \
		--data-urlencode "pw_weak=1" --data-urlencode "admin_email=admin@example.com" \
		--data-urlencode "blog_public=0" --data-urlencode "language=")
	[[ $status == 200 ]] || die "POST install.php?step=2: HTTP $status"
	grep -q 'Success!' "$dir/install2.html" || die "WordPress install did not succeed: $(text_of "$dir/install2.html")"
	status=$(http GET "$base/" "$dir/front.html")
	[[ $status == 200 ]] || die "GET /: HTTP $status"
	grep -q 'Hello world!' "$dir/front.html" || die "front page does not show 'Hello world!'"
}

# wp_login BASE JAR DIR: log in as the admin user (cookies in JAR); wp-login.php must answer
# with the 302 to the dashboard that a successful login gets.
wp_login() {
	local base=$1 jar=$2 dir=$3 status
	status=$(http GET "$base/wp-login.php" "$dir/login0.html" -c "$jar" -b "$jar")
	[[ $status == 200 ]] || die "GET /wp-login.php: HTTP $status"
	status=$(http POST "$base/wp-login.php" "$dir/login1.html" -c "$jar" -b "$jar" \
		--data-urlencode "log=$wp_admin_user" --data-urlencode "pwd=$wp_admin_pass" \
		--data-urlencode "wp-submit=Log In" --data-urlencode "redirect_to=$base/wp-admin/" \
		--data-urlencode "testcookie=1")
	[[ $status == 302 ]] || die "POST /wp-login.php: HTTP $status, want a 302 to the dashboard: $(text_of "$dir/login1.html")"
}

# wp_dashboard BASE JAR DIR: the dashboard, logged in, serves 200 and shows "Dashboard".
wp_dashboard() {
	local base=$1 jar=$2 dir=$3 status
	status=$(http GET "$base/wp-admin/" "$dir/dashboard.html" -c "$jar" -b "$jar")
	[[ $status == 200 ]] || die "GET /wp-admin/ after login: HTTP $status"
	grep -q '<h1>Dashboard</h1>' "$dir/dashboard.html" || die "wp-admin/ does not show the Dashboard: $(text_of "$dir/dashboard.html")"
}

# --- wp-init and trees -----------------------------------------------------------------------
# tree_listing DIR: one line per entry (path, type, mode, and mtime seconds for files).
tree_listing() {
	find "$1" -mindepth 1 -printf '%P\t%y\t%m\t%T@\n' \
		| awk -F'\t' '{ printf "%s\t%s\t%s\t%s\n", $1, $2, $3, ($2 == "f" ? int($4) : "-") }' \
		| LC_ALL=C sort
}

# run_wp_init LOG VAR=VALUE... -- ARGS...: run $wp_init (the caller sets it) with exactly these
# WORDPRESS_* variables; its stderr goes to LOG, then (indented) to ours; its stdout is ours.
# Sets wp_init_rc and wp_init_us (wall time in microseconds).
wp_init_rc=0 wp_init_us=0
# shellcheck disable=SC2034 # wp_init_rc and wp_init_us are read by the scripts sourcing this
run_wp_init() {
	local log=$1 vars=() t0
	shift
	while (($#)) && [[ $1 != -- ]]; do vars+=("$1"); shift; done
	shift
	t0=$(now_us)
	set +e
	env "${vars[@]}" "${wp_init:?}" "$@" 2>"$log"
	wp_init_rc=$?
	set -e
	wp_init_us=$(($(now_us) - t0))
	sed 's/^/  | /' "$log" >&2
}
