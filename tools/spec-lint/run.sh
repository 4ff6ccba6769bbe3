#!/usr/bin/env bash
# Lints the published OpenAPI document (JSON and YAML) with Redocly's `recommended` ruleset
# and Spectral's `spectral:oas` ruleset, and fails on any error or warning from either.
# The linters are pinned in package-lock.json and installed here, so a fresh machine needs
# only Node.js and npm.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cd "$here"

if ! command -v npm >/dev/null 2>&1; then
  echo "spec-lint: npm is not installed; install Node.js and npm (Debian: apt-get install nodejs npm)" >&2
  exit 2
fi
if [ ! -x node_modules/.bin/redocly ] || [ ! -x node_modules/.bin/spectral ] \
   || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi

status=0
for spec in "$root/spec/openapi.json" "$root/spec/openapi.yaml" "$root/spec/openapi-3.0.json"; do
  name="${spec#"$root"/}"
  # Redocly exits non-zero only on errors, so read its JSON report's totals for warnings too.
  # (Its stderr carries a banner about the Node.js version, which is not about the spec.)
  config=redocly.yaml
  case "$spec" in *openapi-3.0.json) config=redocly-3.0.yaml ;; esac
  report="$(node_modules/.bin/redocly lint "$spec" --config "$config" --format=json 2>/dev/null || true)"
  if counts="$(printf '%s' "$report" | node -e '
      let text = ""; process.stdin.on("data", c => text += c).on("end", () => {
        const t = JSON.parse(text).totals;
        console.log(`${t.errors} error(s), ${t.warnings} warning(s)`);
        process.exit(t.errors + t.warnings === 0 ? 0 : 1);
      });' 2>&1)"; then
    echo "spec-lint: Redocly (recommended): $name has no errors and no warnings"
  else
    node_modules/.bin/redocly lint "$spec" --config "$config" --format=stylish >&2 2>&1 || true
    echo "spec-lint: Redocly found problems in $name: $counts" >&2
    status=1
  fi
  if ! out="$(node_modules/.bin/spectral lint "$spec" --ruleset .spectral.yaml --fail-severity=hint 2>&1)"; then
    printf '%s\n' "$out" >&2
    echo "spec-lint: Spectral found problems in $name" >&2
    status=1
  else
    echo "spec-lint: Spectral (spectral:oas): $name has no errors and no warnings"
  fi
done
exit "$status"
