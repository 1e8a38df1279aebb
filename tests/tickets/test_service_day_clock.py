"""Ticket numbering per service day, with the kiosk and the server on one clock.

At each of the suite's hall times (open, closed, a minute before midnight) a fresh demo
server and a kiosk outbox (both on :func:`kiosk.core.clock.now`) must agree on the hall's
day: the lease, the ticket the kiosk prints, what the server stores and what it tells the
kiosk are all numbered in that day, and the kiosk needs no clock correction.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import requests

from kiosk.core import clock
from kiosk.core.clock import DEFAULT_TIMEZONE, hall_zone
from kiosk.sync.outbox import TicketOutbox

from .conftest import (
    ServerBox,
    add_kiosk,
    demo_kiosk,
    make_courier,
    open_queues,
    server_tickets,
    wait_until,
)


@pytest.mark.hall_clock
def test_kiosk_and_server_number_in_the_same_hall_day(
    own_server: ServerBox, tmp_path: Path, hall_time: str
) -> None:
    server = own_server.server
    zone = hall_zone(DEFAULT_TIMEZONE)
    day = clock.now(zone).date()
    assert day == dt.datetime.fromisoformat(hall_time).date()  # the test's own hall day
    kiosk = add_kiosk(server, demo_kiosk(server).hall_id)
    queues = open_queues(server, kiosk)
    told = requests.get(
        f"{server.api}/kiosk/queues", headers={"Authorization": f"Bearer {kiosk.token}"}, timeout=30
    ).json()
    assert dt.date.fromisoformat(told["service_day"]) == day, told
    server_now = dt.datetime.fromisoformat(told["time"])
    assert abs((server_now - clock.now()).total_seconds()) < 10, (server_now, clock.now())

    outbox = TicketOutbox(tmp_path / "outbox.sqlite3", zone=zone)
    courier = make_courier(outbox, server.base_url, kiosk.token, queues)
    courier.start()
    try:
        wait_until("leases", lambda: all(outbox.numbers_left(q) for q in queues))
        assert abs(outbox.clock_offset) < 10 and outbox.today() == day
        ticket = outbox.take(queues[0])
        assert ticket.service_day == day and not ticket.fallback, ticket
        courier.wake()
        wait_until("delivered", lambda: outbox.backlog() == 0)
    finally:
        courier.stop()
    key = ticket.idempotency_key
    stored = [r for r in server_tickets(server, kiosk.hall_id) if r["idempotency_key"] == key]
    assert [(r["number"], r["service_day"]) for r in stored] == [
        (ticket.number, day.isoformat())
    ], stored
