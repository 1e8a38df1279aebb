"""The rating on the resident's phone page ``/t/{id}`` in Debian's Chromium at 390 px:
five faces once the ticket is 办结; a 差评 asks for a reason (refused without one, in
Chinese) and an optional phone; rated once, then only thanks; a logged-in staff browser
is refused; nothing wider than the screen."""

from __future__ import annotations

from typing import Any

import requests

from tests.utils.admin_web import counters_of, db, issue_ticket, leader_client, staff_client
from tests.utils.servers import RunningServer

HALL = "huayang"
SHOTS = "/work/shots/ratings"  # looked at; those kept are copied to docs/screenshots

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


def _served(server: RunningServer) -> dict[str, Any]:
    """A ticket of queue E called and completed at window 1 through the counter console."""
    ticket = issue_ticket(server, HALL, "E")
    staff = staff_client(server, HALL)
    counter = next(c for c in counters_of(server, HALL) if c["window"] == 1)
    console = f"/admin/counters/{counter['id']}"
    staff.post(f"{console}/complete")
    while ticket["number"] not in staff.flash(staff.post(f"{console}/call-next", {"queues": "E"})):
        staff.post(f"{console}/no-show")
    staff.post(f"{console}/start")
    staff.post(f"{console}/complete")
    state = requests.get(f"{server.api}/public/tickets/{ticket['id']}", timeout=30).json()
    assert state["state"] == "done", state
    return ticket


def test_phone_page_rates_once_with_reasons_after_a_bad_rating(
    browser: Any, admin_server: RunningServer
) -> None:
    waiting = issue_ticket(admin_server, HALL, "E")
    before = requests.get(f"{admin_server.base_url}/t/{waiting['id']}", timeout=30).text
    assert "服务评价" not in before  # not before 办结
    ticket = _served(admin_server)
    url = f"{admin_server.base_url}/t/{ticket['id']}"
    context = browser.new_context(viewport={"width": 390, "height": 844})
    context.set_default_timeout(30_000)
    page = context.new_page()
    try:
        page.goto(url)
        assert page.get_by_text("请您对本次服务进行评价").is_visible()
        for label in ("非常满意", "满意", "基本满意", "不满意", "非常不满意"):
            assert page.locator("label", has_text=label).first.is_visible()
        reasons = page.locator("fieldset.reasons")
        assert not reasons.is_visible()
        _fits(page)
        page.screenshot(path=f"{SHOTS}/ratings-phone-390.png", full_page=True)
        page.locator("label[for=level-unsatisfied]").click()
        assert reasons.is_visible()  # a 差评 asks why
        _fits(page)
        page.get_by_role("button", name="提交评价").click()
        assert page.get_by_role("alert").inner_text() == "请至少选择一项不满意的原因"
        assert page.locator("#level-unsatisfied").is_checked()  # the choice is kept
        page.locator("label[for=reason-waiting]").click()
        page.locator("#rating-phone").fill("138 1234 1234")
        page.screenshot(path=f"{SHOTS}/ratings-phone-390-bad.png", full_page=True)
        page.get_by_role("button", name="提交评价").click()
        page.wait_for_url(f"{url}#rating")
        assert page.get_by_text("感谢您的评价：不满意").is_visible()
        assert page.get_by_role("button", name="提交评价").count() == 0
        _fits(page)
        # Once only: a second post (a replayed form) is refused.
        again = requests.post(f"{url}/rating", data={"level": "satisfied"}, timeout=30)
        assert again.status_code == 422 and "只能评价一次" in again.text
        # The hall's leader calls back, verifies and answers; then the one 追评.
        assert page.get_by_text("请您追评一次").count() == 0
        leader = leader_client(admin_server, HALL)
        with db(admin_server) as conn:
            (rating_id,) = conn.execute(
                "SELECT r.id FROM ratings r JOIN tickets t ON t.id = r.ticket_id"
                " WHERE t.public_id = ?",
                (ticket["id"],),
            ).fetchone()
        for step, label in (("call_back", "回访"), ("verify", "核实"), ("fix", "整改答复")):
            done = leader.post(
                "/admin/ratings/step",
                {"rating_id": str(rating_id), "step": step, "note": f"{label}：已处理"},
            )
            assert f"已记录{label}" in leader.flash(done)
        page.goto(url)
        assert page.get_by_text("我们已整改并答复，请您追评一次").is_visible()
        _fits(page)
        page.locator("label[for=second-satisfied]").click()
        page.get_by_role("button", name="提交追评").click()
        page.wait_for_url(f"{url}#rating")
        assert page.get_by_text("您的追评：满意").is_visible()
        again = requests.post(f"{url}/second-rating", data={"level": "fair"}, timeout=30)
        assert again.status_code == 422 and "只能追评一次" in again.text
    finally:
        context.close()


def test_a_logged_in_staff_browser_cannot_rate(browser: Any, admin_server: RunningServer) -> None:
    ticket = _served(admin_server)
    staff = staff_client(admin_server, HALL)
    context = browser.new_context(viewport={"width": 390, "height": 844})
    context.add_cookies(
        [
            {"name": name, "value": value, "url": admin_server.base_url}
            for name, value in staff.http.cookies.items()
            if name == "kiosk_admin"
        ]
    )
    page = context.new_page()
    try:
        page.goto(f"{admin_server.base_url}/t/{ticket['id']}")
        assert page.get_by_text("工作人员账号不能评价").is_visible()
        assert page.get_by_role("button", name="提交评价").count() == 0
    finally:
        context.close()
    cookies = {"kiosk_admin": staff.http.cookies.get("kiosk_admin") or ""}
    r = requests.post(
        f"{admin_server.base_url}/t/{ticket['id']}/rating",
        data={"level": "very_satisfied"},
        cookies=cookies,
        timeout=30,
    )
    assert r.status_code == 422 and "工作人员账号不能评价" in r.text
