"""五必访 on a staff member's phone (390×844) in Debian's Chromium, against the real server
(uvicorn, SQLite file): today's list nearest building first; a visit recorded with the
network cut is kept on the phone (已保存，待上传), survives a reload through the service
worker and is uploaded once when the signal is back, even if the page sends it again; a
need becomes a request; a miss makes a retry due in 48 h and a second miss (clock moved
48 h on) alerts the leader; the district's 寒潮预警 makes a high-risk household due; a
district admin sees counts only.

Households are written straight into the register's table (no personal field: the plan
never needs one); everything else goes through the pages."""

from __future__ import annotations

import datetime as dt
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kiosk.core import clock
from tests.utils.admin_web import db, kiosk_content
from tests.utils.hall_clock import set_hall_time
from tests.utils.servers import RunningServer, start_server

HALL = "huayang"
SHOTS = Path("/work/shots/visits")  # the ones worth keeping are copied to docs/screenshots
WIDEST = """() => {
  let right = 0;
  for (const el of document.querySelectorAll('body *')) {
    right = Math.max(right, el.getBoundingClientRect().right);
  }
  return {scroll: document.documentElement.scrollWidth, inner: window.innerWidth, right};
}"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    running = start_server(tmp_path_factory.mktemp("visits-server"))
    yield running
    running.stop()


def _add_household(
    server: RunningServer,
    address: str,
    tier: str,
    *,
    registered_days_ago: float,
    staff_id: str = "",
    tags: tuple[str, ...] = (),
) -> str:
    hid = uuid.uuid4().hex
    now = clock.now().astimezone(dt.UTC)
    registered = now - dt.timedelta(days=registered_days_ago)
    with db(server) as conn:
        conn.execute(
            "INSERT INTO households (id, hall_id, address, building, tags, tier, staff_id,"
            " registered_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                hid,
                HALL,
                address,
                address.split("-")[0],
                "[" + ",".join(f'"{t}"' for t in tags) + "]",
                tier,
                staff_id,
                registered.isoformat(sep=" "),
                now.isoformat(sep=" "),
            ),
        )
    return hid


def _count(server: RunningServer, sql: str, *args: Any) -> int:
    with db(server) as conn:
        return int(conn.execute(sql, args).fetchone()[0])


def _phone(browser: Any) -> Any:
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")
    context.set_default_timeout(20_000)
    page = context.new_page()
    # The phone's clock reads the hall clock (visits.js stamps an untouched time at 提交).
    page.clock.set_system_time(clock.now())
    return page


def _login(page: Any, server: RunningServer, who: str = "staff") -> None:
    if who == "admin":
        login = server.credentials["admin"]
    else:  # "staff" or "leader" (the hall's 负责人)
        login = server.credentials["leaders" if who == "leader" else "staff"][HALL]
    page.goto(f"{server.base_url}/admin/login")
    page.fill("#username", login["username"])
    page.fill("#password", login["password"])
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(lambda url: "/admin/login" not in url)


def _fits(page: Any) -> None:
    size = page.evaluate(WIDEST)
    assert size["scroll"] <= size["inner"], size
    assert size["right"] <= size["inner"] + 0.5, size


def _shot(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / name), full_page=True)


def _record(page: Any, *, seen: bool, needs: str = "") -> None:
    page.get_by_text("见到本人" if seen else "未见到本人", exact=True).click()
    page.get_by_text("燃气安全", exact=True).click()
    if needs:
        page.fill("#visit-needs", needs)
    page.get_by_role("button", name="提交走访记录").click()


def test_todays_list_an_offline_visit_uploaded_once_and_a_need_becomes_a_request(
    browser: Any, server: RunningServer
) -> None:
    staff = kiosk_content(server, HALL)["content"]["staff"][0]["id"]
    _add_household(server, "10-2-201", "high_risk", registered_days_ago=8, staff_id=staff)
    near = _add_household(
        server, "3-1-101", "high_risk", registered_days_ago=60, tags=("高龄独居",)
    )
    _add_household(server, "2-1-302", "key", registered_days_ago=29, staff_id=staff)
    _add_household(server, "1-1-101", "general", registered_days_ago=1)
    page = _phone(browser)
    try:
        _login(page, server)
        page.goto(f"{server.base_url}/admin/visits")
        today = page.locator(".visit-list").first.locator(".addr").all_inner_texts()
        assert today == ["3-1-101", "10-2-201"]  # nearest building first, both overdue
        upcoming = page.locator(".visit-list").nth(1).locator(".addr").all_inner_texts()
        assert upcoming == ["2-1-302"]
        assert page.locator(".light-3").count() == 2
        _fits(page)
        _shot(page, "visits-today-390.png")

        page.locator(f"a[href$='/households/{near}/new']").click()
        page.wait_for_function("() => navigator.serviceWorker.controller !== null")
        minted = page.input_value("input[name=key]")
        _fits(page)
        _shot(page, "visits-form-390.png")

        page.context.set_offline(True)
        _record(page, seen=True, needs="想申请老年助餐服务")
        state = page.locator("#visit-form-state")
        state.get_by_text("已保存，待上传").wait_for()
        assert page.locator("#visit-outbox").is_visible()
        assert _count(server, "SELECT count(*) FROM visits") == 0
        kept = page.evaluate("() => window.visitsOutbox.load()")
        assert [item["key"] for item in kept] == [minted]
        # The phone is switched off and on in the stairwell: the page comes back from the
        # service worker's cache and the kept visit is still there.
        page.reload()
        page.locator("#visit-outbox-state").get_by_text("已保存，待上传").wait_for()
        assert page.input_value("input[name=key]") != minted  # a fresh key for a new visit
        _fits(page)
        _shot(page, "visits-offline-390.png")

        page.context.set_offline(False)
        page.wait_for_function("() => window.visitsOutbox.load().length === 0", timeout=30_000)
        assert _count(server, "SELECT count(*) FROM visits") == 1
        # The page sends the same form again (an answer lost on the way back): still one.
        page.evaluate("items => window.visitsOutbox.save(items)", kept)
        page.evaluate("() => window.visitsOutbox.flush()")
        page.wait_for_function("() => window.visitsOutbox.load().length === 0")
        assert _count(server, "SELECT count(*) FROM visits") == 1
        with db(server) as conn:
            row = conn.execute("SELECT needs_enc, idempotency_key FROM visits").fetchone()
        assert row["idempotency_key"] == minted
        assert "助餐".encode() not in row["needs_enc"]

        page.goto(f"{server.base_url}/admin/visits/halls/{HALL}")
        assert page.locator(".visit-list").first.locator(".addr").all_inner_texts() == ["10-2-201"]
        page.goto(f"{server.base_url}/admin/visits/halls/{HALL}/households/{near}")
        assert page.get_by_text("需求：想申请老年助餐服务").is_visible()
        page.select_option("select[name=category]", "help")
        page.get_by_role("button", name="转为诉求").click()
        page.locator(".flash").wait_for()
        assert "已转为诉求" in page.locator(".flash").inner_text()
        assert page.get_by_text("已转为诉求", exact=True).count() >= 1
        _fits(page)
        _shot(page, "visits-household-390.png")
        with db(server) as conn:
            request = conn.execute(
                "SELECT channel, description, location, category FROM service_requests"
            ).fetchall()
            linked = conn.execute("SELECT request_id FROM visits").fetchone()["request_id"]
        assert [tuple(r) for r in request] == [("visit", "想申请老年助餐服务", "3-1-101", "help")]
        assert linked
        assert _count(server, "SELECT count(*) FROM household_audit WHERE action = 'view'") >= 1
        # Logging out on the phone: the pages kept for offline use leave it too.
        assert "kiosk-visits-v1" in page.evaluate("() => caches.keys()")
        page.locator("header").get_by_role("button", name="退出", exact=True).click()
        page.wait_for_url("**/admin/login**")
        assert "kiosk-visits-v1" not in page.evaluate("() => caches.keys()")
    finally:
        page.context.close()


def test_a_refused_offline_form_is_kept_with_its_reason(
    browser: Any, server: RunningServer
) -> None:
    hid = _add_household(server, "7-1-701", "high_risk", registered_days_ago=30)
    page = _phone(browser)
    try:
        _login(page, server)
        page.goto(f"{server.base_url}/admin/visits/halls/{HALL}/households/{hid}/new")
        page.fill("#visit-at", "2026-12-09 10:00")  # a week ahead: refused by the server
        _record(page, seen=True)
        page.locator("#visit-form-state").get_by_text("晚于现在").wait_for()
        kept = page.evaluate("() => window.visitsOutbox.load()")
        assert len(kept) == 1 and "晚于现在" in kept[0]["refused"]
        assert page.get_by_role("button", name="删除这条").is_visible()
        assert _count(server, "SELECT count(*) FROM visits WHERE household_id = ?", hid) == 0
    finally:
        page.context.close()


def test_a_district_event_makes_a_high_risk_household_due_and_the_district_sees_counts(
    browser: Any, server: RunningServer
) -> None:
    hid = _add_household(server, "8-3-803", "high_risk", registered_days_ago=2)
    staff_page = _phone(browser)
    admin_page = _phone(browser)
    try:
        _login(staff_page, server)
        today = f"{server.base_url}/admin/visits/halls/{HALL}"
        staff_page.goto(today)
        assert staff_page.locator(f"a[href$='/households/{hid}/new']").count() == 0
        _login(admin_page, server, "admin")
        admin_page.goto(f"{server.base_url}/admin/visits/district")
        admin_page.once("dialog", lambda dialog: dialog.accept())
        admin_page.get_by_role("button", name="发布").click()
        admin_page.locator(".flash").get_by_text("已发布“寒潮预警”").wait_for()
        _fits(admin_page)
        _shot(admin_page, "visits-district-390.png")
        staff_page.goto(today)
        assert staff_page.locator(f"a[href$='/households/{hid}/new']").count() == 1
        # The district admin: numbers, never the households' addresses.
        admin_page.goto(f"{server.base_url}/admin/visits/halls/{HALL}/leader")
        assert admin_page.get_by_text("只显示数字").is_visible()
        assert admin_page.locator(".addr").count() == 0
        admin_page.goto(today)  # the list of households: sent to the counts instead
        assert admin_page.url.endswith(f"/halls/{HALL}/leader")
        assert "只能查看户数统计" in admin_page.locator(".flash").inner_text()
    finally:
        staff_page.context.close()
        admin_page.context.close()


def test_a_miss_retries_in_48_hours_and_two_misses_alert_the_leader(
    browser: Any, tmp_path: Path
) -> None:
    before, mono = clock.now(), time.monotonic()
    set_hall_time("2026-12-02T09:00:00+08:00")
    server = start_server(tmp_path / "server")
    try:
        hid = _add_household(server, "5-1-501", "key", registered_days_ago=20)
        page = _phone(browser)
        try:
            _login(page, server)
            form = f"{server.base_url}/admin/visits/halls/{HALL}/households/{hid}/new"
            page.goto(form)
            _record(page, seen=False)
            page.locator("#visit-form-state").get_by_text("已上传").wait_for()
            page.goto(f"{server.base_url}/admin/visits/halls/{HALL}/households/{hid}")
            assert page.get_by_text("12-04 09:00").is_visible()  # the retry: 48 h later
            assert page.get_by_text("连续未见到本人 1 次").is_visible()
        finally:
            page.context.close()
        # Two days later, the retry finds nobody at home either.
        set_hall_time("2026-12-04T09:30:00+08:00")
        server = server.restart()
        page = _phone(browser)
        try:
            _login(page, server)
            page.goto(f"{server.base_url}/admin/visits/halls/{HALL}/households/{hid}/new")
            assert page.input_value("#visit-at") == "2026-12-04 09:30"
            _record(page, seen=False)
            page.locator("#visit-form-state").get_by_text("已上传").wait_for()
            # The leader's view is not a plain staff member's: a 403 page in Chinese.
            seen = page.goto(f"{server.base_url}/admin/visits/halls/{HALL}/leader")
            assert seen is not None and seen.status == 403
            assert page.get_by_text("只对本大厅负责人和街道管理员开放").is_visible()
        finally:
            page.context.close()
        page = _phone(browser)
        try:
            _login(page, server, "leader")
            page.goto(f"{server.base_url}/admin/visits/halls/{HALL}/leader")
            alert = page.locator(".alert-card")
            assert alert.count() == 1
            assert "5-1-501：连续 2 次走访未见到本人" in alert.inner_text()
            _fits(page)
            _shot(page, "visits-leader-390.png")
            alert.get_by_role("button", name="已跟进").click()
            page.locator(".flash").get_by_text("已标记为已跟进").wait_for()
            assert page.locator(".alert-card").count() == 0
        finally:
            page.context.close()
    finally:
        server.stop()
        set_hall_time((before + dt.timedelta(seconds=time.monotonic() - mono)).isoformat())
