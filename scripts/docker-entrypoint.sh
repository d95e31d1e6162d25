#!/bin/sh
# The web container's start: bring the schema and the knowledge base up to date (both are
# idempotent, so every start may run them), then hand over to the command (gunicorn).
set -eu
python manage.py migrate --noinput
python manage.py load_kb
exec "$@"
