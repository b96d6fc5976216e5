#!/usr/bin/env bash
# A simulated province on loopback, as issue 13 asks: 180 courts (179 nodes) syncing at once
# through two `hub serve` replicas on one PostgreSQL, then checked for anything lost, duplicated
# or forked (`courtsync bench province` exits non-zero if so).
# The PostgreSQL is a private cluster made here in a temporary directory with Debian's
# `postgresql` package (initdb, pg_ctl; as the postgres user when run as root) and stopped at exit.
# Usage: bash scripts/province.sh path/to/courtsync [bench province options; default --courts 180 --replicas 2]
set -euo pipefail
bin=${1:?usage: scripts/province.sh path/to/courtsync [bench province options]}
shift
bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
if [ -z "$bindir" ] || [ ! -x "$bindir/initdb" ]; then
  echo "province: PostgreSQL is not installed: apt-get install postgresql" >&2
  exit 1
fi
work=$(mktemp -d /tmp/courtsync-province.XXXXXX)
as=()
if [ "$(id -u)" = 0 ]; then
  chown postgres:postgres "$work"   # PostgreSQL refuses to run as root
  as=(runuser -u postgres --)
fi
port=$((30000 + RANDOM % 20000))
stop() {
  "${as[@]}" "$bindir/pg_ctl" -D "$work/data" -m immediate -w stop >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap stop EXIT
"${as[@]}" "$bindir/initdb" -D "$work/data" --auth=trust -U postgres -E UTF8 >"$work/initdb.log" 2>&1 \
  || { cat "$work/initdb.log" >&2; exit 1; }
"${as[@]}" "$bindir/pg_ctl" -D "$work/data" -l "$work/server.log" -w -t 60 \
  -o "-c listen_addresses=127.0.0.1 -p $port -c unix_socket_directories=$work -c max_connections=200" start >/dev/null \
  || { cat "$work/server.log" >&2; exit 1; }
"$bindir/psql" -X -q -v ON_ERROR_STOP=1 -d "postgres://postgres@127.0.0.1:$port/postgres" -c "CREATE DATABASE province"
if [ $# -eq 0 ]; then set -- --courts 180 --replicas 2; fi
"$bin" bench province --database "postgres://postgres@127.0.0.1:$port/province" "$@"
