"""The rating device's screens in the session's real Kivy window, pressed with touches.

The device (:class:`kiosk.rating.device.RatingDevice`) is laid over the running kiosk app
like the hall display's board in test_display_and_calls.py; the hall's ``ticket``
event is handed to it as the app's feed would. Its clock is injected, so the 60 s run
out without waiting. Against a real server: test_rating_server.py.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kiosk.core import clock
from kiosk.core.wire import EventPublic, RatingCardPublic
from kiosk.rating.device import RatingDevice
from kiosk.rating.session import RatingSession
from kiosk.rating.store import RatingStore
from kiosk.voice import SilentSpeaker

pytestmark = pytest.mark.ui


class MovableClock:
    def __init__(self) -> None:
        self.at = clock.now()

    def __call__(self) -> dt.datetime:
        return self.at

    def move(self, seconds: float) -> None:
        self.at += dt.timedelta(seconds=seconds)


def completed(ticket: str, counter: int = 4) -> EventPublic:
    data = {"number": "A001", "queue": "A", "state": "done", "window": 2}
    return EventPublic.model_validate(
        {
            "seq": 1,
            "type": "ticket",
            "hall_id": "h",
            "at": "2026-12-02T01:00:00Z",
            "data": {**data, "counter_id": counter, "ticket_id": ticket},
        }
    )


class Panel:
    def __init__(self, kiosk: Any, tmp_path: Path) -> None:
        self.kiosk = kiosk
        self.clock = MovableClock()
        self.store = RatingStore(tmp_path / "rating")
        self.speaker = SilentSpeaker()
        session = RatingSession(
            counter_id=4, device_id="rating-4", clock=self.clock, on_finished=self.store.add
        )
        self.device = RatingDevice(session=session, store=self.store, speaker=self.speaker)

    def screen(self, name: str) -> Any:
        return self.device.get_screen(name)

    def tap(self, widget: Any) -> None:
        self.kiosk.tap(widget)
        self.kiosk.settle()

    def face(self, level: str) -> Any:
        return next(f for f in self.screen("ask").ids.faces.children if f.level == level)

    def tile(self, reason: str) -> Any:
        return next(t for t in self.screen("reasons").ids.tiles.children if t.value == reason)

    def key(self, digit: str) -> Any:
        keys = self.screen("phone").ids.pad.children
        return next(k for k in keys if getattr(k, "text", None) == digit)


@pytest.fixture
def panel(at_home: Any, tmp_path: Path) -> Iterator[Panel]:
    kiosk = at_home
    kiosk.resize(1280, 800)
    p = Panel(kiosk, tmp_path)
    kiosk.window.add_widget(p.device)
    p.device.size = kiosk.window.size
    kiosk.settle()
    try:
        yield p
    finally:
        p.device.set_elder(False)
        p.device.stop()
        kiosk.window.remove_widget(p.device)
        p.store.close()
        kiosk.resize(1920, 1080)


def test_idle_shows_the_windows_staff_member(panel: Panel) -> None:
    card = RatingCardPublic.model_validate(
        {
            "counter_id": 4,
            "window": "2号窗口",
            "staff": {"id": "wang", "name": "王芳", "post": "社保专员"},
        }
    )
    panel.store.save_card(card, None)
    panel.device.show_card(panel.store.card())
    idle = panel.screen("idle")
    assert panel.device.shown == "idle"
    assert (idle.ids.window.text, idle.ids.staff_name.text, idle.ids.post.text) == (
        "2号窗口",
        "王芳",
        "社保专员",
    )


def test_a_completion_asks_and_a_touched_face_is_stored(panel: Panel) -> None:
    panel.device.on_event(completed("ticket-good"))
    panel.kiosk.settle()
    assert panel.device.shown == "ask"
    words = [f.ids.word.text for f in reversed(panel.screen("ask").ids.faces.children)]
    assert words == ["非常满意", "满意", "基本满意", "不满意", "非常不满意"]
    panel.clock.move(3)
    panel.tap(panel.face("satisfied"))
    assert panel.device.shown == "thanks"
    [row] = panel.store.all()  # stored before 谢谢 was shown
    assert row.body.level == "satisfied" and row.body.ticket_id == "ticket-good"
    assert row.status == "pending" and row.body.counter_id == 4
    panel.device.on_event(completed("ticket-good"))  # the event replayed: not asked again
    panel.device.on_event(completed("ticket-other", counter=5))  # another window's
    panel.device._thanked(0)
    assert panel.device.shown == "idle" and len(panel.store.all()) == 1


def test_a_bad_rating_needs_a_reason_then_takes_a_phone(panel: Panel) -> None:
    panel.device.on_event(completed("ticket-bad"))
    panel.kiosk.settle()
    panel.tap(panel.face("very_unsatisfied"))
    reasons = panel.screen("reasons")
    assert panel.device.shown == "reasons"
    assert [t.text for t in reversed(reasons.ids.tiles.children)] == [
        "态度",
        "效率",
        "业务不熟",
        "指南不准确",
        "等候太久",
        "环境",
        "其他",
    ]
    panel.tap(reasons.ids.next)
    assert panel.device.shown == "reasons" and "至少选择一项" in reasons.ids.problem.text
    assert not panel.store.all()
    panel.tap(panel.tile("waiting"))
    panel.tap(panel.tile("efficiency"))
    assert panel.tile("waiting").state == "down"
    panel.tap(reasons.ids.next)
    phone = panel.screen("phone")
    assert panel.device.shown == "phone"
    for d in "138":
        panel.tap(panel.key(d))
    panel.tap(phone.ids.submit_named)
    assert "11 位" in phone.ids.problem.text and panel.device.shown == "phone"
    for d in "123412349":  # the 12th digit is not taken
        panel.tap(panel.key(d))
    panel.tap(phone.ids.delete)
    panel.tap(panel.key("4"))
    assert phone.ids.digits.text == "13812341234"
    panel.tap(phone.ids.submit_named)
    assert panel.device.shown == "thanks"
    [row] = panel.store.all()
    assert row.body.level == "very_unsatisfied"
    assert row.body.reasons == ["efficiency", "waiting"] and row.body.phone == "13812341234"


def test_sixty_seconds_untouched_is_unrated_and_back_to_idle(panel: Panel) -> None:
    panel.device.on_event(completed("ticket-late"))
    panel.kiosk.settle()
    panel.clock.move(30)
    panel.device._tick(0)
    panel.kiosk.settle()
    assert panel.screen("ask").ids.countdown.text == "还剩 30 秒"
    panel.clock.move(31)
    panel.device._tick(0)
    assert panel.device.shown == "idle"
    [row] = panel.store.all()
    assert row.body.level is None and row.body.reasons == []
    assert row.body.answered_at - row.body.asked_at == dt.timedelta(seconds=60)


def test_elder_mode_reads_the_question_and_the_choice(panel: Panel) -> None:
    panel.device.on_event(completed("ticket-elder"))
    panel.kiosk.settle()
    panel.tap(panel.screen("ask").ids.elder)
    assert panel.device.elder
    said = [u.text for u in panel.speaker.said]
    assert any("请您对本次服务进行评价" in t for t in said), said
    panel.tap(panel.face("fair"))
    said = [u.text for u in panel.speaker.said]
    assert "基本满意" in said and any("谢谢您的评价" in t for t in said), said
    panel.device._thanked(0)  # the resident has gone: the next one starts as the hall set
    assert not panel.device.elder and panel.device.shown == "idle"


@pytest.mark.parametrize("elder", [False, True], ids=["normal", "elder"])
@pytest.mark.parametrize("size", [(1280, 800), (1920, 1080)], ids=["panel", "hd"])
def test_every_rating_screen_fits(panel: Panel, elder: bool, size: tuple[int, int]) -> None:
    """No text spills out of its box, targets and type are large enough, on every screen."""
    from tests.app.test_every_screen_fits import problems_of

    panel.kiosk.resize(*size)
    panel.device.size = panel.kiosk.window.size
    card = RatingCardPublic.model_validate(
        {
            "counter_id": 4,
            "window": "12号窗口",
            "staff": {"id": "wang", "name": "欧阳晓明", "post": "社区党委书记、居委会主任"},
        }
    )
    panel.store.save_card(card, None)
    panel.device.set_elder(elder)
    panel.device.show_card(panel.store.card())
    found: list[str] = []
    session = panel.device.session
    for name in ("idle", "ask", "reasons", "phone", "thanks"):
        if name == "ask":
            panel.device.on_event(completed(f"ticket-fits-{elder}-{size[0]}"))
        elif name == "reasons":
            panel.device.choose("very_unsatisfied")
            panel.device.toggle("guide")
        elif name == "phone":
            panel.device.confirm_reasons()
            for d in "13812341234":
                panel.device.press_digit(d)
            panel.device.press_digit("5")
            assert session.phone == "13812341234"
        elif name == "thanks":
            panel.device.submit(True)
        panel.kiosk.settle()
        assert panel.device.shown == name
        found += problems_of(panel.device.get_screen(name))
    assert not found, "\n".join(found)
