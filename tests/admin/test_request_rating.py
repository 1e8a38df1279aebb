"""One rating for a closed request: the request page ``/r/{id}`` rates through 好差评 on a
real server — the core RATE transition and the rating in one write (a refused 差评 leaves
neither), once (已评价), staff refused, the 追评 after the 整改, the 14 days on a moved
clock; the rating shows in /admin/ratings and /admin/stats and on the 办理公开 board."""

from __future__ import annotations

import datetime as dt
import json
import time
from pathlib import Path
from typing import Any

import requests
import sqlalchemy as sa

from kiosk.core import clock
from kiosk.core.service_requests import Action, Actor, Role
from kiosk.server import models as m
from kiosk.server import ratings
from kiosk.server import requests as store
from kiosk.server.db import Database
from tests.utils.admin_web import db, staff_client
from tests.utils.servers import RunningServer, start_server

HALL = "huayang"
TIMEOUT = 30


def _database(server: RunningServer) -> Database:
    return Database(server.database_url or f"sqlite:///{server.data_dir / 'kiosk.sqlite3'}")


def _staff_id(server: RunningServer) -> int:
    username = server.credentials["staff"][HALL]["username"]
    with db(server) as conn:
        row = conn.execute(
            "SELECT id FROM staff_accounts WHERE username = ?", (username,)
        ).fetchone()
    return int(row["id"])


def _closed(server: RunningServer, closed: dt.datetime, staff: int | None = None) -> str:
    """A request of the hall, registered, accepted and resolved (closed) at ``closed``."""
    actor = Actor(Role.STAFF, f"staff:{staff or 1}")
    database = _database(server)
    try:

        def run(conn: sa.Connection) -> str:
            record = store.register(
                conn,
                hall_id=HALL,
                category="repair",
                description="5 号楼楼道灯不亮",
                channel="window",
                actor=actor,
                at=closed - dt.timedelta(hours=2),
            )
            if staff is not None:
                conn.execute(
                    sa.update(m.service_requests)
                    .where(m.service_requests.c.id == record.id)
                    .values(staff_id=staff)
                )
            store.act(conn, record.id, Action.ACCEPT, actor, closed - dt.timedelta(hours=1))
            store.act(conn, record.id, Action.RESOLVE, actor, closed, answer="已更换楼道灯泡")
            return record.id

        return database.write_sync(run)
    finally:
        database.close()


def _post(server: RunningServer, rid: str, what: str, data: Any, **kw: Any) -> requests.Response:
    return requests.post(f"{server.base_url}/r/{rid}/{what}", data=data, timeout=TIMEOUT, **kw)


def _stored(server: RunningServer, rid: str) -> tuple[Any, list[Any]]:
    with db(server) as conn:
        request = conn.execute(
            "SELECT satisfaction, rating_level FROM service_requests WHERE id = ?", (rid,)
        ).fetchone()
        rows = conn.execute(
            "SELECT r.*, f.rating_id AS followup FROM ratings r"
            " LEFT JOIN rating_followups f ON f.rating_id = r.id WHERE r.request_id = ?",
            (rid,),
        ).fetchall()
    return request, rows


def _board(server: RunningServer) -> dict[str, Any]:
    token = server.credentials["kiosks"][HALL]["token"]
    r = requests.get(
        f"{server.api}/requests/public-board",
        headers={"Authorization": f"Bearer {token}"},
        timeout=TIMEOUT,
    )
    assert r.status_code == 200, r.text
    figures: dict[str, Any] = r.json()["ratings"]
    return figures


def test_a_bad_rating_of_a_request_opens_its_followup_and_counts(
    admin_server: RunningServer,
) -> None:
    staff = _staff_id(admin_server)
    rid = _closed(admin_server, clock.now() - dt.timedelta(days=1), staff)
    before = _board(admin_server)
    page = requests.get(f"{admin_server.base_url}/r/{rid}", timeout=TIMEOUT)
    assert page.status_code == 200 and 'action="/r/' + rid + '/rate"' in page.text
    assert '<svg class="face"' in page.text and "办结后 14 天内可评价一次" in page.text

    # A 差评 without a reason: refused in Chinese, and neither the request nor 好差评 moved.
    r = _post(admin_server, rid, "rate", {"level": "very_unsatisfied"})
    assert r.status_code == 422 and "请至少选择一项不满意的原因" in r.text
    assert 'value="very_unsatisfied" data-bad checked' in r.text  # the choice is kept
    request, rows = _stored(admin_server, rid)
    assert request["satisfaction"] is None and request["rating_level"] is None and rows == []

    form = {
        "level": "very_unsatisfied",
        "reason": ["efficiency", "attitude"],
        "phone": "138 1234 1234",
    }
    r = _post(admin_server, rid, "rate", form)
    assert r.status_code == 200 and "感谢您的评价：非常不满意" in r.text, r.text[-2000:]
    assert "申请重办" in r.text  # 不满意 still offers 申请重办
    request, rows = _stored(admin_server, rid)
    assert (request["satisfaction"], request["rating_level"]) == ("unsatisfied", "very_unsatisfied")
    assert len(rows) == 1
    row = rows[0]
    assert row["staff_account_id"] == staff and row["service_id"] == "repair"
    assert (
        json.loads(row["reasons"]) == ["attitude", "efficiency"] and row["channel"] == "phone_page"
    )
    assert row["followup"] == row["id"]  # the 差评 opened its 整改
    assert b"13812341234" not in (row["phone_enc"] or b"")

    # Once: a second rating is refused with 已评价, and no second row.
    again = _post(admin_server, rid, "rate", {"level": "satisfied"})
    assert again.status_code == 409 and "已评价" in again.text
    assert len(_stored(admin_server, rid)[1]) == 1

    # The hall's pages: the 整改 to do in /admin/ratings, the figures in /admin/stats.
    admin = staff_client(admin_server, HALL)
    listing = admin.get("/admin/ratings")
    assert listing.status_code == 200 and "诉求办理" in listing.text
    assert f"评价 {row['id']}" in listing.text  # its 整改 step button
    stats = admin.get("/admin/stats")
    assert stats.status_code == 200 and "诉求办理" in stats.text and "诉求·" in stats.text

    after = _board(admin_server)
    assert set(after) == {"good_pct", "bad_followed_on_time", "bad_total"}
    assert after["bad_total"] == before["bad_total"] + 1


def test_a_staff_browser_cannot_rate_a_request_and_nothing_is_stored(
    admin_server: RunningServer,
) -> None:
    rid = _closed(admin_server, clock.now() - dt.timedelta(hours=3))
    staff = staff_client(admin_server, HALL)
    cookies = {"kiosk_admin": staff.http.cookies.get("kiosk_admin") or ""}
    page = requests.get(f"{admin_server.base_url}/r/{rid}", cookies=cookies, timeout=TIMEOUT)
    assert "工作人员账号不能评价" in page.text and "提交评价" not in page.text
    r = _post(admin_server, rid, "rate", {"level": "very_satisfied"}, cookies=cookies)
    assert r.status_code == 422 and "工作人员账号不能评价" in r.text
    request, rows = _stored(admin_server, rid)
    assert request["satisfaction"] is None and rows == []  # the RATE was rolled back too


def test_bad_input_gets_a_chinese_page_never_a_5xx(admin_server: RunningServer) -> None:
    rid = _closed(admin_server, clock.now() - dt.timedelta(hours=4))
    database = _database(admin_server)
    try:
        reopened = database.write_sync(
            lambda c: (
                store.act(
                    c,
                    rid,
                    Action.REOPEN,
                    Actor(Role.RESIDENT, "phone"),
                    clock.now(),
                    reason="又坏了",
                ).id
            )
        )
    finally:
        database.close()
    r = _post(admin_server, reopened, "rate", {"level": "satisfied"})
    assert r.status_code == 409 and "办结" in r.text, r.text[-1500:]
    assert _stored(admin_server, rid)[1] == []
    unknown = _post(admin_server, "A" * 22, "rate", {"level": "satisfied"})
    assert unknown.status_code == 404 and "找不到这条诉求" in unknown.text
    junk = _post(admin_server, rid, "rate", b"\xff\xfe", headers={"Content-Type": "text/plain"})
    assert junk.status_code == 422 and "请选择五个等级之一" in junk.text
    phone = _post(
        admin_server, rid, "rate", {"level": "unsatisfied", "reason": "other", "phone": "12345"}
    )
    assert phone.status_code in (409, 422) and "<html" in phone.text


def test_the_second_rating_after_the_followup_is_answered(admin_server: RunningServer) -> None:
    rid = _closed(admin_server, clock.now() - dt.timedelta(hours=5))
    r = _post(admin_server, rid, "rate", {"level": "unsatisfied", "reason": "waiting"})
    assert r.status_code == 200 and "我们已整改并答复" not in r.text
    database = _database(admin_server)
    try:

        def answer(conn: sa.Connection) -> None:
            found = ratings.rating_for_request(conn, rid)
            assert found is not None
            for step in ("call_back", "verify", "fix"):
                ratings.record_step(
                    conn, found.id, step, note="已上门更换", by="staff:1", at=clock.now()
                )

        database.write_sync(answer)
    finally:
        database.close()
    r = requests.get(f"{admin_server.base_url}/r/{rid}", timeout=TIMEOUT)
    assert (
        "我们已整改并答复，请您追评一次" in r.text and f'action="/r/{rid}/second-rating"' in r.text
    )
    bad = _post(admin_server, rid, "second-rating", {"level": "great"})
    assert bad.status_code == 422 and "请选择五个等级之一" in bad.text
    r = _post(admin_server, rid, "second-rating", {"level": "satisfied"})
    assert r.status_code == 200 and "您的追评：满意" in r.text and "已收到您的追评" in r.text
    again = _post(admin_server, rid, "second-rating", {"level": "fair"})
    assert again.status_code in (409, 422) and "您的追评：满意" in again.text


def test_fourteen_days_on_a_moved_clock(tmp_path: Path) -> None:
    """15 days after the suite's now: a request closed 13 days before may still be rated
    (not the ticket's 3 days), one closed 15 days before may not (whether or not the
    server's archive job has archived it yet)."""
    moved = clock.now() + dt.timedelta(days=15)
    server = start_server(
        tmp_path / "moved",
        extra_env={clock.ENV_VAR: moved.isoformat(), clock.ENV_SET_VAR: repr(time.time())},
    )
    try:
        fresh = _closed(server, moved - dt.timedelta(days=13))
        old = _closed(server, moved - dt.timedelta(days=15))
        page = requests.get(f"{server.base_url}/r/{old}", timeout=TIMEOUT)
        assert "评价已过期（办结后 14 天内可评）" in page.text and "提交评价" not in page.text
        late = _post(server, old, "rate", {"level": "satisfied"})
        assert late.status_code == 409 and "评价已过期" in late.text
        assert _stored(server, old)[1] == []
        database = _database(server)
        try:

            def archive(conn: sa.Connection) -> None:
                if store.get(conn, old).state.value != "archived":
                    store.act(conn, old, Action.ARCHIVE, Actor(Role.STAFF, "staff:1"), moved)

            database.write_sync(archive)
        finally:
            database.close()
        page = requests.get(f"{server.base_url}/r/{old}", timeout=TIMEOUT)
        assert "已归档" in page.text and "评价已过期（办结后 14 天内可评）" in page.text
        r = _post(server, fresh, "rate", {"level": "satisfied"})
        assert r.status_code == 200 and "感谢您的评价：满意" in r.text
        assert len(_stored(server, fresh)[1]) == 1
    finally:
        server.stop()
