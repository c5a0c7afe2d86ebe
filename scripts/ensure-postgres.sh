#!/usr/bin/env bash
# Prints a DATABASE_URL for a reachable PostgreSQL server, in this order:
#   1. $DATABASE_URL, when set and reachable;
#   2. the machine's PostgreSQL on 127.0.0.1:5432 (database `frontdesk`);
#   3. a project-local cluster under .data/postgres, created and started with
#      the machine's PostgreSQL binaries (installed with apt when missing).
# The database itself is created by `frontdesk migrate` / `serve` when missing.
set -euo pipefail
source "$(dirname "$0")/common.sh"

LOCAL_PORT=55432
DATA="$ROOT/.data/postgres"

reachable() {  # host port
  if command -v pg_isready >/dev/null 2>&1; then pg_isready -q -h "$1" -p "$2" -t 3
  else (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; fi
}

# host and port of a postgres:// URL
url_host() { sed -E 's#^[a-z]+://([^@/]*@)?([^:/?]+).*#\2#' <<<"$1"; }
url_port() { local p; p="$(sed -nE 's#^[a-z]+://([^@/]*@)?[^:/?]+:([0-9]+).*#\2#p' <<<"$1")"; echo "${p:-5432}"; }

if [ -n "${DATABASE_URL:-}" ]; then
  if reachable "$(url_host "$DATABASE_URL")" "$(url_port "$DATABASE_URL")"; then
    echo "$DATABASE_URL"; exit 0
  fi
  say "DATABASE_URL is set but its server does not answer; using a local PostgreSQL instead"
fi

if reachable 127.0.0.1 5432; then
  echo "postgres://postgres@127.0.0.1:5432/frontdesk"; exit 0
fi

if ! reachable 127.0.0.1 "$LOCAL_PORT"; then
  bindir="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)"
  if [ -z "$bindir" ]; then
    apt_install postgresql || die "no PostgreSQL server is reachable and PostgreSQL could not be installed (apt-get install postgresql)"
    bindir="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)"
  fi
  # PostgreSQL refuses to run as root: the cluster belongs to the postgres user then.
  run_pg() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
  mkdir -p "$DATA"
  [ "$(id -u)" -eq 0 ] && chown postgres "$DATA" "$ROOT/.data"
  if [ ! -f "$DATA/PG_VERSION" ]; then
    say "creating a project-local PostgreSQL cluster in .data/postgres"
    run_pg "$bindir/initdb" -D "$DATA" -U postgres --auth=trust -E UTF8 >/dev/null
  fi
  say "starting the project-local PostgreSQL on 127.0.0.1:$LOCAL_PORT"
  run_pg "$bindir/pg_ctl" -D "$DATA" -l "$DATA/server.log" -w \
    -o "-p $LOCAL_PORT -k $DATA -c listen_addresses=127.0.0.1" start >/dev/null \
    || die "the project-local PostgreSQL did not start; see .data/postgres/server.log"
fi
echo "postgres://postgres@127.0.0.1:$LOCAL_PORT/frontdesk"
