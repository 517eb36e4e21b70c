#!/bin/sh
# Initialises the cluster on first start (user and database POSTGRES_USER / POSTGRES_DB, password
# POSTGRES_PASSWORD, scram-sha-256 from any address; the socket inside the container is trusted), then
# runs the server in the foreground as postgres (it gets the container's stop signal directly).
set -eu
user=${POSTGRES_USER:-argus}
db=${POSTGRES_DB:-argus}
: "${POSTGRES_PASSWORD:?POSTGRES_PASSWORD must be set}"
bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
as_pg() { runuser -u postgres -- "$@"; }
mkdir -p "$PGDATA" /run/postgresql
chown -R postgres:postgres "$PGDATA" /run/postgresql
chmod 700 "$PGDATA"
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  pw=$(mktemp)
  printf '%s\n' "$POSTGRES_PASSWORD" >"$pw"
  chown postgres "$pw"
  as_pg "$bin/initdb" -D "$PGDATA" -U "$user" --pwfile="$pw" --auth-local=trust --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 >/dev/null
  rm -f "$pw"
  printf 'host all all 0.0.0.0/0 scram-sha-256\nhost all all ::/0 scram-sha-256\n' >>"$PGDATA/pg_hba.conf"
  if [ "$db" != postgres ]; then
    # A server on the socket only, to create the database, stopped before the real start.
    as_pg "$bin/pg_ctl" -D "$PGDATA" -o "-c listen_addresses= -k /run/postgresql" -w -s start
    as_pg "$bin/psql" -h /run/postgresql -U "$user" -d postgres -v ON_ERROR_STOP=1 -q -c "CREATE DATABASE \"$db\""
    as_pg "$bin/pg_ctl" -D "$PGDATA" -w -s stop
  fi
  echo "postgres-entrypoint: initialised $PGDATA (user $user, database $db)"
fi
exec runuser -u postgres -- "$bin/postgres" -D "$PGDATA" -c listen_addresses='*' -k /run/postgresql
