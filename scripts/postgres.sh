#!/usr/bin/env bash
# Starts a throwaway PostgreSQL for the tests and prints its URL on the last
# line of output; `scripts/postgres.sh stop DIR` stops it. Runs initdb as the
# postgres user when run as root.
set -euo pipefail
bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
if [ "${1:-start}" = stop ]; then
  dir=$2
  cd /
  if [ "$(id -u)" -eq 0 ]; then su postgres -c "$bin/pg_ctl -D $dir/data -m immediate stop" >/dev/null; else "$bin/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null; fi
  rm -rf "$dir"
  exit 0
fi
dir=$(mktemp -d /tmp/livemall-pg.XXXXXX)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null || echo 54329)
cmds="$bin/initdb -D $dir/data -U postgres --auth=trust -E UTF8 >$dir/initdb.log 2>&1 &&
  $bin/pg_ctl -D $dir/data -o '-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=300' -l $dir/log -w start >/dev/null"
if [ "$(id -u)" -eq 0 ]; then
  chown postgres: "$dir"
  (cd / && su postgres -c "$cmds")
else
  sh -c "$cmds"
fi
echo "$dir"
echo "postgres://postgres@127.0.0.1:$port/postgres?sslmode=disable"
