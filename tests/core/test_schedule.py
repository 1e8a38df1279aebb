"""Room schedules: occurrences on a day, now and next, the week, opening hours."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from kiosk.core.clock import DEFAULT_TIMEZONE, HALL_TZ
from kiosk.core.content import OpeningHours, Room
from kiosk.core.schedule import (
    NowNext,
    Occurrence,
    is_open,
    now_and_next,
    occurrences_on,
    opening_text,
    week,
    weekdays_text,
)

SH = HALL_TZ
# 2026-11-23 is a Monday; the 26th a Thursday.
MON, TUE, WED, THU = (dt.date(2026, 11, d) for d in (23, 24, 25, 26))
FRI, SAT, SUN = (dt.date(2026, 11, d) for d in (27, 28, 29))


def at(day: dt.date, hhmm: str, tz: dt.tzinfo = SH) -> dt.datetime:
    h, m = hhmm.split(":")
    return dt.datetime.combine(day, dt.time(int(h), int(m)), tzinfo=tz)


def hours(*spans: tuple[list[int], str, str]) -> list[OpeningHours]:
    return [OpeningHours(weekdays=days, open=o, close=c) for days, o, c in spans]


def calligraphy_room(**overrides: Any) -> Room:
    data: dict[str, Any] = {
        "id": "shuhua",
        "name": "书画室",
        "location": "二楼东侧",
        "hours": [
            {"weekdays": [1, 2, 3, 4, 5], "open": "08:30", "close": "17:30"},
            {"weekdays": [6], "open": "09:00", "close": "12:00"},
        ],
        "activities": [
            {"title": "书法班", "weekdays": [2, 4], "start": "09:00", "end": "11:00",
             "leader": "王老师", "note": "自带毛笔"},
            {"title": "国画班", "weekdays": [4], "start": "14:00", "end": "16:00"},
            {"title": "周末写生", "weekdays": [6], "start": "09:30", "end": "11:30"},
        ],
        "events": [
            {"title": "迎新春书法展", "date": "2026-11-26", "start": "10:00", "end": "12:00",
             "note": "欢迎参观"},
            {"title": "剪纸体验", "date": "2026-11-30", "start": "15:00", "end": "16:00"},
        ],
    }  # fmt: skip
    data.update(overrides)
    return Room.model_validate(data)


def titles(items: list[Occurrence]) -> list[str]:
    return [o.title for o in items]


def test_occurrences_on_a_day_with_activities_and_an_event() -> None:
    found = occurrences_on(calligraphy_room(), THU, SH)
    assert titles(found) == ["书法班", "迎新春书法展", "国画班"]
    first = found[0]
    assert first == Occurrence(
        title="书法班",
        start=at(THU, "09:00"),
        end=at(THU, "11:00"),
        room_id="shuhua",
        leader="王老师",
        note="自带毛笔",
        one_off=False,
    )
    assert first.start.tzinfo is SH
    assert found[1].one_off and found[1].note == "欢迎参观"


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (MON, []),
        (TUE, ["书法班"]),
        (WED, []),
        (THU, ["书法班", "迎新春书法展", "国画班"]),
        (SAT, ["周末写生"]),
        (SUN, []),
        (dt.date(2026, 11, 30), ["剪纸体验"]),  # a Monday with a one-off event
        (dt.date(2026, 12, 3), ["书法班", "国画班"]),  # the next Thursday: no event
    ],
)
def test_occurrences_by_weekday(day: dt.date, expected: list[str]) -> None:
    assert titles(occurrences_on(calligraphy_room(), day, DEFAULT_TIMEZONE)) == expected


def test_occurrences_are_in_the_given_zone() -> None:
    found = occurrences_on(calligraphy_room(), TUE, "UTC")
    assert found[0].start == dt.datetime(2026, 11, 24, 9, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("now", "current", "upcoming", "open_now"),
    [
        (at(THU, "07:00"), None, "书法班", False),  # before opening
        (at(THU, "08:59"), None, "书法班", True),
        (at(THU, "09:00"), "书法班", "迎新春书法展", True),  # start is inclusive
        (at(THU, "10:30"), "迎新春书法展", "国画班", True),  # one-off wins an overlap
        (at(THU, "11:00"), "迎新春书法展", "国画班", True),  # end is exclusive
        (at(THU, "12:00"), None, "国画班", True),
        (at(THU, "15:59"), "国画班", "周末写生", True),
        (at(THU, "17:30"), None, "周末写生", False),  # closed at closing time
        (at(FRI, "10:00"), None, "周末写生", True),
        (at(SAT, "10:00"), "周末写生", "剪纸体验", True),
        (at(SUN, "10:00"), None, "剪纸体验", False),
        (at(dt.date(2026, 11, 30), "16:00"), None, "书法班", True),
    ],
)
def test_now_and_next(
    now: dt.datetime, current: str | None, upcoming: str | None, open_now: bool
) -> None:
    result = now_and_next(calligraphy_room(), now)
    assert isinstance(result, NowNext)
    assert (result.current.title if result.current else None) == current
    assert (result.next.title if result.next else None) == upcoming
    assert result.open_now is open_now
    if result.next is not None:
        assert result.next.start > now


def test_next_is_on_the_right_day() -> None:
    result = now_and_next(calligraphy_room(), at(THU, "17:00"))
    assert result.next is not None
    assert result.next.start == at(SAT, "09:30")


def test_now_in_another_zone_is_read_in_the_halls_zone() -> None:
    # 01:30 UTC on Thursday is 09:30 in Shanghai: the calligraphy class is on.
    now = dt.datetime(2026, 11, 26, 1, 30, tzinfo=dt.UTC)
    result = now_and_next(calligraphy_room(), now, SH)
    assert result.current is not None and result.current.title == "书法班"
    assert result.open_now
    # Read in UTC instead, it is 01:30 and nothing is on yet.
    utc = now_and_next(calligraphy_room(), now)
    assert utc.current is None and not utc.open_now


def test_next_looks_ahead_a_week_and_no_further() -> None:
    room = calligraphy_room(
        activities=[],
        events=[{"title": "讲座", "date": "2026-12-03", "start": "10:00", "end": "11:00"}],
    )
    assert now_and_next(room, at(THU, "10:30")).next is not None  # exactly 7 days ahead
    assert now_and_next(room, at(WED, "10:30")).next is None  # 8 days ahead


def test_a_weekly_activity_is_next_a_week_later() -> None:
    room = calligraphy_room(
        activities=[{"title": "合唱", "weekdays": [3], "start": "09:00", "end": "10:00"}],
        events=[],
    )
    result = now_and_next(room, at(WED, "09:30"))
    assert result.current is not None and result.current.start == at(WED, "09:00")
    assert result.next is not None and result.next.start == at(dt.date(2026, 12, 2), "09:00")


def test_empty_room() -> None:
    room = calligraphy_room(activities=[], events=[])
    assert now_and_next(room, at(MON, "10:00")) == NowNext(None, None, True)


def test_now_and_next_refuses_naive_time() -> None:
    with pytest.raises(ValueError, match="时区"):
        now_and_next(calligraphy_room(), dt.datetime(2026, 11, 26, 9, 0))


def test_week() -> None:
    days = week(calligraphy_room(), MON, SH)
    assert [d for d, _ in days] == [MON, TUE, WED, THU, FRI, SAT, SUN]
    assert [len(items) for _, items in days] == [0, 1, 0, 3, 0, 1, 0]
    assert titles(days[3][1]) == ["书法班", "迎新春书法展", "国画班"]
    later = week(calligraphy_room(), THU, DEFAULT_TIMEZONE)
    assert later[0][0] == THU and later[-1][0] == dt.date(2026, 12, 2)
    assert titles(later[4][1]) == ["剪纸体验"]


OFFICE = hours(([1, 2, 3, 4, 5], "08:30", "12:00"), ([1, 2, 3, 4, 5], "14:00", "17:30"))


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (at(MON, "08:29"), False),
        (at(MON, "08:30"), True),
        (at(MON, "11:59"), True),
        (at(MON, "12:00"), False),
        (at(MON, "13:59"), False),
        (at(MON, "14:00"), True),
        (at(FRI, "17:29"), True),
        (at(FRI, "17:30"), False),
        (at(SAT, "10:00"), False),
        (dt.datetime(2026, 11, 23, 0, 30, tzinfo=dt.UTC), True),  # 08:30 in Shanghai
    ],
)
def test_is_open(now: dt.datetime, expected: bool) -> None:
    assert is_open(OFFICE, now, SH) is expected


def test_is_open_reads_now_in_its_own_zone_by_default() -> None:
    now = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC)  # 17:00 in Shanghai
    assert is_open(OFFICE, now)
    assert is_open(OFFICE, now, DEFAULT_TIMEZONE)
    assert not is_open(OFFICE, now.replace(hour=10), DEFAULT_TIMEZONE)


def test_is_open_refuses_naive_time() -> None:
    with pytest.raises(ValueError, match="时区"):
        is_open(OFFICE, dt.datetime(2026, 11, 23, 9, 0))


@pytest.mark.parametrize(
    ("spans", "expected"),
    [
        (
            [([1, 2, 3, 4, 5], "08:30", "17:30"), ([6], "09:00", "12:00")],
            "周一至周五 08:30–17:30；周六 09:00–12:00",
        ),
        (
            [([1, 2, 3, 4, 5], "08:30", "12:00"), ([1, 2, 3, 4, 5], "14:00", "17:30")],
            "周一至周五 08:30–12:00、14:00–17:30",
        ),
        ([([7, 6], "09:00", "11:00")], "周六、周日 09:00–11:00"),
        ([([1, 3, 5], "09:00", "11:00")], "周一、周三、周五 09:00–11:00"),
        ([([1, 2, 3, 5, 6, 7], "09:00", "21:00")], "周一至周三、周五至周日 09:00–21:00"),
        ([([1, 2, 3, 4, 5, 6, 7], "00:00", "23:59")], "周一至周日 00:00–23:59"),
        (
            [([6], "09:00", "12:00"), ([1, 2, 3, 4, 5], "08:30", "17:30"), ([4], "19:00", "21:00")],
            "周一至周三、周五 08:30–17:30；周四 08:30–17:30、19:00–21:00；周六 09:00–12:00",
        ),
        ([([2], "09:00", "10:00"), ([2], "09:00", "10:00")], "周二 09:00–10:00"),
        ([], ""),
    ],
)
def test_opening_text(spans: list[tuple[list[int], str, str]], expected: str) -> None:
    assert opening_text(hours(*spans)) == expected


@pytest.mark.parametrize(
    ("days", "expected"),
    [
        ([2, 4], "周二、周四"),
        ([1, 2], "周一、周二"),
        ([1, 2, 3], "周一至周三"),
        ([5, 4, 3, 2, 1], "周一至周五"),
        ([7], "周日"),
        ([1, 1, 2], "周一、周二"),
        ([], ""),
    ],
)
def test_weekdays_text(days: list[int], expected: str) -> None:
    assert weekdays_text(days) == expected


@pytest.mark.parametrize("bad", [[0], [8], [1, 9]])
def test_weekdays_text_refuses_bad_days(bad: list[int]) -> None:
    with pytest.raises(ValueError, match="星期"):
        weekdays_text(bad)


@pytest.mark.parametrize("zone", ["Mars/Olympus", "", "../etc/passwd"])
def test_unknown_zone_names_are_refused(zone: str) -> None:
    with pytest.raises(ValueError, match="未知的时区"):
        occurrences_on(calligraphy_room(), THU, zone)
    with pytest.raises(ValueError, match="未知的时区"):
        is_open(OFFICE, at(THU, "09:00"), zone)
