"""How tests and scripts start Debian's Chromium: one set of flags for every browser.

As root Chromium needs ``--no-sandbox``; the rest keeps it off this machine's closed
network (background updates, sync, first-run pages).
"""

from __future__ import annotations

__all__ = ["CHROMIUM", "CHROMIUM_ARGS"]

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
