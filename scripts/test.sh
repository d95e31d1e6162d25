#!/usr/bin/env bash
# `make test`: install what the tests need, then run the whole suite twice, on SQLite and on
# PostgreSQL, and fail if either leg fails.
#   scripts/test.sh [pytest arguments...]       e.g. scripts/test.sh -k healthz -x
# PostgreSQL: the server DATABASE_URL names when it is set (its user must be allowed to create
# the test database), otherwise a throwaway cluster (scripts/with-postgres.sh).
#
# The two legs run at the same time where the machine allows: two cores or more, one of them
# idle over the last minute. Otherwise they run one after the other: on a busy machine the second
# leg would only share the first one's time (measured: no faster, see the README).
# TEST_LEGS=parallel or TEST_LEGS=serial decides instead. Each leg writes its output to a file of
# its own, printed whole when the leg ends: SQLite's first, then PostgreSQL's, each with its time.
# Then one line for both legs, and the time of the whole run.
set -uo pipefail
cd "$(dirname "$0")/.."
run_started=$(date +%s)

cores=$(nproc 2>/dev/null || echo 1)
load=0
[ -r /proc/loadavg ] && read -r load _ </proc/loadavg
case ${TEST_LEGS:-auto} in
  auto)
    if [ "$cores" -ge 2 ] && awk -v cores="$cores" -v load="$load" 'BEGIN { exit !(cores - load >= 1) }'; then
      mode=parallel
    else
      mode=serial
    fi
    ;;
  parallel | serial) mode=$TEST_LEGS ;;
  *) echo "TEST_LEGS must be parallel, serial or auto, not '$TEST_LEGS'." >&2; exit 2 ;;
esac

scripts/venv.sh requirements-test.txt || exit 1

# System packages the suite needs beyond Python ones, installed from Debian's packages when
# missing (a throwaway PostgreSQL's binaries are handled by scripts/with-postgres.sh).
SYSTEM_PACKAGES=(jq)  # the README's documented calls pipe their answers through it (tests/test_readme.py)
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
pytest=(.venv/bin/python -m pytest -p no:cacheprovider "$@")
failed_legs=()
legs=()

# Each leg runs in the background in a process group of its own (job control), so that an
# interruption stops all of it: pytest, and scripts/with-postgres.sh, which then removes its cluster.
declare -A leg_pid=()
stop_legs() {
  local pid
  for pid in "${leg_pid[@]}"; do
    kill -TERM -- "-$pid" 2>/dev/null || true
  done
  for pid in "${leg_pid[@]}"; do
    wait "$pid" 2>/dev/null || true
  done
}
trap 'rm -rf "$reports"' EXIT
trap 'stop_legs; exit 130' INT
trap 'stop_legs; exit 143' TERM

seconds_as_text() {
  local seconds=$1
  if [ "$seconds" -ge 60 ]; then
    echo "$((seconds / 60)) min $((seconds % 60)) s"
  else
    echo "$seconds s"
  fi
}

# run_leg NAME COMMAND...: run one leg to its log file, noting its exit status and its time.
run_leg() {
  local name=$1 started status=0
  shift
  started=$(date +%s)
  "$@" --junitxml="$reports/$name.xml" >"$reports/$name.log" 2>&1 </dev/null || status=$?
  echo "$status $(($(date +%s) - started))" >"$reports/$name.status"
}

# start_leg NAME COMMAND...: start a leg in the background; one after the other, wait for it and
# print it before the next starts.
start_leg() {
  local name=$1
  shift
  legs+=("$name")
  set -m
  run_leg "$name" "$@" &
  leg_pid[$name]=$!
  set +m
  [ "$mode" = parallel ] || finish_leg "$name"
}

# finish_leg NAME: wait for a leg, print its log whole, then its time; a failure is noted, and
# pytest's exit 5 (no test collected) is a failure too: a leg that tested nothing proves nothing.
declare -A leg_note=() finished=()
finish_leg() {
  local name=$1 status seconds
  [ -z "${finished[$name]:-}" ] || return 0
  finished[$name]=1
  if [ -n "${leg_pid[$name]:-}" ]; then
    wait "${leg_pid[$name]}" 2>/dev/null || true
    unset "leg_pid[$name]"
  fi
  [ -z "${leg_note[$name]:-}" ] || { echo; echo "${leg_note[$name]}"; }
  echo
  echo "== $name =="
  cat "$reports/$name.log"
  read -r status seconds <"$reports/$name.status" 2>/dev/null || { status=1 seconds=0; }
  echo "$name leg: $(seconds_as_text "$seconds")"
  case $status in
    0) ;;
    5) echo "$name: no test was collected." >&2; failed_legs+=("$name") ;;
    *) failed_legs+=("$name") ;;
  esac
}

if [ "$mode" = parallel ]; then
  echo "The SQLite and PostgreSQL legs run at the same time (TEST_LEGS=serial: one after the other)."
elif [ -z "${TEST_LEGS:-}" ] && [ "$cores" -ge 2 ]; then
  echo "The legs run one after the other: a load of $load on $cores cores leaves no core idle (TEST_LEGS=parallel: at the same time)."
fi

# The browser tests run in the PostgreSQL leg only: production's database, where the admin
# searches with full-text search, and a live server with a connection per thread. So do the tests
# that start the production topology (nginx, gunicorn, a primary and a replica, Redis): once is
# enough. In this leg both are skipped, the reason shown in the summary.
start_leg "SQLite" env -u DATABASE_URL \
  SKIP_BROWSER_TESTS="browser tests run in the PostgreSQL leg of make test" \
  SKIP_TOPOLOGY_TESTS="production-topology tests run in the PostgreSQL leg of make test" "${pytest[@]}"

if [ -n "${DATABASE_URL:-}" ]; then
  case $DATABASE_URL in
    postgres://* | postgresql://* | pgsql://*)
      # The URL may carry a password: show only where it points.
      server=${DATABASE_URL#*://}; server=${server#*@}; server=${server%%/*}
      leg_note[PostgreSQL]="PostgreSQL from DATABASE_URL ($server)"
      start_leg "PostgreSQL" "${pytest[@]}"
      ;;
    *)
      finish_leg "SQLite"
      echo
      echo "== PostgreSQL =="
      echo "DATABASE_URL is set but is not a PostgreSQL URL (postgres://user:password@host:port/name)." >&2
      failed_legs+=("PostgreSQL")
      ;;
  esac
else
  start_leg "PostgreSQL" scripts/with-postgres.sh "${pytest[@]}"
fi

for name in "${legs[@]}"; do
  finish_leg "$name"
done

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
echo "Whole run: $(seconds_as_text $(($(date +%s) - run_started))), legs $([ "$mode" = parallel ] && echo "at the same time" || echo "one after the other")."

if [ ${#failed_legs[@]} -gt 0 ]; then
  echo "Failed: ${failed_legs[*]}" >&2
  exit 1
fi
