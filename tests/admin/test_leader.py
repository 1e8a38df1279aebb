"""The hall's leader (负责人) as a real role, over real uvicorn + SQLite: overdue requests
raised by the hourly job show on the leader's board (升级给我) and in a banner on the
leader's pages, the ones gone on to the district on the district board; a leader acts as
the core's ``Role.LEADER``; the visits leader view is for leaders and district admins
(a plain staff member: 403 in Chinese); accounts page and CLI make and change leaders."""

from __future__ import annotations

import datetime as dt
import re
import time
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from kiosk.core import clock
from kiosk.core.service_requests import Actor, Role
from kiosk.server import models as m
from kiosk.server import requests as store
from kiosk.server.db import Database, migrate
from tests.admin.test_pages import axe_violations, sideways_overflow
from tests.admin.test_ratings_admin import _bad_rating as bad_rating
from tests.utils.admin_web import (
    AdminClient,
    admin_client,
    db,
    leader_client,
    staff_client,
)
from tests.utils.servers import RunningServer, run_cli, start_server

ZONE = dt.timezone(dt.timedelta(hours=8))
HALL = "mingshi-haoting"
OWN = "xiandai-yicheng"
OTHER = "huayang"
STAFF = Actor(Role.STAFF, "staff:1")
_BANNER = re.compile(r"有 (\d+) 件超期诉求已升级给您督办")


def _new(conn: sa.Connection, at: dt.datetime, what: str) -> str:
    record = store.register(
        conn,
        hall_id=HALL,
        category="repair",
        description=what,
        channel="window",
        actor=STAFF,
        at=at,
    )
    return record.number


def _escalated(url: str) -> dict[str, str]:
    database = Database(url)
    try:
        with database.reader.connect() as conn:
            t = m.service_requests
            return {
                r.number: r.escalated for r in conn.execute(sa.select(t.c.number, t.c.escalated))
            }
    finally:
        database.close()


def test_escalations_reach_the_leader_then_the_district(browser: Any, tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    url = f"sqlite:///{data / 'kiosk.sqlite3'}"
    migrate(url)
    database = Database(url)
    with database.writer.begin() as conn:
        conn.execute(sa.insert(m.halls).values(id=HALL, name="名士豪庭", created_at=clock.now()))
        to_leader = _new(conn, dt.datetime(2026, 12, 3, 8, 0, tzinfo=ZONE), "楼道灯不亮")
        to_district = _new(conn, dt.datetime(2026, 11, 30, 9, 0, tzinfo=ZONE), "电梯故障")
        on_time = _new(conn, dt.datetime(2026, 12, 4, 9, 0, tzinfo=ZONE), "水管漏水")
    database.close()
    env = {
        clock.ENV_VAR: "2026-12-04T10:00:00+08:00",  # a Friday: one overdue by 2 h, one by days
        clock.ENV_SET_VAR: repr(time.time()),
        "KIOSK_SERVER_JOBS_POLL_SECONDS": "0.2",
    }
    server = start_server(data, extra_env=env)
    try:
        deadline = time.monotonic() + 30
        want = {to_leader: "leader", to_district: "district", on_time: "none"}
        while (found := _escalated(url)) != want and time.monotonic() < deadline:
            time.sleep(0.3)
        assert found == want

        board = f"/admin/halls/{HALL}/requests"
        leader = leader_client(server, HALL)
        page = leader.get(board).text
        banner = _BANNER.search(page)
        assert banner is not None and int(banner.group(1)) == 2, page[:3000]
        assert "升级给我" in page
        # The banner is on the leader's other pages too, and leads to the board's filter.
        assert _BANNER.search(leader.get("/admin/ratings").text)
        mine = leader.get(f"{board}?escalated=leader").text
        assert to_leader in mine and to_district in mine and on_time not in mine

        staff = staff_client(server, HALL)
        plain = staff.get(board).text
        assert not _BANNER.search(plain) and ">升级给我<" not in plain

        district = admin_client(server)
        assert not _BANNER.search(district.get("/admin/requests").text)
        raised = district.get("/admin/requests?escalated=district&overdue=1").text
        assert to_district in raised and to_leader not in raised and on_time not in raised
        bad = district.get("/admin/requests?escalated=nobody")
        assert bad.status_code == 400 and "督办级别" in bad.text

        # The banner and the filter in Chromium at 390 px: axe-clean, nothing sideways.
        context = browser.new_context(viewport={"width": 390, "height": 844})
        try:
            tab = context.new_page()
            login = server.credentials["leaders"][HALL]
            tab.goto(f"{server.base_url}/admin/login")
            tab.fill("#username", login["username"])
            tab.fill("#password", login["password"])
            tab.get_by_role("button", name="登录").click()
            tab.wait_for_url(lambda u: "/admin/login" not in u)
            tab.goto(f"{server.base_url}{board}")
            tab.get_by_role("link", name="查看升级给我的诉求").click()
            tab.wait_for_url(lambda u: "escalated=leader" in u)
            assert tab.locator("td .tag", has_text="已报区级").is_visible()
            assert axe_violations(tab) == []
            assert sideways_overflow(tab) <= 0
        finally:
            context.close()

        # The leader acts as the core's Role.LEADER (the timeline says 负责人).
        with db(server) as conn:
            (request_id,) = conn.execute(
                "SELECT id FROM service_requests WHERE number = ?", (to_leader,)
            ).fetchone()
        done = leader.post(f"/admin/requests/{request_id}/actions/accept", {})
        assert "已受理" in leader.flash(done)
        with db(server) as conn:
            roles = [
                r[0]
                for r in conn.execute(
                    "SELECT actor_role FROM request_events WHERE request_id = ? AND action = ?",
                    (request_id, "accept"),
                )
            ]
        assert roles == ["leader"]
        # Accepted: a new deadline, no longer 升级给我; the banner counts one.
        banner = _BANNER.search(leader.get(board).text)
        assert banner is not None and int(banner.group(1)) == 1
    finally:
        server.stop()


def _status(client: AdminClient, path: str) -> tuple[int, str]:
    r = client.get(path)
    return r.status_code, r.text


def test_the_visits_leader_view_is_for_leaders_and_the_district(
    admin_server: RunningServer,
) -> None:
    path = f"/admin/visits/halls/{OWN}/leader"
    staff = staff_client(admin_server, OWN)
    code, text = _status(staff, path)
    assert code == 403 and "只对本大厅负责人和街道管理员开放" in text
    # … and its tabs do not offer it.
    assert f'href="{path}"' not in staff.get(f"/admin/visits/halls/{OWN}").text
    handled = staff.post(f"/admin/visits/halls/{OWN}/alerts/1/handled", {})
    assert handled.status_code == 403 and "负责人" in handled.text
    leader = leader_client(admin_server, OWN)
    code, text = _status(leader, path)
    assert code == 200 and "完成情况" in text
    assert f'href="{path}"' in leader.get(f"/admin/visits/halls/{OWN}").text
    # Another hall's leader is no leader here.
    code, _ = _status(leader_client(admin_server, OTHER), path)
    assert code == 403
    code, _ = _status(admin_client(admin_server), path)
    assert code == 200


def test_ratings_steps_are_the_leaders_and_staff_read_only(
    admin_server: RunningServer,
) -> None:
    rating_id = str(bad_rating(admin_server))
    time.sleep(3.2)  # its device answered 3 s after asking: a step comes after the answer
    staff = staff_client(admin_server, OWN)
    page = staff.get("/admin/ratings").text
    assert "由本大厅负责人记录，您在这里只能查看" in page and "待负责人记录回访" in page
    r = staff.post(
        "/admin/ratings/step", {"rating_id": rating_id, "step": "call_back", "note": "x"}
    )
    assert r.status_code == 403 and "由本大厅负责人记录" in r.text
    leader = leader_client(admin_server, OWN)
    assert "您在这里只能查看" not in leader.get("/admin/ratings").text
    done = leader.post(
        "/admin/ratings/step", {"rating_id": rating_id, "step": "call_back", "note": "已电话回访"}
    )
    assert "已记录回访" in leader.flash(done)
    # Another hall's leader may not; the district may.
    other = leader_client(admin_server, OTHER)
    r = other.post("/admin/ratings/step", {"rating_id": rating_id, "step": "verify", "note": "x"})
    assert r.status_code == 403
    district = admin_client(admin_server)
    done = district.post(
        "/admin/ratings/step", {"rating_id": rating_id, "step": "verify", "note": "已核实"}
    )
    assert "已记录核实" in district.flash(done)


def test_the_accounts_page_makes_and_changes_a_leader(admin_server: RunningServer) -> None:
    district = admin_client(admin_server)
    page = district.get("/admin/accounts").text
    assert "大厅负责人" in page  # the demo leaders, and the role in the form
    name = f"lead-{time.monotonic_ns() % 10**9}"
    made = district.post(
        "/admin/accounts/new",
        {
            "username": name,
            "display_name": "测试负责人",
            "role": "hall_leader",
            "hall_id": OTHER,
            "password": "long-password-2026",
        },
    )
    assert f"已创建账号 {name}" in district.flash(made)
    missing_hall = district.post(
        "/admin/accounts/new",
        {"username": name + "x", "role": "hall_leader", "password": "long-password-2026"},
    )
    assert missing_hall.status_code == 422 and "请选择所属大厅" in missing_hall.text
    with db(admin_server) as conn:
        row = conn.execute(
            "SELECT id, role, hall_id FROM staff_accounts WHERE username = ?", (name,)
        ).fetchone()
        (admin_id,) = conn.execute(
            "SELECT id FROM staff_accounts WHERE role = 'district_admin' ORDER BY id"
        ).fetchone()
    assert (row["role"], row["hall_id"]) == ("hall_leader", OTHER)
    fresh = AdminClient(admin_server)
    assert fresh.login(name, "long-password-2026").status_code == 303
    fresh.refresh_csrf()
    assert fresh.get(f"/admin/visits/halls/{OTHER}/leader").status_code == 200
    changed = district.post(f"/admin/accounts/{row['id']}/role", {"role": "hall_staff"})
    assert "大厅工作人员" in district.flash(changed)
    # The new role holds at the next request (the login stays).
    code, text = _status(fresh, f"/admin/visits/halls/{OTHER}/leader")
    assert code == 403 and "负责人" in text
    wrong = district.post(f"/admin/accounts/{row['id']}/role", {"role": "district_admin"})
    assert "未修改" in district.flash(wrong)
    refused = district.post(f"/admin/accounts/{admin_id}/role", {"role": "hall_leader"})
    assert refused.status_code == 409 and "街道管理员" in refused.text
    # Only the district manages accounts.
    leader = leader_client(admin_server, OWN)
    assert (
        leader.post(f"/admin/accounts/{row['id']}/role", {"role": "hall_leader"}).status_code == 403
    )


def test_the_cli_adds_and_changes_a_leader(admin_server: RunningServer) -> None:
    where = {"data_dir": admin_server.data_dir, "database_url": admin_server.database_url}
    name = f"cli-lead-{time.monotonic_ns() % 10**9}"
    out = run_cli(
        "add-staff",
        name,
        "--hall",
        OWN,
        "--leader",
        "--password-stdin",
        stdin="long-password-9\n",
        **where,  # type: ignore[arg-type]
    ).stdout
    assert f"created hall_leader {name!r}" in out
    client = AdminClient(admin_server)
    assert client.login(name, "long-password-9").status_code == 303
    assert client.get(f"/admin/visits/halls/{OWN}/leader").status_code == 200
    out = run_cli("set-role", name, "hall_staff", **where).stdout  # type: ignore[arg-type]
    assert "is now hall_staff" in out
    assert client.get(f"/admin/visits/halls/{OWN}/leader").status_code == 403
    admin = admin_server.credentials["admin"]["username"]
    try:
        run_cli("set-role", admin, "hall_leader", **where)  # type: ignore[arg-type]
    except RuntimeError as exc:
        assert "district admin" in str(exc)
    else:
        raise AssertionError("a district admin became a hall leader")
