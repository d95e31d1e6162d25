#!/usr/bin/env bash
# `make run`: install, migrate, load the knowledge base and serve it at http://127.0.0.1:$PORT
# (8000 by default) with Django's development server, debug on. DATABASE_URL picks the
# database; without it, db.sqlite3 in the checkout. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/venv.sh requirements.txt

export DJANGO_DEBUG=true
port=${PORT:-8000}
python=.venv/bin/python

"$python" manage.py migrate --noinput
"$python" manage.py load_kb
echo "Serving on http://127.0.0.1:$port/  (Ctrl-C stops)"
exec "$python" manage.py runserver "127.0.0.1:$port"
