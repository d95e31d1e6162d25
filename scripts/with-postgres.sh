#!/usr/bin/env bash
# Run a command against a throwaway PostgreSQL cluster, then remove the cluster, whatever the
# command's outcome:   scripts/with-postgres.sh .venv/bin/python -m pytest
# The cluster lives in a temporary directory, listens on 127.0.0.1 on a free port, trusts
# local connections, and is reached through DATABASE_URL. As root it runs as the `postgres`
# user (the server refuses root). Missing binaries are installed from Debian's packages.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)

find_bindir() {
  local initdb
  for initdb in $(ls -d /usr/lib/postgresql/*/bin/initdb 2>/dev/null | sort -V -r) $(command -v initdb || true); do
    if [ -x "$initdb" ]; then
      dirname "$initdb"
      return 0
    fi
  done
  return 1
}

bindir=$(find_bindir) || {
  "$here/system-deps.sh" postgresql
  bindir=$(find_bindir) || { echo "PostgreSQL's initdb is still not found after installing postgresql." >&2; exit 1; }
}

as_server=()
if [ "$(id -u)" -eq 0 ]; then
  id postgres >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin postgres
  as_server=(runuser -u postgres --)
fi

# Under /tmp, not $TMPDIR, which may sit in a home directory the postgres user cannot enter.
cluster=$(mktemp -d /tmp/kb-postgres.XXXXXX)
data="$cluster/data"
stop_and_remove() {
  if [ -f "$data/postmaster.pid" ]; then
    "${as_server[@]}" "$bindir/pg_ctl" -D "$data" -m immediate stop >/dev/null 2>&1 || true
  fi
  rm -rf "$cluster"
}
trap stop_and_remove EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
[ ${#as_server[@]} -eq 0 ] || chown postgres: "$cluster"

"${as_server[@]}" "$bindir/initdb" -D "$data" -U postgres --auth=trust -E UTF8 --no-locale --no-sync \
  >"$cluster/initdb.log" 2>&1 || { cat "$cluster/initdb.log" >&2; exit 1; }

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# The server settings of production (docker-compose.yml, deploy/topology.py): the default 128 MB
# of shared buffers holds less than the positions table at 200,000 positions (docs/scaling.md).
shared_buffers=1GB

# A free port can be taken between asking and listening: try a few.
for attempt in 1 2 3; do
  port=$(free_port)
  # Durability is worth nothing in a cluster thrown away after the run; speed is.
  if "${as_server[@]}" "$bindir/pg_ctl" -D "$data" -l "$cluster/server.log" -w -t 60 -o \
    "-c port=$port -c listen_addresses=127.0.0.1 -c unix_socket_directories=$cluster -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c shared_buffers=$shared_buffers" \
    start >/dev/null; then
    break
  fi
  [ "$attempt" -lt 3 ] || { tail -n 20 "$cluster/server.log" >&2; echo "PostgreSQL did not start." >&2; exit 1; }
done

echo "Throwaway PostgreSQL $("$bindir/postgres" --version | awk '{print $3}') on 127.0.0.1:$port ($cluster)"
export DATABASE_URL="postgres://postgres@127.0.0.1:$port/postgres"
status=0
"$@" || status=$?
exit "$status"
