"""诉求类别 and 办理公开's summary in Debian's Chromium (Playwright) against a real server
of their own: a mistake is shown beside its field and what was typed stays; the saved
change reaches the kiosk API; a summary with a room number is refused saying why, a
plain one reaches the kiosk's board. Screenshots go to /work/shots/requests-config."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.utils.admin_web import staff_client
from tests.utils.servers import RunningServer, start_server

HALL = "huayang"
SHOTS = Path("/work/shots/requests-config")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    running = start_server(tmp_path_factory.mktemp("req-config-browser"))
    yield running
    running.stop()


def _login(browser: Any, server: RunningServer, width: int) -> Any:
    context = browser.new_context(viewport={"width": width, "height": 900})
    context.set_default_timeout(30_000)
    page = context.new_page()
    login = server.credentials["staff"][HALL]
    page.goto(f"{server.base_url}/admin/login")
    page.fill("#username", login["username"])
    page.fill("#password", login["password"])
    page.click("button[type=submit]")
    page.wait_for_url("**/admin/**")
    return page


def _shot(page: Any, name: str, *, full: bool = True) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / name), full_page=full)


def _kiosk_get(server: RunningServer, path: str) -> Any:
    token = server.credentials["kiosks"][HALL]["token"]
    r = requests.get(
        f"{server.api}{path}", headers={"Authorization": f"Bearer {token}"}, timeout=10
    )
    assert r.status_code == 200, r.text
    return r.json()


@pytest.mark.parametrize("width", [1280, 390])
def test_categories_form_in_chromium(browser: Any, server: RunningServer, width: int) -> None:
    page = _login(browser, server, width)
    page.goto(f"{server.base_url}/admin/halls/{HALL}/requests")
    page.click("a:text-is('诉求类别')")
    page.wait_for_url("**/requests/categories")
    page.fill("#f-repair-limit", "0")
    page.fill("#f-repair-label", "维修报修")
    page.fill("#f-help-phrases", "没人照看\n没人照看")
    page.click("button:text-is('保存诉求类别')")
    error = page.locator("#e-repair-limit")
    assert error.inner_text() == "办结时限须在 1–60 个工作日之间"
    assert "重复" in page.locator("#e-help-phrases").inner_text()
    assert page.input_value("#f-repair-label") == "维修报修"  # what was typed stays
    assert page.locator("#f-repair-limit").get_attribute("aria-invalid") == "true"
    # The error sits beside its field: just below the input, within its box.
    field, message = (
        page.locator("#f-repair-limit").bounding_box(),
        error.bounding_box(),
    )
    assert 0 <= message["y"] - (field["y"] + field["height"]) < 40
    page.locator("#cat-repair").scroll_into_view_if_needed()
    _shot(page, f"categories-error-{width}.png", full=False)
    page.fill("#f-repair-limit", str(6 + width % 7))
    page.fill("#f-help-phrases", "没人照看\n行动不便需要帮助")
    page.click("button:text-is('保存诉求类别')")
    page.wait_for_selector("text=已保存：")
    seen = {c["id"]: c for c in _kiosk_get(server, "/requests/categories")["categories"]}
    assert seen["repair"]["label"] == "维修报修"
    assert seen["repair"]["limit_workdays"] == 6 + width % 7
    assert seen["help"]["phrases"] == ["没人照看", "行动不便需要帮助"]
    if width == 1280:
        page.goto(f"{server.base_url}/admin/halls/{HALL}/requests/categories")
        _shot(page, "categories-1280.png", full=False)
    page.context.close()


def _closed_request(server: RunningServer) -> str:
    client = staff_client(server, HALL)
    body = {
        "category": "repair",
        "phrases": "楼道灯不亮",
        "channel": "phone",
        "location": "3-2-501",
        "name": "李秀兰",
    }
    r = client.post(f"/admin/halls/{HALL}/requests/new", body)
    assert r.status_code == 303, r.text[:500]
    request_id = str(r.headers["location"].rsplit("/", 1)[-1])
    for action, fields in (("accept", {}), ("resolve", {"answer": "已更换灯泡"})):
        r = client.post(f"/admin/requests/{request_id}/actions/{action}", fields)
        assert r.status_code == 303, r.text[:500]
    return request_id


@pytest.mark.parametrize("width", [1280, 390])
def test_public_summary_form_in_chromium(browser: Any, server: RunningServer, width: int) -> None:
    request_id = _closed_request(server)
    page = _login(browser, server, width)
    page.goto(f"{server.base_url}/admin/requests/{request_id}")
    page.check("#f-publishable")
    page.fill("#f-public-summary", "3号楼2单元501楼道灯已更换")
    page.click("#publish button[type=submit]")
    error = page.locator("#e-public-summary")
    assert "像是门牌号" in error.inner_text() and "不能含个人信息" in error.inner_text()
    assert page.input_value("#f-public-summary") == "3号楼2单元501楼道灯已更换"
    assert page.is_checked("#f-publishable")
    page.locator("#publish").scroll_into_view_if_needed()
    _shot(page, f"summary-error-{width}.png", full=False)
    summary = f"小区楼道灯已更换（{width}）"
    page.fill("#f-public-summary", summary)
    page.click("#publish button[type=submit]")
    page.wait_for_selector("text=已在办理公开中展示")
    latest = _kiosk_get(server, "/requests/public-board")["latest"]
    assert summary in [x["summary"] for x in latest]
    assert all("李秀兰" not in x["summary"] for x in latest)
    page.context.close()
