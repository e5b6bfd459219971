#!/usr/bin/env bash
# Runs a command against a throw-away PostgreSQL server started here and stopped afterwards.
# Sets COOPZONE_TEST_DATABASE_URL for the command. Fails loudly if no server can be started.
set -euo pipefail
bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[ -x "$bindir/initdb" ] || { echo "ERROR: no PostgreSQL server found (run scripts/install-system-deps.sh)" >&2; exit 1; }
port=${COOPZONE_TEST_PG_PORT:-55432}
dir=$(mktemp -d /tmp/coopzone-pg.XXXXXX)
run=()
if [ "$(id -u)" -eq 0 ]; then
  chown postgres: "$dir"
  run=(runuser -u postgres --)
fi
"${run[@]}" "$bindir/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 >/dev/null
"${run[@]}" "$bindir/pg_ctl" -D "$dir/data" -l "$dir/log" -w \
  -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" start >/dev/null
cleanup() { "${run[@]}" "$bindir/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null || true; rm -rf "$dir"; }
trap cleanup EXIT
"$bindir/psql" -h 127.0.0.1 -p "$port" -U postgres -qc "CREATE DATABASE coopzone_test" >/dev/null
export COOPZONE_TEST_DATABASE_URL="postgresql+psycopg://postgres@127.0.0.1:$port/coopzone_test"
echo "PostgreSQL $("$bindir/postgres" --version | awk '{print $3}') on port $port"
"$@"
