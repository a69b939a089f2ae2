#!/usr/bin/env bash
# config-semantics.sh WP_CONFIG_PHP [LABEL] — check a generated wp-config.php against the
# runtime semantics of the official image's template (`wp-config-docker.php` in
# docker-library/wordpress; tests/fixtures/wp-config-docker.php lists them), on real PHP.
#
# The file is copied into a scratch dir next to a stub wp-settings.php that does nothing;
# config-semantics.php loads it and prints the resulting constants, $table_prefix and
# $_SERVER['HTTPS'] as JSON. Each case below runs it under `env -i` with only the given
# WORDPRESS_* variables and checks fields of that JSON. Cases: defaults when unset;
# set-but-empty values honoured; plain values verbatim; `_FILE` wins over the plain variable
# and loses trailing CR/LF only; `_FILE` that is "" or "0" is ignored; an unreadable `_FILE`
# gives ""; WORDPRESS_CONFIG_EXTRA (and its _FILE) is evaluated after $table_prefix is set;
# WORDPRESS_DEBUG truthiness; X-Forwarded-Proto containing "https" sets HTTPS; loading the
# file twice (WP-CLI) works. It also checks the eight keys/salts written into the file.
# Exit status 0 when every check passes; otherwise the failures are listed.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
config=${1:?usage: config-semantics.sh WP_CONFIG_PHP [LABEL]}
label=${2:-$config}
[[ -s $config ]] || { echo "config-semantics: no such file: $config" >&2; exit 2; }
command -v php >/dev/null || { echo "config-semantics: php not found (package php-cli)" >&2; exit 2; }

scratch=$(mktemp -d "${TMPDIR:-/tmp}/wp-init-e2e-config.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
dir="$scratch/site"
mkdir "$dir"
cp "$config" "$dir/wp-config.php"
printf '<?php\n// Stub for the config-semantics test: WordPress itself is not loaded.\n' > "$dir/wp-settings.php"
dir=$(cd "$dir" && pwd -P)

failures=0 cases=0
fail() {
	printf 'config-semantics [%s]: FAILED: %s\n' "$label" "$*" >&2
	failures=$((failures + 1))
}

# The eight key/salt lines: each default must be a fresh 64-character value, all distinct.
keys=(AUTH_KEY SECURE_AUTH_KEY LOGGED_IN_KEY NONCE_KEY AUTH_SALT SECURE_AUTH_SALT LOGGED_IN_SALT NONCE_SALT)
declare -A key_default=()
for key in "${keys[@]}"; do
	line=$(grep -E "getenv_docker\( *'WORDPRESS_${key}' *," "$config" || true)
	[[ $(printf '%s' "$line" | grep -c .) == 1 ]] || { fail "expected exactly one line for $key"; continue; }
	value=$(printf '%s\n' "$line" | sed -E "s/.*getenv_docker\( *'WORDPRESS_${key}' *, *'([^']*)' *\).*/\1/")
	[[ $value != "$line" ]] || { fail "cannot read the default of $key from: $line"; continue; }
	[[ $value != *'put your unique phrase here'* ]] || fail "$key still has the placeholder"
	((${#value} == 64)) || fail "$key default is ${#value} characters, want 64: $value"
	[[ $value != *\\* ]] || fail "$key default contains a backslash"
	key_default[$key]=$value
done
grep -q 'put your unique phrase here' "$config" && fail "the placeholder phrase is still in the file"
if [[ $(printf '%s\n' "${key_default[@]}" | sort -u | wc -l) != 8 ]]; then
	fail "the 8 key/salt defaults are not distinct"
fi

# run_case NAME [php-options...] -- [VAR=VALUE...] -- [FIELD=JSON...]
# Loads the config with exactly those variables and checks each FIELD against the JSON value.
run_case() {
	local name=$1 opts=() vars=() checks=() out err
	shift
	while (($#)) && [[ $1 != -- ]]; do opts+=("$1"); shift; done
	shift
	while (($#)) && [[ $1 != -- ]]; do vars+=("$1"); shift; done
	shift
	checks=("$@")
	cases=$((cases + 1))
	case_stderr=""
	if ! out=$(env -i PATH="$PATH" "${vars[@]}" php -n -d display_errors=stderr -d error_reporting=-1 \
		"$here/config-semantics.php" "$dir" "${opts[@]}" 2>"$scratch/stderr"); then
		fail "$name: loading the config failed: $(cat "$scratch/stderr")"
		return
	fi
	err=$(cat "$scratch/stderr")
	printf '%s' "$out" > "$scratch/out.json"
	# Compare decoded values strictly (types too); print one line per mismatch.
	local bad
	bad=$(php -n -r '
		$got = json_decode(file_get_contents($argv[1]), true);
		foreach (array_slice($argv, 2) as $check) {
			list($field, $want) = explode("=", $check, 2);
			if (!array_key_exists($field, $got)) { echo "$field: missing from output\n"; continue; }
			if ($got[$field] !== json_decode($want, true)) {
				echo "$field = ", json_encode($got[$field], JSON_UNESCAPED_SLASHES), ", want $want\n";
			}
		}' "$scratch/out.json" "${checks[@]}")
	if [[ -n $bad ]]; then
		while IFS= read -r line; do fail "$name: $line"; done <<<"$bad"
		[[ -z $err ]] || printf '  (php stderr: %s)\n' "$err" >&2
	fi
	case_stderr=$err
}

# json STRING: STRING as a JSON string literal.
json() { php -n -r 'echo json_encode($argv[1], JSON_UNESCAPED_SLASHES);' -- "$1"; }

# 1. Nothing set: the template's defaults, and the random key defaults from the file.
key_checks=()
for key in "${keys[@]}"; do key_checks+=("$key=$(json "${key_default[$key]:-}")"); done
run_case "defaults" -- -- \
	'DB_NAME="wordpress"' 'DB_USER="example username"' 'DB_PASSWORD="example password"' \
	'DB_HOST="mysql"' 'DB_CHARSET="utf8mb4"' 'DB_COLLATE=""' 'table_prefix="wp_"' \
	'WP_DEBUG=false' 'HTTPS=null' 'E2E_EXTRA=null' "ABSPATH=$(json "$dir/")" \
	'getenv_docker_defined=true' "${key_checks[@]}"

# 2. Set but empty: honoured, not replaced by the default.
run_case "set-but-empty" -- \
	WORDPRESS_DB_NAME= WORDPRESS_DB_USER= WORDPRESS_DB_PASSWORD= WORDPRESS_DB_HOST= \
	WORDPRESS_DB_CHARSET= WORDPRESS_TABLE_PREFIX= WORDPRESS_AUTH_KEY= WORDPRESS_NONCE_SALT= -- \
	'DB_NAME=""' 'DB_USER=""' 'DB_PASSWORD=""' 'DB_HOST=""' 'DB_CHARSET=""' 'table_prefix=""' \
	'AUTH_KEY=""' 'NONCE_SALT=""' "SECURE_AUTH_KEY=$(json "${key_default[SECURE_AUTH_KEY]:-}")"

# 3. Plain values are used verbatim: no trimming of spaces or newlines, quotes and $ intact.
odd=$' it\'s "odd" $HOME \\n\t\r\n'
run_case "plain verbatim" -- \
	"WORDPRESS_DB_PASSWORD=$odd" WORDPRESS_DB_HOST=db.example:3307 WORDPRESS_DB_COLLATE=utf8mb4_bin \
	WORDPRESS_TABLE_PREFIX=site2_ WORDPRESS_LOGGED_IN_SALT=from-env -- \
	"DB_PASSWORD=$(json "$odd")" 'DB_HOST="db.example:3307"' 'DB_COLLATE="utf8mb4_bin"' \
	'table_prefix="site2_"' 'LOGGED_IN_SALT="from-env"'

# 4. _FILE wins over the plain variable and loses trailing CR/LF only.
printf '  s3cret \t\r\n\r\n' > "$scratch/password"
printf 'line1\nline2\n' > "$scratch/user"
printf 'dbfromfile' > "$scratch/name"
printf '\r\n\n' > "$scratch/onlynewlines"
run_case "_FILE wins, trailing CR/LF trimmed" -- \
	WORDPRESS_DB_PASSWORD=plain "WORDPRESS_DB_PASSWORD_FILE=$scratch/password" \
	"WORDPRESS_DB_USER_FILE=$scratch/user" \
	WORDPRESS_DB_NAME=plain "WORDPRESS_DB_NAME_FILE=$scratch/name" \
	"WORDPRESS_AUTH_KEY_FILE=$scratch/onlynewlines" -- \
	"DB_PASSWORD=$(json $'  s3cret \t')" "DB_USER=$(json $'line1\nline2')" \
	'DB_NAME="dbfromfile"' 'AUTH_KEY=""'

# 5. A _FILE that is empty or "0" is not truthy: the plain variable (or default) applies.
run_case "_FILE empty or 0 ignored" -- \
	WORDPRESS_DB_PASSWORD=plain WORDPRESS_DB_PASSWORD_FILE= \
	WORDPRESS_DB_USER=someone WORDPRESS_DB_USER_FILE=0 WORDPRESS_DB_HOST_FILE= -- \
	'DB_PASSWORD="plain"' 'DB_USER="someone"' 'DB_HOST="mysql"'

# 6. An unreadable _FILE gives "" (with a PHP warning), never the plain value or the default.
run_case "_FILE unreadable" -- \
	WORDPRESS_DB_PASSWORD=plain "WORDPRESS_DB_PASSWORD_FILE=$scratch/does-not-exist" -- \
	'DB_PASSWORD=""'
[[ $case_stderr == *file_get_contents* ]] || fail "_FILE unreadable: expected a PHP warning, got: $case_stderr"

# 7. WORDPRESS_CONFIG_EXTRA is eval'd, after $table_prefix is set; its _FILE form works too.
run_case "CONFIG_EXTRA" -- \
	"WORDPRESS_CONFIG_EXTRA=define('E2E_EXTRA', 'evaluated'); \$table_prefix = 'extra_';" \
	WORDPRESS_TABLE_PREFIX=env_ -- \
	'E2E_EXTRA="evaluated"' 'table_prefix="extra_"'
printf "define( 'E2E_EXTRA', DB_NAME . ' from file' );\n" > "$scratch/extra.php"
run_case "CONFIG_EXTRA_FILE" -- \
	"WORDPRESS_CONFIG_EXTRA_FILE=$scratch/extra.php" WORDPRESS_DB_NAME=db1 -- \
	'E2E_EXTRA="db1 from file"'
run_case "CONFIG_EXTRA falsy (0) not run" -- WORDPRESS_CONFIG_EXTRA=0 -- 'E2E_EXTRA=null'

# 8. WORDPRESS_DEBUG is PHP truthiness: "" and "0" are false; "false" and "no" are true.
for value in "" 0; do
	run_case "DEBUG='$value'" -- "WORDPRESS_DEBUG=$value" -- 'WP_DEBUG=false'
done
for value in 1 false no true; do
	run_case "DEBUG='$value'" -- "WORDPRESS_DEBUG=$value" -- 'WP_DEBUG=true'
done

# 9. X-Forwarded-Proto containing "https" anywhere sets $_SERVER['HTTPS'] = 'on'.
for value in https "http, https" xhttpsx; do
	run_case "X-Forwarded-Proto '$value'" "--forwarded-proto=$value" -- -- 'HTTPS="on"'
done
for value in http HTTPS ""; do
	run_case "X-Forwarded-Proto '$value'" "--forwarded-proto=$value" -- -- 'HTTPS=null'
done

# 10. Loaded twice, as WP-CLI does: getenv_docker() must not be redeclared.
run_case "loaded twice" --load-twice -- WORDPRESS_DB_NAME=twice -- 'DB_NAME="twice"'

if ((failures)); then
	printf 'config-semantics [%s]: %d check(s) failed in %d cases\n' "$label" "$failures" "$cases" >&2
	exit 1
fi
printf 'config-semantics [%s]: all %d cases passed\n' "$label" "$cases" >&2
