#!/usr/bin/env bash
# Installs the browser of the docs check (tools/docs/check.mjs): Debian's `chromium` package,
# when /usr/bin/chromium is missing or older than the oldest version the check is known to
# work with. Needs root (CI runs as root) and Debian's package archive.
#
# Why a floor and not an exact version: Debian ships Chromium through its security archive,
# which keeps only the newest build (148.x, then 150.x, then 156.x within one month of
# 2026), so an exact pin would stop installing within weeks. The check was written against
# 156.0.8078.114-1~deb12u1 and uses only long-standing DevTools protocol features through
# playwright-core (pinned in package-lock.json).
set -euo pipefail
min_major=147

major() { "$1" --version 2>/dev/null | sed -n 's/^Chromium \([0-9][0-9]*\)\..*/\1/p'; }

current="$(major /usr/bin/chromium || true)"
if [ -n "$current" ] && [ "$current" -ge "$min_major" ]; then
  echo "docs-check: $(/usr/bin/chromium --version 2>/dev/null) is installed"
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "docs-check: Chromium $min_major or newer is needed at /usr/bin/chromium; as root: apt-get install chromium" >&2
  exit 2
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends chromium >/dev/null
current="$(major /usr/bin/chromium || true)"
if [ -z "$current" ] || [ "$current" -lt "$min_major" ]; then
  echo "docs-check: Debian installed $(/usr/bin/chromium --version 2>&1); the check needs $min_major or newer" >&2
  exit 2
fi
echo "docs-check: installed $(/usr/bin/chromium --version 2>/dev/null)"
