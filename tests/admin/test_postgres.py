"""The admin web on PostgreSQL: the same server with its database on the suite's private
PostgreSQL — login, throttle rows, drafts, publish, status, console, statistics, fleet,
audit. (Skipped loudly where PostgreSQL cannot run.)"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.utils.admin_web import (
    AdminClient,
    admin_client,
    issue_ticket,
    kiosk_content,
    staff_client,
)
from tests.utils.servers import RunningServer, start_server

pytestmark = pytest.mark.postgres
HALL = "huayang"


@pytest.fixture(scope="module")
def pg_server(
    postgres_database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningServer]:
    running = start_server(tmp_path_factory.mktemp("admin-pg"), database_url=postgres_database_url)
    yield running
    running.stop()


def test_admin_web_on_postgres(pg_server: RunningServer) -> None:
    login = pg_server.credentials["staff"][HALL]
    assert AdminClient(pg_server).login(login["username"], "wrong-password").status_code == 401
    staff = staff_client(pg_server, HALL)
    content = kiosk_content(pg_server, HALL)
    version = content["version"]
    notice = content["content"]["notices"][0]
    r = staff.get(f"/admin/halls/{HALL}/notices/{notice['id']}")
    assert r.status_code == 200
    form = {
        "f_title": "PostgreSQL 上改的标题",
        "f_board": notice["board"],
        "f_category": notice["category"],
        "f_body": notice["body"],
        "f_publish_from": "2026-01-01T08:00",
    }
    assert "草稿" in staff.flash(staff.post(f"/admin/halls/{HALL}/notices/{notice['id']}", form))
    assert "已发布" in staff.flash(staff.post(f"/admin/halls/{HALL}/publish"))
    person = content["content"]["staff"][0]["id"]
    staff.flash(staff.post(f"/admin/halls/{HALL}/staff/{person}/status", {"status": "leave"}))
    after = kiosk_content(pg_server, HALL)
    assert after["version"] == version + 2
    assert after["content"]["notices"][0]["title"] == "PostgreSQL 上改的标题"
    assert after["content"]["staff"][0]["status"] == "leave"
    assert "恢复" in staff.flash(staff.post(f"/admin/halls/{HALL}/versions/{version}/restore"))

    page = staff.get("/admin/counters").text
    counter_id = page.split('href="/admin/counters/')[1].split('"')[0]
    queue = page.split("队列 ")[1].split("<")[0].strip().split("、")[0]
    ticket = issue_ticket(pg_server, HALL, queue)
    message = staff.flash(staff.post(f"/admin/counters/{counter_id}/call-next"))
    assert ticket["number"] in message
    staff.flash(staff.post(f"/admin/counters/{counter_id}/complete"))
    assert staff.get(f"/admin/counters/{counter_id}/live").json()["served_today"] >= 1
    assert staff.get("/admin/stats").status_code == 200
    assert len(staff.get("/admin/stats.csv").text.splitlines()) >= 2
    admin = admin_client(pg_server)
    for path in ("/admin/fleet", "/admin/audit", "/admin/accounts", "/admin/kiosks"):
        assert admin.get(path).status_code == 200, path
    assert "恢复版本" in admin.get("/admin/audit").text
