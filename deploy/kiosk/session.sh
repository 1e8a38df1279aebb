#!/bin/sh
# The X session of the hall screen (run by xinit from residents-home-kiosk@.service).
# Blanking and power saving off, then the kiosk in the unit's mode, fullscreen.
set -eu
xset s off -dpms s noblank 2>/dev/null || true
mode="${KIOSK_MODE:-kiosk}"
set -- --mode "$mode"
[ -f "${KIOSK_CONFIG:-}" ] && set -- "$@" --config "$KIOSK_CONFIG"
exec /opt/residents-home/.venv/bin/kiosk "$@"
