"""好差评 end to end in Debian's Chromium against a real server (SQLite): the counter
console calls and completes, the rating device's POST arrives, and the statistics page's
figures move; a 差评's 整改 appears with its deadline, and with the clock moved two days
on the job reports it overdue to the district; the rated staff member appeals and the
district admin decides, which takes the rating out of the figures."""

from __future__ import annotations

import datetime as dt
import re
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from kiosk.core import clock
from kiosk.core.clock import HALL_TZ
from tests.utils.servers import RunningServer, start_server
from tests.utils.waiting import until

HALL = "huayang"  # window 1 serves E F G J
SHOTS = "/work/shots/ratings"  # looked at; those kept are copied to docs/screenshots


@pytest.fixture
def server(tmp_path: Path) -> Iterator[RunningServer]:
    running = start_server(tmp_path / "data", extra_env={"KIOSK_SERVER_AUTH_CACHE_SECONDS": "0.2"})
    yield running
    running.stop()


def _login(browser: Any, server: RunningServer, login: dict[str, str]) -> Any:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(30_000)
    page = context.new_page()
    page.goto(f"{server.base_url}/admin/login")
    page.fill("#username", login["username"])
    page.fill("#password", login["password"])
    page.click("button[type=submit]")
    page.wait_for_load_state()
    assert "/admin/login" not in page.url, page.content()[:2000]
    return page


def _kiosk(server: RunningServer) -> dict[str, str]:
    return {"Authorization": f"Bearer {server.credentials['kiosks'][HALL]['token']}"}


def _window1(server: RunningServer) -> int:
    counters = requests.get(
        f"{server.api}/counters",
        params={"hall_id": HALL},
        headers={"Authorization": f"Bearer {_staff_token(server)}"},
        timeout=30,
    ).json()["counters"]
    return int(next(c["id"] for c in counters if c["window"] == 1))


def _staff_token(server: RunningServer) -> str:
    login = server.credentials["staff"][HALL]
    r = requests.post(f"{server.api}/auth/token", json=login, timeout=30)
    return str(r.json()["access_token"])


def _serve_on_console(page: Any, server: RunningServer, counter_id: int) -> dict[str, Any]:
    """Take a ticket at the kiosk, then 叫下一位 → 开始办理 → 办结 on the console."""
    ticket = requests.post(
        f"{server.api}/tickets",
        json={"queue": "E"},
        headers={**_kiosk(server), "Idempotency-Key": uuid.uuid4().hex},
        timeout=30,
    ).json()
    page.goto(f"{server.base_url}/admin/counters/{counter_id}")
    for _ in range(50):
        page.get_by_role("button", name=re.compile("叫下一位")).click()
        page.wait_for_load_state()
        if ticket["number"] in page.locator("[data-current]").inner_text():
            break
    page.get_by_role("button", name=re.compile("开始办理")).click()
    page.wait_for_load_state()
    page.get_by_role("button", name=re.compile("办结")).click()
    page.wait_for_load_state()
    state = requests.get(f"{server.api}/public/tickets/{ticket['id']}", timeout=30).json()
    assert state["state"] == "done", state
    return dict(ticket)


def _device_rates(
    server: RunningServer, ticket: dict[str, Any], counter_id: int, level: str, **more: Any
) -> dict[str, Any]:
    asked = clock.now()
    r = requests.post(
        f"{server.api}/ratings",
        json={
            "ticket_id": ticket["id"],
            "counter_id": counter_id,
            "level": level,
            "asked_at": asked.isoformat(),
            "answered_at": (asked + dt.timedelta(seconds=8)).isoformat(),
            **more,
        },
        headers={**_kiosk(server), "Idempotency-Key": f"rate-{uuid.uuid4().hex}"},
        timeout=30,
    )
    assert r.status_code == 201, r.text
    return dict(r.json())


def _hall_figures(page: Any, server: RunningServer) -> dict[str, str]:
    page.goto(f"{server.base_url}/admin/stats?hall={HALL}")
    table = page.locator("table.rating-figures[data-by=hall]")
    cells = table.locator("tbody tr").first.locator("td, th")
    heads = table.locator("thead th").all_inner_texts()
    texts = cells.all_inner_texts()
    if len(texts) == 1:  # 所选日期内没有办结记录
        return {}
    return dict(zip(heads, texts, strict=True))


def test_rate_follow_up_escalate_and_appeal(browser: Any, server: RunningServer) -> None:
    counter_id = _window1(server)
    page = _login(browser, server, server.credentials["staff"][HALL])
    before = _hall_figures(page, server)
    good = _serve_on_console(page, server, counter_id)
    served = _hall_figures(page, server)
    assert int(served["办结"]) == int(before.get("办结", "0") or 0) + 1
    assert served["评价"] == before.get("评价", "0") and int(served["未评价"]) >= 1
    _device_rates(server, good, counter_id, "very_satisfied")
    after = _hall_figures(page, server)
    assert int(after["评价"]) == int(served["评价"]) + 1  # the figures moved
    assert after["好评率"].endswith("%") and after["主动评价率"] != served["主动评价率"]

    bad_ticket = _serve_on_console(page, server, counter_id)
    bad = _device_rates(
        server, bad_ticket, counter_id, "unsatisfied", reasons=["attitude", "waiting"]
    )
    page.goto(f"{server.base_url}/admin/ratings")
    row = page.locator("table.ratings-followups tbody tr").first
    text = row.inner_text()
    answered = dt.datetime.fromisoformat(bad["created_at"]).astimezone(HALL_TZ)
    due = answered + dt.timedelta(days=1)  # a Wednesday: 回访 by Thursday, same time
    assert f"{due:%m-%d %H:%M} 前" in text, text
    assert "态度" in text and "等候太久" in text and "进行中" in text
    # The staff member sees the 整改 read-only: it is the hall leader's to record.
    assert row.get_by_role("button", name="记录回访").count() == 0
    assert "待负责人记录回访" in text
    page.context.close()
    page = _login(browser, server, server.credentials["leaders"][HALL])
    page.goto(f"{server.base_url}/admin/ratings")
    row = page.locator("table.ratings-followups tbody tr").first
    assert row.get_by_role("button", name="记录回访").is_visible()
    page.screenshot(path=f"{SHOTS}/ratings-admin-followup.png", full_page=True)
    page.context.close()

    # Two days later (a restarted server on the moved clock): 回访 is overdue, and the
    # hourly job has reported it to the district.
    later = clock.now() + dt.timedelta(days=2)
    server.stop()
    moved = start_server(
        server.data_dir,
        port=server.port,
        extra_env={
            clock.ENV_VAR: later.isoformat(),
            clock.ENV_SET_VAR: repr(time.time()),
            "KIOSK_SERVER_JOBS_POLL_SECONDS": "0.2",
        },
    )
    try:
        page = _login(browser, moved, moved.credentials["leaders"][HALL])

        def escalated() -> bool:
            page.goto(f"{moved.base_url}/admin/ratings")
            return "已报街道" in page.locator("table.ratings-followups").inner_text()

        until(escalated, "the job to report the overdue 回访 to the district", timeout=30)
        late = page.locator("table.ratings-followups tr.late").first
        assert "已超期：回访" in late.inner_text()
        color = late.locator("strong.overdue").evaluate("e => getComputedStyle(e).color")
        assert color == "rgb(163, 22, 26)", color  # the admin's red
        page.screenshot(path=f"{SHOTS}/ratings-admin-overdue.png", full_page=True)
        # 回访 recorded late: said so.
        late.locator("textarea").fill("已电话回访，居民反映等候太久")
        late.get_by_role("button", name="记录回访").click()
        page.wait_for_load_state()
        assert "已记录回访（已超期）" in page.locator(".flash").inner_text()
        page.context.close()

        # The staff member who served appeals once …
        page = _login(browser, moved, moved.credentials["staff"][HALL])
        page.goto(f"{moved.base_url}/admin/ratings")
        recent = page.locator("#recent + table tbody tr", has_text="不满意").first
        recent.locator("textarea").fill("居民把隔壁窗口的事算到了本窗口")
        recent.get_by_role("button", name="提交申诉").click()
        page.wait_for_load_state()
        assert "申诉已提交" in page.locator(".flash").inner_text()
        recent = page.locator("#recent + table tbody tr", has_text="不满意").first
        assert "已申诉" in recent.inner_text()
        assert recent.get_by_role("button", name="提交申诉").count() == 0  # once
        counted = _hall_figures(page, moved)
        assert counted["差评率"] != "0.0%"
        page.context.close()
        # … and the district admin decides it.
        district = _login(browser, moved, moved.credentials["admin"])
        district.goto(f"{moved.base_url}/admin/ratings")
        appeal = district.locator("#appeals + table tbody tr").first
        assert "居民把隔壁窗口的事算到了本窗口" in appeal.inner_text()
        appeal.locator("textarea").fill("调取录像核实，属实")
        district.screenshot(path=f"{SHOTS}/ratings-admin-appeal.png", full_page=False)
        appeal.get_by_role("button", name="申诉成立").click()
        district.wait_for_load_state()
        assert "不再计入统计" in district.locator(".flash").inner_text()
        decided = _hall_figures(district, moved)
        assert int(decided["评价"]) == int(counted["评价"]) - 1
        assert decided["差评率"] == "0.0%"
        district.locator("#ratings").scroll_into_view_if_needed()
        district.screenshot(path=f"{SHOTS}/ratings-stats.png", full_page=True)
        district.goto(f"{moved.base_url}/admin/audit")
        log = district.locator("main").inner_text()
        assert "rating_appeal" in log or "申诉" in log
    finally:
        moved.stop()
