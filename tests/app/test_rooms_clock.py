"""Rooms now/next and home's hours line in the real app, at each of the suite's hall times.

The session app (tests/app/conftest.py) reads :func:`kiosk.core.clock.now` like the rest
of the stack, so a ``hall_clock`` test sees the screens as a resident would at 11:30,
20:00 and 23:59 on a Wednesday. What the rooms list says must match the room schedule at
that instant (kiosk.core.schedule), and home must say whether the hall is open now.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from kiosk.core import clock
from kiosk.core.schedule import is_open, now_and_next
from kiosk.read_aloud import shown_words
from tests.utils.hall_clock import HALL_TIMES

pytestmark = pytest.mark.ui


def _labels(widget: Any) -> list[str]:
    return [
        shown_words(w.text)
        for w in widget.walk(restrict=True)
        if isinstance(getattr(w, "text", None), str)
    ]


@pytest.mark.hall_clock
def test_rooms_list_says_what_is_on_now_and_next_at_the_hall_time(
    at_home: Any, hall_time: str
) -> None:
    kiosk = at_home
    app = kiosk.app
    hall = app.content
    now = clock.now(hall.hall.zone)
    assert now.date() == dt.datetime.fromisoformat(hall_time).date()
    assert app.now().utcoffset() == dt.timedelta(hours=8)
    kiosk.tap(app.screen("home").tiles["rooms"])
    kiosk.settle()
    cards = list(reversed(app.screen("rooms").ids.grid.children))
    assert len(cards) == len(hall.rooms)
    for room, card in zip(hall.rooms, cards, strict=True):
        text = "\n".join(_labels(card))
        nn = now_and_next(room, now)
        if nn.current is not None:
            assert f"正在进行：{nn.current.title}" in text, (room.id, text)
            assert f"到 {nn.current.end:%H:%M}" in text, (room.id, text)
        else:
            assert "正在进行" not in text, (room.id, text)
            assert ("开放中，可以使用" if nn.open_now else "现在未开放") in text, (room.id, text)
        if nn.next is not None:
            when = nn.next.start.astimezone(now.tzinfo)
            assert "下一场：" in text and f"{when:%H:%M} {nn.next.title}" in text, (room.id, text)
            if hall_time.endswith("23:59:00+08:00"):
                assert when.date() > now.date()  # nothing starts later on this day
        else:
            assert "下一场" not in text, (room.id, text)
    kiosk.tap(app.nav.ids.back)
    assert app.current_name == "home"


@pytest.mark.hall_clock
def test_home_says_open_now_only_while_the_hall_is_open(at_home: Any, hall_time: str) -> None:
    app = at_home.app
    hall = app.content.hall
    now = clock.now(hall.zone)
    hours = app.screen("home").hours
    assert hours.startswith("正在开放") == is_open(hall.opening_hours, now), (hours, now)
    if hall_time in HALL_TIMES.values():  # the three fixed times: one open, two closed
        assert is_open(hall.opening_hours, now) == (hall_time == HALL_TIMES["open"]), now
