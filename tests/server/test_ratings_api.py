"""好差评 from a counter's rating device against the real server: the window's card, the
ticket event it listens for, one rating per ticket (idempotent), 未评价, refusals."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest

from kiosk.core import clock
from tests.utils.server_api import Hall, assert_error


def _served(hall: Hall, window: int = 3, queue: str = "C") -> dict[str, Any]:
    """A ticket called, started and completed at ``window``."""
    counter = hall.counters[window]
    while hall.staff.post(f"/counters/{counter}/call-next").status_code == 200:
        hall.staff.post(f"/counters/{counter}/no-show")
    ticket = hall.issue(queue).json()
    called = hall.staff.post(f"/counters/{counter}/call-next").json()
    assert called["id"] == ticket["id"]
    assert hall.staff.post(f"/counters/{counter}/start").status_code == 200
    done = hall.staff.post(f"/counters/{counter}/complete")
    assert done.status_code == 200, done.text
    return dict(done.json())


def _body(ticket: dict[str, Any], counter_id: int, **over: Any) -> dict[str, Any]:
    asked = clock.now()
    body = {
        "ticket_id": ticket["id"],
        "counter_id": counter_id,
        "level": "very_satisfied",
        "reasons": [],
        "phone": None,
        "asked_at": asked.isoformat(),
        "answered_at": (asked + dt.timedelta(seconds=5)).isoformat(),
    }
    body.update(over)
    return body


def _rate(hall: Hall, body: dict[str, Any], key: str | None = None) -> Any:
    return hall.kiosk.post(
        "/ratings", json=body, headers={"Idempotency-Key": key or f"rate-{uuid.uuid4().hex}"}
    )


def test_rating_card_shows_the_window_and_its_staff(hall: Hall) -> None:
    counter = hall.counters[3]
    card = hall.kiosk.get(f"/counters/{counter}/rating-card")
    assert card.status_code == 200, card.text
    assert card.json() == {"counter_id": counter, "window": "3号窗口", "staff": None}
    assert (
        hall.staff.put(f"/counters/{counter}/rating-card", json={"staff_id": "wang"}).status_code
        == 204
    )
    card = hall.kiosk.get(f"/counters/{counter}/rating-card").json()
    assert card["staff"] == {"id": "wang", "name": "王小明", "post": "主任", "photo": None}
    err = assert_error(
        hall.staff.put(f"/counters/{counter}/rating-card", json={"staff_id": "nobody"}), 422
    )
    assert "nobody" in err["message"]
    assert_error(hall.kiosk.get("/counters/999999/rating-card"), 404, "unknown_counter")
    # Staff tokens do not rate and do not read the device's card.
    assert_error(hall.staff.get(f"/counters/{counter}/rating-card"), 403)


def test_completed_ticket_event_names_ticket_and_counter(hall: Hall) -> None:
    after = hall.kiosk.get("/kiosk/events", params={"after": 0, "wait": 0}).json()["last_seq"]
    ticket = _served(hall)
    events = hall.kiosk.get("/kiosk/events", params={"after": after, "wait": 0}).json()["events"]
    done = [e for e in events if e["type"] == "ticket" and e["data"]["state"] == "done"]
    assert done and done[-1]["data"]["ticket_id"] == ticket["id"]
    assert done[-1]["data"]["counter_id"] == hall.counters[3]


def test_one_rating_per_ticket_idempotent(hall: Hall) -> None:
    ticket = _served(hall)
    counter = hall.counters[3]
    body = _body(ticket, counter)
    first = _rate(hall, body, "rate-key-0001")
    assert first.status_code == 201, first.text
    rated = first.json()
    assert rated["level"] == "very_satisfied" and rated["level_label"] == "非常满意"
    assert rated["ticket_id"] == ticket["id"] and rated["window"] == 3
    again = _rate(hall, body, "rate-key-0001")
    assert again.status_code == 200 and again.json() == rated
    err = assert_error(_rate(hall, body), 409, "already_rated")
    assert "只能评价一次" in err["message"]


def test_bad_rating_needs_a_reason_and_good_takes_none(hall: Hall) -> None:
    ticket = _served(hall)
    counter = hall.counters[3]
    err = assert_error(_rate(hall, _body(ticket, counter, level="unsatisfied")), 422)
    assert "原因" in err["message"]
    err = assert_error(_rate(hall, _body(ticket, counter, reasons=["attitude"])), 422)
    assert "原因" in err["message"]
    err = assert_error(_rate(hall, _body(ticket, counter, level="great")), 422)
    assert err["field"] == "level"
    ok = _rate(hall, _body(ticket, counter, level="unsatisfied", reasons=["waiting", "attitude"]))
    assert ok.status_code == 201, ok.text
    assert ok.json()["reasons"] == ["attitude", "waiting"]


def test_unrated_after_timeout_is_stored_as_unrated(hall: Hall) -> None:
    ticket = _served(hall)
    counter = hall.counters[3]
    asked = clock.now()
    body = _body(
        ticket, counter, level=None, answered_at=(asked + dt.timedelta(seconds=60)).isoformat()
    )
    body["asked_at"] = asked.isoformat()
    r = _rate(hall, body)
    assert r.status_code == 201, r.text
    assert r.json()["level"] is None and r.json()["level_label"] == "未评价"
    err = assert_error(_rate(hall, _body(ticket, counter, level=None, reasons=["other"])), 409)
    assert err["code"] == "already_rated"


@pytest.mark.parametrize(
    ("over", "status", "field"),
    [
        ({"answered_at": "2026-12-02T09:00:00"}, 422, "answered_at"),  # no zone
        ({"phone": "12345"}, 422, "phone"),
        ({"counter_id": 0}, 422, "counter_id"),
        ({"ticket_id": "x"}, 422, "ticket_id"),
    ],
)
def test_bad_input_is_refused_in_chinese(
    hall: Hall, over: dict[str, Any], status: int, field: str
) -> None:
    body = {**_body({"id": "A" * 22}, hall.counters[3]), **over}
    err = assert_error(_rate(hall, body), status)
    assert err["field"] == field
    assert any("\u4e00" <= ch <= "\u9fff" for ch in err["message"]), err


def test_refusals_for_tickets_not_finished_or_elsewhere(hall: Hall) -> None:
    counter = hall.counters[3]
    assert_error(_rate(hall, _body({"id": "Z" * 22}, counter)), 404, "unknown_ticket")
    waiting = hall.issue("C").json()
    err = assert_error(_rate(hall, _body(waiting, counter)), 409, "not_finished")
    assert "尚未办结" in err["message"]
    ticket = _served(hall)
    err = assert_error(_rate(hall, _body(ticket, hall.counters[1])), 422, "wrong_counter")
    late = _body(ticket, counter)
    late["answered_at"] = (clock.now() + dt.timedelta(minutes=5)).isoformat()
    err = assert_error(_rate(hall, late), 422)
    assert "超时" in err["message"]
    # A staff token cannot rate.
    r = hall.staff.post(
        "/ratings", json=_body(ticket, counter), headers={"Idempotency-Key": "k" * 10}
    )
    assert_error(r, 403)
