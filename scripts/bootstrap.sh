#!/usr/bin/env bash
# Installs what building, running and testing Frontdesk needs. Idempotent:
# skips what is present. Usage: bootstrap.sh [run|test|release]...
set -euo pipefail
source "$(dirname "$0")/common.sh"

want_test=false; want_release=false
for arg in "$@"; do
  case "$arg" in
    run) ;;
    test) want_test=true ;;
    release) want_release=true ;;
    *) die "bootstrap.sh: unknown argument '$arg' (expected run, test or release)" ;;
  esac
done

command -v cargo >/dev/null || die "cargo is missing: install Rust with rustup (https://rustup.rs) and retry"
command -v rustup >/dev/null || die "rustup is missing: it is needed to add the wasm32-unknown-unknown target"

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown || die "could not add the wasm32-unknown-unknown target"
fi

if [ "$(cargo leptos --version 2>/dev/null)" != "cargo-leptos $CARGO_LEPTOS_VERSION" ]; then
  say "installing cargo-leptos $CARGO_LEPTOS_VERSION (takes about 15 minutes, once per machine)"
  cargo install cargo-leptos --locked --version "$CARGO_LEPTOS_VERSION" --force \
    || die "could not install cargo-leptos $CARGO_LEPTOS_VERSION from crates.io"
fi

# cargo-leptos needs the wasm-bindgen CLI of exactly the library version in Cargo.lock.
wbg_version="$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' "$ROOT/Cargo.lock")"
[ -n "$wbg_version" ] || die "Cargo.lock names no wasm-bindgen version"
if [ "$(wasm-bindgen --version 2>/dev/null)" != "wasm-bindgen $wbg_version" ]; then
  say "installing wasm-bindgen-cli $wbg_version (takes about 3 minutes)"
  # Not --locked: its lock file names a crate version missing from the index.
  cargo install wasm-bindgen-cli --version "$wbg_version" --force \
    || die "could not install wasm-bindgen-cli $wbg_version from crates.io"
fi

if $want_release; then
  if ! wasm-opt --version 2>/dev/null | grep -q "version $BINARYEN_VERSION"; then
    command -v npm >/dev/null || die "npm is missing: it installs wasm-opt (binaryen) for release builds"
    say "installing wasm-opt (npm binaryen@$BINARYEN_VERSION)"
    as_root npm install -g "binaryen@$BINARYEN_VERSION" >/dev/null || npm install -g --prefix "$HOME/.local" "binaryen@$BINARYEN_VERSION" >/dev/null \
      || die "could not install binaryen@$BINARYEN_VERSION from npm"
    export PATH="$HOME/.local/bin:$PATH"
    wasm-opt --version >/dev/null 2>&1 || die "wasm-opt is still not on PATH after installing binaryen"
  fi
fi

if $want_test; then
  if [ ! -x /usr/bin/chromium ]; then
    apt_install chromium || die "could not install chromium (apt-get install chromium); the browser tests need /usr/bin/chromium"
  fi
  command -v npm >/dev/null || die "npm is missing: it installs the Playwright test runner"
  if [ ! -f "$ROOT/end2end/node_modules/.package-lock.json" ] \
     || [ "$ROOT/end2end/package-lock.json" -nt "$ROOT/end2end/node_modules/.package-lock.json" ]; then
    say "installing the end-to-end test packages: Playwright, and s3rver for the storage tests (npm ci)"
    # Playwright must not download browsers: the tests use Debian's chromium.
    (cd "$ROOT/end2end" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund >/dev/null) \
      || die "npm ci in end2end/ failed"
  fi
  # The REST API's contract test runs schemathesis, from PyPI.
  if ! command -v schemathesis >/dev/null 2>&1 && [ ! -x "$HOME/.local/bin/schemathesis" ]; then
    command -v python3 >/dev/null || die "python3 is missing: it runs schemathesis, the API contract test"
    say "installing schemathesis (the REST API's contract test) from PyPI"
    python3 -m pip install --quiet --user schemathesis 2>/dev/null \
      || python3 -m pip install --quiet --user --break-system-packages schemathesis \
      || die "could not install schemathesis with pip (python3 -m pip install --user schemathesis)"
  fi
  # The email tests talk to a real SMTP server: aiosmtpd, from PyPI.
  if ! python3 -c "import aiosmtpd" 2>/dev/null; then
    command -v python3 >/dev/null || die "python3 is missing: it runs the SMTP server (aiosmtpd) of the email tests"
    say "installing aiosmtpd (the SMTP server of the email tests) from PyPI"
    python3 -m pip install --quiet --user aiosmtpd 2>/dev/null \
      || python3 -m pip install --quiet --user --break-system-packages aiosmtpd \
      || die "could not install aiosmtpd with pip (python3 -m pip install --user aiosmtpd)"
  fi
  # The metrics and alert tests run a real Prometheus and Alertmanager, and
  # promtool tests the alert rules. The inbox tests run a real IMAP server,
  # Dovecot, as a process of their own. None of the packages' own services
  # may start on the standard ports: policy-rc.d refuses them during the install.
  missing=()
  command -v promtool >/dev/null && command -v prometheus-alertmanager >/dev/null \
    || missing+=(prometheus prometheus-alertmanager)
  [ -x /usr/sbin/dovecot ] && [ -x /usr/bin/doveadm ] || missing+=(dovecot-imapd)
  if [ ${#missing[@]} -gt 0 ]; then
    say "installing ${missing[*]} (servers the metrics and inbox tests run)"
    policy=/usr/sbin/policy-rc.d
    placed=false
    if [ ! -e "$policy" ]; then
      printf '#!/bin/sh\nexit 101\n' | as_root tee "$policy" >/dev/null && as_root chmod +x "$policy" && placed=true
    fi
    installed=0
    apt_install "${missing[@]}" || installed=1
    if $placed; then as_root rm -f "$policy"; fi
    [ "$installed" = 0 ] || die "could not install ${missing[*]} (apt-get install ${missing[*]}); the metrics, alert and inbox tests run them"
  fi
  # The error-tracking tests report to a real Sentry-compatible server:
  # Bugsink, from PyPI, in a virtual environment of its own.
  bugsink="$HOME/.cache/frontdesk/bugsink"
  if [ ! -x "$bugsink/bin/bugsink-manage" ]; then
    say "installing Bugsink (the Sentry-compatible server of the error-tracking tests) from PyPI"
    python3 -m venv "$bugsink" 2>/dev/null || {
      apt_install python3-venv && python3 -m venv "$bugsink"
    } || die "could not create a Python virtual environment for Bugsink (apt-get install python3-venv)"
    "$bugsink/bin/pip" install --quiet --only-binary=:all: bugsink \
      || die "could not install Bugsink with pip ($bugsink/bin/pip install bugsink)"
  fi
  # Instruction counts: Valgrind, and the Gungraun runner of the library's version.
  if ! command -v valgrind >/dev/null; then
    apt_install valgrind || die "could not install valgrind (apt-get install valgrind); the instruction-count benchmarks run under it"
  fi
  gungraun_version="$(awk '/^name = "gungraun"$/ { getline; gsub(/version = |"/, ""); print; exit }' "$ROOT/Cargo.lock")"
  if [ "$(gungraun-runner --version 2>/dev/null | awk '{ print $NF }')" != "$gungraun_version" ]; then
    say "installing gungraun-runner $gungraun_version (the instruction-count benchmarks' runner)"
    cargo install gungraun-runner --version "$gungraun_version" --locked --force \
      || die "could not install gungraun-runner $gungraun_version from crates.io"
  fi
fi
