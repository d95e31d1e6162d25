#!/bin/sh
# docker-compose.yml's db (the primary), run once when its data directory is made: let the
# replica (db-replica) stream from it, as the kb user (a superuser), with its password.
set -eu
echo "host replication ${POSTGRES_USER} all scram-sha-256" >> "$PGDATA/pg_hba.conf"
