#!/usr/bin/env bash
# Frontdesk beside the tools a team would otherwise pick, on the same
# PostgreSQL and Redis, with the same workload, in one run: prints each
# figure and the ratio. The peers are installed from npm into
# bench/peers/node_modules (not committed). Usage: bench/peers/run.sh [limiter|jobs]
set -euo pipefail
source "$(dirname "$0")/../../scripts/common.sh"
cd "$ROOT"
PEERS="$ROOT/bench/peers"
DATABASE_URL="$("$ROOT/scripts/ensure-postgres.sh")"
export DATABASE_URL REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379}" LOG_LEVEL="${LOG_LEVEL:-warn}"
what="${1:-all}"

(cd "$PEERS" && npm ci --no-audit --no-fund --loglevel=error)
cargo build --release --quiet -p server --bin frontdesk
frontdesk="${CARGO_TARGET_DIR:-$HOME/.cache/frontdesk/target}/release/frontdesk"

# json FIELD TEXT: a field of the peer's JSON line.
json() { node -e 'console.log(JSON.parse(process.argv[2])[process.argv[1]])' "$1" "$2"; }
# ratio NAME OURS THEIRS higher|lower: how many times better ours is.
ratio() {
  awk -v n="$1" -v a="$2" -v b="$3" -v better="$4" \
    'BEGIN { r = better == "higher" ? a / b : b / a; printf "%-40s %12.1f %12.1f %7.2fx\n", n, a, b, r }'
}

if [[ "$what" == all || "$what" == limiter ]]; then
  peer="$(node "$PEERS/limiter.mjs")"
  ours="$("$frontdesk" bench-limiter | awk '$1 == "Redis" && $2 == 64 { print $3, $4, $5 }')"
  read -r our_rate our_p50 our_p99 <<<"$ours"
  their_rate="$(json decisions_per_s "$peer")"
  their_p50="$(json p50_us "$peer")"
  their_p99="$(json p99_us "$peer")"
  echo
  echo "rate limits, 64 callers, all allowed: Frontdesk vs rate-limiter-flexible (RateLimiterRedis, ioredis)"
  printf "%-40s %12s %12s %8s\n" figure frontdesk peer "better by"
  ratio "decisions/s" "$our_rate" "$their_rate" higher
  ratio "p50 µs" "$our_p50" "$their_p50" lower
  ratio "p99 µs" "$our_p99" "$their_p99" lower
fi

if [[ "$what" == all || "$what" == jobs ]]; then
  # graphile-worker keeps its schema in a database of its own.
  peer_db="${DATABASE_URL%/*}/$(basename "${DATABASE_URL%%\?*}")_peers"
  psql "${DATABASE_URL%/*}/postgres" -qc "CREATE DATABASE $(basename "$peer_db")" 2>/dev/null || true
  peer="$(PEER_DATABASE_URL="$peer_db" node "$PEERS/jobs.mjs")"
  ours="$("$frontdesk" bench-jobs | awk '$1 == 1 { print $2, $4 }')"
  read -r our_rate our_p50 <<<"$ours"
  echo
  echo "job queue, one process, concurrency 8, no-op jobs: Frontdesk vs graphile-worker"
  printf "%-40s %12s %12s %8s\n" figure frontdesk peer "better by"
  ratio "jobs/s" "$our_rate" "$(json jobs_per_s "$peer")" higher
  ratio "enqueue-to-start p50 ms" "$our_p50" "$(json start_delay_p50_ms "$peer")" lower
fi
