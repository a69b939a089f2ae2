#!/bin/sh
# The official mariadb image's start-up, reduced to what the Pod test uses: an empty data
# directory (an emptyDir) is initialised with MARIADB_DATABASE and a MARIADB_USER identified
# by MARIADB_PASSWORD, then mariadbd runs in the foreground on 127.0.0.1:3306.
set -eu
data=/var/lib/mysql/data
: "${MARIADB_DATABASE:?}" "${MARIADB_USER:?}" "${MARIADB_PASSWORD:?}"
if [ ! -d "$data/mysql" ]; then
	mkdir -p "$data"
	mariadb-install-db --no-defaults --datadir="$data" --auth-root-authentication-method=socket \
		--skip-test-db --skip-name-resolve >/dev/null
fi
sql_quote() { printf "'%s'" "$(printf '%s' "$1" | sed "s/\\\\/\\\\\\\\/g; s/'/''/g")"; }
init=/tmp/mariadb-init.sql
umask 077
cat >"$init" <<SQL
CREATE DATABASE IF NOT EXISTS \`$MARIADB_DATABASE\`;
CREATE USER IF NOT EXISTS $(sql_quote "$MARIADB_USER")@'127.0.0.1' IDENTIFIED BY $(sql_quote "$MARIADB_PASSWORD");
GRANT ALL ON \`$MARIADB_DATABASE\`.* TO $(sql_quote "$MARIADB_USER")@'127.0.0.1';
SQL
exec mariadbd --no-defaults --datadir="$data" --tmpdir=/tmp --socket=/tmp/mysqld.sock \
	--pid-file=/tmp/mysqld.pid --port=3306 --bind-address=127.0.0.1 --skip-name-resolve \
	--init-file="$init" --innodb-buffer-pool-size=64M --innodb-log-file-size=16M
