# Shared by deploy/kiosk/install.sh and deploy/server/install.sh (sourced, not run).
# DESTDIR=/some/root installs into a folder instead of / (tests, image builds); with
# NO_APT=1 and NO_SYSTEMCTL=1 nothing outside DESTDIR is touched.
set -euo pipefail
SRC="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DESTDIR="${DESTDIR:-}"
PREFIX="${PREFIX:-/opt/residents-home}"
ETC="$DESTDIR/etc/residents-home"
UNITS="$DESTDIR/etc/systemd/system"
PYTHON="${PYTHON:-python3}"

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }

need_root() {
  if [ -z "$DESTDIR" ] && [ "$(id -u)" != 0 ]; then
    echo "run as root (sudo $0 …), or set DESTDIR to install into a folder" >&2
    exit 1
  fi
}

apt_install() {
  [ "${NO_APT:-0}" = 1 ] && { say "skipping apt-get (NO_APT=1): $*"; return; }
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "$@"
}

system_user() {  # name home
  if [ -n "$DESTDIR" ]; then say "would create system user $1 (DESTDIR set)"; return; fi
  id "$1" >/dev/null 2>&1 || useradd --system --home-dir "$2" --create-home --shell /usr/sbin/nologin "$1"
}

install_app() {  # extras, e.g. "server,postgres"
  say "installing the app into $DESTDIR$PREFIX (extras: $1)"
  mkdir -p "$DESTDIR$PREFIX"
  # The source tree without the developer's venv, data, caches and git.
  tar -C "$SRC" --exclude=.venv --exclude=.git --exclude=data --exclude=.pgtest \
      --exclude=__pycache__ --exclude='*.egg-info' --exclude=screenshots -cf - . \
    | tar -C "$DESTDIR$PREFIX" -xf -
  [ -x "$DESTDIR$PREFIX/.venv/bin/python" ] || "$PYTHON" -m venv "$DESTDIR$PREFIX/.venv"
  "$DESTDIR$PREFIX/.venv/bin/python" -m pip install -q --upgrade pip
  "$DESTDIR$PREFIX/.venv/bin/python" -m pip install -q "$DESTDIR$PREFIX[$1]"
}

install_units() {  # files…
  mkdir -p "$UNITS"
  for f in "$@"; do install -m 0644 "$f" "$UNITS/"; done
}

systemctl_do() {
  [ "${NO_SYSTEMCTL:-0}" = 1 ] && { say "skipping: systemctl $* (NO_SYSTEMCTL=1)"; return; }
  systemctl "$@"
}
