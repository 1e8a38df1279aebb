"""The district's working-day calendar end to end: a real server (uvicorn, SQLite file)
whose hall clock stands at 31 December 2026, 10:00; Chromium (Playwright) on the page.

A request registered then would be due on 1 January 2027, a year the library does not
know: it is kept without a deadline (never refused, never a guessed date), and the
district admins see the banner. The district admin enters 2027 in the browser (元旦 1–3
January off, a working Sunday, the year declared entered) and the next request is due on
Monday 4 January, after the entered holiday. Hall staff see
the page but cannot enter. Screenshots go to ``$CALENDAR_SHOTS`` when set."""

from __future__ import annotations

import datetime as dt
import os
import re
import sqlite3
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from kiosk.core.request_numbers import new_public_id
from tests.utils.admin_web import admin_client, db, staff_client
from tests.utils.servers import RunningServer, start_server

HALL = "huayang"
AT = "2026-12-31T10:00:00+08:00"
ZONE = dt.timezone(dt.timedelta(hours=8))
BANNER = "2027 年的法定节假日和调休尚未录入，12 月中旬起新的诉求将无法计算办结时限"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    # The hall clock of this server only: New Year's Eve, a Thursday morning.
    running = start_server(
        tmp_path_factory.mktemp("calendar-browser"),
        extra_env={"KIOSK_CLOCK_AT": AT, "KIOSK_CLOCK_SET_AT": repr(time.time())},
    )
    yield running
    running.stop()


def _register(server: RunningServer, body: dict[str, Any], key: str) -> requests.Response:
    token = server.credentials["kiosks"][HALL]["token"]
    return requests.post(
        f"{server.api}/requests",
        json=body,
        headers={"Authorization": f"Bearer {token}", "Idempotency-Key": key},
        timeout=30,
    )


def _shot(page: Any, name: str, tmp_path: Path, *, full_page: bool = True) -> None:
    target = Path(os.environ.get("CALENDAR_SHOTS") or tmp_path)
    target.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(target / f"calendar-{name}.png"), full_page=full_page)


def _login(browser: Any, server: RunningServer, login: dict[str, str], width: int) -> Any:
    context = browser.new_context(viewport={"width": width, "height": 900})
    context.set_default_timeout(30_000)
    page = context.new_page()
    page.goto(f"{server.base_url}/admin/login")
    page.fill("#username", login["username"])
    page.fill("#password", login["password"])
    with page.expect_navigation():
        page.click("button[type=submit]")
    return page


def _fits(page: Any) -> None:
    wide = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
    assert wide <= 0, f"{page.url}: {wide} px sideways"


def test_enter_2027_then_a_request_gets_its_deadline(
    browser: Any, server: RunningServer, tmp_path: Path
) -> None:
    body = {
        "public_id": new_public_id(),
        "query_code": "271001",
        "category": "repair",
        "phrases": ["水管漏水"],
        "description": "厨房水管一直滴水",
        "location": "3-2-501",
        "phone": None,
        "voice_note": False,
        "created_at": dt.datetime.fromisoformat(AT).isoformat(),
    }
    # The resident's request is never refused for the calendar (the receipt is printed):
    # it is kept without a deadline — none is guessed — until the year is entered.
    kept = _register(server, body, f"req-{uuid.uuid4().hex}")
    assert kept.status_code == 201, kept.text
    assert kept.json()["accept_by"] is None and kept.json()["due_at"] is None
    with db(server) as conn:
        assert conn.execute("SELECT count(*) FROM service_requests").fetchone()[0] == 1
        assert conn.execute("SELECT due_at FROM service_requests").fetchone()[0] is None

    page = _login(browser, server, server.credentials["admin"], 1366)
    assert BANNER in page.inner_text("main")
    page.set_viewport_size({"width": 1366, "height": 300})
    _shot(page, "banner", tmp_path, full_page=False)
    page.set_viewport_size({"width": 1366, "height": 900})
    with page.expect_navigation():
        page.click("text=→ 去录入")
    assert page.url.endswith("/admin/calendar?year=2027")
    assert "尚未录入完整" in page.inner_text("h2 >> nth=0")

    # A wrong range first: the page says why, in Chinese, and keeps what was typed.
    page.fill("#c-name", "元旦")
    page.fill("#c-first", "2027-01-03")
    page.fill("#c-last", "2027-01-01")
    with page.expect_navigation():
        page.click('button:has-text("录入假期")')
    assert "结束日期不能早于开始日期" in page.inner_text("main")
    assert page.input_value("#c-name") == "元旦"
    page.fill("#c-first", "2027-01-01")
    page.fill("#c-last", "2027-01-03")
    page.fill("#c-work", "2027-01-05")  # a Tuesday is no 调休 weekend
    with page.expect_navigation():
        page.click('button:has-text("录入假期")')
    assert "不是周末" in page.inner_text("main")
    page.fill("#c-work", "")
    with page.expect_navigation():
        page.click('button:has-text("录入假期")')
    assert "已录入元旦" in page.inner_text(".flash[role=status]")

    page.fill("#c-day", "2027-01-10")
    page.select_option("#c-kind", "work")
    page.fill("#c-note", "调休上班")
    with page.expect_navigation():
        page.click("text=保存这一天")
    table = page.inner_text("table >> nth=1")
    assert "2027-01-01（周五）" in table and "2027-01-10（周日）" in table and "调休上班" in table

    # Not yet declared whole: still no deadline (2027 has days no one has said anything about).
    body["public_id"] = new_public_id()
    partial = _register(server, body, f"req-{uuid.uuid4().hex}")
    assert partial.status_code == 201, partial.text
    assert partial.json()["accept_by"] is None
    page.once("dialog", lambda dialog: dialog.accept())
    with page.expect_navigation():
        page.click("text=确认 2027 年已全部录入")
    assert "2027 年已确认整年录入" in page.inner_text(".flash[role=status]")
    assert BANNER not in page.inner_text("main")
    _fits(page)
    _shot(page, "desktop", tmp_path)

    body["public_id"] = new_public_id()
    accepted = _register(server, body, f"req-{uuid.uuid4().hex}")
    assert accepted.status_code == 201, accepted.text
    accept_by = dt.datetime.fromisoformat(accepted.json()["accept_by"])
    # Thursday 10:00 + one working day, 1–3 January off: Monday 4 January, 10:00.
    assert accept_by == dt.datetime(2027, 1, 4, 10, 0, tzinfo=ZONE)

    with db(server) as conn:
        actions = [
            r[0]
            for r in conn.execute(
                "SELECT action FROM admin_audit WHERE action LIKE 'calendar%' ORDER BY id"
            )
        ]
    assert actions == ["calendar_holiday", "calendar_day", "calendar_year"]
    audit = admin_client(server).get("/admin/audit").text
    assert "录入假期" in audit and "确认整年已录入" in audit

    phone = _login(browser, server, server.credentials["admin"], 390)
    phone.goto(f"{server.base_url}/admin/calendar?year=2027")
    _fits(phone)
    _shot(phone, "phone", tmp_path)


def test_hall_staff_see_the_calendar_but_cannot_enter(server: RunningServer) -> None:
    staff = staff_client(server, HALL)
    page = staff.get("/admin/calendar?year=2028")
    assert page.status_code == 200
    assert "只有街道管理员可以录入" in page.text
    assert 'action="/admin/calendar/' not in page.text
    assert "尚未录入，12 月中旬起" not in page.text  # the banner is for district admins
    with db(server) as conn:
        before = conn.execute("SELECT count(*) FROM calendar_days").fetchone()[0]
    for path, form in [
        ("/admin/calendar/holiday", {"year": "2028", "name": "元旦", "first": "2028-01-01"}),
        ("/admin/calendar/day", {"year": "2028", "day": "2028-01-01", "kind": "off"}),
        ("/admin/calendar/year", {"year": "2028"}),
        ("/admin/calendar/day/2027-01-01/delete", {}),
    ]:
        r = staff.post(path, {**form, "last": "2028-01-01"})
        assert r.status_code == 403, (path, r.status_code)
        assert "只有街道管理员" in r.text
    with db(server) as conn:
        assert conn.execute("SELECT count(*) FROM calendar_days").fetchone()[0] == before
        assert (
            conn.execute("SELECT count(*) FROM calendar_years WHERE year = 2028").fetchone()[0] == 0
        )


@pytest.mark.parametrize(
    ("path", "form", "says"),
    [
        ("/admin/calendar/holiday", {"year": "1999"}, "年份应为 2000–2100"),
        ("/admin/calendar/holiday", {"year": "abc"}, "年份应为"),
        ("/admin/calendar/holiday", {"year": "2029", "name": ""}, "请填写名称"),
        (
            "/admin/calendar/holiday",
            {"year": "2029", "name": "春节", "first": "2029-02-30", "last": "2029-03-01"},
            "没有这一天",
        ),
        (
            "/admin/calendar/holiday",
            {"year": "2029", "name": "春节", "first": "2029-01-01", "last": "2029-03-01"},
            "最长 31 天",
        ),
        (
            "/admin/calendar/holiday",
            {"year": "2029", "name": "春节", "first": "2101-01-01", "last": "2101-01-02"},
            "日期超出范围",
        ),
        (
            "/admin/calendar/holiday",
            {
                "year": "2029",
                "name": "春节",
                "first": "2029-02-10",
                "last": "2029-02-17",
                "workdays": "2029-02-11",
            },
            "不能在假期之内",
        ),
        ("/admin/calendar/day", {"year": "2029", "day": "明天", "kind": "off"}, "日期格式不对"),
        ("/admin/calendar/day", {"year": "2029", "day": "2029-05-01", "kind": "x"}, "放假还是上班"),
        (
            "/admin/calendar/day",
            {"year": "2029", "day": "2029-05-01", "kind": "off", "note": "长" * 41},
            "最多 40 个字",
        ),
        ("/admin/calendar/day/not-a-day/delete", {}, "日期格式不对"),
        ("/admin/calendar/day/2029-06-01/delete", {}, "没有录入过"),
        ("/admin/calendar/year", {"year": "2026"}, "由日历库提供"),
    ],
)
def test_bad_input_gets_a_chinese_message(
    server: RunningServer, path: str, form: dict[str, str], says: str
) -> None:
    admin = admin_client(server)
    r = admin.post(path, form)
    assert 400 <= r.status_code < 500, (r.status_code, r.text[:300])
    text = re.sub(r"<[^>]+>", "", r.text)
    assert says in text, text[:2000]
    with sqlite3.connect(server.data_dir / "kiosk.sqlite3") as conn:
        later = conn.execute("SELECT count(*) FROM calendar_days WHERE day >= '2029-01-01'")
        assert later.fetchone()[0] == 0


def test_a_day_is_edited_and_deleted(server: RunningServer) -> None:
    admin = admin_client(server)
    form = {"year": "2030", "day": "2030-10-08", "kind": "off", "note": "国庆节"}
    assert "已保存 2030-10-08：放假" in admin.flash(admin.post("/admin/calendar/day", form))
    form = {**form, "kind": "work", "note": "调休上班"}
    assert "已保存 2030-10-08：上班" in admin.flash(admin.post("/admin/calendar/day", form))
    with db(server) as conn:
        rows = conn.execute("SELECT workday, note FROM calendar_days WHERE day = '2030-10-08'")
        assert [tuple(r) for r in rows] == [(1, "调休上班")]
    r = admin.post("/admin/calendar/day/2030-10-08/delete")
    assert "已删除 2030-10-08" in admin.flash(r)
    page = admin.get("/admin/calendar?year=2030").text
    assert "2030 年还没有录入任何一天" in page
    assert admin.get("/admin/calendar?year=3000").status_code == 422
