"""An offline ticket's QR code: known the moment the ticket is taken, and it leads to the
ticket once the kiosk's courier has delivered it.

Real processes on loopback: the server is a ``kiosk-server demo`` subprocess (SIGKILLed
and started again on its port), the kiosk side the real outbox (SQLite file) and courier.
The phone page is fetched over HTTP as a phone would, and opened in Debian's Chromium
(Playwright) to see it update in place by its script.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from kiosk.core.wire import PUBLIC_ID_PATTERN
from kiosk.sync.outbox import TicketOutbox
from tests.utils.browser import CHROMIUM_ARGS
from tests.utils.ticket_delivery import ServerBox, demo_kiosk, make_courier, open_queues, wait_until

ON_ITS_WAY = "还在从大厅传过来的路上"


@pytest.fixture
def chromium() -> Iterator[Any]:
    playwright = pytest.importorskip("playwright.sync_api")
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def test_offline_ticket_qr_is_known_at_once_and_resolves_after_delivery(
    own_server: ServerBox, tmp_path: Path, chromium: Any
) -> None:
    server = own_server.server
    kiosk = demo_kiosk(server)
    queues = open_queues(server, kiosk)
    outbox = TicketOutbox(tmp_path / "outbox.sqlite3")
    courier = make_courier(outbox, server.base_url, kiosk.token, queues[:1])
    courier.start()
    wait_until("the kiosk heard its server", lambda: outbox.public_base_url is not None)
    courier.stop()  # the hall's network goes down …
    server.kill()  # … and the server with it
    ticket = outbox.take(queues[0])
    # The QR code's address is there at once: the kiosk minted the public id.
    assert ticket.status == "pending" and ticket.public_id and ticket.url
    assert ticket.url == f"{server.base_url}/t/{ticket.public_id}"
    import re

    assert re.fullmatch(PUBLIC_ID_PATTERN, ticket.public_id)
    stored = outbox.ticket(ticket.local_id)
    assert stored is not None and stored.url == ticket.url

    # The server is back, the kiosk not yet: the phone page says the number is on its way.
    server = own_server.restart()
    page = requests.get(ticket.url, timeout=30)
    assert page.status_code == 404 and ON_ITS_WAY in page.text
    assert "找不到" not in page.text and "http-equiv" not in page.text

    context = chromium.new_context(viewport={"width": 390, "height": 844})
    context.set_default_timeout(30_000)
    phone = context.new_page()
    try:
        phone.goto(ticket.url)
        assert ON_ITS_WAY in phone.inner_text("main")
        phone.evaluate("window.stillTheSamePage = true")
        phone.screenshot(path="/work/shots/tickets/phone-on-its-way-390.png", full_page=True)

        # The kiosk's courier delivers it: the same address now shows the ticket.
        courier = make_courier(outbox, server.base_url, kiosk.token, queues[:1])
        courier.start()
        try:
            wait_until("delivered", lambda: outbox.backlog() == 0)
        finally:
            courier.stop()
        delivered = outbox.ticket(ticket.local_id)
        assert delivered is not None and delivered.delivered
        assert delivered.public_id == ticket.public_id and delivered.url == ticket.url
        page = requests.get(ticket.url, timeout=30)
        assert page.status_code == 200, page.text
        assert ticket.number in page.text and "等候中" in page.text
        assert ON_ITS_WAY not in page.text

        # The open phone page updates itself in place (no reload, no meta refresh).
        phone.wait_for_function(
            "n => document.querySelector('.number') && "
            "document.querySelector('.number').textContent.trim() === n",
            arg=ticket.number,
            timeout=40_000,
        )
        assert phone.evaluate("window.stillTheSamePage") is True
        assert "等候中" in phone.inner_text("main")
        phone.screenshot(path="/work/shots/tickets/phone-after-delivery-390.png", full_page=True)
    finally:
        context.close()
