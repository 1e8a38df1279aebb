"""Is the kiosk's clock plausible? Asked before a ticket is numbered for a service day.

A hall PC after a power cut may boot with its clock in 2000 (a flat CMOS battery) or far
in the future; numbering tickets then would start a wrong service day (A001 again, in
the server's past or future). :func:`check_clock` is the rule, :class:`ClockGuard` keeps
what it needs across restarts (the last time the clock was known good, in the cache).

The clock is implausible when it reads

* before :data:`EARLIEST` (this build cannot have been made before it) or after
  :data:`LATEST`;
* more than :data:`BACKWARDS_SLACK` before the last time it was known good (saved in the
  kiosk's cache; a little slack for a hand-corrected clock);
* more than :data:`SERVER_TOLERANCE` away from the server's clock, when the server has
  answered (its ``/health`` time, on the project's clock).

Offline with no server answer yet, the first two rules alone decide: a kiosk without
network still numbers from its fallback series when its clock is sane.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import threading
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "BACKWARDS_SLACK",
    "EARLIEST",
    "LATEST",
    "SERVER_TOLERANCE",
    "ClockGuard",
    "ClockVerdict",
    "check_clock",
]

#: No build of this kiosk exists before this instant (raise it with each release).
EARLIEST = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
#: Nor will one still run after this one: a clock beyond it is a broken clock.
LATEST = dt.datetime(2040, 1, 1, tzinfo=dt.UTC)
#: How far before the last known-good time the clock may read (someone set it back a bit).
BACKWARDS_SLACK = dt.timedelta(hours=12)
#: How far from the server's clock the kiosk's may be.
SERVER_TOLERANCE = dt.timedelta(minutes=10)
#: How often a good time is written to the cache (not at every check).
SAVE_EVERY = dt.timedelta(minutes=10)


@dataclass(frozen=True, slots=True)
class ClockVerdict:
    plausible: bool
    reason: str = ""
    """Why not (a log line for staff; the screen shows only 时间校准中)."""


def check_clock(
    now: dt.datetime,
    *,
    last_good: dt.datetime | None = None,
    server_offset: dt.timedelta | None = None,
) -> ClockVerdict:
    """The verdict on ``now`` (aware). ``server_offset`` is server time minus kiosk time
    as last measured, or None when the server has not answered."""
    if now < EARLIEST:
        return ClockVerdict(False, f"系统时间 {now:%Y-%m-%d %H:%M} 早于本程序的发布时间")
    if now >= LATEST:
        return ClockVerdict(False, f"系统时间 {now:%Y-%m-%d %H:%M} 远在将来")
    if last_good is not None and now < last_good - BACKWARDS_SLACK:
        return ClockVerdict(
            False, f"系统时间 {now:%Y-%m-%d %H:%M} 早于上次确认的 {last_good:%Y-%m-%d %H:%M}"
        )
    if server_offset is not None and abs(server_offset) > SERVER_TOLERANCE:
        minutes = server_offset.total_seconds() / 60
        return ClockVerdict(False, f"系统时间与服务器相差 {minutes:+.0f} 分钟")
    return ClockVerdict(True)


class ClockGuard:
    """The verdict for this kiosk, with its memory (``path``: a small JSON file).

    Thread-safe: the server time is noted by a worker thread, :meth:`verdict` is asked
    on the UI thread. A good verdict is saved now and then as the new ``last_good``.
    """

    def __init__(self, path: Path) -> None:
        self._path = path
        self._lock = threading.Lock()
        self._offset: dt.timedelta | None = None
        self._last_good = self._load()
        self._saved = self._last_good

    def _load(self) -> dt.datetime | None:
        try:
            raw = json.loads(self._path.read_text(encoding="utf-8"))
            moment = dt.datetime.fromisoformat(str(raw["last_good"]))
        except (OSError, ValueError, KeyError, TypeError):
            return None
        return moment if moment.tzinfo is not None else None

    @property
    def last_good(self) -> dt.datetime | None:
        return self._last_good

    def note_server_time(self, server_now: dt.datetime, kiosk_now: dt.datetime) -> None:
        """The server said it is ``server_now`` when the kiosk's clock read ``kiosk_now``."""
        with self._lock:
            self._offset = server_now - kiosk_now

    def verdict(self, now: dt.datetime) -> ClockVerdict:
        with self._lock:
            found = check_clock(now, last_good=self._last_good, server_offset=self._offset)
            if found.plausible and (self._last_good is None or now > self._last_good):
                self._last_good = now
                if self._saved is None or now - self._saved >= SAVE_EVERY:
                    self._save(now)
            return found

    def _save(self, now: dt.datetime) -> None:
        try:
            self._path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self._path.with_suffix(".tmp")
            tmp.write_text(json.dumps({"last_good": now.isoformat()}), encoding="utf-8")
            os.replace(tmp, self._path)
            self._saved = now
        except OSError:
            pass  # a full disk: the rule still has the build time and the server
