#!/usr/bin/env bash
# Prints a REDIS_URL for a reachable Redis: $REDIS_URL when set and reachable,
# else the machine's Redis on 127.0.0.1:6379, started (and installed with apt)
# when it is not running. Tests start further redis-server processes of their
# own, so the binary must be present either way.
set -euo pipefail
source "$(dirname "$0")/common.sh"

reachable() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }
url_host() { sed -E 's#^[a-z]+://([^@/]*@)?([^:/?]+).*#\2#' <<<"$1"; }
url_port() { local p; p="$(sed -nE 's#^[a-z]+://([^@/]*@)?[^:/?]+:([0-9]+).*#\2#p' <<<"$1")"; echo "${p:-6379}"; }

command -v redis-server >/dev/null 2>&1 || apt_install redis-server

if [ -n "${REDIS_URL:-}" ] && reachable "$(url_host "$REDIS_URL")" "$(url_port "$REDIS_URL")"; then
  echo "$REDIS_URL"; exit 0
fi
if ! reachable 127.0.0.1 6379; then
  say "starting Redis on 127.0.0.1:6379 (nothing kept on disk)"
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no >/dev/null
  for _ in $(seq 1 50); do reachable 127.0.0.1 6379 && break; sleep 0.1; done
  reachable 127.0.0.1 6379 || die "Redis did not start on 127.0.0.1:6379"
fi
echo "redis://127.0.0.1:6379"
