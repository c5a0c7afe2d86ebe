# Starts a Bugsink (the Sentry-compatible server of the error-tracking
# tests, installed by `scripts/bootstrap.sh test`) on a free loopback port
# with its own database in DIR, and makes one project. Sourced; sets
# BUGSINK_URL, BUGSINK_TOKEN, BUGSINK_PROJECT, BUGSINK_DSN and BUGSINK_PID.
# shellcheck shell=bash

start_bugsink() {
  local dir="$1" bin="${TEST_BUGSINK_BIN:-$HOME/.cache/frontdesk/bugsink/bin}" port
  [ -x "$bin/bugsink-manage" ] || die "Bugsink is not installed in $bin; run scripts/bootstrap.sh test"
  port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
  manage() { (cd "$dir" && DJANGO_SETTINGS_MODULE=bugsink_conf PYTHONPATH="$dir" exec "$bin/bugsink-manage" "$@"); }
  (cd "$dir" && "$bin/bugsink-create-conf" --template=local --host=127.0.0.1 --port="$port" -o bugsink_conf.py >/dev/null)
  manage migrate -v0 && manage migrate snappea --database=snappea -v0 \
    || die "Bugsink's database could not be set up in $dir"
  BUGSINK_TOKEN="$(manage create_auth_token | awk '{ print $NF }' | tail -n 1)"
  # Started directly (not through `manage`), so that BUGSINK_PID is the server's own.
  (cd "$dir" && DJANGO_SETTINGS_MODULE=bugsink_conf PYTHONPATH="$dir" \
    exec "$bin/bugsink-manage" runserver "127.0.0.1:$port" --noreload) > "$dir/server.log" 2>&1 &
  BUGSINK_PID=$!
  BUGSINK_URL="http://127.0.0.1:$port"
  for _ in $(seq 1 120); do
    curl -fsS "$BUGSINK_URL/health/ready" >/dev/null 2>&1 && break
    sleep 0.5
  done
  curl -fsS "$BUGSINK_URL/health/ready" >/dev/null || { cat "$dir/server.log"; die "Bugsink did not start on port $port"; }
  bugsink_api() {
    curl -fsS -H "Authorization: Bearer $BUGSINK_TOKEN" -H "Content-Type: application/json" \
      "$BUGSINK_URL/api/canonical/0/$1" "${@:2}"
  }
  json() { python3 -c "import json, sys; print(json.load(sys.stdin)[sys.argv[1]])" "$1"; }
  local team
  team="$(bugsink_api teams/ -d '{"name": "frontdesk", "visibility": "joinable"}' | json id)"
  BUGSINK_PROJECT="$(bugsink_api projects/ -d "{\"name\": \"frontdesk-browser\", \"team\": \"$team\"}" | json id)"
  BUGSINK_DSN="$(bugsink_api "projects/$BUGSINK_PROJECT/" | json dsn)"
  export BUGSINK_URL BUGSINK_TOKEN BUGSINK_PROJECT BUGSINK_DSN BUGSINK_PID
}
