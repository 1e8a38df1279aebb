"""民情日记 against the real server: a staff member's dated entries with tags and a place,
their own only; one tap turns an entry into a request (channel diary, linked both ways),
once; a diary dated tomorrow or with too many tags is refused in Chinese."""

from __future__ import annotations

import json
import re

from tests.utils.admin_web import admin_client, db, staff_client
from tests.utils.servers import RunningServer

HALL = "huayang"
OTHER = "xiandai-yicheng"


def _entry_id(page: str, text: str) -> int:
    block = page[: page.index(text)]
    found = re.findall(r"/admin/diary/(\d+)/to-request", page[page.index(text) :])
    assert found, "no 转为诉求 form after the entry"
    assert block
    return int(found[0])


def test_an_entry_is_kept_and_turned_into_a_linked_request_once(
    admin_server: RunningServer,
) -> None:
    staff = staff_client(admin_server, HALL)
    text = "5 号楼张阿姨说楼道灯坏了一周"
    r = staff.post(
        "/admin/diary",
        {"day": "2026-12-02", "text": text, "tags": "楼道，照明 独居老人", "location": "5 号楼"},
    )
    assert staff.flash(r) == "已记入民情日记"
    page = staff.get("/admin/diary").text
    assert text in page and "独居老人" in page and "5 号楼" in page
    entry = _entry_id(page, text)
    with db(admin_server) as conn:
        row = conn.execute("SELECT tags, day FROM diary_entries WHERE id = ?", (entry,)).fetchone()
    assert row["day"] == "2026-12-02"
    assert json.loads(row["tags"]) == ["楼道", "照明", "独居老人"]

    r = staff.post(f"/admin/diary/{entry}/to-request", {"category": "repair"})
    assert r.status_code == 303
    request_id = r.headers["location"].rsplit("/", 1)[-1]
    request_page = staff.get(r.headers["location"]).text
    assert "已由民情日记登记为诉求" in request_page and "民情日记" in request_page
    with db(admin_server) as conn:
        req = conn.execute(
            "SELECT channel, diary_entry_id, description, location FROM service_requests"
            " WHERE id = ?",
            (request_id,),
        ).fetchone()
        linked = conn.execute(
            "SELECT request_id FROM diary_entries WHERE id = ?", (entry,)
        ).fetchone()
    assert (req["channel"], req["diary_entry_id"]) == ("diary", entry)
    assert req["description"] == text and req["location"] == "5 号楼"
    assert linked["request_id"] == request_id
    # Once: a second tap says so and registers nothing.
    again = staff.post(f"/admin/diary/{entry}/to-request", {"category": "repair"})
    assert staff.flash(again) == "这条日记已转为诉求"
    assert f"/admin/requests/{request_id}" in staff.get("/admin/diary").text


def test_only_the_writer_sees_and_converts_their_entries(admin_server: RunningServer) -> None:
    writer = staff_client(admin_server, HALL)
    text = "社区广场健身器材松动（仅本人可见）"
    writer.post("/admin/diary", {"day": "2026-12-01", "text": text, "tags": ""})
    entry = _entry_id(writer.get("/admin/diary?day=2026-12-02").text, text)
    other = staff_client(admin_server, OTHER)
    assert text not in other.get("/admin/diary").text
    r = other.post(f"/admin/diary/{entry}/to-request", {"category": "repair"})
    assert r.status_code == 404
    district = admin_client(admin_server)
    assert text not in district.get("/admin/diary").text


def test_bad_entries_are_refused_in_chinese(admin_server: RunningServer) -> None:
    staff = staff_client(admin_server, HALL)
    cases = [
        ({"day": "2026-12-03", "text": "明天的事"}, "不能晚于今天"),
        ({"day": "2026-13-01", "text": "x"}, "日期"),
        ({"day": "", "text": ""}, "请写下"),
        ({"day": "", "text": "x", "tags": "一 二 三 四 五 六 七 八 九"}, "标签最多 8 个"),
        ({"day": "", "text": "x" * 1001}, "内容过长"),
    ]
    for form, words in cases:
        message = staff.flash(staff.post("/admin/diary", form))
        assert words in message, (form, message)
