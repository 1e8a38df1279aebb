"""Touch tests of the real kiosk app in a real Kivy window (under Xvfb).

A Kivy window (and GL context) can be made once per process, so one app runs for the
whole session: it starts *offline from its content cache* (the cache is seeded with a
demo hall through :class:`kiosk.sync.store.ContentStore`, the server URL points at a
closed port) — that start is itself the offline-start test's subject. Tests drive it
through :class:`devkit.kiosk_driver.AppDriver` and leave it on the home screen.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator

os.environ.setdefault("KIVY_NO_ARGS", "1")
os.environ.setdefault("KIVY_NO_CONSOLELOG", "1")
os.environ.setdefault("KIVY_NO_FILELOG", "1")
os.environ.setdefault("KIVY_NO_CONFIG", "1")
os.environ.setdefault("KIVY_HOME", tempfile.mkdtemp(prefix="kivy-home-"))

import pytest

from kiosk.core.content import HallContent
from tests.utils.kiosk_cache import closed_port, seed_cache


@pytest.fixture(scope="session")
def demo_halls() -> list[HallContent]:
    from kiosk.core.demo import load_demo_halls

    return load_demo_halls()


@pytest.fixture(scope="session")
def kiosk(tmp_path_factory: pytest.TempPathFactory, demo_halls: list[HallContent]) -> Iterator:  # type: ignore[type-arg]
    """The running app (an :class:`AppDriver`), started offline from a seeded cache."""
    if not os.environ.get("DISPLAY"):
        pytest.skip("needs a display: run under xvfb-run (make test does)")
    from kiosk.cli import configure_kivy
    from kiosk.settings import load_settings

    data = tmp_path_factory.mktemp("kiosk-data")
    seed_cache(data / "content", demo_halls[0])
    # The window is a plain 1920×1080 window so tests can resize it to portrait; the app
    # itself runs with kiosk settings (not windowed), so Escape and close are swallowed.
    configure_kivy(load_settings(None, windowed=True, size=(1920, 1080)))
    settings = load_settings(
        None,
        server_url=f"http://127.0.0.1:{closed_port()}",
        token="test-device-token",
        data_dir=data,
        windowed=False,
        orientation="auto",
    )
    from devkit.kiosk_driver import start_app
    from kiosk.app import KioskApp
    from kiosk.feed import make_feed

    app = KioskApp(settings=settings, feed=make_feed(settings))
    driver = start_app(app)
    yield driver
    app.feed.stop()
    app.stop()


@pytest.fixture
def at_home(kiosk):  # type: ignore[no-untyped-def]
    """The app on its home screen in landscape with the first demo hall, before and after."""
    kiosk.app.reset()
    kiosk.resize(1920, 1080)
    yield kiosk
    kiosk.app.idle.idle_seconds = kiosk.app.settings.idle_seconds
    kiosk.app.idle.warn_seconds = min(15.0, kiosk.app.settings.idle_seconds / 3)
    kiosk.app.reset()
