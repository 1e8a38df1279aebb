"""A hall's 走访规则 page and the visit form's time, on a phone (390×844) in Debian's
Chromium against the real server (uvicorn, SQLite file).

- A valid change of the rules moves a household's due date at once (it appears on
  今日走访), is audited, and bad values are refused next to their fields with what was
  typed kept (422, never a 5xx).
- The visit form: a time the staff member did not type is the time of 提交, also when the
  form was opened hours before and sent later offline; a typed time is kept as typed; the
  server refuses a time in the future or more than 7 days back and the phone keeps the form
  with the reason."""

from __future__ import annotations

import datetime as dt
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kiosk.core import clock
from tests.utils.admin_web import db, leader_client, staff_client
from tests.utils.hall_clock import set_hall_time
from tests.utils.servers import RunningServer, start_server

HALL = "huayang"
SHOTS = Path("/work/shots/visits")
WIDEST = """() => {
  let right = 0;
  for (const el of document.querySelectorAll('body *')) {
    right = Math.max(right, el.getBoundingClientRect().right);
  }
  return {scroll: document.documentElement.scrollWidth, inner: window.innerWidth, right};
}"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    running = start_server(tmp_path_factory.mktemp("visits-policy-server"))
    yield running
    running.stop()


def _add_household(server: RunningServer, address: str, tier: str, *, days_ago: float) -> str:
    hid = uuid.uuid4().hex
    now = clock.now().astimezone(dt.UTC)
    with db(server) as conn:
        conn.execute(
            "INSERT INTO households (id, hall_id, address, building, tags, tier, staff_id,"
            " registered_at, updated_at) VALUES (?, ?, ?, ?, '[]', ?, '', ?, ?)",
            (
                hid,
                HALL,
                address,
                address.split("-")[0],
                tier,
                (now - dt.timedelta(days=days_ago)).isoformat(sep=" "),
                now.isoformat(sep=" "),
            ),
        )
    return hid


def _phone(browser: Any) -> Any:
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")
    context.set_default_timeout(20_000)
    page = context.new_page()
    page.clock.set_system_time(clock.now())
    return page


def _login(page: Any, server: RunningServer, who: str = "staff") -> None:
    if who == "admin":
        login = server.credentials["admin"]
    else:
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


def _today(page: Any, server: RunningServer) -> list[str]:
    page.goto(f"{server.base_url}/admin/visits/halls/{HALL}")
    return list(page.locator(".visit-list .addr").all_inner_texts())


def _record(page: Any) -> None:
    page.get_by_text("见到本人", exact=True).click()
    page.get_by_role("button", name="提交走访记录").click()


def _stored_at(server: RunningServer, hid: str) -> list[str]:
    with db(server) as conn:
        rows = conn.execute("SELECT at FROM visits WHERE household_id = ?", (hid,)).fetchall()
    return [
        dt.datetime.fromisoformat(str(r["at"]))
        .replace(tzinfo=dt.UTC)
        .astimezone(clock.HALL_TZ)
        .strftime("%Y-%m-%d %H:%M")
        for r in rows
    ]


def test_a_policy_change_moves_due_dates_at_once_and_bad_values_are_refused(
    browser: Any, server: RunningServer
) -> None:
    _add_household(server, "6-2-602", "general", days_ago=80)  # due in 11 days by default
    page = _phone(browser)
    try:
        _login(page, server, "leader")  # the rules are the leader's
        assert "6-2-602" not in _today(page, server)
        page.goto(f"{server.base_url}/admin/visits/halls/{HALL}/leader")
        page.get_by_role("link", name="走访规则").click()
        page.wait_for_url(f"**/halls/{HALL}/policy")
        assert page.input_value("#policy-general_days") == "91"
        assert page.get_by_text("本大厅使用默认规则").is_visible()

        # Bad values: each refused next to its field, what was typed kept, nothing stored.
        page.fill("#policy-high_risk_days", "40")  # longer than 重点户's 30
        page.fill("#policy-general_days", "九十")
        page.fill("#policy-retry_hours", "0")
        page.fill("#policy-shown_before", "")
        with page.expect_response(lambda r: r.request.method == "POST") as answer:
            page.get_by_role("button", name="保存走访规则").click()
        assert answer.value.status == 422
        errors = {
            f: page.locator(f"#policy-{f}-err").inner_text()
            for f in ("high_risk_days", "general_days", "retry_hours", "shown_before")
        }
        assert "高风险 ≤ 重点" in errors["high_risk_days"]
        assert "请填写整数" in errors["general_days"]
        assert "1 小时到 7 天" in errors["retry_hours"]
        assert "请填写提前显示" in errors["shown_before"]
        assert page.locator("#policy-key_days-err").count() == 0
        assert page.input_value("#policy-general_days") == "九十"
        assert page.input_value("#policy-high_risk_days") == "40"
        _fits(page)
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / "visits-policy-refused-390.png"), full_page=True)
        with db(server) as conn:
            assert conn.execute("SELECT count(*) FROM visit_policies").fetchone()[0] == 0

        # A valid change: 一般户 every 60 days makes the 80-day-old household overdue now.
        page.fill("#policy-high_risk_days", "7")
        page.fill("#policy-general_days", "60")
        page.fill("#policy-retry_hours", "24")
        page.fill("#policy-shown_before", "2")
        page.get_by_role("button", name="保存走访规则").click()
        page.locator(".flash").get_by_text("一般户 91→60 天").wait_for()
        assert "未见到本人后再访 48→24 小时" in page.locator(".flash").inner_text()
        assert page.input_value("#policy-general_days") == "60"
        assert page.get_by_text("最近修改").is_visible()
        _fits(page)
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / "visits-policy-390.png"), full_page=True)
        with db(server) as conn:
            audited = conn.execute(
                "SELECT username, hall_id, detail FROM admin_audit WHERE action = 'visit_policy'"
            ).fetchall()
        changes = "一般户 91→60 天；未见到本人后再访 48→24 小时"
        assert [(r["hall_id"], r["detail"]) for r in audited] == [(HALL, changes)]
        assert "6-2-602" in _today(page, server)
        assert page.locator(".visit-row.light-3 .addr", has_text="6-2-602").count() == 1

        # A miss now asks for a retry within 24 h (this household stays due: it is overdue).
        page.locator(".visit-row", has_text="6-2-602").locator("a").first.click()
        page.wait_for_url("**/new")
        with page.expect_response(lambda r: r.request.method == "POST") as answer:
            page.get_by_text("未见到本人", exact=True).click()
            page.get_by_role("button", name="提交走访记录").click()
        assert "24 小时内需再访" in answer.value.json()["message"]
    finally:
        page.context.close()


def test_another_halls_staff_cannot_read_the_rules(browser: Any, server: RunningServer) -> None:
    other = next(h for h in server.credentials["staff"] if h != HALL)
    login = server.credentials["staff"][other]
    page = _phone(browser)
    try:
        page.goto(f"{server.base_url}/admin/login")
        page.fill("#username", login["username"])
        page.fill("#password", login["password"])
        page.get_by_role("button", name="登录").click()
        page.wait_for_url(lambda url: "/admin/login" not in url)
        answer = page.goto(f"{server.base_url}/admin/visits/halls/{HALL}/policy")
        assert answer is not None and answer.status == 403
        assert page.get_by_text("没有管理这个大厅的权限").is_visible()
    finally:
        page.context.close()


def test_an_untyped_visit_time_is_the_submit_time_even_sent_later_offline(
    browser: Any, tmp_path: Path
) -> None:
    before, mono = clock.now(), time.monotonic()
    set_hall_time("2026-12-02T09:00:00+08:00")
    server = start_server(tmp_path / "server")
    try:
        hid = _add_household(server, "4-1-401", "high_risk", days_ago=30)
        typed = _add_household(server, "4-1-402", "high_risk", days_ago=30)
        page = _phone(browser)
        try:
            _login(page, server)
            form = f"{server.base_url}/admin/visits/halls/{HALL}/households/{hid}/new"
            page.goto(form)
            page.wait_for_function("() => navigator.serviceWorker.controller !== null")
            assert page.input_value("#visit-at") == "2026-12-02 09:00"
            page.context.set_offline(True)
            # The form stays open in a pocket for three hours; the server lives on too.
            set_hall_time("2026-12-02T12:00:00+08:00")
            server = server.restart()
            page.clock.set_system_time(clock.now())
            _record(page)
            page.locator("#visit-form-state").get_by_text("已保存，待上传").wait_for()
            item = page.locator("#visit-outbox-list li").first.inner_text()
            assert "2026-12-02 12:00" in item and "已保存，待上传" in item
            assert _stored_at(server, hid) == []
            page.context.set_offline(False)
            page.wait_for_function("() => window.visitsOutbox.load().length === 0", timeout=30_000)
            assert _stored_at(server, hid) == ["2026-12-02 12:00"]

            # A time the staff member typed is theirs, whenever it is sent.
            page.goto(f"{server.base_url}/admin/visits/halls/{HALL}/households/{typed}/new")
            page.fill("#visit-at", "2026-12-02 10:30")
            _record(page)
            page.locator("#visit-form-state").get_by_text("已上传").wait_for()
            assert _stored_at(server, typed) == ["2026-12-02 10:30"]

            # More than 7 days back: refused, kept on the phone with the reason.
            page.goto(f"{server.base_url}/admin/visits/halls/{HALL}/households/{typed}/new")
            page.fill("#visit-at", "2026-11-24 10:00")
            _record(page)
            page.locator("#visit-form-state").get_by_text("7 天前").wait_for()
            kept = page.evaluate("() => window.visitsOutbox.load()")
            assert len(kept) == 1 and "不能补录" in kept[0]["refused"]
            assert page.get_by_role("button", name="删除这条").is_visible()
            # Ahead of the server's clock (beyond a few minutes): refused too.
            page.evaluate("() => window.visitsOutbox.save([])")
            page.goto(f"{server.base_url}/admin/visits/halls/{HALL}/households/{typed}/new")
            page.fill("#visit-at", "2026-12-02 12:30")
            _record(page)
            page.locator("#visit-form-state").get_by_text("晚于现在").wait_for()
            assert _stored_at(server, typed) == ["2026-12-02 10:30"]
        finally:
            page.context.close()
    finally:
        server.stop()
        set_hall_time((before + dt.timedelta(seconds=time.monotonic() - mono)).isoformat())


def test_the_rules_are_the_leaders_to_change(server: RunningServer) -> None:
    """Plain staff read the rules; only the hall's leader (and the district) may save."""
    path = f"/admin/visits/halls/{HALL}/policy"
    staff = staff_client(server, HALL)
    assert staff.get(path).status_code == 200
    refused = staff.post(path, {"high_risk_days": "7"})
    assert refused.status_code == 403
    assert "只有本大厅负责人或街道管理员可以修改走访规则" in refused.text
    leader = leader_client(server, HALL)
    assert leader.post(path, {"high_risk_days": "x"}).status_code == 422  # checked, not saved
