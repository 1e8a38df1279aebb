"""``GET /kiosk/queues``: waiting counts per queue, the server's clock and the kiosk's number."""

from __future__ import annotations

import datetime as dt

from kiosk.core import clock
from tests.utils.server_api import Hall, assert_error


def _waiting(hall: Hall) -> dict[str, int]:
    r = hall.kiosk.get("/kiosk/queues")
    assert r.status_code == 200, r.text
    return {q["queue"]: q["waiting"] for q in r.json()["queues"]}


def test_counts_follow_issues_and_calls(hall: Hall) -> None:
    before = _waiting(hall)
    assert set(before) == {"A", "B", "C"}
    hall.issue("B")
    hall.issue("B")
    after = _waiting(hall)
    assert after["B"] == before["B"] + 2 and after["A"] == before["A"]
    window2 = hall.counters[2]
    r = hall.staff.post(f"/counters/{window2}/call-next", json={"queues": ["B"]})
    assert r.status_code == 200, r.text
    assert _waiting(hall)["B"] == before["B"] + 1


def test_clock_day_and_kiosk_number(hall: Hall) -> None:
    body = hall.kiosk.get("/kiosk/queues").json()
    server_time = dt.datetime.fromisoformat(body["time"])
    assert abs((server_time - clock.now()).total_seconds()) < 600
    assert body["kiosk_no"] == hall.kiosk_no
    assert dt.date.fromisoformat(body["service_day"])
    for q in body["queues"]:
        assert q["estimated_wait_minutes"] >= 0


def test_needs_a_kiosk_token(hall: Hall) -> None:
    assert_error(hall.anon.get("/kiosk/queues"), 401, None)
    assert hall.staff.get("/kiosk/queues").status_code in (401, 403)
