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
from kiosk.core.clock import HALL_TZ
from kiosk.sync.outbox import TicketOutbox
from tests.utils.ticket_delivery import (
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
    zone = HALL_TZ
    start = dt.datetime.fromisoformat(hall_time)
    # A loaded machine may take a while to start the server: the hall day is the one of
    # the instant each check runs (the day after, past midnight), never the real one.
    assert clock.now(zone) - start < dt.timedelta(minutes=10)
    days = {start.date(), start.date() + dt.timedelta(days=1)}
    kiosk = add_kiosk(server, demo_kiosk(server).hall_id)
    queues = open_queues(server, kiosk)
    told = requests.get(
        f"{server.api}/kiosk/queues", headers={"Authorization": f"Bearer {kiosk.token}"}, timeout=30
    ).json()
    assert dt.date.fromisoformat(told["service_day"]) in days, told
    server_now = dt.datetime.fromisoformat(told["time"])
    assert abs((server_now - clock.now()).total_seconds()) < 10, (server_now, clock.now())

    outbox = TicketOutbox(tmp_path / "outbox.sqlite3", zone=zone)
    courier = make_courier(outbox, server.base_url, kiosk.token, queues)
    courier.start()
    try:
        wait_until("leases", lambda: all(outbox.numbers_left(q) for q in queues))
        assert abs(outbox.clock_offset) < 10 and outbox.today() in days
        ticket = outbox.take(queues[0])
        day = ticket.issued_at.astimezone(zone).date()  # the hall's day when it was taken
        assert ticket.service_day == day and day in days and not ticket.fallback, ticket
        courier.wake()
        wait_until("delivered", lambda: outbox.backlog() == 0)
    finally:
        courier.stop()
    key = ticket.idempotency_key
    stored = [r for r in server_tickets(server, kiosk.hall_id) if r["idempotency_key"] == key]
    assert [(r["number"], r["service_day"]) for r in stored] == [
        (ticket.number, day.isoformat())
    ], stored
