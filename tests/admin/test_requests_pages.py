"""Requests (诉求) pages over HTTP against the real server: who sees what (another hall's
request is refused, the district sees every hall and re-assigns across halls), the board's
filters and paging, only the allowed actions, refusals in Chinese, overdue requests (a
server started a week earlier, then again today on the same database), and the figures
on the statistics page and in its CSV."""

from __future__ import annotations

import csv
import io
import os
import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.utils.admin_web import (
    AdminClient,
    admin_client,
    db,
    kiosk_request,
    staff_client,
    wav_bytes,
)
from tests.utils.servers import RunningServer, start_server

HALL = "huayang"
OTHER = "xiandai-yicheng"


def register(client: AdminClient, hall: str, **form: str) -> str:
    """A request registered on the counter form; its id."""
    body = {"category": "repair", "phrases": "水管漏水", "channel": "window", **form}
    r = client.post(f"/admin/halls/{hall}/requests/new", body)
    assert r.status_code == 303, (r.status_code, r.text[:500])
    found = re.fullmatch(r"/admin/requests/([A-Za-z0-9_-]+)", r.headers["location"])
    assert found, r.headers["location"]
    return found.group(1)


def _numbers(page: str) -> list[str]:
    return re.findall(r'<a href="/admin/requests/[^"]+">([A-Z]{2,4}-\d{4}-\d{6})</a>', page)


def _number(client: AdminClient, request_id: str) -> str:
    found = re.search(
        r"<h1>([A-Z]{2,4}-\d{4}-\d{6})", client.get(f"/admin/requests/{request_id}").text
    )
    assert found
    return found.group(1)


def test_another_halls_request_is_refused_and_the_district_sees_both(
    admin_server: RunningServer,
) -> None:
    mine = staff_client(admin_server, HALL)
    theirs = staff_client(admin_server, OTHER)
    a = register(mine, HALL, description="华阳的事", phone="13900001111")
    b = register(theirs, OTHER, description="现代逸城的事")
    r = mine.get(f"/admin/requests/{b}")
    assert r.status_code == 403 and "权限" in r.text
    for path, form in [
        (f"/admin/requests/{b}/actions/accept", {}),
        (f"/admin/requests/{b}/notes", {"text": "x"}),
        (f"/admin/requests/{b}/assign", {"staff_id": ""}),
    ]:
        assert mine.post(path, form).status_code == 403, path
    assert "现代逸城的事" not in mine.get(f"/admin/halls/{HALL}/requests").text
    assert mine.get(f"/admin/halls/{OTHER}/requests").status_code == 403
    # Hall staff asking for "every hall" get their own.
    r = mine.get("/admin/requests", allow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith(f"/admin/halls/{HALL}/")
    district = admin_client(admin_server)
    board = district.get("/admin/requests").text
    numbers = _numbers(board)
    assert _number(district, a) in numbers and _number(district, b) in numbers
    assert "13900001111" not in board


def test_the_phone_is_masked_on_the_board_and_whole_on_the_page_which_is_audited(
    admin_server: RunningServer,
) -> None:
    staff = staff_client(admin_server, HALL)
    request_id = register(staff, HALL, phone="13912345678", name="李阿姨")
    board = staff.get(f"/admin/halls/{HALL}/requests").text
    assert "13912345678" not in board and "李阿姨" not in board
    with db(admin_server) as conn:
        before = _views(conn, request_id)
    page = staff.get(f"/admin/requests/{request_id}").text
    assert "13912345678" in page and "李阿姨" in page
    with db(admin_server) as conn:
        assert _views(conn, request_id) == before + 1


def _views(conn: object, request_id: str) -> int:
    """Audited views of a request: the store's audit rows naming it."""
    import sqlite3

    assert isinstance(conn, sqlite3.Connection)
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    total = 0
    for table in sorted(tables):
        if "audit" not in table:
            continue
        cols = [r[1] for r in conn.execute(f"PRAGMA table_info({table})")]
        for col in cols:
            if col in ("request_id", "target", "subject_id", "item_id", "detail"):
                total += conn.execute(
                    f"SELECT count(*) FROM {table} WHERE {col} LIKE ?", (f"%{request_id}%",)
                ).fetchone()[0]
    return int(total)


def test_only_allowed_actions_and_refusals_in_chinese(admin_server: RunningServer) -> None:
    staff = staff_client(admin_server, HALL)
    request_id = register(staff, HALL)
    page = staff.get(f"/admin/requests/{request_id}").text
    assert "/actions/accept" in page and "/actions/resolve" not in page
    assert "/actions/rate" not in page and "/actions/archive" not in page
    # Not allowed now (registered): the rules' refusal, flashed.
    message = staff.flash(
        staff.post(f"/admin/requests/{request_id}/actions/resolve", {"answer": "x"})
    )
    assert "不能办结" in message, message
    message = staff.flash(staff.post(f"/admin/requests/{request_id}/actions/refuse", {}))
    assert "须写明" in message, message
    staff.post(f"/admin/requests/{request_id}/actions/accept")
    message = staff.flash(
        staff.post(
            f"/admin/requests/{request_id}/actions/schedule", {"expected_date": "2026-02-30"}
        )
    )
    assert "没有这一天" in message, message
    message = staff.flash(
        staff.post(
            f"/admin/requests/{request_id}/actions/schedule", {"expected_date": "2026-11-01"}
        )
    )
    assert "不能早于今天" in message, message
    assert staff.post(f"/admin/requests/{request_id}/actions/fly").status_code == 404
    assert staff.get("/admin/requests/no-such-request").status_code == 404
    assert "备注不能为空" in staff.flash(staff.post(f"/admin/requests/{request_id}/notes", {}))


def test_duplicate_and_out_of_area_say_where(admin_server: RunningServer) -> None:
    staff = staff_client(admin_server, HALL)
    first = register(staff, HALL, description="电梯故障 1 号楼")
    second = register(staff, HALL, description="电梯故障 1 号楼（又一位居民）")
    number = _number(staff, first)
    r = staff.post(f"/admin/requests/{second}/actions/mark_duplicate", {"original": number})
    assert "重复" in staff.flash(r)
    page = staff.get(f"/admin/requests/{second}").text
    assert number in page
    third = register(staff, HALL, description="隔壁小区的路灯")
    r = staff.post(
        f"/admin/requests/{third}/actions/out_of_area", {"redirect_to": "请到石羊街道反映"}
    )
    assert "非本辖区" in staff.flash(r)
    assert "请到石羊街道反映" in staff.get(f"/admin/requests/{third}").text


def test_assign_within_the_hall_and_across_halls_by_the_district(
    admin_server: RunningServer,
) -> None:
    staff = staff_client(admin_server, HALL)
    request_id = register(staff, HALL)
    with db(admin_server) as conn:
        own = conn.execute(
            "SELECT id FROM staff_accounts WHERE hall_id = ? ORDER BY id", (HALL,)
        ).fetchone()["id"]
        other = conn.execute(
            "SELECT id FROM staff_accounts WHERE hall_id = ? ORDER BY id", (OTHER,)
        ).fetchone()["id"]
    assert "已分派" in staff.flash(
        staff.post(f"/admin/requests/{request_id}/assign", {"staff_id": str(own)})
    )
    board = staff.get(f"/admin/halls/{HALL}/requests?staff={own}").text
    assert _number(staff, request_id) in _numbers(board)
    # Hall staff cannot hand it to another hall's staff, nor move it to another hall.
    assert "不属于该大厅" in staff.flash(
        staff.post(f"/admin/requests/{request_id}/assign", {"staff_id": str(other)})
    )
    r = staff.post(f"/admin/requests/{request_id}/assign", {"hall_id": OTHER})
    assert r.status_code == 403
    district = admin_client(admin_server)
    r = district.post(
        f"/admin/requests/{request_id}/assign", {"hall_id": OTHER, "staff_id": str(other)}
    )
    assert "已分派" in district.flash(r)
    with db(admin_server) as conn:
        row = conn.execute(
            "SELECT hall_id, staff_id FROM service_requests WHERE id = ?", (request_id,)
        ).fetchone()
    assert (row["hall_id"], row["staff_id"]) == (OTHER, other)
    assert staff.get(f"/admin/requests/{request_id}").status_code == 403
    assert staff_client(admin_server, OTHER).get(f"/admin/requests/{request_id}").status_code == 200


def test_board_filters_and_pages(admin_server: RunningServer) -> None:
    staff = staff_client(admin_server, HALL)
    ids = [
        register(staff, HALL, category="question", phrases="", description=f"咨询 {i}")
        for i in range(3)
    ]
    staff.post(f"/admin/requests/{ids[0]}/actions/accept")
    board = staff.get(f"/admin/halls/{HALL}/requests?category=question&state=accepted").text
    assert _numbers(board) == [_number(staff, ids[0])]
    board = staff.get(f"/admin/halls/{HALL}/requests?category=question&state=registered").text
    assert {_number(staff, i) for i in ids[1:]} <= set(_numbers(board))
    for bad in (
        "state=flying",
        "category=nope",
        "staff=abc",
        "staff=9223372036854775808",
        "page=0",
        "page=x",
    ):
        r = staff.get(f"/admin/halls/{HALL}/requests?{bad}")
        assert r.status_code in (400, 422), (bad, r.status_code)
        assert r.status_code != 500
    assert "第 1 / " not in staff.get(f"/admin/halls/{HALL}/requests?category=question").text


@pytest.fixture
def week_old_server(tmp_path: Path) -> Iterator[RunningServer]:
    """Requests registered on Monday 23 November, seen again today (the session's time):
    the same SQLite file, the server started twice."""
    then = {
        "KIOSK_CLOCK_AT": "2026-11-23T09:00:00+08:00",
        "KIOSK_CLOCK_SET_AT": repr(time.time()),
    }
    old = start_server(tmp_path / "data", extra_env=then)
    try:
        for hall in (HALL, OTHER):
            client = staff_client(old, hall)
            register(client, hall, category="repair", description=f"一周前的报修 {hall}")
            fresh = register(client, hall, category="culture", description=f"一周前的文体 {hall}")
            client.post(f"/admin/requests/{fresh}/actions/accept")
    finally:
        old.stop()
    now = {k: os.environ[k] for k in ("KIOSK_CLOCK_AT", "KIOSK_CLOCK_SET_AT") if k in os.environ}
    server = start_server(tmp_path / "data", extra_env=now)
    yield server
    server.stop()


def test_overdue_across_halls_for_the_district(week_old_server: RunningServer) -> None:
    district = admin_client(week_old_server)
    page = district.get("/admin/requests?overdue=1").text
    assert page.count("light-red") >= 2, page[:2000]
    assert "一周前的报修 huayang" in page and "一周前的报修 xiandai-yicheng" in page
    assert "超期" in page
    # 科教文体 has 10 working days from acceptance: not overdue, not in the filter.
    assert "一周前的文体" not in page
    everything = district.get("/admin/requests").text
    assert "一周前的文体 huayang" in everything
    # Sorted by time left: the overdue ones come first.
    assert everything.index("一周前的报修") < everything.index("一周前的文体")
    hall = staff_client(week_old_server, HALL).get(f"/admin/halls/{HALL}/requests?overdue=1").text
    assert "一周前的报修 huayang" in hall and "xiandai-yicheng" not in hall


def test_statistics_page_and_csv_count_requests(admin_server: RunningServer) -> None:
    staff = staff_client(admin_server, HALL)
    request_id = register(staff, HALL, category="help", phrases="", description="统计用的求助")
    staff.post(f"/admin/requests/{request_id}/actions/accept")
    staff.post(f"/admin/requests/{request_id}/actions/resolve", {"answer": "已帮忙"})
    page = staff.get("/admin/stats").text
    assert "按时办结率" in page and "重办率" in page and "求助" in page
    r = staff.get("/admin/stats/requests.csv")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert rows[0][0] == "诉求分组"
    groups = {(row[0], row[1]): row for row in rows[1:]}
    total = groups[("合计", "全部")]
    assert int(total[2]) >= 1 and int(total[3]) >= 1
    help_row = groups[("类别", "求助")]
    assert help_row[4] == "100.0"  # closed at once: on time


def test_a_kiosk_voice_note_is_downloaded_by_the_halls_staff_and_audited(
    admin_server: RunningServer,
) -> None:
    request_id = kiosk_request(admin_server, HALL, voice=True, phrases=[])
    staff = staff_client(admin_server, HALL)
    page = staff.get(f"/admin/requests/{request_id}").text
    assert "下载居民的语音留言" in page and "自助机" in page
    with db(admin_server) as conn:
        before = conn.execute(
            "SELECT count(*) FROM admin_audit WHERE action = 'request_voice' AND target = ?",
            (request_id,),
        ).fetchone()[0]
    r = staff.get(f"/admin/requests/{request_id}/voice-note")
    assert r.status_code == 200 and r.headers["content-type"] == "audio/wav"
    assert r.content == wav_bytes()
    with db(admin_server) as conn:
        after = conn.execute(
            "SELECT count(*) FROM admin_audit WHERE action = 'request_voice' AND target = ?",
            (request_id,),
        ).fetchone()[0]
    assert after == before + 1
    assert (
        staff_client(admin_server, OTHER)
        .get(f"/admin/requests/{request_id}/voice-note")
        .status_code
        == 403
    )
    silent = register(staff, HALL)
    r = staff.get(f"/admin/requests/{silent}/voice-note")
    assert r.status_code == 404 and "没有录音" in r.text
