"""The resident's phone page ``/t/{id}`` in Debian's Chromium at a phone's width (390 px):
nothing wider than the screen at normal and 200 % text (the phone's text size, and the
page zoomed to 200 %), updated in place by its script when the window calls, and a
moved resident told from which queue to which."""

from __future__ import annotations

from typing import Any

from tests.utils.admin_web import counters_of, issue_ticket, staff_client
from tests.utils.servers import RunningServer

HALL = "huayang"
SHOTS = "/work/shots/tickets"

WIDEST = """() => {
  let right = 0;
  for (const el of document.querySelectorAll('body *')) {
    right = Math.max(right, el.getBoundingClientRect().right);
  }
  return {scroll: document.documentElement.scrollWidth, inner: window.innerWidth, right};
}"""


def _fits(page: Any) -> None:
    size = page.evaluate(WIDEST)
    assert size["scroll"] <= size["inner"], size
    assert size["right"] <= size["inner"] + 0.5, size


def _phone(browser: Any, *, zoom: int = 1) -> Any:
    # A 390 px phone; page zoom 200 % leaves 195 CSS px at twice the pixels.
    # bypass_csp: the test stands in for the phone's own text-size setting with an injected
    # style sheet, which a user's setting never needs the page's permission for.
    context = browser.new_context(
        viewport={"width": 390 // zoom, "height": 844 // zoom},
        device_scale_factor=zoom,
        bypass_csp=True,
    )
    context.set_default_timeout(30_000)
    return context.new_page()


def test_phone_page_fits_at_200_percent_text_and_updates_in_place(
    browser: Any, admin_server: RunningServer
) -> None:
    # A long number (a kiosk's offline series), priority, a service name: the widest page.
    ticket = issue_ticket(admin_server, HALL, "E", priority=True)
    url = f"{admin_server.base_url}/t/{ticket['id']}"
    page = _phone(browser)
    try:
        page.goto(url)
        assert page.locator("meta[http-equiv]").count() == 0
        assert page.get_by_role("link", name="刷新").is_visible()
        _fits(page)
        page.screenshot(path=f"{SHOTS}/phone-390.png", full_page=True)
        # The phone's text size at 200 %: every rem doubles.
        page.add_style_tag(content="html { font-size: 200% !important; }")
        _fits(page)
        page.screenshot(path=f"{SHOTS}/phone-390-text-200.png", full_page=True)
        page.goto(url)
        page.evaluate("window.stillTheSamePage = true")
        # The window calls the resident: the open page says so by itself, no reload.
        staff = staff_client(admin_server, HALL)
        counter = next(c for c in counters_of(admin_server, HALL) if c["window"] == 1)
        console = f"/admin/counters/{counter['id']}"
        staff.post(f"{console}/complete")
        while ticket["number"] not in staff.flash(
            staff.post(f"{console}/call-next", {"queues": "E"})
        ):
            pass
        page.wait_for_function(
            "() => document.body.innerText.includes('请到 1 号窗口办理')", timeout=40_000
        )
        assert page.evaluate("window.stillTheSamePage") is True
    finally:
        page.context.close()
    zoomed = _phone(browser, zoom=2)
    try:
        zoomed.goto(url)
        _fits(zoomed)
        zoomed.screenshot(path=f"{SHOTS}/phone-390-zoom-200.png", full_page=True)
    finally:
        zoomed.context.close()


def test_moved_resident_is_told_from_what_to_what(
    browser: Any, admin_server: RunningServer
) -> None:
    staff = staff_client(admin_server, HALL)
    counter = next(c for c in counters_of(admin_server, HALL) if c["window"] == 1)
    console = f"/admin/counters/{counter['id']}"
    staff.post(f"{console}/complete")
    ticket = issue_ticket(admin_server, HALL, "G")
    while ticket["number"] not in staff.flash(staff.post(f"{console}/call-next", {"queues": "G"})):
        pass
    assert "已转到 A 队列" in staff.flash(staff.post(f"{console}/transfer", {"queue": "A"}))
    page = _phone(browser)
    try:
        page.goto(f"{admin_server.base_url}/t/{ticket['id']}")
        text = page.inner_text("main")
        assert "从 G 队列（卫生计生）转到 A 队列（党员教育）" in text, text
        assert "A 队列（党员教育）等候中" in text
        _fits(page)
        page.screenshot(path=f"{SHOTS}/phone-390-moved.png", full_page=True)
        page.add_style_tag(content="html { font-size: 200% !important; }")
        _fits(page)
        page.screenshot(path=f"{SHOTS}/phone-390-moved-text-200.png", full_page=True)
    finally:
        page.context.close()
