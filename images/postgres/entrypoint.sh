#!/bin/sh
# Entry point of iterbench's locally built PostgreSQL image. Like the
# official image it honours POSTGRES_USER, POSTGRES_PASSWORD and POSTGRES_DB,
# initialises the data folder on first start and passes its arguments on to
# postgres ("postgres -c fsync=off", or just "-c fsync=off").
set -eu
: "${PGDATA:=/var/lib/postgresql/data}"
: "${POSTGRES_USER:=postgres}"
: "${POSTGRES_DB:=$POSTGRES_USER}"

if [ "${1:-}" = postgres ]; then
	shift
fi

if [ ! -s "$PGDATA/PG_VERSION" ]; then
	auth=trust
	pwopt=""
	if [ -n "${POSTGRES_PASSWORD:-}" ]; then
		auth=scram-sha-256
		printf '%s\n' "$POSTGRES_PASSWORD" >/tmp/pgpass
		pwopt=--pwfile=/tmp/pgpass
	fi
	initdb -D "$PGDATA" --username="$POSTGRES_USER" $pwopt --encoding=UTF8 --locale=C.UTF-8 \
		--auth-local=trust --auth-host="$auth" >/dev/null
	rm -f /tmp/pgpass
	echo "host all all all $auth" >>"$PGDATA/pg_hba.conf"
	if [ "$POSTGRES_DB" != postgres ]; then
		echo "CREATE DATABASE \"$POSTGRES_DB\"" | postgres --single -D "$PGDATA" postgres >/dev/null
	fi
	echo "initialised $PGDATA for user $POSTGRES_USER, database $POSTGRES_DB"
fi

exec postgres -D "$PGDATA" -c listen_addresses='*' "$@"
