"""What is on in a room now and next, its week, and opening hours as text.

Content gives times as wall-clock ``HH:MM`` in the hall's timezone; everything here turns
them into timezone-aware datetimes in that zone. Pass ``now`` as an aware datetime, best
already in the hall's zone (``kiosk.core.clock.now(hall.zone)``); functions that take ``tz``
convert ``now`` into it first.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from kiosk.core.clock import hall_zone
from kiosk.core.content import OpeningHours, Room

__all__ = [
    "LOOKAHEAD_DAYS",
    "WEEKDAY_NAMES",
    "NowNext",
    "Occurrence",
    "is_open",
    "now_and_next",
    "occurrences_on",
    "opening_text",
    "week",
    "weekdays_text",
]

#: How far ahead :func:`now_and_next` looks for the next occurrence.
LOOKAHEAD_DAYS = 7
#: ISO weekday (1 = Monday) to its short Chinese name.
WEEKDAY_NAMES: dict[int, str] = {
    1: "周一",
    2: "周二",
    3: "周三",
    4: "周四",
    5: "周五",
    6: "周六",
    7: "周日",
}


@dataclass(frozen=True, slots=True)
class Occurrence:
    """One activity or event happening in a room on one day."""

    title: str
    start: dt.datetime
    end: dt.datetime
    room_id: str
    leader: str = ""
    note: str = ""
    one_off: bool = False

    def is_on(self, now: dt.datetime) -> bool:
        return self.start <= now < self.end


@dataclass(frozen=True, slots=True)
class NowNext:
    """The room right now: what is on, what comes next, and whether the room is open."""

    current: Occurrence | None
    next: Occurrence | None
    open_now: bool


def _now_zone(now: dt.datetime, tz: dt.tzinfo | str | None) -> dt.tzinfo:
    """The zone to read ``now`` in: ``tz``, else ``now``'s own; naive ``now`` is refused."""
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("时间必须带时区")
    return hall_zone(tz) if tz is not None else now.tzinfo


def _hhmm(text: str) -> dt.time:
    hours, minutes = text.split(":")
    return dt.time(int(hours), int(minutes))


def _at(day: dt.date, hhmm: str, zone: dt.tzinfo) -> dt.datetime:
    return dt.datetime.combine(day, _hhmm(hhmm), tzinfo=zone)


def occurrences_on(room: Room, day: dt.date, tz: dt.tzinfo | str) -> list[Occurrence]:
    """The room's weekly activities on ``day``'s weekday plus its one-off events that day.

    Sorted by start, then end, then title.
    """
    zone = hall_zone(tz)
    found = [
        Occurrence(
            title=a.title,
            start=_at(day, a.start, zone),
            end=_at(day, a.end, zone),
            room_id=room.id,
            leader=a.leader,
            note=a.note,
            one_off=False,
        )
        for a in room.activities
        if day.isoweekday() in a.weekdays
    ]
    found += [
        Occurrence(
            title=e.title,
            start=_at(day, e.start, zone),
            end=_at(day, e.end, zone),
            room_id=room.id,
            note=e.note,
            one_off=True,
        )
        for e in room.events
        if e.date == day
    ]
    found.sort(key=lambda o: (o.start, o.end, o.title))
    return found


def now_and_next(room: Room, now: dt.datetime, tz: dt.tzinfo | str | None = None) -> NowNext:
    """What is on in ``room`` at ``now``, and the next thing to start after ``now``.

    ``tz`` is the hall's zone; by default ``now``'s own zone. When several things
    overlap, ``current`` is a one-off event before a weekly activity, then the one that
    started first. ``next`` is the first occurrence starting after ``now`` within
    :data:`LOOKAHEAD_DAYS` days, or None.
    """
    zone = _now_zone(now, tz)
    today = now.astimezone(zone).date()
    todays = occurrences_on(room, today, zone)
    on_now = [o for o in todays if o.is_on(now)]
    on_now.sort(key=lambda o: (not o.one_off, o.start, o.end, o.title))
    upcoming: Occurrence | None = None
    for offset in range(LOOKAHEAD_DAYS + 1):
        day = today + dt.timedelta(days=offset)
        items = todays if offset == 0 else occurrences_on(room, day, zone)
        later = [o for o in items if o.start > now]
        if later:
            upcoming = later[0]
            break
    return NowNext(
        current=on_now[0] if on_now else None,
        next=upcoming,
        open_now=is_open(room.hours, now, zone),
    )


def week(
    room: Room, start_day: dt.date, tz: dt.tzinfo | str
) -> list[tuple[dt.date, list[Occurrence]]]:
    """Seven days from ``start_day``, each with its occurrences."""
    zone = hall_zone(tz)
    days = [start_day + dt.timedelta(days=i) for i in range(7)]
    return [(day, occurrences_on(room, day, zone)) for day in days]


def is_open(
    hours: Sequence[OpeningHours], now: dt.datetime, tz: dt.tzinfo | str | None = None
) -> bool:
    """True when ``now`` falls in one of ``hours`` (open inclusive, close exclusive).

    The weekday and wall clock are those of ``now`` in ``tz`` (default: ``now``'s zone).
    """
    local = now.astimezone(_now_zone(now, tz))
    clock = local.strftime("%H:%M")
    weekday = local.isoweekday()
    return any(weekday in h.weekdays and h.open <= clock < h.close for h in hours)


def weekdays_text(days: Iterable[int]) -> str:
    """``[1, 2, 3, 4, 5]`` -> "周一至周五"; ``[2, 4]`` -> "周二、周四"; runs of three or more
    consecutive days are joined with 至, shorter ones listed with 、."""
    ordered = sorted(set(days))
    for d in ordered:
        if d not in WEEKDAY_NAMES:
            raise ValueError(f"星期应在 1–7 之间，而不是 {d!r}")
    runs: list[list[int]] = []
    for d in ordered:
        if runs and runs[-1][-1] == d - 1:
            runs[-1].append(d)
        else:
            runs.append([d])
    parts: list[str] = []
    for run in runs:
        if len(run) >= 3:
            parts.append(f"{WEEKDAY_NAMES[run[0]]}至{WEEKDAY_NAMES[run[-1]]}")
        else:
            parts.extend(WEEKDAY_NAMES[d] for d in run)
    return "、".join(parts)


def opening_text(hours: Sequence[OpeningHours]) -> str:
    """Opening hours as one line: "周一至周五 08:30–17:30；周六 09:00–12:00".

    Days with the same time ranges are grouped (consecutive runs with 至), several
    ranges on a day are joined with 、, groups are ordered by their first day and
    separated by ；. Days without hours are left out.
    """
    ranges: dict[int, set[tuple[str, str]]] = {}
    for h in hours:
        for d in h.weekdays:
            ranges.setdefault(d, set()).add((h.open, h.close))
    groups: dict[tuple[tuple[str, str], ...], list[int]] = {}
    for d in sorted(ranges):
        groups.setdefault(tuple(sorted(ranges[d])), []).append(d)
    parts = [
        f"{weekdays_text(days)} {'、'.join(f'{a}–{b}' for a, b in spans)}"
        for spans, days in sorted(groups.items(), key=lambda item: item[1][0])
    ]
    return "；".join(parts)
