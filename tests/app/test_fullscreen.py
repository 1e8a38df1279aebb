"""The real kiosk fills a bare X server's screen (no window manager), as on a hall PC.

A private Xvfb of 1280×800 (black root, no window manager) runs ``python -m kiosk`` in
kiosk mode; the app's X window must become 1280×800 at (0, 0), and a screenshot of the
root window must show the app's colours in all four corners, not the black root.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

WIDTH, HEIGHT = 1280, 800

pytestmark = pytest.mark.skipif(
    not all(shutil.which(tool) for tool in ("Xvfb", "xwininfo", "convert", "import")),
    reason="needs Xvfb, xwininfo and ImageMagick (scripts/system-deps.sh)",
)


def _start_xvfb(tmp_path: Path) -> tuple[subprocess.Popen[bytes], str]:
    read, write = os.pipe()
    with (tmp_path / "xvfb.log").open("wb") as log:
        xvfb = subprocess.Popen(
            ["Xvfb", "-displayfd", str(write), "-screen", "0", f"{WIDTH}x{HEIGHT}x24", "-br"],
            pass_fds=(write,),
            stdout=subprocess.DEVNULL,
            stderr=log,
        )
    os.close(write)
    with os.fdopen(read) as pipe:
        number = pipe.readline().strip()
    assert number, "Xvfb did not report its display"
    return xvfb, f":{number}"


def _app_windows(display: str) -> list[tuple[int, int, int, int]]:
    """(width, height, x, y) of the root window's mapped children."""
    out = subprocess.run(
        ["xwininfo", "-root", "-children", "-display", display],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    ).stdout
    return [
        (int(w), int(h), int(x), int(y))
        for w, h, x, y in re.findall(r"\)\s+(\d+)x(\d+)\+(-?\d+)\+(-?\d+)", out)
    ]


def _corner_colours(display: str, tmp_path: Path) -> list[str]:
    shot = tmp_path / "root.png"
    subprocess.run(
        ["import", "-display", display, "-window", "root", str(shot)], timeout=60, check=True
    )
    colours = []
    for x, y in ((2, 2), (WIDTH - 3, 2), (2, HEIGHT - 3), (WIDTH - 3, HEIGHT - 3)):
        out = subprocess.run(
            ["convert", str(shot), "-format", f"%[pixel:p{{{x},{y}}}]", "info:"],
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        ).stdout.strip()
        colours.append(out)
    return colours


def test_kiosk_fills_a_bare_x_screen(tmp_path: Path) -> None:
    xvfb, display = _start_xvfb(tmp_path)
    env = {
        **os.environ,
        "DISPLAY": display,
        "KIVY_NO_ARGS": "1",
        "KIVY_NO_CONFIG": "1",
        "KIVY_NO_FILELOG": "1",
        "KIVY_HOME": str(tmp_path / "kivy"),
        "PYTHONPATH": str(Path(__file__).resolve().parents[2]),
    }
    log = (tmp_path / "kiosk.log").open("wb")
    app = subprocess.Popen(
        [sys.executable, "-m", "kiosk", "--data-dir", str(tmp_path / "data")],
        cwd=tmp_path,  # no config/kiosk.toml here: kiosk mode, demo content
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 90
        windows: list[tuple[int, int, int, int]] = []
        while time.monotonic() < deadline:
            assert app.poll() is None, (tmp_path / "kiosk.log").read_text()[-3000:]
            windows = _app_windows(display)
            if (WIDTH, HEIGHT, 0, 0) in windows:
                break
            time.sleep(0.3)
        assert (WIDTH, HEIGHT, 0, 0) in windows, windows
        # The app draws over the whole screen: no corner shows the black root.
        deadline = time.monotonic() + 60
        colours = _corner_colours(display, tmp_path)
        while any(c in ("srgb(0,0,0)", "black") for c in colours):
            assert time.monotonic() < deadline, colours
            time.sleep(0.5)
            colours = _corner_colours(display, tmp_path)
    finally:
        app.send_signal(signal.SIGTERM)
        try:
            app.wait(timeout=20)
        except subprocess.TimeoutExpired:
            app.kill()
            app.wait(timeout=20)
        xvfb.terminate()
        xvfb.wait(timeout=20)
        log.close()
