#!/usr/bin/env bash
# The browser bundle's budget: builds the browser side for release, split by
# page group as `cargo leptos build --release --split` ships it, and fails when
# the wasm the heaviest first page loads (the main module, its group's chunk
# and the chunks they share), gzipped, is over BUNDLE_BUDGET_KB, or the main
# module alone over BUNDLE_MAIN_BUDGET_KB. Prints the sizes either way
# (scripts/bundle-report.py).
set -euo pipefail
source "$(dirname "$0")/common.sh"
cd "$ROOT"

# Budgets in KB of gzipped wasm; they only ever go down. The main module
# (runtime, layout, router) is what every page loads: the goal is 350.
main_budget_kb="${BUNDLE_MAIN_BUDGET_KB:-400}"
budget_kb="${BUNDLE_BUDGET_KB:-1050}"

"$ROOT/scripts/bootstrap.sh" release >&2
export PATH="$HOME/.local/bin:$PATH"
# Its own site folder: the end-to-end suite's debug build stays in target/site.
site="$CARGO_TARGET_DIR/bundle-site"
say "building the browser side for release into $site"
# Hashed names: files of an earlier build would be counted with this one's.
rm -rf "$site/pkg"
LEPTOS_SITE_ROOT="$site" cargo leptos build --release --frontend-only --split >&2

python3 "$ROOT/scripts/bundle-report.py" "$site/pkg" "$main_budget_kb" "$budget_kb"
