"""Every admin and phone page in a real browser (Debian's Chromium via Playwright) against
the real demo server: the axe-core accessibility engine (WCAG 2.0–2.2 A and AA) at desktop
and phone width, no sideways scrolling at 390 and 320 px, unique names for the buttons,
and the clerk-facing fixes of issue 12 (statistics on a phone, typed 24-hour dates in an
English browser, no breaks inside dates, the fleet page updating in place).

The pages are the admin GET routes as the app knows them (``admin_routes()``), filled with
real ids of the demo data, so a new page is walked without anyone adding it here.
"""

from __future__ import annotations

import json
import re
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.utils.admin_web import (
    admin_client,
    admin_routes,
    counters_of,
    fill,
    issue_ticket,
    kiosk_content,
    route_values,
    staff_client,
)
from tests.utils.browser import CHROMIUM_ARGS
from tests.utils.servers import RunningServer

HALL = "youyi-yuan"
AXE = Path(__file__).resolve().parent / "vendor" / "axe.min.js"
AXE_URL = "/__test-only__/axe.min.js"  # answered by the test (page.route), not the server
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]
WIDTHS = {"desktop": (1366, 900), "phone": (390, 844)}


@pytest.fixture(scope="module")
def playwright_api() -> Iterator[Any]:
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        yield p


@pytest.fixture(scope="module")
def browser(playwright_api: Any) -> Iterator[Any]:
    chromium = playwright_api.chromium.launch(
        executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
    )
    yield chromium
    chromium.close()


def _login(context: Any, server: RunningServer, username: str, password: str) -> Any:
    page = context.new_page()
    page.goto(f"{server.base_url}/admin/login")
    page.fill("#username", username)
    page.fill("#password", password)
    with page.expect_navigation():
        page.click("button[type=submit]")
    assert "/admin/login" not in page.url, page.content()[:500]
    return page


def _admin_page(browser: Any, server: RunningServer, width: int = 1366, **kw: Any) -> Any:
    context = browser.new_context(viewport={"width": width, "height": 900}, **kw)
    context.set_default_timeout(30_000)
    login = server.credentials["admin"]
    return _login(context, server, login["username"], login["password"])


def _staff_page(browser: Any, server: RunningServer, width: int = 390, **kw: Any) -> Any:
    context = browser.new_context(viewport={"width": width, "height": 844}, **kw)
    context.set_default_timeout(30_000)
    login = server.credentials["staff"][HALL]
    return _login(context, server, login["username"], login["password"])


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """axe-core's WCAG A/AA violations of the page as it is now (rule, impact, where)."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        # The pages' Content-Security-Policy (script-src 'self') stays on, so the file is
        # served as if from the page's own origin rather than injected as inline text.
        if not getattr(page, "_axe_routed", False):
            page.route(f"**{AXE_URL}", lambda route: route.fulfill(path=str(AXE)))
            page._axe_routed = True
        origin = page.evaluate("() => location.origin")
        page.add_script_tag(url=origin + AXE_URL)
    result = page.evaluate(
        """async (tags) => {
            const r = await axe.run(document, { runOnly: { type: "tag", values: tags },
                                                resultTypes: ["violations"] });
            return r.violations.map(v => ({ id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.slice(0, 5).map(n => n.target.join(" ") + " — " +
                                                     (n.failureSummary || "")) }));
        }""",
        AXE_TAGS,
    )
    violations: list[dict[str, Any]] = result
    return violations


def sideways_overflow(page: Any) -> int:
    """How many px the page scrolls sideways (0 = none), and what sticks out."""
    overflow: int = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
    return overflow


def _culprits(page: Any) -> list[str]:
    found: list[str] = page.evaluate(
        """() => [...document.querySelectorAll('body *')]
            .filter(e => e.getBoundingClientRect().right > window.innerWidth + 0.5)
            .slice(0, 6).map(e => e.tagName + '.' + e.className + ' ' +
                             (e.textContent || '').trim().slice(0, 40))"""
    )
    return found


def control_names(page: Any) -> list[str]:
    """Accessible names of the buttons of the page's main part, as Chromium's
    accessibility tree (Playwright's aria snapshot) has them."""
    snapshot: str = page.locator("main").aria_snapshot()
    return re.findall(r'- button "((?:[^"\\]|\\.)*)"', snapshot)


def _html_pages(server: RunningServer) -> list[str]:
    """Every admin GET route filled with real ids; those that answer an HTML page."""
    ctx = route_values(server, HALL)
    admin = admin_client(server)
    pages = []
    for method, template in admin_routes():
        if method != "GET":
            continue
        path = fill(template, ctx)
        r = admin.get(path, allow_redirects=False)
        if r.status_code in (302, 303, 307):
            continue  # /admin → its start page, which is walked itself
        assert r.status_code == 200, (path, r.status_code, r.text[:300])
        kind = r.headers["content-type"]
        if kind.startswith("text/html"):
            pages.append(path)
        else:  # the CSV, the console's live JSON, photos, a voice note, the service worker
            kinds = ("text/csv", "application/json", "image/", "audio/wav", "text/javascript")
            assert kind.startswith(kinds), (path, kind)
    return pages


def _status_until_someone(server: RunningServer) -> None:
    """Give a staff member a return time, so the boards and preview show a date."""
    staff = staff_client(server, HALL)
    person = kiosk_content(server, HALL)["content"]["staff"][0]
    message = staff.flash(
        staff.post(
            f"/admin/halls/{HALL}/staff/{person['id']}/status",
            {"status": "meeting", "until_time": "16:30", "until_date": "2026-12-24"},
        )
    )
    assert "会议" in message, message


def test_every_page_passes_axe_and_fits_a_phone(browser: Any, admin_server: RunningServer) -> None:
    _status_until_someone(admin_server)
    counter = counters_of(admin_server, HALL)[0]
    ticket = issue_ticket(admin_server, HALL, counter["queues"][0])
    pages = _html_pages(admin_server)
    # The enumeration found the pages a person uses (not an empty list by accident).
    for expected in (
        "/admin/halls",
        f"/admin/halls/{HALL}/preview",
        f"/admin/halls/{HALL}/staff",
        "/admin/fleet",
        "/admin/stats",
        f"/admin/counters/{counter['id']}",
    ):
        assert expected in pages
    assert len(pages) >= 25
    base = admin_server.base_url
    # Logged out: the login page; the resident's phone page for a real and an unknown ticket;
    # an error page.
    public = ["/admin/login", f"/t/{ticket['id']}", f"/t/{uuid.uuid4().hex}"]

    problems: list[str] = []
    meta_refresh_on_phone_page: list[str] = []
    for size, (width, height) in WIDTHS.items():
        page = _admin_page(browser, admin_server, width)
        page.set_viewport_size({"width": width, "height": height})
        visits = [(p, page) for p in [*pages, "/admin/halls/no-such-hall"]]
        anonymous = browser.new_context(viewport={"width": width, "height": height}).new_page()
        visits += [(p, anonymous) for p in public]
        for path, tab in visits:
            tab.goto(base + path)
            for v in axe_violations(tab):
                where = f"{size} {path}: {v['id']} ({v['impact']}) {v['help']} {v['nodes']}"
                if path.startswith("/t/") and v["id"] == "meta-refresh":
                    # Helper "tickets" removes the phone page's meta-refresh (issue 12);
                    # until that is merged this one rule is expected to fail there.
                    meta_refresh_on_phone_page.append(where)
                else:
                    problems.append(where)
            if size == "phone":
                for narrow in (390, 320):
                    tab.set_viewport_size({"width": narrow, "height": height})
                    over = sideways_overflow(tab)
                    if over > 0:
                        problems.append(
                            f"{narrow}px {path}: scrolls sideways by {over}px {_culprits(tab)}"
                        )
                tab.set_viewport_size({"width": width, "height": height})
            if path.startswith("/admin") and tab is page:
                names = Counter(control_names(tab))
                repeated = {name: n for name, n in names.items() if n > 1}
                if repeated:
                    problems.append(f"{size} {path}: buttons share a name {repeated}")
        page.context.close()
        anonymous.context.close()
    if meta_refresh_on_phone_page:
        print("expected until the tickets branch is merged:", *meta_refresh_on_phone_page)
    assert not problems, "\n".join(problems)


def test_reorder_and_delete_buttons_name_their_item(
    browser: Any, admin_server: RunningServer
) -> None:
    content = kiosk_content(admin_server, HALL)["content"]
    page = _staff_page(browser, admin_server)
    page.goto(f"{admin_server.base_url}/admin/halls/{HALL}/services")
    names = control_names(page)
    first = content["services"][0]["name"]
    assert f"上移：{first}" in names and f"下移：{first}" in names and f"删除：{first}" in names
    assert len(names) == len(set(names))
    assert names.count("上移") == 0
    # The arrows still show as arrows.
    assert page.get_by_role("button", name=f"上移：{first}").inner_text().strip() == "↑"
    # Sub-items (steps and materials) of a service: numbered and named.
    service = content["services"][0]
    page.goto(f"{admin_server.base_url}/admin/halls/{HALL}/services/{service['id']}")
    names = control_names(page)
    step = service["steps"][1]["title"]
    assert any(n.startswith("上移：步骤 2 ") and step in n for n in names), names
    assert len(names) == len(set(names)), Counter(names).most_common(3)
    page.context.close()


def test_material_without_a_count_shows_no_count(admin_server: RunningServer) -> None:
    staff = staff_client(admin_server, HALL)
    service = kiosk_content(admin_server, HALL)["content"]["services"][0]
    base = f"/admin/halls/{HALL}/services/{service['id']}/materials"
    for name, copies in (("户口簿", "0"), ("一寸照片", "2")):
        r = staff.post(f"{base}/new", {"f_name": name, "f_copies": copies, "f_note": ""})
        assert "草稿" in staff.flash(r)
    page = staff.get(f"/admin/halls/{HALL}/services/{service['id']}").text
    summaries = re.findall(r'<span class="step-no">\d+</span>\s*(.*?)</summary>', page)
    assert "户口簿" in summaries  # 0 copies: the name alone, no "× 0"
    assert "一寸照片 × 2" in summaries
    assert "× 0" not in page
    preview = staff.get(f"/admin/halls/{HALL}/preview").text
    assert "户口簿（" in preview or "户口簿<" in preview
    assert "一寸照片 × 2" in preview and "户口簿 × 0" not in preview
    staff.flash(staff.post(f"/admin/halls/{HALL}/discard"))


def test_statistics_read_on_a_phone(browser: Any, admin_server: RunningServer) -> None:
    counter = counters_of(admin_server, HALL)[0]
    issue_ticket(admin_server, HALL, counter["queues"][0])
    page = _staff_page(browser, admin_server, 390)
    page.goto(f"{admin_server.base_url}/admin/stats")
    text = page.locator("main").inner_text()
    assert "P90" not in text and "p90" not in text
    assert "九成的人等候不超过" in text and "九成的人办理不超过" in text
    hours = page.locator("figure", has_text="各时段").locator("tbody th")
    # The three busiest hours carry "最忙" after their label.
    labels = [t.removesuffix("最忙").strip() for t in hours.all_inner_texts()]
    # Every hour of the hall's day has its own label, not every second one.
    assert labels[:3] == ["07:00–08:00", "08:00–09:00", "09:00–10:00"], labels
    assert len(labels) >= 13
    days = page.locator("figure", has_text="每天").locator("tbody th").all_inner_texts()
    assert len(days) == 7 and all(re.fullmatch(r"\d\d-\d\d 周[一二三四五六日]", d) for d in days)
    # The labels and numbers are page text at a readable size on a 390 px phone.
    sizes = page.evaluate(
        """() => [...document.querySelectorAll('.chart th, .chart .hval, .kpi span')]
            .map(e => parseFloat(getComputedStyle(e).fontSize))"""
    )
    assert sizes and min(sizes) >= 14, sizes
    assert sideways_overflow(page) <= 0
    # The busiest hour of today is marked.
    assert page.locator("figure", has_text="各时段").locator("tr.busy").count() >= 1
    page.set_viewport_size({"width": 320, "height": 800})
    assert sideways_overflow(page) <= 0, _culprits(page)
    page.context.close()


def test_dates_and_times_are_chinese_24_hour_in_an_english_browser(
    playwright_api: Any, admin_server: RunningServer
) -> None:
    english = playwright_api.chromium.launch(
        executable_path="/usr/bin/chromium", args=[*CHROMIUM_ARGS, "--lang=en-US"]
    )
    try:
        page = _staff_page(english, admin_server, 390, locale="en-US")
        assert page.evaluate("() => navigator.language") == "en-US"
        base = admin_server.base_url
        room = kiosk_content(admin_server, HALL)["content"]["rooms"][0]
        for path in (
            f"/admin/halls/{HALL}/notices/new",
            f"/admin/halls/{HALL}/rooms/{room['id']}",
            f"/admin/halls/{HALL}/staff",
            "/admin/stats",
        ):
            page.goto(base + path)
            # No input the browser would draw in its own locale (mm/dd/yyyy, 08:00 AM).
            native = page.locator("input[type=date], input[type=time], input[type=datetime-local]")
            assert native.count() == 0, path
            typed = page.locator("input.typed")
            assert typed.count() >= 2, path
            for i in range(typed.count()):
                box = typed.nth(i)
                shown = box.input_value()
                if shown:  # a value is shown as 2026-12-02, 08:30 or 2026-12-02 08:30
                    assert re.fullmatch(r"\d{4}-\d\d-\d\d( \d\d:\d\d)?|\d\d:\d\d", shown)
                hint_id = box.get_attribute("aria-describedby")
                hint = page.locator(f"[id='{hint_id}']").text_content() or ""
                assert re.fullmatch(
                    r"格式：(2026-12-02|08:30（24 小时制）|2026-12-02 08:30（24 小时制）)", hint
                ), hint
            assert not re.search(r"\b(AM|PM)\b|mm/dd", page.locator("main").inner_text())

        # A notice typed in the 24-hour form is stored at that hall time.
        page.goto(f"{base}/admin/halls/{HALL}/notices/new")
        page.fill("#f_title", "元旦游园会")
        page.fill("#f_category", "活动")
        page.fill("#f_body", "一楼大厅")
        page.fill("#f_publish_from", "2026-12-24 19:30")
        page.fill("#f_publish_until", "2027/1/2 8:05")
        with page.expect_navigation():
            page.get_by_role("button", name="保存到草稿").click()
        assert "草稿" in page.locator(".flash").inner_text()
        staff = staff_client(admin_server, HALL)
        listing = staff.get(f"/admin/halls/{HALL}/notices").text
        notice_id = re.findall(rf'/admin/halls/{HALL}/notices/([\w-]+)"', listing)
        found = None
        for item_id in notice_id:
            form = staff.get(f"/admin/halls/{HALL}/notices/{item_id}").text
            if "元旦游园会" in form:
                found = form
        assert found is not None
        assert 'value="2026-12-24 19:30"' in found and 'value="2027-01-02 08:05"' in found

        # The browser refuses a 12-hour time before sending; the server says why too.
        page.goto(f"{base}/admin/halls/{HALL}/notices/new")
        page.fill("#f_publish_from", "12/24/2026 07:30 PM")
        valid = page.locator("#f_publish_from").evaluate("e => e.validity.valid")
        assert valid is False
        r = staff.post(
            f"/admin/halls/{HALL}/notices/new",
            {
                "f_title": "x",
                "f_board": "publicity",
                "f_category": "活动",
                "f_body": "x",
                "f_publish_from": "12/24/2026 07:30 PM",
            },
        )
        assert r.status_code == 422
        assert "应为 2026-12-02 08:30" in r.text
        staff.flash(staff.post(f"/admin/halls/{HALL}/discard"))
        page.context.close()
    finally:
        english.close()


def test_dates_do_not_break_inside(browser: Any, admin_server: RunningServer) -> None:
    _status_until_someone(admin_server)
    base = admin_server.base_url
    for width in (1366, 390, 320):
        page = _admin_page(browser, admin_server, width)
        for path, selector, expect in (
            (f"/admin/halls/{HALL}/preview", ".kp-staff .nowrap", "12-24 16:30 返回"),
            (f"/admin/halls/{HALL}/staff", ".staff-card .nowrap", "12-24 16:30 返回"),
            ("/admin/halls", ".card .nowrap", "已发布第"),
        ):
            page.goto(base + path)
            spans = page.locator(selector)
            texts = spans.all_inner_texts()
            assert any(expect in t for t in texts), (path, texts)
            lines = page.evaluate(
                f"""() => [...document.querySelectorAll({json.dumps(selector)})].map(e => {{
                    const r = document.createRange(); r.selectNodeContents(e);
                    const tops = new Set([...r.getClientRects()].filter(x => x.width > 0)
                                          .map(x => Math.round(x.top)));
                    return [e.textContent, tops.size];
                }})"""
            )
            broken = [t for t, n in lines if n != 1]
            assert not broken, (width, path, broken)
            assert sideways_overflow(page) <= 0, (width, path, _culprits(page))
        page.context.close()


def test_staff_board_fits_320_px(browser: Any, admin_server: RunningServer) -> None:
    page = _staff_page(browser, admin_server, 320)
    page.goto(f"{admin_server.base_url}/admin/halls/{HALL}/staff")
    assert page.locator(".staff-card").count() >= 2
    assert sideways_overflow(page) <= 0, _culprits(page)
    card = page.locator(".staff-card").first.bounding_box()
    assert card is not None and card["x"] >= 0 and card["x"] + card["width"] <= 320
    page.locator(".staff-card").first.locator("summary").click()  # the return-time fields
    assert sideways_overflow(page) <= 0, _culprits(page)
    page.context.close()


def _heartbeat(server: RunningServer, hall: str, **beat: Any) -> None:
    token = server.credentials["kiosks"][hall]["token"]
    r = requests.post(
        f"{server.api}/kiosk/heartbeat",
        json={"app_version": "1.0.0", "content_version": 1, "outbox_backlog": 0, **beat},
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    assert r.status_code == 204, r.text


def test_fleet_updates_in_place(browser: Any, admin_server: RunningServer) -> None:
    hall = "xiandai-yicheng"
    device = admin_server.credentials["kiosks"][hall]["device_id"]
    _heartbeat(admin_server, "sanjian-pingan-yuan", last_error="打印机缺纸")
    page = _admin_page(browser, admin_server, 390)
    page.clock.install()
    page.goto(f"{admin_server.base_url}/admin/fleet")
    assert page.locator("meta[http-equiv=refresh]").count() == 0
    assert page.get_by_text("每 30 秒自动更新").is_visible()
    row = page.locator(f'tr[data-kiosk="{device}"]')
    before = row.locator("[data-state]").inner_text()
    assert before in ("从未连接", "离线"), before
    # An empty last error is not shown in red; a real one is.
    red = "rgb(163, 22, 26)"
    empty = row.locator('td[data-label="最近错误"]')
    assert empty.inner_text().strip() == "无"
    assert empty.evaluate("e => getComputedStyle(e).color") != red
    failing = page.locator("tr", has_text="三箭平安苑").locator('td[data-label="最近错误"]')
    assert failing.inner_text().strip() == "打印机缺纸"
    assert failing.evaluate("e => getComputedStyle(e).color") == red

    page.evaluate("() => { window.__sameDocument = true; }")
    _heartbeat(admin_server, hall, app_version="7.7.7")
    page.clock.fast_forward(31_000)
    row.locator("[data-state]", has_text="在线").wait_for()
    assert "7.7.7" in row.inner_text()
    assert page.evaluate("() => window.__sameDocument") is True  # no reload
    assert "在线" in page.locator("[data-fleet-part=summary]").inner_text()
    page.context.close()

    # Without script the page still shows everything and offers a plain reload link.
    quiet = _admin_page(browser, admin_server, 390, java_script_enabled=False)
    quiet.goto(f"{admin_server.base_url}/admin/fleet")
    assert "7.7.7" in quiet.locator(f'tr[data-kiosk="{device}"]').inner_text()
    assert quiet.get_by_role("link", name="刷新").get_attribute("href") == "/admin/fleet"
    assert not quiet.get_by_text("每 30 秒自动更新").is_visible()
    quiet.context.close()


def test_fleet_update_keeps_the_page_when_logged_out(
    browser: Any, admin_server: RunningServer
) -> None:
    page = _admin_page(browser, admin_server, 1366)
    page.clock.install()
    page.goto(f"{admin_server.base_url}/admin/fleet")
    rows = page.locator("tbody tr").count()
    page.context.clear_cookies()  # the session is gone: the poll gets the login page
    page.clock.fast_forward(31_000)
    page.wait_for_timeout(500)
    assert page.locator("tbody tr").count() == rows
    assert page.locator("h1").inner_text() == "自助机状态"
    page.context.close()
