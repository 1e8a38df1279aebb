"""The working-day calendar: China's holidays and 调休, the district's days, deadlines."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kiosk.core.clock import HALL_TZ
from kiosk.core.workdays import WORKDAY, UnknownCalendarYear, WorkCalendar, library_years

SH = HALL_TZ
CAL = WorkCalendar()


def at(y: int, m: int, d: int, h: int = 0, mi: int = 0) -> dt.datetime:
    return dt.datetime(y, m, d, h, mi, tzinfo=SH)


def test_national_day_2026_is_off_and_its_tiaoxiu_weekends_are_worked() -> None:
    for day in range(1, 8):
        assert not CAL.is_workday(dt.date(2026, 10, day)), f"10月{day}日应放假"
    # 调休: the Sunday before and the Saturday after are worked, as the State Council says.
    assert CAL.is_workday(dt.date(2026, 9, 20))  # a Sunday
    assert CAL.is_workday(dt.date(2026, 10, 10))  # a Saturday
    assert not CAL.is_workday(dt.date(2026, 10, 11))  # an ordinary Sunday
    assert CAL.is_workday(dt.date(2026, 10, 8))
    # Registered on the last working day before the holiday: one working day later is the
    # same hour on 8 October, the holiday week does not count.
    assert CAL.add_workdays(at(2026, 9, 30, 15), 1) == at(2026, 10, 8, 15)
    # Thursday 8 Oct 10:00 + 3 working days: Fri 9, Sat 10 (worked), Mon 12.
    assert CAL.add_workdays(at(2026, 10, 8, 10), 3) == at(2026, 10, 12, 10)


def test_spring_festival_2026() -> None:
    for day in range(15, 24):
        assert not CAL.is_workday(dt.date(2026, 2, day)), f"2月{day}日应放假"
    assert CAL.is_workday(dt.date(2026, 2, 14))  # Saturday, worked
    assert CAL.is_workday(dt.date(2026, 2, 28))  # Saturday, worked
    assert CAL.is_workday(dt.date(2026, 2, 24))
    # Friday 13 Feb 09:00 + 2 working days: Sat 14 is worked, then nothing until the 24th.
    assert CAL.add_workdays(at(2026, 2, 13, 9), 2) == at(2026, 2, 24, 9)
    assert CAL.workdays_between(at(2026, 2, 14, 12), at(2026, 2, 24, 12)) == 1.0


def test_friday_plus_one_working_day_is_monday() -> None:
    assert CAL.add_workdays(at(2026, 12, 4, 16, 30), 1) == at(2026, 12, 7, 16, 30)
    # Made on a Saturday: the whole of Monday is the working day, due at its end.
    assert CAL.add_workdays(at(2026, 12, 5, 11), 1) == at(2026, 12, 8)
    # The answer is in the hall's zone whatever zone the start was given in.
    utc = at(2026, 12, 4, 16, 30).astimezone(dt.UTC)
    assert CAL.add_workdays(utc, 1).utcoffset() == dt.timedelta(hours=8)


def test_a_district_override_makes_a_day_off() -> None:
    mine = WorkCalendar({dt.date(2026, 12, 7): False})
    assert CAL.is_workday(dt.date(2026, 12, 7))
    assert not mine.is_workday(dt.date(2026, 12, 7))
    assert mine.add_workdays(at(2026, 12, 4, 16, 30), 1) == at(2026, 12, 8, 16, 30)
    worked = WorkCalendar({dt.date(2026, 12, 5): True})
    assert worked.add_workdays(at(2026, 12, 4, 16, 30), 1) == at(2026, 12, 5, 16, 30)


def test_a_year_nobody_knows_is_an_error_not_a_guess() -> None:
    year = library_years().stop
    with pytest.raises(UnknownCalendarYear) as refused:
        CAL.is_workday(dt.date(year, 3, 2))
    assert f"{year} 年" in str(refused.value) and "录入" in str(refused.value)
    assert refused.value.year == year
    # A deadline that runs into that year is refused too, not computed on weekdays.
    with pytest.raises(UnknownCalendarYear):
        CAL.add_workdays(at(year - 1, 12, 30, 10), 5)
    # A single entered day does not make the rest of the year known...
    one_day = WorkCalendar({dt.date(year, 1, 1): False})
    assert not one_day.is_workday(dt.date(year, 1, 1))
    with pytest.raises(UnknownCalendarYear):
        one_day.is_workday(dt.date(year, 1, 4))
    # ...entering the year does: weekdays worked, the entered holidays off.
    entered = WorkCalendar({dt.date(year, 1, 1): False}, entered_years=[year])
    assert not entered.is_workday(dt.date(year, 1, 1))
    monday = dt.date(year, 1, 1) + dt.timedelta(days=7 - dt.date(year, 1, 1).weekday())
    assert entered.is_workday(monday)
    assert not entered.is_workday(monday - dt.timedelta(days=1))


def test_pauses_push_the_deadline_by_the_working_time_paused() -> None:
    start = at(2026, 12, 1, 9)  # a Tuesday
    pause = (at(2026, 12, 1, 12), at(2026, 12, 2, 12))  # one working day in 待补充
    assert CAL.add_workdays(start, 3) == at(2026, 12, 4, 9)
    assert CAL.add_workdays(start, 3, pauses=[pause]) == at(2026, 12, 7, 9)
    # A pause over a weekend costs nothing: the weekend was not counted anyway.
    weekend = (at(2026, 12, 5), at(2026, 12, 7))
    assert CAL.add_workdays(start, 4, pauses=[weekend]) == CAL.add_workdays(start, 4)
    assert CAL.workdays_between(start, at(2026, 12, 4, 9), pauses=[pause]) == 2.0


def test_bad_input_is_refused_clearly() -> None:
    with pytest.raises(ValueError, match="时区"):
        CAL.add_workdays(dt.datetime(2026, 12, 1, 9), 1)
    with pytest.raises(ValueError, match="负数"):
        CAL.add_workdays(at(2026, 12, 1, 9), -1)
    with pytest.raises(TypeError, match="日期"):
        CAL.is_workday(at(2026, 12, 1, 9))


moments = st.datetimes(
    min_value=dt.datetime(2025, 1, 1), max_value=dt.datetime(2026, 9, 1), timezones=st.just(SH)
)
pauses = st.lists(
    st.tuples(moments, st.timedeltas(min_value=dt.timedelta(0), max_value=dt.timedelta(days=9))),
    max_size=4,
).map(lambda ps: [(a, a + length) for a, length in ps])


@given(start=moments, n=st.integers(min_value=0, max_value=40), held=pauses)
def test_deadline_is_after_start_and_counts_exactly_n_days(
    start: dt.datetime, n: int, held: list[tuple[dt.datetime, dt.datetime]]
) -> None:
    due = CAL.add_workdays(start, n, pauses=held)
    assert due >= start
    assert CAL.working_time(start, due, pauses=held) == WORKDAY * n
    assert CAL.is_workday(due.date()) or due.time() == dt.time() or n == 0


@given(start=moments, n=st.integers(min_value=0, max_value=30), more=st.integers(0, 10))
def test_deadline_is_monotone_in_the_limit(start: dt.datetime, n: int, more: int) -> None:
    assert CAL.add_workdays(start, n) <= CAL.add_workdays(start, n + more)


@given(start=moments, n=st.integers(min_value=1, max_value=30), held=pauses)
def test_pausing_never_brings_a_deadline_closer(
    start: dt.datetime, n: int, held: list[tuple[dt.datetime, dt.datetime]]
) -> None:
    assert CAL.add_workdays(start, n, pauses=held) >= CAL.add_workdays(start, n)


def test_every_known_date_agrees_with_the_library() -> None:
    import chinese_calendar

    day = dt.date(library_years().start, 1, 1)
    while day.year in library_years():
        assert CAL.is_workday(day) == chinese_calendar.is_workday(day), day
        day += dt.timedelta(days=1)


ENTERED = WorkCalendar(
    {dt.date(2027, 1, 1): False, dt.date(2027, 2, 6): True}, entered_years=[2027]
)
late_moments = st.datetimes(
    min_value=dt.datetime(2026, 9, 1), max_value=dt.datetime(2027, 11, 1), timezones=st.just(SH)
)


@settings(max_examples=300, deadline=None)
@given(start=late_moments, n=st.integers(0, 40), held=pauses, frac=st.sampled_from([0, 0.25, 0.75]))
def test_the_index_answers_as_the_day_by_day_walk(
    start: dt.datetime, n: int, held: list[tuple[dt.datetime, dt.datetime]], frac: float
) -> None:
    # The binary-search index is only a faster way to the walk's answers.
    merged = ENTERED._held(held)
    due = ENTERED.add_workdays(start, n + frac, pauses=held)
    assert (
        due == ENTERED._walk_add(start.astimezone(SH), WORKDAY * (n + frac), merged)
        or n + frac == 0
    )
    end = start + dt.timedelta(days=n)
    walked = ENTERED._walk_time(start.astimezone(SH), end.astimezone(SH), merged)
    assert ENTERED.working_time(start, end, pauses=held) == walked


def test_a_year_known_only_in_part_is_walked_day_by_day() -> None:
    # Only 1–4 Jan 2027 entered: a deadline landing on them is fine, one past them refused.
    first_days = {dt.date(2027, 1, d): d == 4 for d in range(1, 5)}
    cal = WorkCalendar(first_days)
    assert cal.add_workdays(at(2026, 12, 31, 10), 1) == at(2027, 1, 4, 10)
    with pytest.raises(UnknownCalendarYear):
        cal.add_workdays(at(2026, 12, 31, 10), 2)
