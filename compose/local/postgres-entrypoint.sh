#!/bin/sh
# The parts of the official postgres image's entrypoint dinerush uses: a first start runs initdb with
# POSTGRES_USER/POSTGRES_PASSWORD (UTF8, as the official image) and the *.sql of /docker-entrypoint-initdb.d on a socket-only server; then
# the server runs as PID 1 (setpriv execs, so SIGQUIT/SIGTERM reach postgres itself). It listens on
# POSTGRES_LISTEN_ADDRESSES (default 127.0.0.1: these images are for host-network tests) at $PGPORT (or 5432).
set -eu
[ "${1:-postgres}" = postgres ] || exec "$@"
shift || true
as_pg() { setpriv --reuid=postgres --regid=postgres --init-groups "$@"; }
user=${POSTGRES_USER:-postgres}
mkdir -p "$PGDATA" && chown postgres:postgres "$PGDATA" && chmod 700 "$PGDATA"
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  pwfile=$(mktemp) && printf '%s\n' "${POSTGRES_PASSWORD:?set POSTGRES_PASSWORD}" > "$pwfile" && chown postgres "$pwfile"
  as_pg initdb -D "$PGDATA" -U "$user" --pwfile="$pwfile" --encoding=UTF8 --locale=C.UTF-8 --auth-host=scram-sha-256 --auth-local=trust >/dev/null
  rm -f "$pwfile"
  as_pg pg_ctl -D "$PGDATA" -o "-c listen_addresses='' -k /tmp" -w start >/dev/null
  for f in /docker-entrypoint-initdb.d/*.sql; do
    [ -e "$f" ] && as_pg psql -v ON_ERROR_STOP=1 -q -h /tmp -U "$user" -d postgres -f "$f"
  done
  as_pg pg_ctl -D "$PGDATA" -m fast -w stop >/dev/null
  echo "docker-entrypoint: initialised $PGDATA"
fi
exec setpriv --reuid=postgres --regid=postgres --init-groups \
  postgres -D "$PGDATA" -c listen_addresses="${POSTGRES_LISTEN_ADDRESSES:-127.0.0.1}" -k /tmp "$@"
