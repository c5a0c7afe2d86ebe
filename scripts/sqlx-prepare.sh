#!/usr/bin/env bash
# Refreshes .sqlx/, the query data that lets the build check sqlx::query! macros
# without a database: migrates a scratch database, then recompiles the crates
# with queries against it while sqlx writes the data.
set -euo pipefail
source "$(dirname "$0")/common.sh"
cd "$ROOT"

pg_url="$("$ROOT/scripts/ensure-postgres.sh")"
admin="${pg_url%/*}/postgres"
db="frontdesk_sqlx_prepare_$$"
trap 'psql "$admin" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true' EXIT

DATABASE_URL="${pg_url%/*}/$db" cargo run -q -p server -- migrate
rm -f .sqlx/query-*.json
mkdir -p .sqlx
touch src/lib.rs server/src/lib.rs
SQLX_OFFLINE=false SQLX_OFFLINE_DIR="$ROOT/.sqlx" DATABASE_URL="${pg_url%/*}/$db" \
  cargo check -q -p frontdesk -p server --features frontdesk/server --all-targets
say "$(ls .sqlx | wc -l) query files in .sqlx"
