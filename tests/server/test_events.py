"""The event long-poll: calls, ticket changes, content and staff status, in seq order."""

from __future__ import annotations

import threading
import time

from tests.utils.server_api import Hall, hall_content


def _events(hall: Hall, after: int, wait: float = 0) -> dict:
    r = hall.kiosk.get("/kiosk/events", params={"after": after, "wait": wait})
    assert r.status_code == 200, r.text
    return r.json()


def test_returns_at_once_when_events_exist(hall: Hall) -> None:
    hall.issue("A")
    started = time.monotonic()
    body = _events(hall, 0, wait=30)
    assert body["events"], "the hall has events"
    assert time.monotonic() - started < 25  # behaviour, not speed: it did not sit out the wait
    seqs = [e["seq"] for e in body["events"]]
    assert seqs == sorted(seqs) and body["last_seq"] == seqs[-1]
    assert {e["hall_id"] for e in body["events"]} == {hall.id}


def test_waits_when_nothing_is_new(hall: Hall) -> None:
    last = _events(hall, 0)["last_seq"]
    started = time.monotonic()
    body = _events(hall, last, wait=1)
    assert body == {"events": [], "last_seq": last}
    assert time.monotonic() - started >= 0.9


def test_wakes_a_waiter_and_carries_calls_content_and_staff_status(hall: Hall) -> None:
    last = _events(hall, 0)["last_seq"]
    got: dict = {}

    def poll() -> None:
        got["body"] = _events(hall, last, wait=25)

    waiter = threading.Thread(target=poll)
    waiter.start()
    time.sleep(0.3)
    ticket = hall.issue("C").json()
    waiter.join(30)
    assert not waiter.is_alive()
    first = got["body"]["events"]
    assert first and first[0]["type"] == "ticket" and first[0]["data"]["number"] == ticket["number"]

    window3 = hall.counters[3]
    hall.staff.post(f"/counters/{window3}/call-next")
    hall.staff.post(f"/counters/{window3}/recall")
    hall.staff.put(f"/halls/{hall.id}/content", json=hall_content(hall.id))
    hall.staff.post(f"/halls/{hall.id}/staff/wang/status", json={"status": "meeting"})
    hall.staff.post(f"/counters/{window3}/complete")
    body = _events(hall, got["body"]["last_seq"], wait=5)
    kinds = [e["type"] for e in body["events"]]
    assert kinds == ["call", "call", "content", "staff_status", "ticket"], kinds
    call, recall, content, status, done = body["events"]
    assert call["data"] == {"number": ticket["number"], "queue": "C", "window": 3, "recall": False}
    assert recall["data"]["recall"] is True
    version = hall.kiosk.get("/kiosk/content").json()["version"]
    assert content["data"]["version"] == version - 1
    assert status["data"]["staff_id"] == "wang" and status["data"]["status"] == "meeting"
    assert status["data"]["version"] == version
    assert done["data"]["state"] == "done"
    seqs = [e["seq"] for e in body["events"]]
    assert seqs == sorted(seqs)


def test_other_halls_events_are_not_seen(hall: Hall) -> None:
    seen = {e["hall_id"] for e in _events(hall, 0)["events"]}
    assert seen <= {hall.id}


def test_bad_parameters(hall: Hall) -> None:
    from tests.utils.server_api import assert_error

    assert_error(hall.kiosk.get("/kiosk/events", params={"after": -1}), 422)
    assert_error(hall.kiosk.get("/kiosk/events", params={"wait": 31}), 422)
    assert_error(hall.kiosk.get("/kiosk/events", params={"after": "x"}), 422)
    beyond = _events(hall, 10**12)
    assert beyond["events"] == [] and beyond["last_seq"] < 10**12
