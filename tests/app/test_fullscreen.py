"""The real kiosk fills a bare X server's screen (no window manager), as on a hall PC.

A private Xvfb of 1280×800 (black root, no window manager) runs ``python -m kiosk`` in
kiosk mode; the app's X window must become 1280×800 at (0, 0), and a screenshot of the
root window must show the app's colours in all four corners, not the black root; and the
first frame it draws is already of that size.
"""

from __future__ import annotations

import json
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
    not all(shutil.which(tool) for tool in ("Xvfb", "xwininfo")),
    reason="needs Xvfb and xwininfo (scripts/system-deps.sh)",
)

#: The kiosk's own command (``kiosk.cli``), with the size of its first frame drawn
#: written to ``argv[1]`` as JSON: the window as Kivy and SDL have it at that frame.
FIRST_FRAME = """
import json, sys
from pathlib import Path
from kiosk.cli import build_parser, configure_kivy, run_app, settings_from_args

out = Path(sys.argv[1])
settings = settings_from_args(build_parser().parse_args(sys.argv[2:]))
configure_kivy(settings)
from kivy.core.window import Window  # the window is made here, before any frame

def first_frame(window, *_args):
    if not out.exists():
        out.write_text(json.dumps({
            "size": list(window.size), "system_size": list(window.system_size),
            "left": window.left, "top": window.top,
        }))
Window.bind(on_draw=first_frame)
raise SystemExit(run_app(settings))
"""


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


def _corner_colours(display: str) -> list[tuple[int, ...]]:
    """The root window's four corner pixels (Pillow's X grab, no other tool)."""
    from PIL import ImageGrab

    shot = ImageGrab.grab(xdisplay=display).convert("RGB")
    corners = ((2, 2), (WIDTH - 3, 2), (2, HEIGHT - 3), (WIDTH - 3, HEIGHT - 3))
    return [tuple(shot.getpixel(xy)) for xy in corners]  # type: ignore[arg-type]


def _env(display: str, tmp_path: Path) -> dict[str, str]:
    return {
        **os.environ,
        "DISPLAY": display,
        "KIVY_NO_ARGS": "1",
        "KIVY_NO_CONFIG": "1",
        "KIVY_NO_FILELOG": "1",
        "KIVY_HOME": str(tmp_path / "kivy"),
        "PYTHONPATH": str(Path(__file__).resolve().parents[2]),
    }


def _stop(app: subprocess.Popen[bytes], xvfb: subprocess.Popen[bytes]) -> None:
    app.send_signal(signal.SIGTERM)
    try:
        app.wait(timeout=20)
    except subprocess.TimeoutExpired:
        app.kill()
        app.wait(timeout=20)
    xvfb.terminate()
    xvfb.wait(timeout=20)


def test_the_first_frame_is_drawn_at_the_screens_size(tmp_path: Path) -> None:
    """No 800×600 frames with tile text spilling out before a resize: the window is made
    display-sized, at (0, 0), before Kivy draws anything."""
    xvfb, display = _start_xvfb(tmp_path)
    out = tmp_path / "first-frame.json"
    log = (tmp_path / "kiosk.log").open("wb")
    app = subprocess.Popen(
        [sys.executable, "-c", FIRST_FRAME, str(out), "--data-dir", str(tmp_path / "data")],
        cwd=tmp_path,  # kiosk mode, demo content
        env=_env(display, tmp_path),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 90
        while not out.exists():
            assert app.poll() is None, (tmp_path / "kiosk.log").read_text()[-3000:]
            assert time.monotonic() < deadline, "no frame drawn"
            time.sleep(0.2)
        time.sleep(0.2)  # written whole
        first = json.loads(out.read_text())
        assert first["system_size"] == [WIDTH, HEIGHT], first
        assert first["size"] == [WIDTH, HEIGHT], first
        assert (first["left"], first["top"]) == (0, 0), first
    finally:
        _stop(app, xvfb)
        log.close()


def test_kiosk_fills_a_bare_x_screen(tmp_path: Path) -> None:
    xvfb, display = _start_xvfb(tmp_path)
    env = _env(display, tmp_path)
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
        colours = _corner_colours(display)
        while any(c == (0, 0, 0) for c in colours):
            assert time.monotonic() < deadline, colours
            time.sleep(0.5)
            colours = _corner_colours(display)
    finally:
        _stop(app, xvfb)
        log.close()
