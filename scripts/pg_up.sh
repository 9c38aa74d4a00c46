#!/bin/sh
# A throwaway PostgreSQL cluster on 127.0.0.1:55432 for the tests, when none runs on :5432. Prints its URL.
set -eu
BASE=${PG_BASE:-/tmp/steward-pg}
PORT=${PG_PORT:-55432}
PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
if ! runuser -u postgres -- "$PGBIN/pg_ctl" -D "$BASE/data" status >/dev/null 2>&1; then
    rm -rf "$BASE"; mkdir -p "$BASE"; chown postgres:postgres "$BASE"
    runuser -u postgres -- "$PGBIN/initdb" -D "$BASE/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
    runuser -u postgres -- "$PGBIN/pg_ctl" -D "$BASE/data" -l "$BASE/pg.log" -w \
        -o "-c listen_addresses=127.0.0.1 -p $PORT -k $BASE -c fsync=off" start >/dev/null
    runuser -u postgres -- "$PGBIN/createdb" -h 127.0.0.1 -p "$PORT" -U postgres test
fi
echo "postgresql+psycopg://postgres@127.0.0.1:$PORT/test"
