"""Widget tests: build kiosk widgets without running the app (a Kivy window must exist).

Kivy reads its environment at import, so it is set here before any test imports kivy.
"""

from __future__ import annotations

import os
import tempfile

os.environ.setdefault("KIVY_NO_ARGS", "1")
os.environ.setdefault("KIVY_NO_CONSOLELOG", "1")
os.environ.setdefault("KIVY_NO_FILELOG", "1")
os.environ.setdefault("KIVY_NO_CONFIG", "1")
os.environ.setdefault("KIVY_HOME", tempfile.mkdtemp(prefix="kivy-home-"))

import pytest

needs_display = pytest.mark.skipif(
    not os.environ.get("DISPLAY"), reason="needs a display: run under xvfb-run (make test does)"
)


@pytest.fixture(scope="session")
def kivy_window():  # type: ignore[no-untyped-def]
    """The process's one Kivy window, with the kiosk's settings and font."""
    if not os.environ.get("DISPLAY"):
        pytest.skip("needs a display: run under xvfb-run (make test does)")
    from kiosk.cli import configure_kivy
    from kiosk.settings import load_settings

    configure_kivy(load_settings(None, windowed=True, size=(1920, 1080)))
    from kivy.base import EventLoop

    from kiosk.assets import register_fonts

    EventLoop.ensure_window()
    register_fonts()
    return EventLoop.window
