#!/usr/bin/env bash
# Throwaway PostgreSQL 15 + PostGIS cluster on a free loopback port.
#   .ci/pg.sh start   -> prints the database URL on stdout
#   .ci/pg.sh stop
set -euo pipefail
PGBIN=/usr/lib/postgresql/15/bin
PGDATA=${PGDATA:-/tmp/envmon-pgtest}
case "${1:-}" in
  start)
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    rm -rf "$PGDATA"; mkdir -p "$PGDATA"; chown postgres:postgres "$PGDATA"
    runuser -u postgres -- "$PGBIN/initdb" -D "$PGDATA" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
    runuser -u postgres -- "$PGBIN/pg_ctl" -D "$PGDATA" -l "$PGDATA/server.log" -w \
      -o "-p $port -k $PGDATA -c listen_addresses=127.0.0.1 -c fsync=off" start >/dev/null
    psql -q -h 127.0.0.1 -p "$port" -U postgres -v ON_ERROR_STOP=1 -c "CREATE DATABASE envmon_test" >/dev/null
    psql -q -h 127.0.0.1 -p "$port" -U postgres -d envmon_test -v ON_ERROR_STOP=1 \
      -c "CREATE EXTENSION postgis" >/dev/null
    echo "postgresql+psycopg://postgres@127.0.0.1:$port/envmon_test"
    ;;
  stop)
    runuser -u postgres -- "$PGBIN/pg_ctl" -D "$PGDATA" stop -m fast >/dev/null 2>&1 || true
    ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
