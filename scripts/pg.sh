#!/usr/bin/env bash
# A throwaway PostgreSQL server for the test suite, run as a non-root user.
#
#   scripts/pg.sh start DIR   installs Debian's postgresql if missing, starts a server
#                             whose data lives in DIR, prints its SQLAlchemy URL
#   scripts/pg.sh stop DIR    stops it
set -euo pipefail
cmd=${1:?usage: pg.sh start|stop DIR}
dir=${2:?usage: pg.sh start|stop DIR}

find_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }

bin=$(find_bin)
if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "PostgreSQL is not installed and we are not root: apt-get install postgresql" >&2
    exit 3
  fi
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql) >&2
  bin=$(find_bin)
fi

# The server never runs as root: as root, use (and create) the user cfpg.
as_user() {
  if [ "$(id -u)" -eq 0 ]; then
    id cfpg >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin cfpg
    chown -R cfpg "$dir"
    runuser -u cfpg -- "$@"
  else
    "$@"
  fi
}

case "$cmd" in
  start)
    mkdir -p "$dir"
    chmod 700 "$dir"
    if [ ! -f "$dir/data/PG_VERSION" ]; then
      as_user "$bin/initdb" -D "$dir/data" -A trust -U postgres -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1
    fi
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    as_user "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
      -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=50" start >&2
    as_user "$bin/createdb" -h 127.0.0.1 -p "$port" -U postgres campaignflow
    echo "postgresql+psycopg://postgres@127.0.0.1:$port/campaignflow"
    ;;
  stop)
    [ -f "$dir/data/postmaster.pid" ] && as_user "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >&2 || true
    ;;
  *)
    echo "usage: pg.sh start|stop DIR" >&2
    exit 2
    ;;
esac
