"""The counter console in Debian's Chromium (Playwright) against the real server: the queue
filter stays ticked for the session, the buttons never move when a message appears, a
called resident who never came is a no-show (过号) when the next one is called, a closed
queue says so, and a window whose own queues are empty is told who waits elsewhere."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from tests.utils.admin_web import counters_of, issue_ticket, staff_client
from tests.utils.servers import RunningServer
from tests.utils.waiting import until as _until

HALL = "huayang"  # window 1: E F G J; window 2: A B C D H and the closed I
BUTTONS = ["叫下一位", "重呼", "开始办理", "办结", "过号", "转队列"]


def _window(server: RunningServer, number: int) -> dict[str, Any]:
    return next(c for c in counters_of(server, HALL) if c["window"] == number)


def _drain(server: RunningServer) -> None:
    """Every queue of the hall empty and every window free, whatever earlier tests left."""
    staff = staff_client(server, HALL)
    for counter in counters_of(server, HALL):
        console = f"/admin/counters/{counter['id']}"
        every = [chr(c) for c in range(ord("A"), ord("K"))]
        while "已叫号" in staff.flash(staff.post(f"{console}/call-next", {"queues": every})):
            pass
        staff.post(f"{console}/complete")


def _state(server: RunningServer, ticket: dict[str, Any]) -> str:
    r = requests.get(f"{server.api}/public/tickets/{ticket['id']}", timeout=30)
    return str(r.json()["state"])


def _open(browser: Any, server: RunningServer, width: int) -> Any:
    context = browser.new_context(viewport={"width": width, "height": 900})
    context.set_default_timeout(30_000)
    page = context.new_page()
    login = server.credentials["staff"][HALL]
    page.goto(f"{server.base_url}/admin/login")
    page.fill("#username", login["username"])
    page.fill("#password", login["password"])
    page.click("button[type=submit]")
    page.wait_for_url(f"**/admin/halls/{HALL}")
    return page


def _boxes(page: Any) -> dict[str, tuple[float, float, float, float]]:
    out = {}
    for name in BUTTONS:
        box = page.get_by_role("button", name=name).bounding_box()
        assert box is not None, name
        out[name] = (round(box["x"]), round(box["y"]), round(box["width"]), round(box["height"]))
    return out


def _press(page: Any, key: str) -> None:
    """The console's keyboard shortcut, as a clerk types it (also right after ticking a
    queue box, which keeps the focus)."""
    with page.expect_navigation():
        page.keyboard.press(key)


@pytest.mark.parametrize("width", [390, 1280])
def test_buttons_stay_still_whatever_the_message(
    browser: Any, admin_server: RunningServer, width: int
) -> None:
    _drain(admin_server)
    counter = _window(admin_server, 1)
    issue_ticket(admin_server, HALL, "E", priority=True)  # the longest state line
    issue_ticket(admin_server, HALL, "E")
    page = _open(browser, admin_server, width)
    try:
        page.goto(f"{admin_server.base_url}/admin/counters/{counter['id']}")
        assert page.locator(".flash").count() == 0
        before = _boxes(page)
        page.screenshot(path=f"/work/shots/tickets/console-{width}-before-action.png")
        # Each step shows a message (or a refusal); the buttons stay where they were.
        for key, words in [
            ("n", "已叫号"),
            ("s", "开始办理"),
            ("c", "已办结"),
            ("n", "已叫号"),
            ("x", "已标记过号"),
            ("n", "没有等候的号码"),
        ]:
            _press(page, key)
            assert words in page.locator(".flash").inner_text(), key
            assert _boxes(page) == before, (key, words)
        page.screenshot(path=f"/work/shots/tickets/console-{width}-after-action.png")
    finally:
        page.context.close()


def test_queue_filter_is_kept_and_a_called_resident_who_never_came_is_a_no_show(
    browser: Any, admin_server: RunningServer
) -> None:
    _drain(admin_server)
    counter = _window(admin_server, 1)  # serves E F G J by default
    own = issue_ticket(admin_server, HALL, "E")
    first_a = issue_ticket(admin_server, HALL, "A")
    second_a = issue_ticket(admin_server, HALL, "A")
    staff = staff_client(admin_server, HALL)
    served_before = staff.get(f"/admin/counters/{counter['id']}/live").json()["served_today"]
    page = _open(browser, admin_server, 1280)
    try:
        page.goto(f"{admin_server.base_url}/admin/counters/{counter['id']}")
        page.locator('input[name=queues][value="A"]').check()
        _press(page, "n")
        assert page.locator("[data-current]").inner_text().strip() == first_a["number"]
        # The tick survived the action: the next N calls A again, not the window's own E.
        assert page.locator('input[name=queues][value="A"]').is_checked()
        assert "记为过号" in page.locator(".current-hint").inner_text()
        _press(page, "n")
        assert page.locator("[data-current]").inner_text().strip() == second_a["number"]
        assert page.locator('input[name=queues][value="A"]').is_checked()
        # The first A was called and never came: 过号, not 已办结 — on the phone and in
        # the window's count of residents served.
        assert _state(admin_server, first_a) == "no_show"
        phone = requests.get(f"{admin_server.base_url}/t/{first_a['id']}", timeout=30).text
        assert "已过号" in phone and "已办结" not in phone
        assert page.locator("[data-served]").inner_text().strip() == str(served_before)
        # Served for real (started, then the next called): counted as served.
        _press(page, "s")
        page.locator('input[name=queues][value="A"]').uncheck()
        _press(page, "n")
        assert page.locator("[data-current]").inner_text().strip() == own["number"]
        assert not page.locator('input[name=queues][value="A"]').is_checked()
        assert _state(admin_server, second_a) == "done"
        assert page.locator("[data-served]").inner_text().strip() == str(served_before + 1)
        # The filter lasts the session: a fresh visit of the console has nothing ticked.
        page.goto(f"{admin_server.base_url}/admin/counters/{counter['id']}")
        assert page.locator("input[name=queues]:checked").count() == 0
    finally:
        page.context.close()


def test_closed_queue_and_who_waits_elsewhere(browser: Any, admin_server: RunningServer) -> None:
    _drain(admin_server)
    counter = _window(admin_server, 1)
    page = _open(browser, admin_server, 390)
    try:
        page.goto(f"{admin_server.base_url}/admin/counters/{_window(admin_server, 2)['id']}")
        closed = page.locator("label.queue-chip", has=page.locator('input[value="I"]'))
        assert "已停止取号" in closed.inner_text() and "closed" in closed.get_attribute("class")
        opened = page.locator("label.queue-chip", has=page.locator('input[value="A"]'))
        assert "已停止取号" not in opened.inner_text()

        page.goto(f"{admin_server.base_url}/admin/counters/{counter['id']}")
        assert page.locator("[data-hint]").inner_text().strip() == ""
        issue_ticket(admin_server, HALL, "A")
        # The window's own queues are empty while A waits: said, live, without a reload.
        _until(
            lambda: "A 队列有 1 人等候，本窗口未办理" in page.locator("[data-hint]").inner_text(),
            "the hint about queue A",
        )
        issue_ticket(admin_server, HALL, "A")
        issue_ticket(admin_server, HALL, "B")
        _until(
            lambda: "A 队列有 2 人、B 队列有 1 人等候" in page.locator("[data-hint]").inner_text(),
            "the hint about queues A and B",
        )
        page.screenshot(path="/work/shots/tickets/console-390-elsewhere.png", full_page=True)
        # Its own queue gets a resident: nothing to say any more.
        issue_ticket(admin_server, HALL, "E")
        _until(lambda: page.locator("[data-hint]").inner_text().strip() == "", "no hint")
    finally:
        page.context.close()
