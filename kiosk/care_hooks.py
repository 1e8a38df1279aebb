"""The Kivy side of remote care and of the clock check, kept out of the App class.

:func:`start_care` wires, for a kiosk connected to a hall server:

* the log ring (:class:`kiosk.sync.care.LogRing`) on the root logger;
* :class:`KivyCamera`: a screenshot taken on the main thread, downsized to a JPEG;
* the screen fingerprint, noted every :data:`FINGERPRINT_EVERY` seconds for the heartbeat;
* the :class:`~kiosk.sync.care.CareAgent` answering the fleet page's commands, whose
  restart stops the app with :data:`~kiosk.sync.care.RESTART_EXIT_CODE`;
* the :class:`~kiosk.core.clock_check.ClockGuard`, fed the server's time, which refuses
  to number tickets (时间校准中) while the clock is implausible.

The pure parts live in :mod:`kiosk.sync.care` and :mod:`kiosk.core.clock_check`.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import logging
import tempfile
import threading
import urllib.request
from pathlib import Path
from typing import Any

from kivy.clock import Clock
from kivy.core.window import Window

from kiosk.core import clock
from kiosk.core.clock_check import ClockGuard
from kiosk.core.wire import API_PREFIX
from kiosk.i18n import _
from kiosk.sync.care import (
    RESTART_EXIT_CODE,
    CareAgent,
    CareClient,
    LogRing,
    ScreenWatch,
    screen_fingerprint,
)

__all__ = ["CareHooks", "KivyCamera", "start_care"]

log = logging.getLogger(__name__)

#: Seconds between two fingerprints of what is drawn.
FINGERPRINT_EVERY = 20.0
#: Seconds between two looks at the server's clock (sooner while it disagrees).
SERVER_TIME_EVERY = 300.0
#: The longest side of an uploaded screenshot, in pixels, and its JPEG quality.
SHOT_SIDE = 1280
SHOT_QUALITY = 70
SHOT_MAX_BYTES = 300_000
#: A kiosk talks to its hall server directly (no proxy from the environment).
_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class KivyCamera:
    """:class:`kiosk.sync.care.ScreenCamera` over Kivy's ``Window.screenshot``."""

    def __init__(self) -> None:
        self._dir = Path(tempfile.mkdtemp(prefix="kiosk-care-"))

    def capture(self, timeout: float) -> bytes:
        done = threading.Event()
        found: list[str] = []

        def grab(_dt: float) -> None:
            try:
                for old in self._dir.glob("*.png"):
                    old.unlink()
                found.append(str(Window.screenshot(name=str(self._dir / "screen.png"))))
            finally:
                done.set()

        Clock.schedule_once(grab)
        if not done.wait(timeout) or not found:
            raise TimeoutError("screenshot not taken in time (UI thread busy)")
        return _downsized(Path(found[0]))


def _downsized(path: Path) -> bytes:
    from PIL import Image

    with Image.open(path) as opened:
        rgba = opened.convert("RGBA")
        # What the screen shows: anything left transparent reads as the light background,
        # not as JPEG's black.
        image = Image.new("RGB", rgba.size, (255, 255, 255))
        image.paste(rgba, mask=rgba.getchannel("A"))
        image.thumbnail((SHOT_SIDE, SHOT_SIDE))
        quality = SHOT_QUALITY
        while True:
            out = io.BytesIO()
            image.save(out, "JPEG", quality=quality, optimize=True)
            if out.tell() <= SHOT_MAX_BYTES or quality <= 30:
                return out.getvalue()
            quality -= 15


class CareHooks:
    """What :func:`start_care` started; :meth:`stop` on the app's stop."""

    def __init__(self, app: Any, base_url: str, token: str) -> None:
        self.ring = LogRing(zone=app.settings.zone())
        logging.getLogger().addHandler(self.ring)
        self.screen = ScreenWatch()
        self.guard = ClockGuard(Path(app.settings.data_dir) / "clock.json")
        self._app = app
        self._base_url = base_url
        self._client = CareClient(base_url, token)
        self.agent = CareAgent(
            server=self._client, camera=KivyCamera(), ring=self.ring, on_restart=self._restart
        )
        self._stopping = threading.Event()
        self._fingerprint_event = Clock.schedule_interval(self._fingerprint, FINGERPRINT_EVERY)
        Clock.schedule_once(self._fingerprint, 1.0)
        self.agent.start()
        threading.Thread(target=self._server_time_loop, name="clock-check", daemon=True).start()

    def wake(self) -> None:
        self.agent.wake()

    def stop(self) -> None:
        self._stopping.set()
        self.agent.stop()
        self._fingerprint_event.cancel()
        logging.getLogger().removeHandler(self.ring)
        self._client.close()

    def clock_refusal(self) -> str | None:
        """Why no ticket may be numbered now (for the resident), or None."""
        verdict = self.guard.verdict(clock.now())
        if verdict.plausible:
            return None
        log.warning("clock implausible, no ticket numbered: %s", verdict.reason)
        return str(_("The time is being set: no number can be given now. Please ask at a window."))

    def _restart(self) -> None:
        log.warning("remote care: restarting (exit %d)", RESTART_EXIT_CODE)
        self._app.exit_code = RESTART_EXIT_CODE

        def stop(_dt: float) -> None:
            self._app.stop()

        Clock.schedule_once(stop)

    def _fingerprint(self, _dt: float) -> None:
        try:
            manager = getattr(self._app, "manager", None)  # the display has no screens
            current = manager.current_screen if manager is not None else self._app.root
            texts = [
                str(w.text)
                for w in current.walk(restrict=True)
                if isinstance(getattr(w, "text", None), str)
            ]
            self.screen.note(screen_fingerprint(str(self._app.current_name), texts))
        except Exception:  # never let care break the UI thread
            log.debug("screen fingerprint failed", exc_info=True)

    def _server_time_loop(self) -> None:
        url = self._base_url.rstrip("/")
        if not url.endswith(API_PREFIX):
            url += API_PREFIX
        while not self._stopping.is_set():
            wait = SERVER_TIME_EVERY
            try:
                before = clock.now()
                with _DIRECT.open(url + "/health", timeout=10) as reply:
                    body = json.loads(reply.read(64_000))
                after = clock.now()
                server = dt.datetime.fromisoformat(str(body["time"]))
                self.guard.note_server_time(server, before + (after - before) / 2)
                if not self.guard.verdict(after).plausible:
                    wait = 30.0
            except Exception as exc:  # the server away: the offline rules decide
                log.debug("server time not read: %s", exc)
                wait = 30.0
            self._stopping.wait(wait)


def start_care(app: Any) -> CareHooks | None:
    """Remote care and the clock check for ``app``; None for the demo (no server)."""
    settings = app.settings
    if getattr(settings, "demo", False) or not settings.server_url or not settings.token:
        return None
    hooks = CareHooks(app, settings.server_url, settings.token)
    app.feed.screen_state = hooks.screen.state
    tickets = getattr(app, "tickets", None)
    if tickets is not None:
        tickets.clock_refusal = hooks.clock_refusal
    return hooks
