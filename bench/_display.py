"""The kiosk benchmarks draw real Kivy windows: without a display they re-run themselves
under ``xvfb-run`` on a 1920×1080 virtual screen."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys


def rerun_under_xvfb(script: str, argv: list[str], name: str) -> int | None:
    """None when there is a display (go on); else the exit code of ``script`` re-run
    under ``xvfb-run`` (0 with a note when there is no ``xvfb-run`` either)."""
    if os.environ.get("DISPLAY"):
        return None
    xvfb = shutil.which("xvfb-run")
    if xvfb is None:
        print(f"{name}: no display and no xvfb-run; skipped")
        return 0
    cmd = [xvfb, "-a", "-s", "-screen 0 1920x1080x24", sys.executable, script, *argv]
    return subprocess.call(cmd)
