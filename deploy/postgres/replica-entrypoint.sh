#!/bin/sh
# docker-compose.yml's db-replica: the first time, copy the primary with pg_basebackup -R (a
# streaming replica, as deploy/topology.py makes one on one machine), then run PostgreSQL on it.
# Later starts find the copy and resume streaming. Runs as the postgres user.
set -eu
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  until pg_basebackup -h "$PRIMARY_HOST" -U "$PRIMARY_USER" -D "$PGDATA" -R -X stream -c fast; do
    echo "db-replica: the primary is not ready; trying again in 2 s" >&2
    rm -rf "${PGDATA:?}"/*
    sleep 2
  done
  chmod 700 "$PGDATA"
fi
exec postgres "$@"
