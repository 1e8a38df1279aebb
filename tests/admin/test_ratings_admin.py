"""/admin/ratings keeps each hall to its own ratings: another hall's staff can neither see
nor act on them (403), the district admin sees every hall; the 整改 steps are the hall
leader's (a plain staff member: 403); a step needs its note."""

from __future__ import annotations

import datetime as dt
import uuid

import requests

from kiosk.core import clock
from tests.utils.admin_web import admin_client, db, leader_client, staff_client
from tests.utils.servers import RunningServer

OWN = "xiandai-yicheng"
OTHER = "huayang"


def _bad_rating(server: RunningServer) -> int:
    """A ticket of ``OWN`` served through the API and rated 非常不满意 by its device."""
    login = server.credentials["staff"][OWN]
    token = requests.post(f"{server.api}/auth/token", json=login, timeout=30).json()
    staff = {"Authorization": f"Bearer {token['access_token']}"}
    kiosk = {"Authorization": f"Bearer {server.credentials['kiosks'][OWN]['token']}"}
    counter = requests.get(
        f"{server.api}/counters", params={"hall_id": OWN}, headers=staff, timeout=30
    ).json()["counters"][0]
    queue = counter["queues"][0]
    ticket = requests.post(
        f"{server.api}/tickets",
        json={"queue": queue},
        headers={**kiosk, "Idempotency-Key": uuid.uuid4().hex},
        timeout=30,
    ).json()
    for _ in range(100):
        called = requests.post(
            f"{server.api}/counters/{counter['id']}/call-next", headers=staff, timeout=30
        ).json()
        if called["id"] == ticket["id"]:
            break
    r = requests.post(f"{server.api}/counters/{counter['id']}/complete", headers=staff, timeout=30)
    assert r.status_code == 200, r.text
    asked = clock.now()
    r = requests.post(
        f"{server.api}/ratings",
        json={
            "ticket_id": ticket["id"],
            "counter_id": counter["id"],
            "level": "very_unsatisfied",
            "reasons": ["guide"],
            "asked_at": asked.isoformat(),
            "answered_at": (asked + dt.timedelta(seconds=3)).isoformat(),
        },
        headers={**kiosk, "Idempotency-Key": uuid.uuid4().hex},
        timeout=30,
    )
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


def test_other_halls_neither_see_nor_act(admin_server: RunningServer) -> None:
    rating_id = _bad_rating(admin_server)
    with db(admin_server) as conn:
        own_name = conn.execute("SELECT name FROM halls WHERE id = ?", (OWN,)).fetchone()[0]
    intruder = staff_client(admin_server, OTHER)
    page = intruder.get("/admin/ratings")
    assert page.status_code == 200 and own_name not in page.text
    for path, form in (
        ("/admin/ratings/step", {"step": "call_back", "note": "回访"}),
        ("/admin/ratings/appeal", {"reason": "不是我"}),
    ):
        r = intruder.post(path, {"rating_id": str(rating_id), **form})
        assert r.status_code == 403 and "权限" in r.text, (path, r.status_code)
    district = admin_client(admin_server)
    assert own_name in district.get("/admin/ratings").text
    owner = staff_client(admin_server, OWN)
    plain = owner.post(
        "/admin/ratings/step", {"rating_id": str(rating_id), "step": "call_back", "note": "回访"}
    )
    assert plain.status_code == 403 and "负责人" in plain.text
    leader = leader_client(admin_server, OWN)
    empty = leader.post("/admin/ratings/step", {"rating_id": str(rating_id), "step": "call_back"})
    assert "请写明回访的情况" in leader.flash(empty)
    wrong = leader.post(
        "/admin/ratings/step", {"rating_id": str(rating_id), "step": "fix", "note": "x"}
    )
    assert "请先完成" in leader.flash(wrong)
    # A hall's staff may not decide appeals (the district does).
    owner.post("/admin/ratings/appeal", {"rating_id": str(rating_id), "reason": "指南是上级发的"})
    decide = owner.post("/admin/ratings/decide", {"rating_id": str(rating_id), "upheld": "yes"})
    assert "街道" in owner.flash(decide)
    with db(admin_server) as conn:
        upheld = conn.execute(
            "SELECT upheld FROM rating_appeals WHERE rating_id = ?", (rating_id,)
        ).fetchone()[0]
    assert upheld is None
