#!/usr/bin/env bash
# Debian packages the project needs on a fresh Debian 12 machine. As root they are
# installed (apt-get); otherwise we say exactly which are missing and carry on, so the
# tests that need them can skip loudly.
set -euo pipefail
PKGS=(
  python3-venv python3-dev        # the .venv
  xvfb xauth libgl1-mesa-dri libgl1 libmtdev1 # a screen for Kivy
  espeak-ng libespeak-ng1 sox     # Mandarin speech (pyttsx3 → espeak-ng) and measuring it
  postgresql                      # the real PostgreSQL the test suite starts for itself
  nginx openssl xinit             # deploy/: the reverse proxy test, its TLS certificate, units that start X
  wrk                             # bench/: tickets/s measured from outside (bench/wrk_tickets.py)
  chromium                        # browser tests (Playwright drives Debian's Chromium)
  tesseract-ocr tesseract-ocr-chi-sim  # reading Chinese back from screenshots
  fonts-noto-cjk                  # source of the bundled font subset (make font)
)
command -v dpkg-query >/dev/null || { echo "system-deps: not a Debian system; install the equivalents of: ${PKGS[*]}"; exit 0; }
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ]; then
  echo "system-deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "system-deps: please install (as root): apt-get install ${missing[*]}"
fi
