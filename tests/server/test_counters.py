"""The window's work: call next (priority, queue filter), recall, start, complete,
no-show, transfer; replayed operations are refused with a reason."""

from __future__ import annotations

import pytest
import requests
import sqlalchemy as sa

from tests.utils.server_api import Hall, assert_error, make_hall
from tests.utils.servers import RunningServer


@pytest.fixture
def desk(hall: Hall) -> Hall:
    """The module's hall with every queue emptied and every window free."""
    for counter_id in hall.counters.values():
        while hall.staff.post(f"/counters/{counter_id}/call-next").status_code == 200:
            pass
        hall.staff.post(f"/counters/{counter_id}/complete")
    return hall


@pytest.fixture(scope="module")
def other_hall(server: RunningServer) -> Hall:
    return make_hall(server, "other")


def test_counters_come_from_queue_windows(desk: Hall) -> None:
    counters = desk.staff.get("/counters").json()["counters"]
    assert {c["window"]: c["queues"] for c in counters} == {1: ["A"], 2: ["A", "B"], 3: ["C"]}
    assert all(c["hall_id"] == desk.id and c["current"] is None for c in counters)


def test_call_next_priority_first_then_arrival(desk: Hall) -> None:
    first = desk.issue("A").json()
    second = desk.issue("A").json()
    urgent = desk.issue("A", priority=True).json()
    window1 = desk.counters[1]
    order = []
    for _ in range(3):
        r = desk.staff.post(f"/counters/{window1}/call-next")
        assert r.status_code == 200, r.text
        order.append(r.json()["number"])
        assert r.json()["state"] == "called" and r.json()["window"] == 1
    assert order == [urgent["number"], first["number"], second["number"]]
    assert_error(desk.staff.post(f"/counters/{window1}/call-next"), 404, "queue_empty")
    # Called and never started: calling the next one records it as a no-show, not served.
    gone = desk.anon.get(f"/public/tickets/{urgent['id']}").json()
    assert gone["state"] == "no_show"


def test_call_next_finishes_a_started_ticket_and_no_shows_a_called_one(desk: Hall) -> None:
    served = desk.issue("C").json()
    absent = desk.issue("C").json()
    third = desk.issue("C").json()
    window3 = desk.counters[3]
    assert desk.staff.post(f"/counters/{window3}/call-next").json()["id"] == served["id"]
    assert desk.staff.post(f"/counters/{window3}/start").json()["state"] == "serving"
    assert desk.staff.post(f"/counters/{window3}/call-next").json()["id"] == absent["id"]
    assert desk.anon.get(f"/public/tickets/{served['id']}").json()["state"] == "done"
    # The resident called never came: 叫下一位 marks them 过号, and their phone says so.
    assert desk.staff.post(f"/counters/{window3}/call-next").json()["id"] == third["id"]
    assert desk.anon.get(f"/public/tickets/{absent['id']}").json()["state"] == "no_show"
    page = requests.get(f"{desk.server.base_url}/t/{absent['id']}", timeout=30)
    assert "已过号" in page.text and "已办结" not in page.text


def test_queue_filter(desk: Hall) -> None:
    a = desk.issue("A").json()
    b = desk.issue("B").json()
    window2 = desk.counters[2]
    r = desk.staff.post(f"/counters/{window2}/call-next", json={"queues": ["B"]})
    assert r.json()["number"] == b["number"]
    r = desk.staff.post(f"/counters/{window2}/call-next", json={"queues": ["A"]})
    assert r.json()["number"] == a["number"]
    err = assert_error(
        desk.staff.post(f"/counters/{window2}/call-next", json={"queues": ["Q"]}), 422
    )
    assert err["field"] == "queues[0]"


def test_full_life_of_a_ticket(desk: Hall) -> None:
    ticket = desk.issue("C").json()
    window3 = desk.counters[3]
    called = desk.staff.post(f"/counters/{window3}/call-next").json()
    assert called["id"] == ticket["id"] and called["called_at"]
    listed = desk.staff.get("/counters").json()["counters"]
    assert next(c for c in listed if c["window"] == 3)["current"]["id"] == ticket["id"]
    phone = desk.anon.get(f"/public/tickets/{ticket['id']}").json()
    assert (phone["state"], phone["window"]) == ("called", 3)
    recalled = desk.staff.post(f"/counters/{window3}/recall")
    assert recalled.status_code == 200 and recalled.json()["state"] == "called"
    started = desk.staff.post(f"/counters/{window3}/start")
    assert started.json()["state"] == "serving"
    assert_error(desk.staff.post(f"/counters/{window3}/start"), 409, "invalid_transition")
    assert_error(desk.staff.post(f"/counters/{window3}/recall"), 409, "invalid_transition")
    completed = desk.staff.post(f"/counters/{window3}/complete")
    assert completed.json()["state"] == "done"
    replay = assert_error(
        desk.staff.post(f"/counters/{window3}/complete"), 409, "no_current_ticket"
    )
    assert "窗口" in replay["message"]


def test_no_show(desk: Hall) -> None:
    ticket = desk.issue("C").json()
    window3 = desk.counters[3]
    desk.staff.post(f"/counters/{window3}/call-next")
    r = desk.staff.post(f"/counters/{window3}/no-show")
    assert r.status_code == 200 and r.json()["state"] == "no_show"
    assert desk.anon.get(f"/public/tickets/{ticket['id']}").json()["state"] == "no_show"
    assert_error(desk.staff.post(f"/counters/{window3}/no-show"), 409, "no_current_ticket")


def test_transfer_to_another_queue(desk: Hall) -> None:
    ticket = desk.issue("C").json()
    window3, window2 = desk.counters[3], desk.counters[2]
    desk.staff.post(f"/counters/{window3}/call-next")
    assert_error(
        desk.staff.post(f"/counters/{window3}/transfer", json={"queue": "Z"}), 422, "unknown_queue"
    )
    moved = desk.staff.post(f"/counters/{window3}/transfer", json={"queue": "B"})
    assert moved.status_code == 200, moved.text
    assert (moved.json()["state"], moved.json()["queue"]) == ("waiting", "B")
    assert moved.json()["number"] == ticket["number"]
    r = desk.staff.post(f"/counters/{window2}/call-next", json={"queues": ["B"]})
    assert r.json()["id"] == ticket["id"] and r.json()["window"] == 2


def test_unknown_counter_and_other_halls(desk: Hall, other_hall: Hall) -> None:
    hall = other_hall
    assert_error(desk.staff.post("/counters/999999/call-next"), 404, "unknown_counter")
    assert_error(desk.staff.post("/counters/not-a-number/call-next"), 422)
    # Staff of one hall may not touch another hall's windows; the admin may.
    other_window = hall.counters[1]
    assert_error(desk.staff.post(f"/counters/{other_window}/call-next"), 403)
    assert_error(desk.staff.get(f"/counters?hall_id={hall.id}"), 403)
    admin_view = desk.admin.get(f"/counters?hall_id={hall.id}").json()["counters"]
    assert {c["hall_id"] for c in admin_view} == {hall.id}


def test_every_change_is_audited_with_time_and_actor(desk: Hall) -> None:
    ticket = desk.issue("C").json()
    window3 = desk.counters[3]
    desk.staff.post(f"/counters/{window3}/call-next")
    desk.staff.post(f"/counters/{window3}/recall")
    desk.staff.post(f"/counters/{window3}/start")
    desk.staff.post(f"/counters/{window3}/complete")
    url = desk.server.database_url or f"sqlite:///{desk.server.data_dir / 'kiosk.sqlite3'}"
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                sa.text(
                    "SELECT a.action, a.from_state, a.to_state, a.actor, a.at FROM ticket_audit a"
                    " JOIN tickets t ON t.id = a.ticket_id WHERE t.public_id = :p ORDER BY a.id"
                ),
                {"p": ticket["id"]},
            ).all()
    finally:
        engine.dispose()
    steps = [(r.action, r.from_state, r.to_state) for r in rows]
    assert steps == [
        ("issue", None, "waiting"),
        ("call", "waiting", "called"),
        ("recall", "called", "called"),
        ("start", "called", "serving"),
        ("complete", "serving", "done"),
    ]
    assert rows[0].actor.startswith("kiosk:")
    assert all(r.actor.startswith("staff:") for r in rows[1:])
    assert all(r.at is not None for r in rows)
