#!/usr/bin/env bash
# Runs Frontdesk on this machine with its embedded defaults.
# With --demo, first creates a demo business and prints how to sign in.
set -euo pipefail
source "$(dirname "$0")/common.sh"
cd "$ROOT"

"$ROOT/scripts/bootstrap.sh" run
# A DATABASE_URL in .env counts as set.
if [ -z "${DATABASE_URL:-}" ] && [ -f .env ]; then
  DATABASE_URL="$(sed -nE 's/^DATABASE_URL=(.*)$/\1/p' .env | tail -n 1)"
  export DATABASE_URL
fi
DATABASE_URL="$("$ROOT/scripts/ensure-postgres.sh")"
export DATABASE_URL
[ -f .env ] || say "no .env: using the defaults (see .env.example)"
if [ "${1:-}" = "--demo" ]; then
  say "creating the demo business"
  cargo run --quiet -p server --bin frontdesk -- seed --demo
fi
say "building and starting Frontdesk; it will be at http://${LEPTOS_SITE_ADDR:-127.0.0.1:3000}"
# The server creates the database and applies migrations as it starts.
exec cargo leptos serve --split
