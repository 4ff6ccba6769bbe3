#!/usr/bin/env bash
# Installs the load generator of tools/bench/proxy/run.py: hey, from Debian's packages, at
# the version the figures in the closing notes were measured with.
set -euo pipefail
if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
$SUDO apt-get update -q
$SUDO apt-get install -y -q hey=0.1.4-2+b4
