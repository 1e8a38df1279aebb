#!/usr/bin/env bash
# Install a hall PC's screen on Debian 12 / Ubuntu 24.04: user kiosk, the app in
# /opt/residents-home/.venv, a bare X server on tty1 started by systemd at boot (no desktop),
# restarted within seconds, a watchdog, blanking off, logs kept small. Idempotent.
#   sudo deploy/kiosk/install.sh --mode kiosk|display|rating [--server URL --token TOKEN]
#   (--mode rating also takes --counter N: the counter id the rating device faces)
source "$(dirname "$0")/../common.sh"
MODE=kiosk SERVER="" TOKEN="" COUNTER=""
while [ $# -gt 0 ]; do
  case "$1" in
    --mode) MODE="$2"; shift 2 ;;
    --server) SERVER="$2"; shift 2 ;;
    --token) TOKEN="$2"; shift 2 ;;
    --counter) COUNTER="$2"; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
case "$MODE" in kiosk|display|rating) ;; *) echo "--mode kiosk, display or rating" >&2; exit 2 ;; esac
case "$COUNTER" in "") ;; *[!0-9]*) echo "--counter: the counter id, a number" >&2; exit 2 ;; esac
if [ "$MODE" = rating ] && [ -z "$COUNTER" ] && ! grep -qs "^counter = [1-9]" "$ETC/kiosk.toml"; then
  echo "--mode rating needs --counter N (the counter id the device faces)" >&2; exit 2
fi
need_root
apt_install python3-venv python3-tk xserver-xorg-core xserver-xorg-input-libinput xinit \
  x11-xserver-utils libgl1-mesa-dri libgl1 libmtdev1 espeak-ng libespeak-ng1 fonts-noto-cjk
system_user kiosk /var/lib/residents-home-kiosk
[ -z "$DESTDIR" ] && usermod -aG video,input,audio,tty,lp kiosk
install_app "kiosk,printer"

mkdir -p "$ETC"
if [ ! -f "$ETC/kiosk.toml" ]; then
  say "writing $ETC/kiosk.toml"
  sed -e "s|^server_url = .*|server_url = \"$SERVER\"|" \
      -e "s|^token = .*|token = \"$TOKEN\"|" \
      -e "s|^data_dir = .*|data_dir = \"/var/lib/residents-home-kiosk\"|" \
      "$SRC/config/kiosk.example.toml" > "$ETC/kiosk.toml"
  chmod 0640 "$ETC/kiosk.toml"
fi
if [ -n "$COUNTER" ]; then
  say "rating device of counter $COUNTER"
  sed -i -e "s|^# counter = .*|counter = $COUNTER|" -e "s|^counter = .*|counter = $COUNTER|" "$ETC/kiosk.toml"
fi
# A service (not a console user) may start X.
mkdir -p "$DESTDIR/etc/X11"
printf 'allowed_users=anybody\nneeds_root_rights=yes\n' > "$DESTDIR/etc/X11/Xwrapper.config"
mkdir -p "$DESTDIR/etc/systemd/journald.conf.d"
install -m 0644 "$SRC/deploy/kiosk/journald-residents-home.conf" "$DESTDIR/etc/systemd/journald.conf.d/residents-home.conf"
install_units "$SRC/deploy/kiosk/residents-home-kiosk@.service" "$SRC/deploy/kiosk/residents-home-kiosk-down@.service"
# The text console never blanks either (before X starts, and after a crash).
mkdir -p "$DESTDIR/etc/default/grub.d"
echo 'GRUB_CMDLINE_LINUX_DEFAULT="$GRUB_CMDLINE_LINUX_DEFAULT consoleblank=0"' > "$DESTDIR/etc/default/grub.d/residents-home.cfg"
[ -z "$DESTDIR" ] && chown kiosk:kiosk "$ETC/kiosk.toml" && { command -v update-grub >/dev/null && update-grub || true; }
systemctl_do daemon-reload
systemctl_do disable getty@tty1.service
systemctl_do enable "residents-home-kiosk@$MODE.service"
systemctl_do restart "residents-home-kiosk@$MODE.service"
say "done: the screen shows the kiosk ($MODE). Check: systemctl status residents-home-kiosk@$MODE"
