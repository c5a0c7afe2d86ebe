#!/usr/bin/env bash
# Runs every check: unit and integration tests per package (so the server and
# browser builds are not unified), clippy for both targets, rustfmt, and the
# Playwright suite against a freshly built server on a fresh database.
set -uo pipefail
source "$(dirname "$0")/common.sh"
cd "$ROOT"

"$ROOT/scripts/bootstrap.sh" test || exit 1
pg_url="$("$ROOT/scripts/ensure-postgres.sh")" || exit 1
export TEST_DATABASE_ADMIN_URL="${pg_url%/*}/postgres"
# The shared cache and rate-limit tests need a real Redis (and redis-server).
TEST_REDIS_URL="$("$ROOT/scripts/ensure-redis.sh")" || exit 1
export TEST_REDIS_URL
# The storage tests start their own S3-compatible server (s3rver, installed
# with the end-to-end packages).
export TEST_S3_SERVER="$ROOT/end2end/node_modules/.bin/s3rver"
# Test runs rebuild from scratch often enough that incremental caches only
# fill the disk (tens of gigabytes over a day of runs).
export CARGO_INCREMENTAL=0

LOG_DIR="$CARGO_TARGET_DIR/test-logs"
rm -rf "$LOG_DIR"; mkdir -p "$LOG_DIR"
steps_ok=(); steps_failed=()

slug() { tr 'A-Z' 'a-z' <<<"$1" | tr -cs 'a-z0-9' '-' | sed 's/-*$//'; }

step() {  # name command...
  local name="$1"; shift
  local log; log="$LOG_DIR/$(slug "$name").log"
  say "$name"
  if "$@" 2>&1 | tee "$log"; then steps_ok+=("$name"); else steps_failed+=("$name"); fi
}

step "rustfmt" cargo fmt --all -- --check
step "tests: frontdesk (domain, wasm-safe)" cargo test -p frontdesk --no-fail-fast
step "tests: frontdesk (server platform)" cargo test -p frontdesk --features server --no-fail-fast
step "tests: server (real HTTP, real PostgreSQL)" cargo test -p server --no-fail-fast
step "tests: app (browser build)" cargo test -p app --features hydrate --no-fail-fast
step "tests: frontend" cargo test -p frontend --no-fail-fast
step "clippy: server target" cargo clippy -p frontdesk -p server --features frontdesk/server --all-targets -- -D warnings
step "clippy: wasm target" cargo clippy -p frontend --target wasm32-unknown-unknown -- -D warnings
step "alert rules: promtool" promtool test rules deploy/prometheus/alerts.test.yml
step "end-to-end: Playwright in Chromium" "$ROOT/scripts/e2e.sh"
step "bundle: release wasm within its budget" "$ROOT/scripts/bundle.sh"
step "instructions: hot spots against bench/instructions" "$ROOT/scripts/instructions.sh"

# Totals from the runners' own summaries.
passed=0; failed=0
for log in "$LOG_DIR"/tests-*.log; do
  while read -r p f; do passed=$((passed + p)); failed=$((failed + f)); done < <(
    sed -nE 's/^test result: [a-zA-Z]+\. ([0-9]+) passed; ([0-9]+) failed.*/\1 \2/p' "$log")
done
e2e_log="$LOG_DIR/$(slug "end-to-end: Playwright in Chromium").log"
if [ -f "$e2e_log" ]; then
  p="$(sed -nE 's/^ *([0-9]+) passed.*/\1/p' "$e2e_log" | tail -n 1)"; passed=$((passed + ${p:-0}))
  f="$(sed -nE 's/^ *([0-9]+) failed.*/\1/p' "$e2e_log" | tail -n 1)"; failed=$((failed + ${f:-0}))
fi

echo
for s in "${steps_ok[@]}"; do echo "  ok      $s"; done
for s in "${steps_failed[@]}"; do echo "  FAILED  $s"; done
echo "$passed passed, $failed failed (tests); ${#steps_ok[@]} of $(( ${#steps_ok[@]} + ${#steps_failed[@]} )) steps ok"
[ ${#steps_failed[@]} -eq 0 ]
