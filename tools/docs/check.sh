#!/usr/bin/env bash
# The browser check of the partner site, as CI runs it: installs the pinned playwright-core
# (package-lock.json) and Debian's Chromium when missing, then runs check.mjs on the site
# that `cargo xtask docs` built into target/docs/. Screenshots go to target/docs-screenshots/.
# Exit 1 on any finding (check.mjs names each), 2 when the check cannot run.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cd "$here"

if ! command -v npm >/dev/null 2>&1; then
  echo "docs-check: npm is not installed; install Node.js and npm (Debian: apt-get install nodejs npm)" >&2
  exit 2
fi
if [ ! -d node_modules/playwright-core ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
bash "$here/install-chromium.sh"
exec node "$here/check.mjs" "$root/target/docs" "$root/target/docs-screenshots"
