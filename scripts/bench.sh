#!/usr/bin/env bash
# Latency of the dashboard, a calendar week, client search and the
# appointments API on the large data set, release build, real HTTP, and what
# being signed in costs; then the job queue's throughput and start delay (in
# `<database>_jobs`), live updates (delivery to 1,000 streams on two
# instances, the outbox's cost) and the rate limiter (decisions per second,
# Redis memory per key). The data set lives in `<database>_bench` and is
# built on first use.
#
# Arguments go to every command: `--save NAME` keeps the figures as
# bench/baselines/NAME.json, `--compare NAME` prints them beside it and
# fails when one is worse than `--tolerance` (default 0.3) allows.
set -euo pipefail
source "$(dirname "$0")/common.sh"
cd "$ROOT"
DATABASE_URL="$("$ROOT/scripts/ensure-postgres.sh")"
export DATABASE_URL LOG_LEVEL="${LOG_LEVEL:-warn}"
cargo build --release --quiet -p server --bin frontdesk
frontdesk="${CARGO_TARGET_DIR:-$HOME/.cache/frontdesk/target}/release/frontdesk"
status=0
for command in bench-scale bench-jobs bench-live bench-limiter; do
  "$frontdesk" "$command" "$@" || status=1
done
exit "$status"
