"""The one wall clock of the kiosk and the server, and the hall's default time zone.

Every piece of code that needs the wall time ("now": opening hours, the service day, rooms
now/next, publish windows, ticket and event times) asks :func:`now`, never
``datetime.now()`` directly, so a test can put the whole stack at a chosen hall time.

Set ``KIOSK_CLOCK_AT`` to an ISO time with its UTC offset (``2026-12-02T11:30:00+08:00``)
in the environment of a server or kiosk process and its clock starts at that instant and
runs forward at the normal rate from there (timers, idle resets and long-polls still move).
In-process, :func:`set_clock_at` does the same; :func:`reset` goes back to the real clock.
Monotonic time (``time.monotonic``) is not affected: it measures intervals, not the hour.

A process that starts another one (a test starting a server or a kiosk, ``make run``)
passes :func:`child_env`: it adds ``KIOSK_CLOCK_SET_AT``, the real Unix time at which the
hall clock read ``KIOSK_CLOCK_AT``, so a child that starts a few seconds later starts where
its parent's clock is by then — one "now" for the server, the kiosk and the test.

:data:`DEFAULT_TIMEZONE` is the one default zone of a hall (the halls are in China),
:data:`HALL_TZ` that zone itself, and :func:`hall_zone` the one reader of a zone name.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from collections.abc import Mapping
from typing import overload
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = [
    "DEFAULT_TIMEZONE",
    "ENV_SET_VAR",
    "ENV_VAR",
    "HALL_TZ",
    "child_env",
    "hall_zone",
    "injected",
    "now",
    "reset",
    "set_clock_at",
    "wall_time",
]

ENV_VAR = "KIOSK_CLOCK_AT"
ENV_SET_VAR = "KIOSK_CLOCK_SET_AT"

DEFAULT_TIMEZONE = "Asia/Shanghai"
"""The time zone of a hall whose content or settings name none."""

HALL_TZ = ZoneInfo(DEFAULT_TIMEZONE)
"""The zone of :data:`DEFAULT_TIMEZONE`: where a hall's day is reckoned when nothing names
another zone (district-wide admin pages, the server's job days, tests)."""

# (the instant the clock was set to, the monotonic time when it was set) or None: real time.
_anchor: tuple[dt.datetime, float] | None = None


@overload
def hall_zone(tz: str) -> ZoneInfo: ...
@overload
def hall_zone(tz: dt.tzinfo) -> dt.tzinfo: ...
def hall_zone(tz: dt.tzinfo | str) -> dt.tzinfo:
    """``tz`` itself, or the zone named by it; an unknown name is a ValueError."""
    if not isinstance(tz, str):
        return tz
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"未知的时区 {tz!r}") from None


def _parse(text: str) -> dt.datetime:
    try:
        at = dt.datetime.fromisoformat(text.strip())
    except ValueError as exc:
        raise ValueError(
            f"{ENV_VAR}={text!r} is not an ISO time such as 2026-12-02T11:30+08:00"
        ) from exc
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"{ENV_VAR}={text!r} needs its UTC offset, e.g. +08:00")
    return at.astimezone(dt.UTC)


def set_clock_at(at: dt.datetime | str | None) -> None:
    """Start the clock at ``at`` (aware datetime or ISO text) from now on; None: real time."""
    global _anchor
    if at is None:
        _anchor = None
        return
    start = _parse(at) if isinstance(at, str) else at
    if start.tzinfo is None or start.utcoffset() is None:
        raise ValueError("set_clock_at needs an aware datetime")
    _anchor = (start.astimezone(dt.UTC), time.monotonic())


def injected() -> bool:
    """True while the clock runs from a chosen instant rather than the real time."""
    return _anchor is not None


def reset() -> None:
    """Back to the real clock (or to ``KIOSK_CLOCK_AT`` when that is set)."""
    _load_from_env()


def _load_from_env() -> None:
    value = os.environ.get(ENV_VAR, "").strip()
    if not value:
        set_clock_at(None)
        return
    start = _parse(value)
    set_at = os.environ.get(ENV_SET_VAR, "").strip()
    if set_at:
        try:
            since = max(0.0, time.time() - float(set_at))
        except ValueError:
            raise ValueError(f"{ENV_SET_VAR}={set_at!r} is not a Unix time") from None
        start += dt.timedelta(seconds=since)
    set_clock_at(start)


def now(tz: dt.tzinfo | None = None) -> dt.datetime:
    """The current instant, aware: in ``tz`` when given, else in UTC."""
    if _anchor is None:
        current = dt.datetime.now(dt.UTC)
    else:
        start, mono = _anchor
        current = start + dt.timedelta(seconds=time.monotonic() - mono)
    return current.astimezone(tz) if tz is not None else current


def wall_time() -> float:
    """:func:`now` as seconds since the epoch (a stand-in for ``time.time()``)."""
    return now().timestamp()


def child_env(env: Mapping[str, str] | None = None) -> dict[str, str]:
    """``env`` (default: this process's environment) for a child process sharing this clock.

    With an injected clock the child gets ``KIOSK_CLOCK_AT`` = this instant and
    ``KIOSK_CLOCK_SET_AT`` = the real time of it; with the real clock both are removed.
    """
    out = dict(os.environ if env is None else env)
    if _anchor is None:
        out.pop(ENV_VAR, None)
        out.pop(ENV_SET_VAR, None)
    else:
        out[ENV_VAR] = now().isoformat()
        out[ENV_SET_VAR] = repr(time.time())
    return out


_load_from_env()
