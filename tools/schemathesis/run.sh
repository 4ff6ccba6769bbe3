#!/usr/bin/env bash
# Schemathesis against the sandbox, as partners' QA would run it: every check
# (`--checks all`), every phase (examples, coverage, fuzzing, stateful), at least 50 examples
# per operation, for each seed (default: 1 2 3; set SEEDS="1 2" to change). Any failure
# fails (exit 1). Schemathesis and everything it needs are pinned in requirements.txt and
# installed into a venv of this directory's own, rebuilt when requirements.txt changes.
#
# Each seed gets a fresh sandbox (`cargo build -p balampay-sandbox`, in memory) on a loopback
# port the system picks; its output and Schemathesis's are kept in target/schemathesis/ with
# a JUnit report per seed. Exit 2 when a prerequisite is missing or the sandbox does not
# start.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
out="$root/target/schemathesis"
seeds="${SEEDS:-1 2 3}"
examples="${MAX_EXAMPLES:-50}"

fail_setup() {
  echo "schemathesis: $1" >&2
  exit 2
}

command -v python3 >/dev/null 2>&1 || fail_setup "python3 is not installed (Debian: apt-get install python3 python3-venv)"
python3 -c 'import ensurepip, venv' >/dev/null 2>&1 \
  || fail_setup "python3 cannot create virtual environments; install its venv module (Debian: apt-get install python3-venv)"

venv="$here/.venv"
stamp="$venv/.requirements.stamp"
if [ "$here/requirements.txt" -nt "$stamp" ] || ! "$venv/bin/python" -c '' >/dev/null 2>&1; then
  rm -f "$stamp"
  python3 -m venv --clear "$venv" || fail_setup "python3 -m venv $venv failed"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-input \
      --root-user-action=ignore --no-deps --requirement "$here/requirements.txt" \
    || fail_setup "pip install -r requirements.txt failed"
  if ! check="$("$venv/bin/python" -m pip check --disable-pip-version-check 2>&1)"; then
    printf '%s\n' "$check" >&2
    fail_setup "requirements.txt does not pin every dependency (pip check above)"
  fi
  touch "$stamp"
fi

cd "$root"
cargo build --quiet -p balampay-sandbox || fail_setup "cargo build -p balampay-sandbox failed"
# The binary cargo just built: under CARGO_TARGET_DIR when it is set.
sandbox_bin="${CARGO_TARGET_DIR:-$root/target}/debug/balampay-sandbox"
[ -x "$sandbox_bin" ] || fail_setup "no sandbox binary at $sandbox_bin"
rm -rf "$out"
mkdir -p "$out"

sandbox_pid=""
stop_sandbox() {
  if [ -n "$sandbox_pid" ]; then
    kill "$sandbox_pid" 2>/dev/null || true
    wait "$sandbox_pid" 2>/dev/null || true
    sandbox_pid=""
  fi
}
trap stop_sandbox EXIT

# The credentials are made up for this run, and Schemathesis sanitizes them in its output.
token="st-token-$RANDOM$RANDOM"
api_key="st-key-$RANDOM$RANDOM"
status=0
for seed in $seeds; do
  log="$out/sandbox-seed-$seed.log"
  BALAMPAY_TOKEN="$token" BALAMPAY_API_KEY="$api_key" \
    "$sandbox_bin" --addr 127.0.0.1:0 >"$log" 2>&1 &
  sandbox_pid=$!
  url=""
  for _ in $(seq 1 100); do
    url="$(sed -n 's/^balampay-sandbox listening on \(http:\/\/[0-9.:]*\).*/\1/p' "$log" | head -n 1)"
    [ -n "$url" ] && break
    kill -0 "$sandbox_pid" 2>/dev/null || break
    sleep 0.1
  done
  [ -n "$url" ] || { cat "$log" >&2; fail_setup "the sandbox did not start (log above)"; }

  # --workers 1 keeps a seed's run reproducible; the generation database is off so that
  # one run does not steer the next.
  # Run from target/schemathesis: Schemathesis keeps a cache (.schemathesis/) where it runs.
  if (cd "$out" && timeout 900 "$venv/bin/st" run "$root/spec/openapi.json" \
      --url "$url" \
      -H "Authorization: Bearer $token" -H "x-api-key: $api_key" \
      --checks all \
      --phases examples,coverage,fuzzing,stateful \
      --max-examples "$examples" \
      --seed "$seed" \
      --workers 1 \
      --generation-database none \
      --report junit --report-junit-path "$out/junit-seed-$seed.xml" \
      --no-color) >"$out/seed-$seed.txt" 2>&1; then
    echo "schemathesis: seed $seed: $(grep -E 'generated' "$out/seed-$seed.txt" | tail -n 1 | sed 's/^ *//'); no failures"
  else
    cat "$out/seed-$seed.txt" >&2
    echo "schemathesis: seed $seed found failures (above; also in ${out#"$root"/}/seed-$seed.txt)" >&2
    status=1
  fi
  stop_sandbox
done
exit "$status"
