#!/usr/bin/env bash
# Builds the site, starts it on a fresh database and runs Playwright against it.
set -euo pipefail
source "$(dirname "$0")/common.sh"
source "$(dirname "$0")/bugsink.sh"
source "$(dirname "$0")/dovecot.sh"
cd "$ROOT"

admin_url="${TEST_DATABASE_ADMIN_URL:?TEST_DATABASE_ADMIN_URL must name a PostgreSQL maintenance database}"
db="frontdesk_e2e_$(date +%s)_$$"
port="${E2E_PORT:-3199}"

# The server binary from plain cargo shares its build with `cargo test -p server`;
# cargo-leptos builds only the browser side (wasm, JS, CSS, assets).
say "building the site: the browser side with cargo-leptos, the server with cargo"
# `--split`: each page is its own wasm chunk, as in a release build.
cargo leptos build --frontend-only --split
cargo build -p server --bin frontdesk

outbox="$(mktemp -d)"
storage="$(mktemp -d)"
bugsink_dir="$(mktemp -d)"
dovecot_dir="$(mktemp -d)"
# Lets the suite fire the reminder schedule as an external scheduler would.
cron_secret="e2e-cron-secret-$$-$RANDOM"
metrics_token="e2e-metrics-token-$$-$RANDOM"
server_pid=""
BUGSINK_PID=""
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
  # Bugsink ends on SIGTERM with status 143: the run's status is the suite's.
  if [ -n "$BUGSINK_PID" ]; then kill "$BUGSINK_PID" 2>/dev/null; wait "$BUGSINK_PID" 2>/dev/null || true; fi
  stop_dovecot
  psql "$admin_url" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
  rm -rf "$outbox" "$storage" "$bugsink_dir" "$dovecot_dir"
}
trap cleanup EXIT

# Pages report their errors to it; the error-reporting spec reads them back.
say "starting Bugsink, where the pages report their errors"
start_bugsink "$bugsink_dir"

# The inbox spec connects a mailbox on it and delivers mail with doveadm.
say "starting Dovecot, the IMAP server of the inbox spec"
start_dovecot "$dovecot_dir" "desk@example.com" "e2e-imap-password"

say "starting the server on 127.0.0.1:$port with database $db"
# Shared Redis as in production; the suite's many sign-ups from one address
# need looser limits than the defaults (the limits are tested over HTTP).
DATABASE_URL="${admin_url%/*}/$db" \
LEPTOS_SITE_ADDR="127.0.0.1:$port" \
LEPTOS_SITE_ROOT="$ROOT/target/site" \
LEPTOS_OUTPUT_NAME=frontdesk \
PUBLIC_URL="http://127.0.0.1:$port" \
MAIL_OUTBOX_DIR="$outbox" \
STORAGE_FS_ROOT="$storage" \
CRON_SECRET="$cron_secret" JOB_POLL_MS=200 \
SENTRY_BROWSER_DSN="$BUGSINK_DSN" SENTRY_ENVIRONMENT=e2e METRICS_TOKEN="$metrics_token" \
REDIS_URL="${TEST_REDIS_URL:-redis://127.0.0.1:6379}" \
RATE_LIMIT_ANONYMOUS=2000/min RATE_LIMIT_PUBLIC_PAGES=5000/min RATE_LIMIT_SIGN_IN_ADDRESS=5000/min RATE_LIMIT_READ=2000/min RATE_LIMIT_WRITE=1000/min RATE_LIMIT_SIGN_IN=500/min RATE_LIMIT_UPLOAD=500/h RATE_LIMIT_ERROR_REPORTS=1000/min \
LOG_LEVEL="${E2E_LOG_LEVEL:-warn}" \
  "$CARGO_TARGET_DIR/debug/frontdesk" serve > "$CARGO_TARGET_DIR/e2e-server.log" 2>&1 &
server_pid=$!

for _ in $(seq 1 60); do
  curl -fsS "http://127.0.0.1:$port/api/health" >/dev/null 2>&1 && break
  kill -0 "$server_pid" 2>/dev/null || { cat "$CARGO_TARGET_DIR/e2e-server.log"; die "the server exited during start-up"; }
  sleep 0.5
done
curl -fsS "http://127.0.0.1:$port/api/health" >/dev/null || die "the server did not become healthy on port $port"

cd end2end
E2E_BASE_URL="http://127.0.0.1:$port" E2E_OUTBOX="$outbox" E2E_CRON_SECRET="$cron_secret" \
E2E_BUGSINK_URL="$BUGSINK_URL" E2E_BUGSINK_TOKEN="$BUGSINK_TOKEN" E2E_BUGSINK_PROJECT="$BUGSINK_PROJECT" \
E2E_IMAP_PORT="$DOVECOT_PORT" E2E_DOVECOT_CONF="$DOVECOT_CONF" \
  npx playwright test "$@" && passed=0 || passed=$?

# How many series one instance exports after a whole suite's traffic.
series="$(curl -fsS -H "Authorization: Bearer $metrics_token" "http://127.0.0.1:$port/metrics" | grep -cv '^#' || true)"
say "after the suite the instance exports $series metric series"
exit "$passed"
