"""The rating device's flow and store without a window: kiosk.rating.session and .store.

Pure rules (levels, reasons, 60 s) are kiosk.core.ratings' and tested there; here: what
the device does with them — one outcome per prompt, never a default good rating, the
store keeping a ticket once and surviving a reopen.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from kiosk.core import clock
from kiosk.core.ratings import DEVICE_TIMEOUT, Level, Reason
from kiosk.core.wire import EventPublic
from kiosk.rating.session import Finished, RatingSession, Stage, completed_here, phone_problem
from kiosk.rating.store import RatingStore


class MovableClock:
    def __init__(self) -> None:
        self.at = clock.now()

    def __call__(self) -> dt.datetime:
        return self.at

    def move(self, seconds: float) -> None:
        self.at += dt.timedelta(seconds=seconds)


def session_with(kept: list[Finished], now: MovableClock) -> RatingSession:
    return RatingSession(counter_id=7, device_id="rating-7", clock=now, on_finished=kept.append)


def stage(s: RatingSession) -> Stage:
    return s.stage  # read afresh: mypy would keep the narrowing of an earlier check


def event(data: dict[str, object], type_: str = "ticket") -> EventPublic:
    return EventPublic.model_validate(
        {"seq": 1, "type": type_, "hall_id": "h", "at": "2026-12-02T01:00:00Z", "data": data}
    )


def test_only_a_completion_at_this_counter_asks() -> None:
    done = {"state": "done", "counter_id": 7, "ticket_id": "ticket-1", "window": 3}
    assert completed_here(event(done), 7) == "ticket-1"
    assert completed_here(event({**done, "counter_id": "7"}), 7) == "ticket-1"
    assert completed_here(event(done), 8) is None
    assert completed_here(event({**done, "state": "no_show"}), 7) is None
    assert completed_here(event(done, "call"), 7) is None
    assert completed_here(event({"state": "done", "window": 3}), 7) is None  # no ids: no ask
    assert completed_here(event({**done, "counter_id": True}), 7) is None
    assert completed_here(event({**done, "ticket_id": ""}), 7) is None


def test_a_good_level_is_the_rating_at_once() -> None:
    kept: list[Finished] = []
    now = MovableClock()
    s = session_with(kept, now)
    assert s.ask("ticket-1")
    now.move(5)
    s.choose(Level.SATISFIED)
    assert s.stage is Stage.THANKS
    [f] = kept
    assert f.ticket_id == "ticket-1" and f.rating.level is Level.SATISFIED and not f.rating.reasons
    assert f.rating.at - f.rating.prompt.asked_at == dt.timedelta(seconds=5)


def test_a_bad_level_needs_a_reason_and_may_leave_a_phone() -> None:
    kept: list[Finished] = []
    s = session_with(kept, MovableClock())
    s.ask("ticket-1")
    s.choose(Level.VERY_UNSATISFIED)
    assert s.stage is Stage.REASONS
    assert s.confirm_reasons() == "请至少选择一项不满意的原因"
    assert stage(s) is Stage.REASONS and not kept
    s.toggle(Reason.WAITING)
    s.toggle(Reason.ATTITUDE)
    s.toggle(Reason.WAITING)  # off again
    assert s.confirm_reasons() is None and stage(s) is Stage.PHONE
    for d in "1381234":
        s.press_digit(d)
    assert s.submit(with_phone=True) == "请输入 11 位手机号码"
    for d in "12349":  # the 12th digit is not taken
        s.press_digit(d)
    assert s.phone == "13812341234"
    assert s.submit(with_phone=True) is None
    [f] = kept
    assert f.rating.level is Level.VERY_UNSATISFIED and f.rating.named
    assert f.rating.reasons == {Reason.ATTITUDE} and f.phone == "13812341234"
    assert f.rating.rectification is not None  # the 整改 opens with the 差评


def test_sixty_seconds_then_unrated_never_a_default() -> None:
    kept: list[Finished] = []
    now = MovableClock()
    s = session_with(kept, now)
    s.ask("ticket-1")
    now.move(DEVICE_TIMEOUT.total_seconds())
    assert not s.tick() and s.seconds_left == 0  # the 60th second is still the resident's
    now.move(0.5)
    assert s.tick()
    assert s.stage is Stage.IDLE
    [f] = kept
    assert f.rating.level is None and f.rating.at == f.rating.prompt.asked_at + DEVICE_TIMEOUT
    s.choose(Level.VERY_SATISFIED)  # too late: nothing
    assert len(kept) == 1


def test_a_bad_level_without_reasons_times_out_unrated() -> None:
    kept: list[Finished] = []
    now = MovableClock()
    s = session_with(kept, now)
    s.ask("ticket-1")
    s.choose(Level.UNSATISFIED)
    s.toggle(Reason.EFFICIENCY)
    now.move(61)
    assert s.tick()
    assert kept[0].rating.level is None  # reasons touched but not confirmed: not an answer


def test_a_confirmed_bad_rating_is_kept_when_the_phone_times_out() -> None:
    kept: list[Finished] = []
    now = MovableClock()
    s = session_with(kept, now)
    s.ask("ticket-1")
    s.choose(Level.UNSATISFIED)
    s.toggle(Reason.GUIDE)
    assert s.confirm_reasons() is None
    s.press_digit("1")
    now.move(61)
    assert s.tick()
    [f] = kept
    assert f.rating.level is Level.UNSATISFIED and f.phone is None and not f.rating.named


def test_the_next_completion_finishes_the_open_prompt_and_a_ticket_is_asked_once() -> None:
    kept: list[Finished] = []
    s = session_with(kept, MovableClock())
    assert s.ask("ticket-1")
    assert s.ask("ticket-2")
    assert [f.ticket_id for f in kept] == ["ticket-1"] and kept[0].rating.level is None
    assert not s.ask("ticket-2") and not s.ask("ticket-1")
    s.already_asked({"ticket-9"})
    assert not s.ask("ticket-9")


@pytest.mark.parametrize(
    ("digits", "ok"),
    [
        ("13812341234", True),
        ("1381234123", False),
        ("23812341234", False),
        ("12812341234", False),
        ("１３８", False),
    ],
)
def test_phone_problem(digits: str, ok: bool) -> None:
    assert (phone_problem(digits) is None) is ok


def test_store_keeps_a_ticket_once_and_survives_a_reopen(tmp_path: Path) -> None:
    kept: list[Finished] = []
    s = session_with(kept, MovableClock())
    s.ask("ticket-1")
    s.choose(Level.FAIR)
    store = RatingStore(tmp_path)
    first = store.add(kept[0])
    again = store.add(kept[0])
    assert again == first and store.backlog() == 1
    store.mark(first.local_id, "delivered")
    store.close()
    reopened = RatingStore(tmp_path)
    [row] = reopened.all()
    assert row.idempotency_key == first.idempotency_key and row.status == "delivered"
    assert row.body.level == "fair" and row.body.ticket_id == "ticket-1"
    assert reopened.ticket_ids() == {"ticket-1"} and reopened.backlog() == 0
    reopened.close()
