#!/usr/bin/env bash
# System packages the test suite needs (Debian): installs only what is missing, so a second
# run is a no-op and `apt-get update` runs only when something must be installed.
#   dovecot-imapd  a real IMAP server for tests/workers/test_imap_poller.py
#   chromium       the browser the end-to-end test drives through Playwright (tests/e2e)
#   npm            only when no npm is on PATH: the Makefile installs axe-core (the browser
#                  tests' accessibility checks) from the npm registry with it
set -euo pipefail

packages=(dovecot-imapd chromium)
command -v npm >/dev/null || packages+=(npm)

missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${db:Status-Status}' "$package" 2>/dev/null | grep -qx installed; then
    missing+=("$package")
  fi
done

if [ "${#missing[@]}" -eq 0 ]; then
  echo "== system packages: all present (${packages[*]})"
  exit 0
fi

sudo=()
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null; then
    sudo=(sudo -n)
  else
    echo "== system packages missing (${missing[*]}) and not root: install them first" >&2
    exit 1
  fi
fi

echo "== installing system packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -q
# The tests never use the system's Dovecot (they start their own on free loopback ports with a
# throwaway config), whether or not the package's scripts were allowed to start it.
"${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
