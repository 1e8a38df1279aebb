"""How the tests start Debian's Chromium: :mod:`devkit.browser` (shared with scripts/),
re-exported under the name the tests import."""

from __future__ import annotations

from devkit.browser import CHROMIUM, CHROMIUM_ARGS

__all__ = ["CHROMIUM", "CHROMIUM_ARGS"]
