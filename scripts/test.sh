#!/usr/bin/env bash
# `make test`: install what the tests need, then run the whole suite twice, on SQLite and on
# PostgreSQL, and fail if either leg fails. Both legs always run and print pytest's summary.
#   scripts/test.sh [pytest arguments...]       e.g. scripts/test.sh -k healthz -x
# PostgreSQL: the server DATABASE_URL names when it is set (its user must be allowed to create
# the test database), otherwise a throwaway cluster (scripts/with-postgres.sh).
set -uo pipefail
cd "$(dirname "$0")/.."

scripts/venv.sh requirements-test.txt || exit 1

# System packages the suite needs beyond Python ones, installed from Debian's packages when
# missing (a throwaway PostgreSQL's binaries are handled by scripts/with-postgres.sh).
SYSTEM_PACKAGES=()
if [ ${#SYSTEM_PACKAGES[@]} -gt 0 ]; then
  scripts/system-deps.sh "${SYSTEM_PACKAGES[@]}" || exit 1
fi
# Chromium, which the browser tests (tests/browser/) drive through Playwright. Without it the
# rest of the suite still runs: each browser test is skipped, its reason in pytest's summary.
BROWSER_PACKAGES=(chromium)
if ! scripts/system-deps.sh "${BROWSER_PACKAGES[@]}"; then
  echo "WARNING: ${BROWSER_PACKAGES[*]} could not be installed: the browser tests will be skipped." >&2
fi
# nginx and Redis, which the production-topology tests run (deploy/topology.py: nginx -> gunicorn
# -> PostgreSQL primary and replica, Redis). Without them those tests are skipped, each saying
# what is missing; the rest of the suite runs.
TOPOLOGY_PACKAGES=(nginx redis-server)
if ! scripts/system-deps.sh "${TOPOLOGY_PACKAGES[@]}"; then
  echo "WARNING: ${TOPOLOGY_PACKAGES[*]} could not be installed: the production-topology tests will be skipped." >&2
fi

# The house style is checked before any test runs: a formatting or lint error fails the run.
echo "== ruff =="
.venv/bin/ruff format --check --quiet . && .venv/bin/ruff check --quiet . || {
  echo "ruff: run '.venv/bin/ruff format . && .venv/bin/ruff check --fix .' and commit the result." >&2
  exit 1
}

reports=$(mktemp -d)
trap 'rm -rf "$reports"' EXIT
pytest=(.venv/bin/python -m pytest -p no:cacheprovider "$@")
failed_legs=()

# run_leg NAME REPORT COMMAND...: run one leg, note its failure; pytest's exit 5 (no test
# collected) is a failure too: a leg that tested nothing proves nothing.
run_leg() {
  local name=$1 report=$2 status=0
  shift 2
  echo
  echo "== $name =="
  "$@" --junitxml="$report" || status=$?
  case $status in
    0) ;;
    5) echo "$name: no test was collected." >&2; failed_legs+=("$name") ;;
    *) failed_legs+=("$name") ;;
  esac
}

# The browser tests run in the PostgreSQL leg only: production's database, where the admin
# searches with full-text search, and a live server with a connection per thread. So do the tests
# that start the production topology (nginx, gunicorn, a primary and a replica, Redis): once is
# enough. In this leg both are skipped, the reason shown in the summary.
run_leg "SQLite" "$reports/sqlite.xml" env -u DATABASE_URL \
  SKIP_BROWSER_TESTS="browser tests run in the PostgreSQL leg of make test" \
  SKIP_TOPOLOGY_TESTS="production-topology tests run in the PostgreSQL leg of make test" "${pytest[@]}"

if [ -n "${DATABASE_URL:-}" ]; then
  case $DATABASE_URL in
    postgres://* | postgresql://* | pgsql://*)
      # The URL may carry a password: show only where it points.
      server=${DATABASE_URL#*://}; server=${server#*@}; server=${server%%/*}
      echo
      echo "PostgreSQL from DATABASE_URL ($server)"
      run_leg "PostgreSQL" "$reports/postgresql.xml" "${pytest[@]}"
      ;;
    *)
      echo
      echo "== PostgreSQL =="
      echo "DATABASE_URL is set but is not a PostgreSQL URL (postgres://user:password@host:port/name)." >&2
      failed_legs+=("PostgreSQL")
      ;;
  esac
else
  run_leg "PostgreSQL" "$reports/postgresql.xml" scripts/with-postgres.sh "${pytest[@]}"
fi

# One closing line for both legs together, counted from the legs' JUnit reports.
echo
echo "== SQLite + PostgreSQL =="
.venv/bin/python - "$reports"/*.xml <<'PY'
import sys
import xml.etree.ElementTree as ET

tests = failed = skipped = 0
for path in sys.argv[1:]:
    try:
        root = ET.parse(path).getroot()
    except (OSError, ET.ParseError):
        continue
    for suite in root.iter("testsuite"):
        tests += int(suite.get("tests", 0))
        failed += int(suite.get("failures", 0)) + int(suite.get("errors", 0))
        skipped += int(suite.get("skipped", 0))
print(f"{tests - failed - skipped} passed, {failed} failed, {skipped} skipped")
PY

if [ ${#failed_legs[@]} -gt 0 ]; then
  echo "Failed: ${failed_legs[*]}" >&2
  exit 1
fi
