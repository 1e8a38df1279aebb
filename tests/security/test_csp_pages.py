"""Issue 10 §2, the second wall: every admin page and the resident's phone page work in
Chromium under their Content-Security-Policy with no violation (no inline script or
style anywhere), and the policy really blocks what slipped into a page."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from tests.utils.admin_web import admin_routes, counters_of, fill, issue_ticket, route_values
from tests.utils.csp import watch_csp
from tests.utils.servers import RunningServer, start_server

HALL = "youyi-yuan"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    running = start_server(tmp_path_factory.mktemp("csp-pages"))
    yield running
    running.stop()


def _logged_in(browser: Any, server: RunningServer, login: dict[str, str]) -> Any:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(30_000)
    page = context.new_page()
    page.goto(f"{server.base_url}/admin/login")
    page.fill("#username", login["username"])
    page.fill("#password", login["password"])
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r".*/admin/halls.*"))
    return page


def test_every_admin_page_and_the_phone_page_without_a_violation(
    browser: Any, server: RunningServer
) -> None:
    values = route_values(server, HALL)
    pages = [fill(path, values) for method, path in admin_routes() if method == "GET"]
    assert len(pages) > 15
    page = _logged_in(browser, server, server.credentials["admin"])
    violations = watch_csp(page)
    page.reload()
    seen = []
    for path in pages:
        if path.endswith(("/live", "/logout", ".csv", "/voice-note")) or "/media/" in path:
            continue  # JSON, a download, an image (with its own policy): not pages
        if re.search(r"/photos/\d+$", path):
            continue  # a request's photo: an image with the media policy
        answer = page.goto(server.base_url + path)
        assert answer is not None and answer.status < 500, path
        policy = answer.headers.get("content-security-policy", "")
        assert "script-src 'self'" in policy and "'unsafe-inline'" not in policy, path
        seen.append(path)
        page.wait_for_timeout(50)
    # The console page runs its script (keyboard and live counts by fetch).
    counter = values["counter_id"]
    page.goto(f"{server.base_url}/admin/counters/{counter}")
    page.wait_for_timeout(3500)  # one live refresh (fetch: connect-src 'self')
    assert page.evaluate("document.querySelector('.console') !== null")
    # The staff board shows photos (img-src 'self') and the phone page its inline style.
    page.goto(f"{server.base_url}/admin/halls/{HALL}/staff/{values['items']['staff']}")
    assert page.locator("img[src*='/media/']").count() >= 1
    assert page.evaluate(
        "[...document.images].filter(i => i.src.includes('/media/'))"
        ".every(i => i.complete && i.naturalWidth > 0)"
    )
    ticket = issue_ticket(server, HALL, counters_of(server, HALL)[0]["queues"][0])
    phone = page.goto(f"{server.base_url}/t/{ticket['id']}")
    assert phone is not None and phone.status == 200
    font = page.evaluate("getComputedStyle(document.querySelector('.number')).fontSize")
    assert float(font.rstrip("px")) > 60  # the nonce'd <style> applied (4.5rem of 22px)
    page.goto(f"{server.base_url}/t/NO-SUCH-TICKET")
    assert violations == [], violations
    assert "/admin/accounts" in seen and f"/admin/halls/{HALL}/preview" in seen

    # The wall holds: markup that got into an admin page would not run.
    page.goto(f"{server.base_url}/admin/halls/{HALL}")
    page.evaluate(
        """() => {
      const s = document.createElement('script');
      s.textContent = 'document.title = "INJECTED"';
      document.body.appendChild(s);
      const d = document.createElement('div');
      d.innerHTML = '<img src=x onerror="document.title = \\'INJECTED\\'">';
      document.body.appendChild(d);
    }"""
    )
    page.wait_for_timeout(500)
    assert page.title() != "INJECTED"
    assert any("script-src" in v for v in violations), violations
    page.context.close()
