"""A hall's 诉求类别 page and 办理公开's summary form over HTTP against a real server of
their own (categories change what the whole hall offers, so not the folder's shared
server): who may edit, field errors with what was typed kept, the kiosk API seeing the
change, a disabled category refused for a new request, and the summary's refusals."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from tests.utils.admin_web import admin_client, db, kiosk_request, staff_client
from tests.utils.servers import RunningServer, start_server

HALL = "huayang"
OTHER = "xiandai-yicheng"
PAGE = f"/admin/halls/{HALL}/requests/categories"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    running = start_server(tmp_path_factory.mktemp("req-config"))
    yield running
    running.stop()


def _kiosk(server: RunningServer) -> dict[str, str]:
    return {"Authorization": f"Bearer {server.credentials['kiosks'][HALL]['token']}"}


def _form(page: str) -> dict[str, Any]:
    """The category form's fields as the page shows them (what a browser would send)."""
    fields: dict[str, Any] = {}
    for name, value in re.findall(
        r'<input type="text" id="[^"]+" name="([^"]+)" value="([^"]*)"', page
    ):
        fields[name] = html.unescape(value)
    for name, text in re.findall(
        r'<textarea id="[^"]+" name="([^"]+)"[^>]*>([^<]*)</textarea>', page
    ):
        fields[name] = html.unescape(text)
    for name in re.findall(r'name="([^"]+-enabled)" value="1" checked', page):
        fields[name] = "1"
    return fields


def _kiosk_categories(server: RunningServer) -> dict[str, dict[str, Any]]:
    r = requests.get(f"{server.api}/requests/categories", headers=_kiosk(server), timeout=10)
    assert r.status_code == 200, r.text
    return {c["id"]: c for c in r.json()["categories"]}


def test_hall_staff_and_the_district_may_edit_another_hall_may_not(
    server: RunningServer,
) -> None:
    mine = staff_client(server, HALL)
    page = mine.get(PAGE)
    assert page.status_code == 200
    assert "诉求类别" in page.text and "报修" in page.text
    assert "只对之后登记的新诉求生效" in page.text
    assert PAGE in mine.get(f"/admin/halls/{HALL}/requests").text  # linked from the board
    assert admin_client(server).get(PAGE).status_code == 200
    theirs = staff_client(server, OTHER)
    assert theirs.get(PAGE).status_code == 403
    r = theirs.post(PAGE, {"repair-label": "别人改的", "repair-limit": "3"})
    assert r.status_code == 403
    assert _kiosk_categories(server)["repair"]["label"] == "报修"


def test_mistakes_are_shown_next_to_their_fields_and_nothing_is_saved(
    server: RunningServer,
) -> None:
    client = staff_client(server, HALL)
    fields = _form(client.get(PAGE).text)
    fields.update(
        {
            "repair-label": "报修（新）",
            "repair-limit": "0",
            "help-phrases": "没人照看\n没人照看",
            "question-label": "",
            "complaint-limit": "五",
        }
    )
    r = client.post(PAGE, fields)
    assert r.status_code == 422
    text = r.text
    assert re.search(r'id="e-repair-limit">办结时限须在 1–60 个工作日之间<', text)
    assert re.search(r'id="e-help-phrases">常见问题重复了：“没人照看”<', text)
    assert re.search(r'id="e-question-label">请填写类别名称<', text)
    assert re.search(r'id="e-complaint-limit">请填写办结时限', text)
    assert 'value="报修（新）"' in text and 'value="五"' in text  # what was typed is kept
    assert "没人照看\n没人照看</textarea>" in text
    assert _kiosk_categories(server)["repair"]["label"] == "报修"


def test_a_change_reaches_the_kiosk_and_a_disabled_category_takes_no_new_request(
    server: RunningServer,
) -> None:
    client = staff_client(server, HALL)
    fields = _form(client.get(PAGE).text)
    fields.update(
        {"repair-label": "维修", "repair-limit": "8", "repair-phrases": "门禁坏了\n 路灯不亮 \n\n"}
    )
    fields.pop("home-service-enabled")
    r = client.post(PAGE, fields)
    assert r.status_code == 303, r.text[:800]
    assert "已保存：维修、预约上门" in client.flash(r)
    seen = _kiosk_categories(server)
    assert seen["repair"]["label"] == "维修" and seen["repair"]["limit_workdays"] == 8
    assert seen["repair"]["phrases"] == ["门禁坏了", "路灯不亮"]
    assert "8 个工作日" in seen["repair"]["deadline_text"]
    assert "home-service" not in seen
    with db(server) as conn:
        audit = conn.execute(
            "SELECT target FROM admin_audit WHERE action = 'request_category' ORDER BY id"
        ).fetchall()
    assert [a["target"] for a in audit] == ["repair", "home-service"]
    # A new request gets the new limit; one from before keeps its own.
    new_id = kiosk_request(server, HALL, description="门禁坏了")
    with db(server) as conn:
        limit = conn.execute(
            "SELECT limit_workdays FROM service_requests WHERE id = ?", (new_id,)
        ).fetchone()
    assert limit["limit_workdays"] == 8
    from kiosk.core import clock
    from kiosk.core.request_numbers import new_public_id, new_query_code

    r = requests.post(
        f"{server.api}/requests",
        json={
            "public_id": new_public_id(),
            "query_code": new_query_code(),
            "category": "home-service",
            "phrases": [],
            "description": "想预约上门",
            "voice_note": False,
            "created_at": clock.now().isoformat(),
        },
        headers={**_kiosk(server), "Idempotency-Key": "req-config-disabled-0001"},
        timeout=10,
    )
    assert r.status_code == 422, r.text
    assert "没有这个诉求类别" in r.json()["error"]["message"]
    # Turned on again, it is offered again.
    fields = _form(client.get(PAGE).text)
    fields["home-service-enabled"] = "1"
    assert client.post(PAGE, fields).status_code == 303
    assert "home-service" in _kiosk_categories(server)


def _closed_request(server: RunningServer, **form: str) -> tuple[str, Any]:
    """A request registered on the counter form (which takes a name), accepted, resolved."""
    client = staff_client(server, HALL)
    body = {"category": "repair", "phrases": "水管漏水", "channel": "window", **form}
    r = client.post(f"/admin/halls/{HALL}/requests/new", body)
    assert r.status_code == 303, r.text[:500]
    request_id = r.headers["location"].rsplit("/", 1)[-1]
    for action, fields in (("accept", {}), ("resolve", {"answer": "已处理好"})):
        r = client.post(f"/admin/requests/{request_id}/actions/{action}", fields)
        assert r.status_code == 303, r.text[:500]
    return request_id, client


def _latest(server: RunningServer) -> list[dict[str, Any]]:
    r = requests.get(f"{server.api}/requests/public-board", headers=_kiosk(server), timeout=10)
    assert r.status_code == 200, r.text
    return list(r.json()["latest"])


def test_a_summary_is_shown_on_the_kiosk_board_only_when_set(server: RunningServer) -> None:
    request_id, client = _closed_request(server, description="楼道灯坏了")
    page = client.get(f"/admin/requests/{request_id}").text
    assert "在办理公开中展示" in page and "一句话摘要" in page
    assert all(x["summary"] != "5 号楼东侧楼道灯已更换" for x in _latest(server))
    form = {"publishable": "1", "public_summary": "东侧楼道灯已更换"}
    r = client.post(f"/admin/requests/{request_id}/public-summary", form)
    assert r.status_code == 303 and "已在办理公开中展示" in client.flash(r)
    assert "东侧楼道灯已更换" in [x["summary"] for x in _latest(server)]
    assert 'value="东侧楼道灯已更换"' in client.get(f"/admin/requests/{request_id}").text
    r = client.post(
        f"/admin/requests/{request_id}/public-summary", {"public_summary": "东侧楼道灯已更换"}
    )
    assert r.status_code == 303 and "已不在办理公开中展示" in client.flash(r)
    assert "东侧楼道灯已更换" not in [x["summary"] for x in _latest(server)]


@pytest.mark.parametrize(
    ("summary", "words"),
    [
        ("回访电话 0571-8888 8888 已处理", "像是电话号码"),
        ("3-2-501 漏水已修好", "像是门牌号"),
        ("3号楼2单元501漏水已修好", "像是门牌号"),
        ("501室漏水已修好", "像是门牌号"),
        ("王建国家门口的路灯修好了", "姓名或位置"),
        ("修" * 41, "最多 40 个字"),
        ("", "须写一句话摘要"),
    ],
)
def test_a_personal_or_bad_summary_is_refused_with_what_was_typed(
    server: RunningServer, summary: str, words: str
) -> None:
    request_id, client = _closed_request(
        server, name="王建国", phone="13900002222", location="7-1-302"
    )
    r = client.post(
        f"/admin/requests/{request_id}/public-summary",
        {"publishable": "1", "public_summary": summary},
    )
    assert r.status_code == 422
    found = re.search(r'id="e-public-summary">([^<]+)<', r.text)
    assert found and words in html.unescape(found.group(1)), found
    assert f'value="{html.escape(summary)}"' in r.text
    with db(server) as conn:
        row = conn.execute(
            "SELECT publishable, public_summary FROM service_requests WHERE id = ?", (request_id,)
        ).fetchone()
    assert row["publishable"] == 0 and row["public_summary"] is None


def test_an_open_request_cannot_be_published(server: RunningServer) -> None:
    request_id = kiosk_request(server, HALL, description="还没办的事")
    client = staff_client(server, HALL)
    assert "一句话摘要" not in client.get(f"/admin/requests/{request_id}").text
    r = client.post(
        f"/admin/requests/{request_id}/public-summary",
        {"publishable": "1", "public_summary": "还没办完"},
    )
    assert r.status_code == 303 and "只有已办结" in client.flash(r)
    with db(server) as conn:
        row = conn.execute(
            "SELECT publishable FROM service_requests WHERE id = ?", (request_id,)
        ).fetchone()
    assert row["publishable"] == 0
    other = staff_client(server, OTHER)
    r = other.post(
        f"/admin/requests/{request_id}/public-summary",
        {"publishable": "1", "public_summary": "别的大厅"},
    )
    assert r.status_code == 403
