#!/usr/bin/env bash
# Runs partners' own code generators on the published OpenAPI 3.1 document and fails on any
# warning or error they report, or when what they generate does not type-check or import:
#   - openapi-typescript, whose schema.d.ts is type-checked by `tsc --strict` together with
#     typescript/index.ts, a small program that uses the generated types;
#   - openapi-python-client, whose package is imported module by module with `python -W error`
#     and whose Client and AuthenticatedClient are built (check_python_client.py).
# Usage: run.sh [SPEC...]. Without arguments it checks spec/openapi.json and every
# spec/releases/MAJOR.MINOR.PATCH/openapi.json. Outputs (and the tools' logs) go to
# target/partner-generators/<label>/, label being `current`, the release version, or for any
# other document `path-` and its path.
# The tools are pinned and installed here: node_modules/ from package-lock.json (npm ci) and
# .venv/ from requirements.txt (pip), so a fresh machine needs only Node.js with npm and
# Python 3.11 or newer with venv. No other network access.
# Exit status: 0 when all is clean, 1 on findings, 2 when a prerequisite or a SPEC is missing.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
root="$(cd "$here/../.." && pwd -P)"

usage_error() {
  echo "partner-generators: $1" >&2
  exit 2
}

# Documents named on the command line are taken relative to the caller's directory.
specs=()
for arg in "$@"; do
  [ -f "$arg" ] || usage_error "no such OpenAPI document: $arg"
  specs+=("$(cd "$(dirname -- "$arg")" && pwd -P)/$(basename -- "$arg")")
done
cd "$here"

if ! command -v npm >/dev/null 2>&1 || ! command -v node >/dev/null 2>&1; then
  usage_error "npm is not installed; install Node.js and npm (Debian: apt-get install nodejs npm)"
fi
if ! command -v python3 >/dev/null 2>&1; then
  usage_error "python3 is not installed; install Python 3.11 or newer (Debian: apt-get install python3 python3-venv)"
fi
if ! python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
  usage_error "openapi-python-client 0.29 needs Python 3.11 or newer; python3 is $(python3 --version 2>&1)"
fi
if ! python3 -c 'import ensurepip, venv' >/dev/null 2>&1; then
  usage_error "python3 cannot create virtual environments; install its venv module (Debian: apt-get install python3-venv)"
fi

if [ ! -x node_modules/.bin/openapi-typescript ] || [ ! -x node_modules/.bin/tsc ] \
   || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error \
    || usage_error "npm ci failed; the pinned openapi-typescript and typescript are not installed"
fi

# The venv is rebuilt from scratch whenever requirements.txt is newer than the stamp written
# after the last successful install (or the venv's interpreter no longer runs).
venv="$here/.venv"
stamp="$venv/.requirements.stamp"
if [ requirements.txt -nt "$stamp" ] || ! "$venv/bin/python" -c '' >/dev/null 2>&1; then
  rm -f "$stamp"
  python3 -m venv --clear "$venv" || usage_error "python3 -m venv $venv failed"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-input \
      --root-user-action=ignore --no-deps --requirement requirements.txt \
    || usage_error "pip install -r requirements.txt failed; openapi-python-client is not installed"
  if ! check="$("$venv/bin/python" -m pip check --disable-pip-version-check 2>&1)"; then
    printf '%s\n' "$check" >&2
    usage_error "requirements.txt does not pin every dependency (pip check above)"
  fi
  touch "$stamp"
fi

ots_version="$(node -p 'require("./node_modules/openapi-typescript/package.json").version')"
tsc_version="$(node -p 'require("./node_modules/typescript/package.json").version')"
opc_version="$("$venv/bin/python" -c 'import importlib.metadata as m; print(m.version("openapi-python-client"))')"

if [ "${#specs[@]}" -eq 0 ]; then
  specs+=("$root/spec/openapi.json")
  releases=()
  for dir in "$root"/spec/releases/*/; do
    version="$(basename "$dir")"
    [[ "$version" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] && releases+=("$version")
  done
  if [ "${#releases[@]}" -gt 0 ]; then
    while IFS= read -r version; do
      specs+=("$root/spec/releases/$version/openapi.json")
    done < <(printf '%s\n' "${releases[@]}" | LC_ALL=C sort -t. -k1,1n -k2,2n -k3,3n)
  fi
fi

status=0

# report_failure NAME GENERATOR LOG1 LOG2 LOG3 PROBLEM...: prints the logs that are not empty
# (the first 100 lines of each; the files keep all), then one line naming the document, the
# generator and the problems.
report_failure() {
  local name="$1" generator="$2" what log lines
  local files=("$3" "$4" "$5")
  shift 5
  printf -v what '%s; ' "$@"
  what="${what%; }"
  for log in "${files[@]}"; do
    if [ -s "$log" ]; then
      echo "--- ${log#"$root"/}" >&2
      head -n 100 "$log" >&2
      lines="$(wc -l <"$log")"
      if [ "$lines" -gt 100 ]; then
        echo "--- ($((lines - 100)) more lines in ${log#"$root"/})" >&2
      fi
    fi
  done
  echo "partner-generators: $generator failed on $name: $what" >&2
  status=1
}

# only_lines FILE REGEX: true when every line of FILE matches REGEX (an empty file passes).
only_lines() {
  ! LC_ALL=C grep -Evq "$2" "$1"
}

check_typescript() {
  local spec="$1" name="$2" out="$3/typescript" logs="$3" generator="openapi-typescript $ots_version + tsc $tsc_version --strict"
  local rc=0 problems=()
  mkdir -p "$out"
  cp typescript/index.ts typescript/tsconfig.json typescript/package.json "$out/"
  # openapi-typescript (src/lib/utils.ts) prints warnings with console.warn(" ⚠  ...") and errors
  # with console.error(" ✘  ..."), both on stderr; an error also makes it exit 1 (src/lib/redoc.ts
  # throws after printing it). On success it prints exactly two lines on stdout,
  # "✨ openapi-typescript VERSION" and "🚀 INPUT → OUTPUT [TIME]". So a non-zero status, any
  # stderr or any other stdout line is a finding.
  # What it reports: problems from Redocly's lint and bundle of the document ($refs that do not
  # resolve are errors), $refs it cannot resolve and discriminator mappings it cannot apply while
  # generating (warnings). Without a redocly.yaml in the working directory (this one has none)
  # its lint has no rules: bin/cli.js calls createConfig({}, { extends: ["minimal"] }), and
  # @redocly/openapi-core 1.34 ignores that second argument. Linting the document is spec-lint's
  # job. FORCE_COLOR=0 keeps colour codes out (supports-color turns them on under CI
  # variables), NODE_NO_WARNINGS=1 keeps Node's own runtime warnings out of its stderr, and
  # DEBUG would add debug lines. The document goes in as a file: URL so that no character of
  # its path is taken for part of a URL.
  local url
  url="$(node -p 'require("node:url").pathToFileURL(process.argv[1]).href' "$spec")"
  env -u DEBUG FORCE_COLOR=0 NODE_NO_WARNINGS=1 node_modules/.bin/openapi-typescript "$url" \
      -o "$out/schema.d.ts" >"$logs/openapi-typescript.stdout" 2>"$logs/openapi-typescript.stderr" || rc=$?
  [ "$rc" -eq 0 ] || problems+=("openapi-typescript exited with status $rc")
  local warnings errors
  warnings="$(LC_ALL=C grep -c '⚠' "$logs/openapi-typescript.stderr" || true)"
  errors="$(LC_ALL=C grep -c '✘' "$logs/openapi-typescript.stderr" || true)"
  [ "$warnings" -eq 0 ] || problems+=("$warnings warning(s) (⚠)")
  [ "$errors" -eq 0 ] || problems+=("$errors error(s) (✘)")
  if [ -s "$logs/openapi-typescript.stderr" ] && [ "$warnings" -eq 0 ] && [ "$errors" -eq 0 ]; then
    problems+=("output on stderr")
  fi
  only_lines "$logs/openapi-typescript.stdout" '^(✨ openapi-typescript |🚀 )' \
    || problems+=("unexpected output on stdout")
  if [ -f "$out/schema.d.ts" ] && [ "$rc" -eq 0 ]; then
    rc=0
    (cd "$out" && "$here/node_modules/.bin/tsc" -p . --strict --noEmit --pretty false) >"$logs/tsc.log" 2>&1 || rc=$?
    if [ "$rc" -ne 0 ] || [ -s "$logs/tsc.log" ]; then
      problems+=("tsc --strict found $(grep -c 'error TS' "$logs/tsc.log" || true) error(s) (exit status $rc)")
    fi
  fi
  if [ "${#problems[@]}" -eq 0 ]; then
    echo "partner-generators: $generator: $name ok"
  else
    report_failure "$name" "$generator" \
      "$logs/openapi-typescript.stdout" "$logs/openapi-typescript.stderr" "$logs/tsc.log" "${problems[@]}"
  fi
}

check_python() {
  local spec="$1" name="$2" out="$3/python" logs="$3" generator="openapi-python-client $opc_version"
  local rc=0 problems=()
  # openapi-python-client (cli.py, handle_errors) prints "Warning(s) encountered while generating.
  # Client was generated, but some pieces may be missing" or "Error(s) encountered while
  # generating, client was not created" on stderr, each problem after it, and exits 0 on
  # warnings unless --fail-on-warning is given. On success it prints only "Generating DIR" on
  # stdout. So a non-zero status, any stderr or any other stdout line is a finding.
  # Its post-generation hooks run `ruff` found on PATH (a missing ruff is itself a warning,
  # "Skipping Integration"), hence the venv's bin first on PATH. --meta uv writes a PEP 621
  # pyproject.toml, whose dependencies check_python_client.py checks against the venv.
  env PATH="$venv/bin:$PATH" TYPER_USE_RICH=0 TYPER_STANDARD_TRACEBACK=1 \
      "$venv/bin/openapi-python-client" generate --path "$spec" --output-path "$out" \
      --meta uv --overwrite --fail-on-warning \
      >"$logs/openapi-python-client.stdout" 2>"$logs/openapi-python-client.stderr" || rc=$?
  [ "$rc" -eq 0 ] || problems+=("openapi-python-client exited with status $rc")
  if grep -q 'Error(s) encountered while generating' "$logs/openapi-python-client.stderr"; then
    problems+=("it reported errors")
  elif grep -q 'Warning(s) encountered while generating' "$logs/openapi-python-client.stderr"; then
    problems+=("it reported warnings")
  elif [ -s "$logs/openapi-python-client.stderr" ]; then
    problems+=("output on stderr")
  fi
  only_lines "$logs/openapi-python-client.stdout" '^(Generating |$)' \
    || problems+=("unexpected output on stdout")
  if [ -f "$out/pyproject.toml" ] && [ "$rc" -eq 0 ]; then
    # -I: no PYTHONPATH, user site or current directory on sys.path; -W error: warnings raise.
    rc=0
    "$venv/bin/python" -I -B -W error "$here/check_python_client.py" "$out" \
      >"$logs/import-check.log" 2>&1 || rc=$?
    if [ "$rc" -ne 0 ] || [ -s "$logs/import-check.log" ]; then
      problems+=("importing the generated package or building its clients failed (exit status $rc)")
    fi
  fi
  if [ "${#problems[@]}" -eq 0 ]; then
    echo "partner-generators: $generator + import check: $name ok"
  else
    report_failure "$name" "$generator" "$logs/openapi-python-client.stdout" \
      "$logs/openapi-python-client.stderr" "$logs/import-check.log" "${problems[@]}"
  fi
}

for spec in "${specs[@]}"; do
  name="${spec#"$root"/}"
  label="${spec#"$root"/spec/releases/}"
  label="${label%/openapi.json}"
  if [ "$spec" = "$root/spec/openapi.json" ]; then
    label=current
  elif [ "$spec" != "$root/spec/releases/$label/openapi.json" ] \
       || ! [[ "$label" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]]; then
    label="path-$(printf '%s' "$spec" | LC_ALL=C tr -c 'A-Za-z0-9._-' '_')"
  fi
  if [ ! -f "$spec" ]; then
    echo "partner-generators: $name does not exist" >&2
    status=1
    continue
  fi
  out="$root/target/partner-generators/$label"
  rm -rf "$out"
  mkdir -p "$out"
  check_typescript "$spec" "$name" "$out"
  check_python "$spec" "$name" "$out"
done
exit "$status"
