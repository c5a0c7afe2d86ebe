#!/usr/bin/env bash
# Latency of the dashboard, a calendar week, client search and the
# appointments API on the large data set, release build, real HTTP; then the
# job queue's throughput and start delay (in `<database>_jobs`), and live
# updates: delivery to 1,000 streams on two instances and the outbox's cost.
# The data set lives in `<database>_bench` and is built on first use.
set -euo pipefail
source "$(dirname "$0")/common.sh"
cd "$ROOT"
DATABASE_URL="$("$ROOT/scripts/ensure-postgres.sh")"
export DATABASE_URL LOG_LEVEL="${LOG_LEVEL:-warn}"
cargo run --release --quiet -p server --bin frontdesk -- bench-scale
cargo run --release --quiet -p server --bin frontdesk -- bench-jobs
cargo run --release --quiet -p server --bin frontdesk -- bench-live
