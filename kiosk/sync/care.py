"""The kiosk's side of remote care from the fleet page (kiosk/server/kiosk_care.py).

* :class:`LogRing` — a :class:`logging.Handler` keeping the last ~200 log lines, with
  phone and ID-card numbers masked (ticket numbers and ids stay: they are what staff
  need);
* :class:`ScreenWatch` — the fingerprint of what is drawn and when it last changed, for
  the heartbeat (the stuck-screen warning);
* :class:`CareAgent` — woken by a ``care`` event, takes this kiosk's commands from the
  server and answers them on its own thread: a screenshot (taken by the GUI behind the
  :class:`ScreenCamera` interface), the log lines, or a restart (acknowledged first,
  then ``on_restart``).

No kivy here: the GUI hands in the camera and the restart.
"""

from __future__ import annotations

import collections
import datetime as dt
import hashlib
import logging
import re
import threading
from collections.abc import Callable, Iterable
from typing import Protocol

import requests
from pydantic import ValidationError

from kiosk import __version__
from kiosk.core import clock
from kiosk.core.wire import API_PREFIX, CareCommandPublic, CareCommandsPublic, CareLogCreate

__all__ = [
    "RESTART_EXIT_CODE",
    "CareAgent",
    "CareClient",
    "LogRing",
    "ScreenCamera",
    "ScreenWatch",
    "parse_commands",
    "screen_fingerprint",
]

log = logging.getLogger(__name__)

#: The exit status of a remote restart (EX_TEMPFAIL); the kiosk's systemd unit
#: (``Restart=always``, deploy/kiosk/residents-home-kiosk@.service) starts it again.
RESTART_EXIT_CODE = 75

#: Log lines kept and sent.
RING_SIZE = 200

# Mainland mobile numbers (11 digits from 1[3-9]) and 18-character ID-card numbers: never
# leave the kiosk in a log line. Longer digit runs are left alone (hashes, timestamps).
_PHONE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
_ID_CARD = re.compile(r"(?<![\dXx])\d{17}[\dXx](?![\dXx])")


def _mask(text: str) -> str:
    return _PHONE.sub("[电话已隐藏]", _ID_CARD.sub("[证件号已隐藏]", text))


class LogRing(logging.Handler):
    """The last ``size`` log records as one-line strings (time, level, logger, message)."""

    def __init__(
        self, size: int = RING_SIZE, level: int = logging.INFO, *, zone: dt.tzinfo = dt.UTC
    ) -> None:
        super().__init__(level)
        self._zone = zone  # the hall's: staff read the times as the hall's clock shows them
        self._lines: collections.deque[str] = collections.deque(maxlen=size)

    def emit(self, record: logging.LogRecord) -> None:
        try:
            # The message only (no traceback): one line each, at most 480 characters.
            text = f"{record.levelname} {record.name}: {record.getMessage()}"
            first = text.splitlines()[0] if text else ""
            if record.exc_info and record.exc_info[0] is not None:
                first += f" [{record.exc_info[0].__name__}: {record.exc_info[1]}]"
            at = clock.now(self._zone).strftime("%m-%d %H:%M:%S")
            line = _mask(f"{at} {first}")[:480]
            with self.lock or threading.Lock():
                self._lines.append(line)
        except Exception:  # a log handler must never raise into the code that logged
            self.handleError(record)

    def lines(self) -> list[str]:
        """The kept lines, oldest first."""
        with self.lock or threading.Lock():
            return list(self._lines)


def screen_fingerprint(screen: str, texts: Iterable[str]) -> str:
    """A short hash of a screen's name and its visible text, in drawing order."""
    digest = hashlib.sha256(screen.encode())
    for text in texts:
        digest.update(b"\x00" + text.encode())
    return digest.hexdigest()[:16]


class ScreenWatch:
    """What is drawn (a fingerprint) and when that last changed; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._fingerprint: str | None = None
        self._changed_at: dt.datetime | None = None

    def note(self, fingerprint: str) -> None:
        with self._lock:
            if fingerprint != self._fingerprint:
                self._fingerprint = fingerprint
                self._changed_at = clock.now()

    def state(self) -> tuple[str, dt.datetime] | None:
        """(fingerprint, when it last changed, UTC), or None before the first note."""
        with self._lock:
            if self._fingerprint is None or self._changed_at is None:
                return None
            return self._fingerprint, self._changed_at


class ScreenCamera(Protocol):
    def capture(self, timeout: float) -> bytes:
        """What the screen shows now, as JPEG or PNG bytes (≤ ~300 KB); raises on failure."""
        ...


def parse_commands(raw: bytes) -> list[CareCommandPublic]:
    """The commands in a ``GET /kiosk/care/commands`` reply; unknown ones are skipped."""
    try:
        return CareCommandsPublic.model_validate_json(raw).commands
    except ValidationError as exc:
        log.warning("care commands not understood: %s", exc.errors()[0].get("msg", ""))
        return []


class CareClient:
    """The four ``/kiosk/care`` requests, with the kiosk's token (own small session)."""

    def __init__(self, base_url: str, token: str, *, timeout: float = 10.0) -> None:
        root = base_url.rstrip("/")
        if root.endswith(API_PREFIX):
            root = root[: -len(API_PREFIX)]
        self._api = root + API_PREFIX
        self._timeout = timeout
        self._session = requests.Session()
        self._session.trust_env = False
        self._session.headers.update(
            {
                "Authorization": f"Bearer {token}",
                "User-Agent": f"residents-home-kiosk/{__version__}",
            }
        )

    def commands(self) -> list[CareCommandPublic]:
        reply = self._session.get(self._api + "/kiosk/care/commands", timeout=self._timeout)
        reply.raise_for_status()
        return parse_commands(reply.content)

    def screenshot(self, data: bytes) -> None:
        mime = "image/png" if data.startswith(b"\x89PNG") else "image/jpeg"
        reply = self._session.post(
            self._api + "/kiosk/care/screenshot",
            data=data,
            headers={"Content-Type": mime},
            timeout=self._timeout,
        )
        reply.raise_for_status()

    def logs(self, lines: list[str]) -> None:
        body = CareLogCreate(lines=[line[:480] for line in lines][-RING_SIZE:])
        reply = self._session.post(
            self._api + "/kiosk/care/logs",
            data=body.model_dump_json(),
            headers={"Content-Type": "application/json"},
            timeout=self._timeout,
        )
        reply.raise_for_status()

    def restarting(self) -> None:
        reply = self._session.post(self._api + "/kiosk/care/restart", timeout=self._timeout)
        reply.raise_for_status()

    def close(self) -> None:
        self._session.close()


class _CareServer(Protocol):
    def commands(self) -> list[CareCommandPublic]: ...
    def screenshot(self, data: bytes) -> None: ...
    def logs(self, lines: list[str]) -> None: ...
    def restarting(self) -> None: ...


class CareAgent:
    """Answers the fleet page's commands on its own daemon thread (never the UI thread)."""

    def __init__(
        self,
        *,
        server: _CareServer,
        camera: ScreenCamera,
        ring: LogRing,
        on_restart: Callable[[], None],
    ) -> None:
        self._server = server
        self._camera = camera
        self._ring = ring
        self._on_restart = on_restart
        self._wake = threading.Event()
        self._stopping = False
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="care", daemon=True)
        self._thread.start()

    def wake(self) -> None:
        """A ``care`` event arrived for this hall: look for commands (from any thread)."""
        self._wake.set()

    def stop(self) -> None:
        self._stopping = True
        self._wake.set()

    def _loop(self) -> None:
        while not self._stopping:
            self._wake.wait()
            self._wake.clear()
            if self._stopping:
                break
            try:
                self.run_once()
            except Exception:  # the server away, a bad answer: the next event tries again
                log.warning("remote care: commands not answered", exc_info=True)

    def run_once(self) -> None:
        """Take this kiosk's commands and answer each."""
        for command in self._server.commands():
            log.info("remote care: %s (%s)", command.command, command.id)
            if command.command == "screenshot":
                self._server.screenshot(self._camera.capture(timeout=10.0))
            elif command.command == "logs":
                self._server.logs(self._ring.lines())
            elif command.command == "restart":
                self._server.restarting()
                self._on_restart()
                return
