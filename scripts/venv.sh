#!/usr/bin/env bash
# Make .venv exist and hold what a requirements file asks for; do nothing when it already does.
#   scripts/venv.sh requirements.txt        (make run)
#   scripts/venv.sh requirements-test.txt   (make test)
# A stamp in .venv records the hash of the requirements files and the Python it was installed
# for, so a second run costs nothing and a changed pin reinstalls.
set -euo pipefail
cd "$(dirname "$0")/.."

requirements=${1:?usage: scripts/venv.sh REQUIREMENTS_FILE}
python=${PYTHON:-python3}
venv=.venv

if ! "$venv/bin/python" -c "" 2>/dev/null; then
  # A venv copied from elsewhere or made by another Python does not run: start again.
  rm -rf "$venv"
  echo "Creating $venv with $("$python" --version 2>&1)"
  if ! "$python" -m venv "$venv" 2>/dev/null; then
    # Debian's own python3 keeps venv (ensurepip) in a separate package.
    rm -rf "$venv"
    scripts/system-deps.sh python3-venv
    "$python" -m venv "$venv"
  fi
fi

# Every requirements file, since one includes another with -r.
stamp="$venv/.installed-$(basename "$requirements")"
wanted=$( { "$venv/bin/python" --version; cat requirements*.txt; } | sha256sum | cut -d' ' -f1)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$wanted" ]; then
  exit 0
fi

echo "Installing $requirements into $venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$requirements"
echo "$wanted" >"$stamp"
