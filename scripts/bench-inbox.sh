#!/usr/bin/env bash
# The inbox's benchmark: starts Dovecot (scripts/bootstrap.sh test installs
# it) with one mailbox of BENCH_MESSAGES messages (10,000 by default: 2,000
# correspondents, threads of five, a tenth with a 40 KB attachment, dated
# over the last 300 days), then runs `frontdesk bench-inbox` on a release
# build against it.
set -euo pipefail
source "$(dirname "$0")/common.sh"
source "$ROOT/scripts/dovecot.sh"
cd "$ROOT"
DATABASE_URL="$("$ROOT/scripts/ensure-postgres.sh")"
export DATABASE_URL LOG_LEVEL="${LOG_LEVEL:-warn}"
messages="${BENCH_MESSAGES:-10000}"
user="bench@example.com"
password="bench-imap-password"
dir="$(mktemp -d /tmp/frontdesk-bench-imap.XXXXXX)"
trap 'stop_dovecot; rm -rf "$dir"' EXIT
start_dovecot "$dir" "$user" "$password"

# Maildir files written directly: Dovecot numbers them on the first SELECT.
say "writing $messages messages"
python3 - "$dir/mail/$user" "$messages" <<'PY'
import base64, os, random, sys, time
from email.utils import formatdate
root, count = sys.argv[1], int(sys.argv[2])
random.seed(7)
for sub in ("cur", "new", "tmp"):
    os.makedirs(os.path.join(root, sub), exist_ok=True)
now = time.time()
blob = base64.encodebytes(os.urandom(30_000)).decode()
for n in range(count):
    thread, k = divmod(n, 5)
    sender = f"sender{thread % 2000}@clients.example"
    when = now - (count - n) * (300 * 86400 / count)
    refs = " ".join(f"<t{thread}-{j}@clients.example>" for j in range(k))
    head = (f"Message-ID: <t{thread}-{k}@clients.example>\r\nFrom: Client {thread % 2000} <{sender}>\r\n"
            f"To: bench@example.com\r\nSubject: {'Re: ' if k else ''}Appointment {thread}\r\n"
            f"Date: {formatdate(when)}\r\nMIME-Version: 1.0\r\n")
    if refs:
        head += f"In-Reply-To: <t{thread}-{k - 1}@clients.example>\r\nReferences: {refs}\r\n"
    text = f"Hello, about appointment {thread} (message {k}). " + "Could we move it to another day? " * 20
    if n % 10 == 0:
        body = (head + "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
                + text + "\r\n--b\r\nContent-Type: application/pdf; name=results.pdf\r\n"
                "Content-Disposition: attachment; filename=results.pdf\r\nContent-Transfer-Encoding: base64\r\n\r\n"
                + blob.replace("\n", "\r\n") + "--b--\r\n")
    else:
        body = head + "Content-Type: text/plain; charset=utf-8\r\n\r\n" + text + "\r\n"
    name = f"{int(when)}.M{n}P1.bench:2,{'S' if n % 7 else ''}"
    with open(os.path.join(root, "cur", name), "w", newline="") as f:
        f.write(body)
    os.utime(os.path.join(root, "cur", name), (when, when))
PY
chown -R nobody:nogroup "$dir/mail" 2>/dev/null || true

BENCH_IMAP_PORT="$DOVECOT_PORT" BENCH_IMAP_USER="$user" BENCH_IMAP_PASSWORD="$password" \
  cargo run --release --quiet -p server --bin frontdesk -- bench-inbox
