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

# The schema comes from the migration files through psql: building the app
# to migrate would need the very query data this script writes.
psql "$admin" -qc "CREATE DATABASE $db" >/dev/null
for migration in "$ROOT"/migrations/*.sql; do
  psql -q -v ON_ERROR_STOP=1 "${pg_url%/*}/$db" -f "$migration" >/dev/null
done
# What sqlx's migrator keeps; the start-up check reads it.
psql -q "${pg_url%/*}/$db" -c "CREATE TABLE _sqlx_migrations (version bigint PRIMARY KEY,
  description text NOT NULL, installed_on timestamptz NOT NULL DEFAULT now(), success boolean NOT NULL,
  checksum bytea NOT NULL, execution_time bigint NOT NULL)" >/dev/null
rm -f .sqlx/query-*.json
mkdir -p .sqlx
touch src/lib.rs server/src/lib.rs
SQLX_OFFLINE=false SQLX_OFFLINE_DIR="$ROOT/.sqlx" DATABASE_URL="${pg_url%/*}/$db" \
  cargo check -q -p frontdesk -p server --features frontdesk/server --all-targets
say "$(ls .sqlx | wc -l) query files in .sqlx"
