# Starts a Dovecot (the IMAP server of the inbox tests, installed by
# `scripts/bootstrap.sh test`) as a process of its own on a free loopback
# port, plain IMAP, with one user and Maildirs in DIR. Sourced; sets
# DOVECOT_PORT and DOVECOT_CONF (for `doveadm -c`); stop_dovecot stops it.
# shellcheck shell=bash

start_dovecot() {  # DIR USER PASSWORD
  local dir="$1" user="$2" password="$3"
  [ -x /usr/sbin/dovecot ] || die "Dovecot is not installed; run scripts/bootstrap.sh test"
  mkdir -p "$dir/run" "$dir/state" "$dir/mail"
  chmod 755 "$dir"
  # Dovecot refuses to keep mail as root: the mail belongs to nobody.
  chown nobody:nogroup "$dir/mail" 2>/dev/null || true
  DOVECOT_PORT="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
  DOVECOT_CONF="$dir/dovecot.conf"
  printf '%s:{PLAIN}%s\n' "$user" "$password" > "$dir/users"
  cat > "$DOVECOT_CONF" <<CONF
protocols = imap
listen = 127.0.0.1
base_dir = $dir/run
state_dir = $dir/state
log_path = $dir/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:$dir/mail/%u
mail_uid = nobody
mail_gid = nogroup
first_valid_uid = 1
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u $dir/users
}
userdb {
  driver = static
  args = uid=nobody gid=nogroup home=$dir/mail/%u
}
service anvil {
  chroot =
}
service imap-login {
  chroot =
  inet_listener imap {
    address = 127.0.0.1
    port = $DOVECOT_PORT
  }
  inet_listener imaps {
    port = 0
  }
}
namespace inbox {
  inbox = yes
  separator = /
  mailbox Sent {
    special_use = \\Sent
    auto = subscribe
  }
}
CONF
  /usr/sbin/dovecot -c "$DOVECOT_CONF" || die "Dovecot did not start; see $dir/dovecot.log"
  for _ in $(seq 1 40); do
    python3 -c "import socket; socket.create_connection(('127.0.0.1', $DOVECOT_PORT), 1)" 2>/dev/null && return 0
    sleep 0.25
  done
  die "Dovecot did not listen on port $DOVECOT_PORT"
}

stop_dovecot() {
  [ -n "${DOVECOT_CONF:-}" ] && /usr/bin/doveadm -c "$DOVECOT_CONF" stop 2>/dev/null || true
}
