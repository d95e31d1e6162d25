#!/usr/bin/env bash
# The production topology on one machine, without Docker (deploy/topology.py): nginx -> gunicorn
# -> PostgreSQL primary and streaming replica, and Redis, all on 127.0.0.1.
#   scripts/production.sh start [--dir DIR]     start it, leave it running, print its URL
#   scripts/production.sh env [--dir DIR]       its variables as export lines: eval "$(scripts/production.sh env)"
#   scripts/production.sh stop [--dir DIR]      stop it and remove what it made
#   scripts/production.sh run -- COMMAND...     start, run COMMAND with KB_URL and the rest set, stop
# Missing nginx, redis-server or PostgreSQL binaries are installed from Debian's packages.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x .venv/bin/python ] || scripts/venv.sh requirements.txt >/dev/null
exec .venv/bin/python -m deploy.topology "$@"
