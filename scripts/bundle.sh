#!/usr/bin/env bash
# The browser bundle's budget: builds the browser side for release (as
# `cargo leptos build --release` ships it) and fails when the wasm a first
# page loads, gzipped, is over BUNDLE_BUDGET_KB. Prints the sizes either way.
set -euo pipefail
source "$(dirname "$0")/common.sh"
cd "$ROOT"

# The budget, in KB of gzipped wasm. The goal is 350; it only ever goes down.
budget_kb="${BUNDLE_BUDGET_KB:-1100}"

"$ROOT/scripts/bootstrap.sh" release >&2
export PATH="$HOME/.local/bin:$PATH"
# Its own site folder: the end-to-end suite's debug build stays in target/site.
site="$CARGO_TARGET_DIR/bundle-site"
say "building the browser side for release into $site"
LEPTOS_SITE_ROOT="$site" cargo leptos build --release --frontend-only >&2

wasm="$(ls -t "$site"/pkg/*.wasm | head -n 1)"
js="$(ls -t "$site"/pkg/*.js | head -n 1)"
css="$(ls -t "$site"/pkg/*.css | head -n 1)"
gz() { gzip -9 -c "$1" | wc -c; }
kb() { echo $(( ($1 + 1023) / 1024 )); }
wasm_gz="$(gz "$wasm")"
printf '%-6s %10s %10s\n' file "raw KB" "gzip KB"
for f in "$wasm" "$js" "$css"; do
  printf '%-6s %10s %10s\n' "${f##*.}" "$(kb "$(wc -c < "$f")")" "$(kb "$(gz "$f")")"
done
if [ "$(kb "$wasm_gz")" -gt "$budget_kb" ]; then
  die "the wasm is $(kb "$wasm_gz") KB gzipped, over its budget of $budget_kb KB"
fi
say "the wasm is $(kb "$wasm_gz") KB gzipped, within its budget of $budget_kb KB"
