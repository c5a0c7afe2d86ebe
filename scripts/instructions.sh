#!/usr/bin/env bash
# Instruction counts of the CPU hot spots (benches/instructions.rs, under
# Valgrind), compared with the baseline committed in bench/instructions.
# Fails when one grows by more than INSTRUCTIONS_TOLERANCE percent (2).
# With --save, records the counts as the new baseline instead.
set -euo pipefail
source "$(dirname "$0")/common.sh"
cd "$ROOT"

"$ROOT/scripts/bootstrap.sh" test >&2
baseline="$ROOT/bench/instructions"
tolerance="${INSTRUCTIONS_TOLERANCE:-2}"
run() { cargo bench -p frontdesk --features server --bench instructions -- "$@"; }

if [ "${1:-}" = "--save" ]; then
  rm -rf "$baseline"
  GUNGRAUN_HOME="$baseline" run --save-baseline=committed
  # Only the counts are kept (Valgrind's header and totals), not the
  # profiles or the logs.
  find "$baseline" -type f ! -name '*.out.base@committed' -delete
  find "$baseline" -type f -name '*.out.base@committed' -exec \
    sed -i -E '/^(version|creator|pid|cmd|part|thread|desc|positions|events|summary|totals):/!d' {} +
  say "saved the instruction counts in bench/instructions"
  exit 0
fi

[ -d "$baseline" ] || die "no baseline in bench/instructions: run scripts/instructions.sh --save"
# A copy: a run writes its own files beside the baseline's.
home="$(mktemp -d)"
trap 'rm -rf "$home"' EXIT
cp -r "$baseline/." "$home/"
GUNGRAUN_HOME="$home" run --baseline=committed --callgrind-limits="ir=${tolerance}%"
