"""Requests (诉求) in the admin web, in Debian's Chromium (Playwright) against the real
server: a phone caller registered from the counter console in a handful of steps and
well under a minute; the board masks the phone, shows the deadline light in words and
filters; the request's page shows the phone in full (and records who looked), offers
only the actions the rules allow and carries the request through its life with public
and internal notes on the timeline."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

import pytest

from tests.utils.admin_web import counters_of, db, kiosk_request
from tests.utils.servers import RunningServer

HALL = "huayang"
SHOTS = Path("/work/shots/requests")
PHONE = "13812341234"


def _login(browser: Any, server: RunningServer, width: int, who: str = "staff") -> Any:
    context = browser.new_context(viewport={"width": width, "height": 900})
    context.set_default_timeout(30_000)
    page = context.new_page()
    login = server.credentials["staff"][HALL] if who == "staff" else server.credentials["admin"]
    page.goto(f"{server.base_url}/admin/login")
    page.fill("#username", login["username"])
    page.fill("#password", login["password"])
    page.click("button[type=submit]")
    page.wait_for_url("**/admin/**")
    return page


def _unfold(page: Any, label: str) -> None:
    """Open the action's fold (the first one is open already)."""
    details = page.locator("details", has=page.locator(f"summary:text-is('{label}')"))
    if details.get_attribute("open") is None:
        details.locator("summary").click()


def _shot(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / name), full_page=True)


def _public_timeline(server: RunningServer, request_id: str) -> str:
    import sqlalchemy as sa

    from kiosk.server import requests as store

    engine = sa.create_engine(f"sqlite:///{server.data_dir / 'kiosk.sqlite3'}")
    try:
        with engine.connect() as conn:
            entries = store.timeline(conn, request_id, public_only=True)
    finally:
        engine.dispose()
    return "\n".join(f"{e.label} {e.note or ''}" for e in entries)


class Steps:
    """What a clerk does, counted: every click and every field typed is one step."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.count = 0

    def click(self, selector: str) -> None:
        self.count += 1
        self.page.click(selector)

    def fill(self, selector: str, text: str) -> None:
        self.count += 1
        self.page.fill(selector, text)


def register_from_console(page: Any, server: RunningServer) -> tuple[str, int, float]:
    """A phone caller's request from window 1's console: (request id, steps, seconds)."""
    counter = counters_of(server, HALL)[0]
    page.goto(f"{server.base_url}/admin/counters/{counter['id']}")
    started = time.monotonic()
    steps = Steps(page)
    steps.click("text=登记诉求（来访 / 来电）")
    steps.click("label.tile:has-text('报修')")
    steps.click("label.chip:has-text('水管漏水')")
    steps.fill("#f-location", "3-2-501")
    steps.fill("#f-phone", PHONE)
    steps.click("label.chip:has-text('电话来电')")
    with page.expect_navigation():
        steps.click("button:has-text('登记')")
    seconds = time.monotonic() - started
    found = re.search(r"/admin/requests/([A-Za-z0-9_-]+)$", page.url)
    assert found, page.url
    return found.group(1), steps.count, seconds


def test_a_phone_caller_is_registered_from_the_console_in_under_a_minute(
    browser: Any, admin_server: RunningServer
) -> None:
    page = _login(browser, admin_server, 1280)
    try:
        request_id, steps, seconds = register_from_console(page, admin_server)
        flash = page.locator(".flash").inner_text()
        assert re.search(r"已登记 [A-Z]{2,4}-2026-\d{6}，查询码 \d{6}", flash), flash
        assert steps <= 7, steps
        assert seconds < 60, seconds
        print(f"counter form: {steps} steps, {seconds:.1f} s in Chromium")
        facts = page.locator(".req-facts").inner_text()
        assert "水管漏水" in facts and "3-2-501" in facts and PHONE in facts
        assert "电话来电" in facts
        with db(admin_server) as conn:
            row = conn.execute(
                "SELECT channel, category, staff_id FROM service_requests WHERE id = ?",
                (request_id,),
            ).fetchone()
        assert (row["channel"], row["category"]) == ("phone", "repair")
    finally:
        page.context.close()


def test_a_form_without_a_category_or_content_says_so_and_keeps_what_was_typed(
    browser: Any, admin_server: RunningServer
) -> None:
    page = _login(browser, admin_server, 390)
    try:
        page.goto(f"{admin_server.base_url}/admin/halls/{HALL}/requests/new")
        page.click("label.tile:has-text('咨询')")
        page.fill("#f-phone", "12345")
        with page.expect_navigation():
            page.click("button:has-text('登记')")
        assert "请点选常见问题或写一句居民反映的内容" in page.locator(".errors").inner_text()
        assert page.input_value("#f-phone") == "12345"
        page.fill("#f-description", "想问问老年证怎么办")
        with page.expect_navigation():
            page.click("button:has-text('登记')")
        error = page.locator(".errors").inner_text()
        assert "电话" in error, error  # the store's validator, in Chinese
        assert page.input_value("#f-description") == "想问问老年证怎么办"
    finally:
        page.context.close()


def test_board_masks_the_phone_and_the_request_page_carries_it_through(
    browser: Any, admin_server: RunningServer
) -> None:
    page = _login(browser, admin_server, 1280)
    try:
        request_id, _steps, _seconds = register_from_console(page, admin_server)
        number = page.locator("h1").inner_text().split()[0]
        page.goto(f"{admin_server.base_url}/admin/halls/{HALL}/requests?category=repair")
        row = page.locator("tr.req-row", has=page.locator(f"a:text-is('{number}')"))
        text = row.inner_text()
        assert "138****1234" in text and PHONE not in page.content()
        assert "正常" in text and "已登记" in text  # the light in words, not colour alone
        _shot(page, "board-1280.png")

        row.locator("a").click()
        page.wait_for_url(f"**/admin/requests/{request_id}")
        buttons = {
            b.strip() for b in page.locator(".req-actions button, summary").all_inner_texts()
        }
        assert {"受理", "不予受理", "转非本辖区", "标记重复", "撤回"} <= buttons, buttons
        assert "办结" not in buttons and "评价" not in buttons
        with page.expect_navigation():
            page.click("button:text-is('受理')")
        assert "已受理" in page.locator(".flash").inner_text()

        _unfold(page, "添加备注")
        page.fill("#f-note", "已联系物业，明早上门")
        page.check("form:has(#f-note) input[name=public][value='1']")
        with page.expect_navigation():
            page.click("button:text-is('记录备注')")
        _unfold(page, "添加备注")
        page.fill("#f-note", "居民情绪较急，注意态度")
        with page.expect_navigation():
            page.click("button:text-is('记录备注')")

        _unfold(page, "转办")
        page.fill("#f-transfer", "华阳物业")
        with page.expect_navigation():
            page.click("button:text-is('转办')")
        _unfold(page, "记录承办单位答复")
        page.fill("#f-unit-answer", "已派维修工")
        with page.expect_navigation():
            page.click("button:text-is('记录答复')")

        _unfold(page, "排期")
        page.fill("#f-schedule", "2026-12-04")
        with page.expect_navigation():
            page.click("button:text-is('排期')")
        assert "已排期" in page.locator("h1").inner_text()

        _unfold(page, "办结")
        page.fill("#f-resolve", "已更换水管阀门")
        with page.expect_navigation():
            page.click("button:text-is('办结')")
        assert "已办结" in page.locator("h1").inner_text()
        _unfold(page, "回访")
        page.fill("#f-follow_up", "居民表示满意")
        with page.expect_navigation():
            page.click("button:text-is('回访')")
        assert "已回访" in page.locator(".flash").inner_text()
        assert page.locator("summary:text-is('回访')").count() == 0  # once per closing
        timeline = page.locator(".timeline")
        internal = timeline.locator("li.internal").all_inner_texts()
        assert any("居民情绪较急" in t for t in internal), internal
        assert any("华阳物业答复：已派维修工" in t for t in internal), internal
        public = timeline.locator("li.public").all_inner_texts()
        assert any("已联系物业，明早上门" in t for t in public), public
        _shot(page, "request-life-1280.png")
        # What the resident may see (the store's public timeline, which the phone page
        # /r/{id} and the kiosk show): the public note, never the internal ones.
        public_view = _public_timeline(admin_server, request_id)
        assert "已联系物业，明早上门" in public_view
        assert "居民情绪较急" not in public_view and "已派维修工" not in public_view
        # The resident's phone page /r/{id} shows the same: never the internal notes nor
        # the phone.
        phone_page = page.context.new_page()
        phone_page.goto(f"{admin_server.base_url}/r/{request_id}")
        body = phone_page.content()
        assert "已联系物业，明早上门" in body and "已办结" in body
        assert "居民情绪较急" not in body and PHONE not in body and "已派维修工" not in body
        phone_page.close()
    finally:
        page.context.close()


@pytest.mark.parametrize("width", [390, 1280])
def test_screens_fit_at_phone_and_desktop_width(
    browser: Any, admin_server: RunningServer, width: int
) -> None:
    page = _login(browser, admin_server, width)
    try:
        request_id, _s, _t = register_from_console(page, admin_server)
        for path, name in [
            (f"/admin/halls/{HALL}/requests", "board"),
            (f"/admin/requests/{request_id}", "request"),
            (f"/admin/halls/{HALL}/requests/new", "console-form"),
            ("/admin/diary", "diary"),
            ("/admin/stats#requests", "stats"),
        ]:
            page.goto(admin_server.base_url + path)
            overflow = page.evaluate(
                "document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            if name != "board":  # the board is a table: it may scroll sideways on a phone
                assert overflow <= 1, (name, width, overflow)
            _shot(page, f"{name}-{width}.png")
    finally:
        page.context.close()


def test_an_open_board_is_told_of_a_new_request(browser: Any, admin_server: RunningServer) -> None:
    page = _login(browser, admin_server, 1280)
    try:
        page.goto(f"{admin_server.base_url}/admin/halls/{HALL}/requests")
        banner = page.locator(".req-changed")
        assert banner.is_hidden()
        kiosk_request(admin_server, HALL, description="自助机上刚登记的")
        banner.wait_for(state="visible", timeout=25_000)
        assert "诉求有新的变化" in banner.inner_text()
        with page.expect_navigation():
            banner.locator("a").click()
        assert "自助机上刚登记的" in page.locator(".req-board").inner_text()
    finally:
        page.context.close()
