#!/bin/sh
# Entry point of iterbench's locally built MariaDB image. Like the official
# image it honours MARIADB_ROOT_PASSWORD, MARIADB_DATABASE, MARIADB_USER and
# MARIADB_PASSWORD (or their MYSQL_ names), initialises the data folder on
# first start and passes its arguments on to mariadbd.
set -eu
datadir=/var/lib/mysql
socket=/run/mysqld/mysqld.sock
root_pw=${MARIADB_ROOT_PASSWORD:-${MYSQL_ROOT_PASSWORD:-}}
db=${MARIADB_DATABASE:-${MYSQL_DATABASE:-}}
user=${MARIADB_USER:-${MYSQL_USER:-}}
pw=${MARIADB_PASSWORD:-${MYSQL_PASSWORD:-}}

case "${1:-}" in
mariadbd | mysqld) shift ;;
esac
for arg in "$@"; do
	case "$arg" in
	--datadir=*) datadir=${arg#--datadir=} ;;
	esac
done

if [ ! -d "$datadir/mysql" ]; then
	mariadb-install-db --datadir="$datadir" --skip-test-db --auth-root-authentication-method=normal >/dev/null
	mariadbd --datadir="$datadir" --skip-networking --socket="$socket" >/tmp/init.log 2>&1 &
	pid=$!
	i=0
	until mariadb-admin --socket="$socket" -uroot ping >/dev/null 2>&1; do
		i=$((i + 1))
		if [ "$i" -gt 600 ]; then
			cat /tmp/init.log >&2
			exit 1
		fi
		sleep 0.1
	done
	{
		echo "DROP USER IF EXISTS ''@'localhost';"
		if [ -n "$root_pw" ]; then
			echo "CREATE USER 'root'@'%' IDENTIFIED BY '$root_pw';"
			echo "GRANT ALL ON *.* TO 'root'@'%' WITH GRANT OPTION;"
			echo "ALTER USER 'root'@'localhost' IDENTIFIED BY '$root_pw';"
		fi
		if [ -n "$db" ]; then
			echo "CREATE DATABASE IF NOT EXISTS \`$db\`;"
		fi
		if [ -n "$user" ]; then
			echo "CREATE USER '$user'@'%' IDENTIFIED BY '$pw';"
			if [ -n "$db" ]; then
				echo "GRANT ALL ON \`$db\`.* TO '$user'@'%';"
			fi
		fi
	} | mariadb --socket="$socket" -uroot
	kill "$pid"
	wait "$pid" || true
	echo "initialised $datadir (database ${db:-none}, user ${user:-none})"
fi

exec mariadbd --datadir="$datadir" --socket="$socket" --bind-address=0.0.0.0 --port=3306 --skip-name-resolve "$@"
