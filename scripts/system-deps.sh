#!/usr/bin/env bash
# Debian packages, installed only when missing (needs root or sudo): with no argument what the tests need
# (Chromium for the browser tests; PostgreSQL, Redis and HAProxy for the second run and the production
# profile's tests); `production`: what `make run PROFILE=production` needs.
set -euo pipefail

if [ "${1:-}" = production ]; then
  wanted=(postgresql redis-server haproxy)
else
  wanted=(chromium fonts-noto-color-emoji postgresql redis-server haproxy)
fi
missing=()
for package in "${wanted[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null 2>&1 || { echo "need root to install: ${missing[*]}" >&2; exit 1; }
  sudo="sudo"
fi
echo "==> installing Debian packages: ${missing[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
