"""The households pages on the real demo server (uvicorn, SQLite file): register through
the form, lists masked, the household page in full and audited, other halls refused,
district admins held to counts until the hall opens its register, the export with a
logged reason — and the privacy checks: no phone or name in clear in the database file,
in the kiosk's content or in its events."""

from __future__ import annotations

import csv
import io
import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.utils.admin_web import AdminClient, admin_client, db, leader_client, staff_client
from tests.utils.servers import RunningServer, start_server

HALL = "huayang"
OTHER = "xiandai-yicheng"
PHONE = "13912345678"
NAME = "欧阳秀英"
EMERGENCY = "13511112222"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    running = start_server(tmp_path_factory.mktemp("households"))
    yield running
    running.stop()


@pytest.fixture(scope="module")
def registered(server: RunningServer) -> str:
    staff = staff_client(server, HALL)
    r = staff.post(
        f"/admin/halls/{HALL}/households-new",
        {
            "address": "7号楼3单元602室",
            "tag": ["高龄独居", "低保"],
            "emergency_contact": f"儿子 {EMERGENCY}",
            "notes": "独居，腿脚不便",
            "m0_name": NAME,
            "m0_birth_year": "1938",
            "m0_phone": PHONE,
            "m0_relation": "户主",
            "m0_id_number": "",
            "m1_name": "",
        },
    )
    assert r.status_code == 303, r.text[:500]
    return r.headers["location"].rsplit("/", 1)[-1]


def _text(html: str) -> str:
    return re.sub(r"<[^>]+>", " ", html)


def test_the_form_refuses_bad_values_next_to_their_fields(server: RunningServer) -> None:
    staff = staff_client(server, HALL)
    r = staff.post(
        f"/admin/halls/{HALL}/households-new",
        {"address": "七号楼", "m0_name": "王五", "m0_phone": "1391234", "m0_birth_year": "2099"},
    )
    assert r.status_code == 422
    page = _text(r.text)
    assert "住址应为 楼号-单元-室" in page
    assert "手机号应为 11 位数字" in page
    assert "出生年份应在 1900 到" in page
    assert 'value="1391234"' in r.text  # what was typed comes back to be corrected


def test_list_masks_and_the_page_shows_in_full_and_is_audited(
    server: RunningServer, registered: str
) -> None:
    staff = staff_client(server, HALL)
    listing = staff.get(f"/admin/halls/{HALL}/households").text
    assert "7-3-602" in listing and "139****5678" in listing and "欧***" in listing
    assert PHONE not in listing and NAME not in listing
    found = staff.get(f"/admin/halls/{HALL}/households", params={"phone": "139 1234 5678"}).text
    assert "7-3-602" in found
    none = staff.get(f"/admin/halls/{HALL}/households", params={"phone": "13900000000"}).text
    assert "7-3-602" not in none
    page = staff.get(f"/admin/halls/{HALL}/households/{registered}")
    assert page.status_code == 200
    assert PHONE in page.text and NAME in page.text and EMERGENCY in page.text
    assert "高风险" in page.text  # suggested from 高龄独居
    with db(server) as conn:
        rows = conn.execute(
            "SELECT action, actor FROM household_audit WHERE household_id = ? ORDER BY id",
            (registered,),
        ).fetchall()
    login = server.credentials["staff"][HALL]["username"]
    assert [tuple(r) for r in rows][:2] == [("create", login), ("view", login)]


def test_another_halls_staff_is_refused(server: RunningServer, registered: str) -> None:
    intruder = staff_client(server, OTHER)
    for path in (
        f"/admin/halls/{HALL}/households",
        f"/admin/halls/{HALL}/households/{registered}",
        f"/admin/halls/{HALL}/households/{registered}/edit",
        f"/admin/halls/{HALL}/households-export",
    ):
        r = intruder.get(path, allow_redirects=False)
        assert r.status_code == 403, (path, r.status_code)
        assert PHONE not in r.text and "7-3-602" not in r.text
    # Its own list does not show the other hall's household either.
    mine = intruder.get(f"/admin/halls/{OTHER}/households").text
    assert "7-3-602" not in mine


def test_district_admin_sees_counts_until_the_hall_opens_then_exports_with_a_reason(
    server: RunningServer, registered: str
) -> None:
    admin = admin_client(server)
    counts = admin.get("/admin/households").text
    assert "huayang" in counts or "华阳" in counts
    listing = admin.get(f"/admin/halls/{HALL}/households").text
    assert "只能查看户数统计" in listing and "7-3-602" not in listing
    r = admin.get(f"/admin/halls/{HALL}/households/{registered}")
    assert r.status_code == 403 and PHONE not in r.text
    assert (
        admin.post(f"/admin/halls/{HALL}/households-access", {"district_may_view": "1"}).status_code
        == 403
    )
    r = admin.post(f"/admin/halls/{HALL}/households-export", {"reason": "寒潮预警名单"})
    assert r.status_code == 403
    staff = staff_client(server, HALL)
    # A plain staff member may not flip the switch; the hall's leader does.
    refused = staff.post(f"/admin/halls/{HALL}/households-access", {"district_may_view": "1"})
    assert refused.status_code == 403 and "负责人" in refused.text
    assert "是否开放由本社区负责人决定" in staff.get(f"/admin/halls/{HALL}/households").text
    staff = leader_client(server, HALL)
    said = staff.flash(
        staff.post(f"/admin/halls/{HALL}/households-access", {"district_may_view": "1"})
    )
    assert "已向街道开放" in said
    try:
        assert PHONE in admin.get(f"/admin/halls/{HALL}/households/{registered}").text
        short = admin.post(f"/admin/halls/{HALL}/households-export", {"reason": "看"})
        assert short.status_code == 422 and "导出原因" in short.text
        r = admin.post(f"/admin/halls/{HALL}/households-export", {"reason": "寒潮预警名单"})
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
        rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
        assert rows[0][:3] == ["住址", "分级", "标签"]
        assert rows[1][:2] == ["7-3-602", "高风险"] and PHONE in rows[1]
        with db(server) as conn:
            log = conn.execute(
                "SELECT actor, reason FROM household_audit WHERE action = 'export'"
            ).fetchall()
        assert [r["actor"] for r in log] == [server.credentials["admin"]["username"]]
        assert log[0]["reason"].startswith("寒潮预警名单")
    finally:
        staff.post(f"/admin/halls/{HALL}/households-access", {"district_may_view": "0"})
    assert admin.get(f"/admin/halls/{HALL}/households/{registered}").status_code == 403


def test_no_personal_data_in_clear_in_the_database_file_the_kiosk_content_or_events(
    server: RunningServer, registered: str
) -> None:
    # Everything the server wrote, wherever SQLite keeps it (the file and its WAL).
    with db(server) as conn:
        conn.execute("PRAGMA wal_checkpoint(FULL)")
    stored = b"".join(
        p.read_bytes() for p in Path(server.data_dir).glob("kiosk.sqlite3*") if p.is_file()
    )
    assert b"7-3-602" in stored  # the address is kept in clear (it is what staff search)
    for secret in (PHONE, NAME, EMERGENCY, "腿脚不便", "139****5678"):
        for encoding in ("utf-8", "utf-16-le"):
            assert secret.encode(encoding) not in stored, secret
    token = server.credentials["kiosks"][HALL]["token"]
    auth = {"Authorization": f"Bearer {token}"}
    content = requests.get(f"{server.api}/kiosk/content", headers=auth, timeout=30).text
    events = requests.get(f"{server.api}/kiosk/events", headers=auth, timeout=30).text
    for payload in (content, events):
        for secret in (PHONE, NAME, EMERGENCY, "7-3-602", registered):
            assert secret not in payload
    with sqlite3.connect(Path(server.data_dir) / "kiosk.sqlite3") as conn:
        snapshots = b"".join(
            bytes(r[0]) for r in conn.execute("SELECT snapshot FROM content_versions")
        )
        event_data = "".join(str(r[0]) for r in conn.execute("SELECT data FROM events"))
    assert PHONE.encode() not in snapshots and NAME.encode() not in snapshots
    assert PHONE not in event_data and "7-3-602" not in event_data


def test_moved_away_archives_and_sets_the_erase_date(server: RunningServer) -> None:
    staff = staff_client(server, HALL)
    r = staff.post(
        f"/admin/halls/{HALL}/households-new",
        {"address": "9-1-101", "m0_name": "钱六", "m0_phone": "13700000009"},
    )
    household = r.headers["location"].rsplit("/", 1)[-1]
    said = staff.flash(staff.post(f"/admin/halls/{HALL}/households/{household}/moved-away"))
    assert "已登记迁出" in said and "删除" in said
    assert "9-1-101" not in staff.get(f"/admin/halls/{HALL}/households").text
    archived = staff.get(f"/admin/halls/{HALL}/households", params={"archived": "1"}).text
    assert "9-1-101" in archived
    again = staff.flash(staff.post(f"/admin/halls/{HALL}/households/{household}/moved-away"))
    assert "已经登记迁出" in again


def test_a_client_without_login_is_sent_to_the_login_page(server: RunningServer) -> None:
    r = AdminClient(server).get(f"/admin/halls/{HALL}/households", allow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/admin/login")
