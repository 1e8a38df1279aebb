"""The working-day calendar of every deadline: the library's holidays with the district's
own entries (``calendar_days``, ``calendar_years``) on top.

One :class:`~kiosk.core.workdays.WorkCalendar` per process, rebuilt when the entries
change: each call reads a cheap version (how many rows, the newest ``entered_at``) of
both tables, so a day entered through any worker process counts in every other at once.
A deleted row changes the count; an edit writes a new ``entered_at``.
"""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from kiosk.core.workdays import WorkCalendar, library_years
from kiosk.server import models as m

__all__ = [
    "CalendarEntries",
    "calendar",
    "entries",
    "known_years",
    "year_entered",
    "year_to_ask",
]

_Version = tuple[object, ...]


@dataclass(frozen=True)
class CalendarEntries:
    """What the district entered: the days (worked or not, with a note) and whole years."""

    days: dict[dt.date, tuple[bool, str]]
    years: frozenset[int]


_lock = threading.Lock()
_cached: tuple[_Version, WorkCalendar] | None = None


def _version(conn: Connection) -> _Version:
    days, years = m.calendar_days, m.calendar_years
    row = conn.execute(
        sa.select(
            sa.select(sa.func.count()).select_from(days).scalar_subquery(),
            sa.select(sa.func.max(days.c.entered_at)).scalar_subquery(),
            sa.select(sa.func.count()).select_from(years).scalar_subquery(),
            sa.select(sa.func.max(years.c.entered_at)).scalar_subquery(),
        )
    ).one()
    # The database too: a process (a test run) may serve several.
    return (conn.engine.url.render_as_string(), *row)


def entries(conn: Connection) -> CalendarEntries:
    """The district's entries as stored."""
    days = {
        r.day: (bool(r.workday), str(r.note))
        for r in conn.execute(sa.select(m.calendar_days).order_by(m.calendar_days.c.day))
    }
    years = frozenset(int(y) for y in conn.execute(sa.select(m.calendar_years.c.year)).scalars())
    return CalendarEntries(days, years)


def calendar(conn: Connection) -> WorkCalendar:
    """The calendar of deadlines: library plus the district's entries, as of now."""
    global _cached
    version = _version(conn)
    cached = _cached
    if cached is not None and cached[0] == version:
        return cached[1]
    found = entries(conn)
    built = WorkCalendar(
        {day: worked for day, (worked, _) in found.days.items()}, entered_years=found.years
    )
    with _lock:
        _cached = (version, built)
    return built


def known_years(conn: Connection) -> dict[int, str]:
    """Each year a deadline can be counted in → ``"library"`` or ``"entered"``."""
    known: dict[int, str] = {year: "library" for year in library_years()}
    for year in entries(conn).years:
        known.setdefault(year, "entered")
    return known


def year_to_ask(today: dt.date) -> int | None:
    """From 1 November: next year, when the library does not know it (else None)."""
    upcoming = today.year + 1
    if today.month < 11 or upcoming in library_years():
        return None
    return upcoming


def year_entered(conn: Connection, year: int) -> bool:
    """Whether the district declared ``year`` entered whole."""
    found = conn.execute(
        sa.select(m.calendar_years.c.year).where(m.calendar_years.c.year == year)
    ).first()
    return found is not None
