#!/usr/bin/env bash
# Installs the tools of tools/bench/sandbox/run.py: wrk, from Debian's packages, at the
# version the figures in the closing notes were measured with, and Prism (pinned in
# package-lock.json), the peer whose static mock the sandbox is compared with.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
if ! dpkg-query -W -f='${Version}' wrk 2>/dev/null | grep -qx '4.1.0-3+b2'; then
  $SUDO apt-get update -q
  $SUDO apt-get install -y -q wrk=4.1.0-3+b2
fi
cd "$here"
npm ci --no-audit --no-fund --loglevel=error
