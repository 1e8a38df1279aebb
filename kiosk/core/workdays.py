"""China's working-day calendar, and deadlines counted in working time.

Which days are worked comes from the maintained ``chinese_calendar`` library (statutory
holidays and the 调休 weekends worked in their place), overridden by the days a district
admin enters (:class:`WorkCalendar`'s ``overrides``, e.g. the next year's holidays before
the library knows them). A date of a year the library does not know, and that the district
has not entered (``entered_years``), raises :class:`UnknownCalendarYear`: a deadline is
never computed on a guessed calendar.

Deadlines are counted in *working time*: every instant that falls on a working day of the
hall's zone (Asia/Shanghai; midnight to midnight) counts, every instant of a day off or
of a pause (a request waiting in 待补充) does not. "n working days from ``start``" is the
instant at which n × 24 hours of working time have passed: a request made on a Friday at
10:00 is due one working day later on Monday at 10:00; one made on a Saturday is due at
the end of Monday (Tuesday 00:00). See docs/SERVICE_TRACKING.md.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Iterable, Iterator, Mapping, Sequence

from chinese_calendar import constants as _library_days

from kiosk.core.clock import DEFAULT_TIMEZONE, hall_zone

__all__ = [
    "WORKDAY",
    "Pause",
    "UnknownCalendarYear",
    "WorkCalendar",
    "library_years",
]

WORKDAY = dt.timedelta(days=1)
"""One working day of working time."""

Pause = tuple[dt.datetime, dt.datetime]
"""A stretch of time (start, end) that does not count toward a deadline."""


# The library's own tables, read once: its is_workday() re-checks the whole table's range
# on every call, 100 µs a date, too slow for a board of thousands of deadlines. The rule
# is the library's (tests/core/test_workdays.py checks every known date against it).
_LIBRARY_HOLIDAYS = frozenset(_library_days.holidays)
_LIBRARY_WORKDAYS = frozenset(_library_days.workdays)


def library_years() -> range:
    """The years ``chinese_calendar`` knows the holidays and 调休 days of."""
    known = _LIBRARY_HOLIDAYS | _LIBRARY_WORKDAYS
    return range(min(known).year, max(known).year + 1)


class UnknownCalendarYear(LookupError):
    """A date of a year whose holidays are neither in the library nor entered by the district."""

    def __init__(self, year: int) -> None:
        self.year = year
        super().__init__(
            f"系统尚不知道 {year} 年的法定节假日和调休安排，无法计算工作日期限；"
            f"请区级管理员先录入 {year} 年的放假安排"
        )


class WorkCalendar:
    """Working days in China, with the district's own entries on top.

    ``overrides`` maps a date to ``True`` (worked) or ``False`` (day off) and wins over the
    library. ``entered_years`` are years the district has entered completely: for them a
    date without an override is worked Monday to Friday. Any other year outside
    :func:`library_years` raises :class:`UnknownCalendarYear`.
    """

    def __init__(
        self,
        overrides: Mapping[dt.date, bool] | None = None,
        *,
        entered_years: Iterable[int] = (),
        tz: dt.tzinfo | str = DEFAULT_TIMEZONE,
    ) -> None:
        self._overrides = {_as_date(day): bool(worked) for day, worked in (overrides or {}).items()}
        self._entered = frozenset(int(year) for year in entered_years)
        self._library = library_years()
        self.tz = hall_zone(tz)
        self._built: tuple[int, int, list[int]] | None = None

    def knows(self, day: dt.date) -> bool:
        """Whether :meth:`is_workday` can answer for ``day`` without raising."""
        day = _as_date(day)
        return day in self._overrides or day.year in self._entered or day.year in self._library

    def is_workday(self, day: dt.date) -> bool:
        """Whether ``day`` is worked; :class:`UnknownCalendarYear` for an unknown year."""
        day = _as_date(day)
        if day in self._overrides:
            return self._overrides[day]
        if day.year in self._library:
            return day in _LIBRARY_WORKDAYS or (day.weekday() < 5 and day not in _LIBRARY_HOLIDAYS)
        if day.year in self._entered:
            return day.weekday() < 5
        raise UnknownCalendarYear(day.year)

    def next_workday(self, day: dt.date) -> dt.date:
        """The first working day after ``day``."""
        day = _as_date(day) + dt.timedelta(days=1)
        while not self.is_workday(day):
            day += dt.timedelta(days=1)
        return day

    def add_workdays(
        self, start: dt.datetime, n: float, *, pauses: Sequence[Pause] = ()
    ) -> dt.datetime:
        """The instant ``n`` working days of working time after ``start``, skipping pauses.

        The answer is in the calendar's zone; ``n`` may be fractional (75 % of a limit).
        """
        if n < 0:
            raise ValueError(f"工作日数不能为负数：{n!r}")
        cursor = self._local(start)
        if not n:
            return cursor
        held = self._held(pauses)
        fast = self._indexed_add(cursor, WORKDAY * n, held)
        return fast if fast is not None else self._walk_add(cursor, WORKDAY * n, held)

    def working_time(
        self, a: dt.datetime, b: dt.datetime, *, pauses: Sequence[Pause] = ()
    ) -> dt.timedelta:
        """The working time from ``a`` to ``b`` outside ``pauses`` (zero when b ≤ a)."""
        a, b = self._local(a), self._local(b)
        if b <= a:
            return dt.timedelta(0)
        held = self._held(pauses)
        fast = self._indexed_time(a, b, held)
        return fast if fast is not None else self._walk_time(a, b, held)

    def workdays_between(
        self, a: dt.datetime, b: dt.datetime, *, pauses: Sequence[Pause] = ()
    ) -> float:
        """:meth:`working_time` in working days (1.5 = a day and a half)."""
        return self.working_time(a, b, pauses=pauses) / WORKDAY

    def _local(self, moment: dt.datetime) -> dt.datetime:
        if moment.tzinfo is None or moment.utcoffset() is None:
            raise ValueError("时间必须带时区")
        return moment.astimezone(self.tz)

    def _held(self, pauses: Sequence[Pause]) -> list[Pause]:
        return _merged([(self._local(a), self._local(b)) for a, b in pauses if b > a])

    # The walk: day by day, any calendar (also years only partly entered); the reference.

    def _walk_add(self, start: dt.datetime, left: dt.timedelta, held: list[Pause]) -> dt.datetime:
        for begin, end in self._counted_stretches(start, held):
            if end - begin >= left:
                return begin + left
            left -= end - begin
        raise AssertionError("unreachable: the stretches never end")  # pragma: no cover

    def _walk_time(self, a: dt.datetime, b: dt.datetime, held: list[Pause]) -> dt.timedelta:
        total = dt.timedelta(0)
        for begin, end in self._counted_stretches(a, held):
            if begin >= b:
                break
            total += min(end, b) - begin
        return total

    def _counted_stretches(
        self, start: dt.datetime, held: list[Pause]
    ) -> Iterator[tuple[dt.datetime, dt.datetime]]:
        """The stretches of working time from ``start`` on, in order, without an end."""
        day = start.date()
        while True:
            if self.is_workday(day):
                begin = max(start, dt.datetime.combine(day, dt.time(), self.tz))
                end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), self.tz)
                yield from _minus(begin, end, held)
            day += dt.timedelta(days=1)

    # The index: the working days of the years known whole, sorted, so that the working
    # time up to an instant is a binary search (a board of thousands of deadlines). Outside
    # those years the methods above answer (or raise UnknownCalendarYear).

    def _index(self) -> tuple[int, int, list[int]]:
        if self._built is None:
            first, last = self._library.start, self._library.stop - 1
            while first - 1 in self._entered:
                first -= 1
            while last + 1 in self._entered:
                last += 1
            lo, hi = dt.date(first, 1, 1).toordinal(), dt.date(last + 1, 1, 1).toordinal()
            days = [o for o in range(lo, hi) if self.is_workday(dt.date.fromordinal(o))]
            self._built = (lo, hi, days)
        return self._built

    def _upto(self, moment: dt.datetime) -> dt.timedelta | None:
        """Working time from the index's first day to ``moment``; None outside it."""
        lo, hi, days = self._index()
        day = moment.toordinal()
        if not lo <= day < hi:
            return None
        k = bisect.bisect_left(days, day)
        worked = k < len(days) and days[k] == day
        midnight = dt.datetime.combine(moment.date(), dt.time(), self.tz)
        return WORKDAY * k + (moment - midnight if worked else dt.timedelta(0))

    def _moment_at(self, upto: dt.timedelta) -> dt.datetime | None:
        """The first instant with ``upto`` working time behind it; None past the index."""
        _, _, days = self._index()
        k, rest = divmod(upto, WORKDAY)
        if not rest and k:
            k, rest = k - 1, WORKDAY  # the end of a working day, not the next one's start
        if k >= len(days):
            return None
        return dt.datetime.combine(dt.date.fromordinal(days[k]), dt.time(), self.tz) + rest

    def _indexed_add(
        self, start: dt.datetime, need: dt.timedelta, held: list[Pause]
    ) -> dt.datetime | None:
        cursor, done = start, self._upto(start)
        for a, b in held:
            if done is None:
                return None
            if b <= cursor:
                continue
            reach = self._upto(max(a, cursor))
            if reach is None:
                return None
            if reach - done >= need:
                break
            need -= reach - done
            cursor, done = b, self._upto(b)
        return None if done is None else self._moment_at(done + need)

    def _indexed_time(
        self, a: dt.datetime, b: dt.datetime, held: list[Pause]
    ) -> dt.timedelta | None:
        start, end = self._upto(a), self._upto(b)
        if start is None or end is None:
            return None
        total = end - start
        for pa, pb in held:
            pa, pb = max(pa, a), min(pb, b)
            inside, before = self._upto(pb), self._upto(pa)
            if pb > pa and inside is not None and before is not None:  # always, within a..b
                total -= inside - before
        return total


def _as_date(day: dt.date) -> dt.date:
    if isinstance(day, dt.datetime):
        raise TypeError("请传入日期（date），而不是日期时间；先换算到大厅所在时区")
    return day


def _merged(stretches: list[Pause]) -> list[Pause]:
    out: list[Pause] = []
    for a, b in sorted(stretches):
        if out and a <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return out


def _minus(begin: dt.datetime, end: dt.datetime, held: list[Pause]) -> Iterator[Pause]:
    cursor = begin
    for a, b in held:
        if b <= cursor or a >= end:
            continue
        if a > cursor:
            yield cursor, a
        cursor = max(cursor, b)
        if cursor >= end:
            return
    if cursor < end:
        yield cursor, end
