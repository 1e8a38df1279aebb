#!/usr/bin/env bash
# Install the hall or district server on Debian 12 / Ubuntu 24.04: user kiosk-server, the app
# in /opt/residents-home/.venv, settings in /etc/residents-home/server.toml (a random secret),
# the systemd units (server, nightly backup), nginx with TLS in front. Idempotent.
#   sudo deploy/server/install.sh [--postgres URL] [--hostname NAME]
# docs/DEPLOY.md walks through it and what to check afterwards.
source "$(dirname "$0")/../common.sh"
DB_URL=""
HOSTNAME_TLS="$(hostname -f 2>/dev/null || hostname)"
while [ $# -gt 0 ]; do
  case "$1" in
    --postgres) DB_URL="$2"; shift 2 ;;
    --hostname) HOSTNAME_TLS="$2"; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
need_root
apt_install python3-venv python3-dev nginx openssl postgresql-client
system_user kiosk-server /var/lib/residents-home
install_app "server,postgres"

mkdir -p "$ETC/tls" "$DESTDIR/var/lib/residents-home/backups"
if [ ! -f "$ETC/server.toml" ]; then
  say "writing $ETC/server.toml (new random secret and data key: back the file up)"
  secret="$("$PYTHON" -c 'import secrets; print(secrets.token_urlsafe(32))')"
  data_key="$("$PYTHON" -c 'import base64, secrets; print(base64.b64encode(secrets.token_bytes(32)).decode())')"
  sed -e "s|^secret_key = .*|secret_key = \"$secret\"|" \
      -e "s|^data_key = .*|data_key = \"$data_key\"|" \
      -e "s|^data_dir = .*|data_dir = \"/var/lib/residents-home\"|" \
      -e "s|^database_url = .*|database_url = \"$DB_URL\"|" \
      -e 's|^trusted_proxies = .*|trusted_proxies = ["127.0.0.1", "::1"]  # nginx on this machine|' \
      "$SRC/config/server.example.toml" > "$ETC/server.toml"
  grep -q '^trusted_proxies = \["127' "$ETC/server.toml" || { echo "server.toml: trusted_proxies not set" >&2; exit 1; }
  chmod 0640 "$ETC/server.toml"
fi
if [ ! -f "$ETC/tls/server.crt" ]; then
  say "no certificate yet: a self-signed one for $HOSTNAME_TLS (replace it with the real one)"
  openssl req -x509 -newkey rsa:2048 -nodes -days 825 -subj "/CN=$HOSTNAME_TLS" \
    -keyout "$ETC/tls/server.key" -out "$ETC/tls/server.crt" 2>/dev/null
  chmod 0600 "$ETC/tls/server.key"
fi
install_units "$SRC/deploy/server/kiosk-server.service" \
              "$SRC/deploy/server/kiosk-server-backup.service" \
              "$SRC/deploy/server/kiosk-server-backup.timer"
mkdir -p "$DESTDIR/etc/nginx/sites-available" "$DESTDIR/etc/nginx/sites-enabled"
install -m 0644 "$SRC/deploy/server/nginx-residents-home.conf" "$DESTDIR/etc/nginx/sites-available/residents-home"
ln -sf ../sites-available/residents-home "$DESTDIR/etc/nginx/sites-enabled/residents-home"
rm -f "$DESTDIR/etc/nginx/sites-enabled/default"
if [ -z "$DESTDIR" ]; then
  chown -R kiosk-server:kiosk-server /var/lib/residents-home
  chgrp kiosk-server "$ETC/server.toml"
  # A new installation creates its database once, on purpose (serve never does).
  runuser -u kiosk-server -- env KIOSK_SERVER_CONFIG="$ETC/server.toml" "$PREFIX/.venv/bin/kiosk-server" migrate
fi
systemctl_do daemon-reload
systemctl_do enable --now kiosk-server.service kiosk-server-backup.timer
[ -z "$DESTDIR" ] && nginx -t && systemctl_do reload nginx
say "done. Next: kiosk-server create-admin NAME --config $ETC/server.toml (docs/DEPLOY.md)"
