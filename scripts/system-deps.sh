#!/usr/bin/env bash
# Install the Debian packages named as arguments that are not installed yet; nothing when all are.
#   scripts/system-deps.sh postgresql
# Needs root (as on CI and the project's machines); otherwise it says what to install by hand.
set -euo pipefail

missing=()
for package in "$@"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
  echo "Missing system packages: ${missing[*]}. Install them (Debian: sudo apt-get install ${missing[*]}) and run again." >&2
  exit 1
fi

echo "Installing Debian packages: ${missing[*]}"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
if ! { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"; } >"$log" 2>&1 </dev/null; then
  tail -n 40 "$log" >&2
  echo "Could not install: ${missing[*]}" >&2
  exit 1
fi
