"""The staff side of requests on a real server: window requests, the board's filters, the
audited full view, actions by the core rules (refusals in Chinese), notes, hall walls."""

from __future__ import annotations

import sqlalchemy as sa

from kiosk.server import models as m
from kiosk.server.db import Database
from tests.utils.server_api import Hall, assert_error, make_hall
from tests.utils.servers import RunningServer


def _window(hall: Hall, **kw: object) -> dict[str, object]:
    body = {"channel": "window", "category": "help", "description": "独居老人家中停电", **kw}
    r = hall.staff.post("/requests", json=body)
    assert r.status_code == 201, r.text
    return dict(r.json())


def test_window_request_and_its_life(hall: Hall) -> None:
    rid = str(_window(hall, name="李大爷", phone="13700001234")["id"])
    detail = hall.staff.get(f"/requests/{rid}")
    assert detail.status_code == 200, detail.text
    view = detail.json()
    assert view["name"] == "李大爷" and view["phone"] == "13700001234"
    assert "accept" in view["allowed_actions"] and "resolve" not in view["allowed_actions"]
    r = hall.staff.post(f"/requests/{rid}/actions/accept")
    assert r.status_code == 200 and r.json()["state"] == "accepted", r.text
    assert r.json()["light"] == "green"
    refused = hall.staff.post(f"/requests/{rid}/actions/rate", json={"satisfaction": "satisfied"})
    assert "工作人员不能评价" in assert_error(refused, 409)["message"]
    missing = hall.staff.post(f"/requests/{rid}/actions/transfer", json={})
    assert assert_error(missing, 422)["field"] == "unit"
    unknown = hall.staff.post(f"/requests/{rid}/actions/transfer", json={"unit": "物业", "x": 1})
    assert assert_error(unknown, 422)["field"] == "x"
    bad_date = hall.staff.post(f"/requests/{rid}/actions/schedule", json={"expected_date": "明天"})
    assert assert_error(bad_date, 422)["field"] == "expected_date"
    r = hall.staff.post(f"/requests/{rid}/actions/schedule", json={"expected_date": "2026-12-09"})
    assert r.status_code == 200 and r.json()["state"] == "scheduled", r.text
    assert_error(hall.staff.post(f"/requests/{rid}/actions/fly"), 422, "unknown_action")
    note = hall.staff.post(
        f"/requests/{rid}/notes", json={"text": "已联系电力抢修", "public": True}
    )
    assert note.status_code == 201, note.text
    assert_error(hall.staff.post(f"/requests/{rid}/notes", json={"text": ""}), 422)
    r = hall.staff.post(f"/requests/{rid}/actions/resolve", json={"answer": "已恢复供电"})
    assert r.status_code == 200 and r.json()["state_label"] == "已办结"
    labels = [e["label"] for e in r.json()["timeline"]]
    assert labels == ["已登记", "已受理", "已排期", "进展说明", "已办结"]


def test_every_full_view_is_audited(hall: Hall) -> None:
    rid = str(_window(hall, phone="13700005678")["id"])
    hall.staff.get(f"/requests/{rid}")
    hall.staff.get(f"/requests/{rid}")
    db = Database(hall.server.database_url or f"sqlite:///{hall.server.data_dir / 'kiosk.sqlite3'}")
    try:
        rows = db.read_sync(
            lambda c: c.execute(
                sa.select(m.admin_audit).where(
                    m.admin_audit.c.action == "request_view", m.admin_audit.c.target.contains(rid)
                )
            ).all()
        )
    finally:
        db.close()
    assert len(rows) == 2 and rows[0].username == f"staff-{hall.id}"


def test_board_filters(hall: Hall) -> None:
    a = str(_window(hall, category="question", description="咨询低保")["id"])
    b = str(_window(hall, category="repair", description="路灯坏了")["id"])
    hall.staff.post(f"/requests/{b}/actions/withdraw")
    board = hall.staff.get("/requests", params={"category": "question"}).json()
    assert a in [r["id"] for r in board["rows"]] and b not in [r["id"] for r in board["rows"]]
    row = next(r for r in board["rows"] if r["id"] == a)
    assert (
        row["light"] == "green" and row["category_label"] == "咨询" and row["state"] == "registered"
    )
    gone = hall.staff.get("/requests", params={"state": "withdrawn"}).json()
    assert [r["id"] for r in gone["rows"]] == [b]
    assert hall.staff.get("/requests", params={"overdue": "true"}).json()["total"] == 0
    assert_error(hall.staff.get("/requests", params={"state": "nope"}), 422)
    assert_error(hall.staff.get("/requests", params={"order": "nope"}), 422)
    assert_error(hall.staff.get("/requests", params={"limit": 0}), 422)


def test_other_halls_and_kiosks_are_kept_out(server: RunningServer, hall: Hall) -> None:
    rid = str(_window(hall)["id"])
    other = make_hall(server, "req-other")
    assert_error(other.staff.get(f"/requests/{rid}"), 403)
    assert_error(other.staff.post(f"/requests/{rid}/actions/accept"), 403)
    assert_error(other.staff.get("/requests", params={"hall": hall.id}), 403)
    assert rid not in [r["id"] for r in other.staff.get("/requests").json()["rows"]]
    assert_error(hall.kiosk.get(f"/requests/{rid}"), 403)
    assert_error(hall.kiosk.get("/requests"), 403)
    assert_error(hall.staff.get("/requests/does-not-exist"), 404)
    everything = hall.admin.get("/requests", params={"hall": hall.id})
    assert rid in [r["id"] for r in everything.json()["rows"]]
