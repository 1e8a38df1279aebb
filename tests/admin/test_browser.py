"""The admin web in a real browser (Debian's Chromium, headless, via Playwright) against
the real server: log in, change a staff member's status, edit a notice, publish and see
it in the kiosk's content API (and its event long-poll), restore an earlier version,
and call the next resident from the counter console and watch the phone page change."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from kiosk.core import clock
from tests.utils.admin_web import counters_of, issue_ticket, kiosk_content
from tests.utils.csp import watch_csp
from tests.utils.servers import RunningServer
from tests.utils.waiting import until as _until

HALL = "youyi-yuan"


@pytest.fixture()
def page(browser: Any, admin_server: RunningServer) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 390, "height": 844})
    context.set_default_timeout(30_000)
    page = context.new_page()
    csp_violations = watch_csp(page)
    login = admin_server.credentials["staff"][HALL]
    page.goto(f"{admin_server.base_url}/admin/login")
    page.fill("#username", login["username"])
    page.fill("#password", login["password"])
    page.click("button[type=submit]")
    page.wait_for_url(f"**/admin/halls/{HALL}")
    yield page
    context.close()
    assert csp_violations == [], "the admin pages broke their own Content-Security-Policy"


def _events(server: RunningServer, after: int, wait: float) -> dict[str, Any]:
    token = server.credentials["kiosks"][HALL]["token"]
    r = requests.get(
        f"{server.api}/kiosk/events",
        params={"after": after, "wait": wait},
        headers={"Authorization": f"Bearer {token}"},
        timeout=wait + 30,
    )
    assert r.status_code == 200, r.text
    data: dict[str, Any] = r.json()
    return data


def test_status_notice_publish_restore(page: Any, admin_server: RunningServer) -> None:
    base = admin_server.base_url
    before = kiosk_content(admin_server, HALL)
    first_version = before["version"]
    person = before["content"]["staff"][0]
    notice = before["content"]["notices"][0]
    cursor = _events(admin_server, 0, 0)["last_seq"]

    # One tap on "会议" for the first staff member: published at once.
    page.goto(f"{base}/admin/halls/{HALL}/staff")
    card = page.locator(f"#staff-{person['id']}")
    card.locator("summary").click()
    card.locator("input[name=until_time]").fill("16:30")
    card.locator("input[name=note]").fill("街道例会")
    card.get_by_role("button", name="会议").click()
    page.wait_for_load_state("load")
    assert "会议" in page.locator(".flash").inner_text()
    after_status = kiosk_content(admin_server, HALL)
    shown = next(s for s in after_status["content"]["staff"] if s["id"] == person["id"])
    assert shown["status"] == "meeting"
    assert shown["status_note"] == "街道例会"
    assert "16:30:00+08:00" in shown["status_until"]
    assert after_status["version"] == first_version + 1
    status_event = _events(admin_server, cursor, 10)
    assert any(e["type"] == "staff_status" for e in status_event["events"])
    cursor = status_event["last_seq"]

    # Edit a notice: it goes to the draft, the kiosk still shows the old title.
    new_title = "冬季用电安全提示（已更新）"
    page.goto(f"{base}/admin/halls/{HALL}/notices/{notice['id']}")
    page.fill("#f_title", new_title)
    page.get_by_role("button", name="保存到草稿").click()
    page.wait_for_load_state("load")
    assert "草稿" in page.locator(".flash").inner_text()
    assert kiosk_content(admin_server, HALL)["content"]["notices"][0]["title"] == notice["title"]

    # The preview shows the draft; publishing makes it the kiosk's content.
    page.goto(f"{base}/admin/halls/{HALL}/preview")
    preview = page.locator(".kiosk-preview").inner_text()
    now = clock.now()
    start = dt.datetime.fromisoformat(notice["publish_from"])
    end = notice.get("publish_until")
    if start <= now and (end is None or now < dt.datetime.fromisoformat(end)):
        assert new_title in preview
    else:
        assert new_title not in preview  # outside its window: the kiosk will not show it
    page.goto(f"{base}/admin/halls/{HALL}")
    page.get_by_role("button", name="发布到自助机").first.click()
    page.wait_for_load_state("load")
    assert "已发布" in page.locator(".flash").inner_text()
    published = kiosk_content(admin_server, HALL)
    assert published["version"] == first_version + 2
    edited = next(n for n in published["content"]["notices"] if n["id"] == notice["id"])
    assert edited["title"] == new_title
    # The staff status survived the publication of the draft.
    kept = next(s for s in published["content"]["staff"] if s["id"] == person["id"])
    assert kept["status"] == "meeting"
    # The kiosks' long-poll carries the publication.
    events = _events(admin_server, cursor, 10)
    assert any(
        e["type"] == "content" and e["data"]["version"] == published["version"]
        for e in events["events"]
    )

    # Restore the first version in one step: a new version with the old content.
    page.goto(f"{base}/admin/halls/{HALL}/versions")
    page.on("dialog", lambda dialog: dialog.accept())
    row = page.locator("tr", has_text=f"第 {first_version} 版")
    row.get_by_role("button", name="恢复").click()
    page.wait_for_load_state("load")
    assert f"已把第 {first_version} 版恢复" in page.locator(".flash").inner_text()
    restored = kiosk_content(admin_server, HALL)
    assert restored["version"] == first_version + 3
    assert restored["content"] == before["content"]

    # The audit log names who did what.
    page.goto(f"{base}/admin/halls/{HALL}/audit")
    log = page.locator("table").inner_text()
    for action in ("在岗状态", "修改草稿", "发布", "恢复版本"):
        assert action in log
    assert "notices[0].title" in log  # which field the edit changed


def test_counter_console_calls_and_phone_page_follows(
    page: Any, admin_server: RunningServer
) -> None:
    base = admin_server.base_url
    counter = counters_of(admin_server, HALL)[0]
    queue = counter["queues"][0]
    ticket = issue_ticket(admin_server, HALL, queue)
    phone = requests.get(f"{base}/t/{ticket['id']}", timeout=30).text
    assert "等候中" in phone

    page.goto(f"{base}/admin/counters/{counter['id']}")
    count = page.locator(f'[data-queue="{queue}"]')
    assert int(count.inner_text()) >= 1
    # Keyboard shortcut N: call the next resident.
    with page.expect_navigation():
        page.keyboard.press("n")
    _until(
        lambda: page.locator("[data-current]").inner_text().strip() == ticket["number"],
        "the called number on the console",
    )
    phone = requests.get(f"{base}/t/{ticket['id']}", timeout=30).text
    assert f"请到 {counter['window']} 号窗口办理" in phone

    page.get_by_role("button", name="重呼").click()
    page.wait_for_load_state("load")
    assert "已重新呼叫" in page.locator(".flash").inner_text()

    with page.expect_navigation():
        page.keyboard.press("s")  # start serving
    _until(lambda: "开始办理" in page.locator(".flash").inner_text(), "the start message")
    phone = requests.get(f"{base}/t/{ticket['id']}", timeout=30).text
    assert f"正在 {counter['window']} 号窗口办理" in phone

    page.get_by_role("button", name="办结").click()
    page.wait_for_load_state("load")
    assert "已办结" in page.locator(".flash").inner_text()
    phone = requests.get(f"{base}/t/{ticket['id']}", timeout=30).text
    assert "已办结" in phone
    assert page.locator("[data-current]").inner_text().strip() == "—"

    # Live counts: a ticket issued elsewhere shows up without reloading.
    waiting = int(count.inner_text())
    issue_ticket(admin_server, HALL, queue)
    _until(lambda: int(count.inner_text()) == waiting + 1, "the live waiting count")
