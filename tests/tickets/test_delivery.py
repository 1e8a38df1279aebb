"""Delivering tickets to the real server through failures: every ticket arrives exactly
once, with the number the resident was shown.

Real processes on loopback: the server is a ``kiosk-server demo`` subprocess (killed with
SIGKILL and restarted on its port where the test says so), the kiosk's outbox a SQLite
file, and for the kiosk crash a kiosk process of its own.
"""

from __future__ import annotations

import collections
import datetime as dt
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import requests

from kiosk.core import clock as wall_clock
from kiosk.sync.outbox import TicketOutbox
from tests.sync.hostile import Fault, HostileProxy
from tests.utils.logins import staff_token
from tests.utils.servers import REPO, RunningServer
from tests.utils.ticket_delivery import (
    ServerBox,
    add_kiosk,
    demo_kiosk,
    make_courier,
    open_queues,
    server_tickets,
    wait_until,
)


def assert_exactly_once(server: RunningServer, hall_id: str, outbox: TicketOutbox) -> None:
    """Every ticket of ``outbox`` is on the server once, under its key, with its number."""
    mine = outbox.tickets()
    assert mine and all(t.status == "delivered" for t in mine), [
        (t.number, t.status, t.error) for t in mine if t.status != "delivered"
    ]
    stored = server_tickets(server, hall_id)
    by_key = collections.Counter(r["idempotency_key"] for r in stored)
    numbers = collections.Counter((r["number"], r["service_day"]) for r in stored)
    assert all(n == 1 for n in numbers.values()), "a number is on the server twice"
    for t in mine:
        assert by_key[t.idempotency_key] == 1, t
    stored_number = {r["idempotency_key"]: r["number"] for r in stored}
    assert [stored_number[t.idempotency_key] for t in mine] == [t.number for t in mine]


def test_online_ticket_is_delivered_and_gets_the_servers_figures(
    ticket_server: RunningServer, tmp_path: Path
) -> None:
    kiosk = add_kiosk(ticket_server, demo_kiosk(ticket_server).hall_id)
    queues = open_queues(ticket_server, kiosk)
    outbox = TicketOutbox(tmp_path / "outbox.sqlite3")
    delivered: list[Any] = []
    courier = make_courier(
        outbox, ticket_server.base_url, kiosk.token, queues, on_delivered=delivered.extend
    )
    courier.start()
    try:
        wait_until("leases for every queue", lambda: all(outbox.numbers_left(q) for q in queues))
        ticket = outbox.take(queues[0], priority=True)
        assert ticket.lease_id is not None and not ticket.fallback
        courier.wake()
        wait_until("delivered", lambda: outbox.backlog() == 0)
        got = outbox.ticket(ticket.local_id)
        assert got is not None and got.delivered and not got.estimate
        assert got.number == ticket.number and got.public_id and got.url
        assert got.url.endswith(f"/t/{got.public_id}")
        assert any(t.local_id == ticket.local_id for t in delivered)
        public = requests.get(f"{ticket_server.api}/public/tickets/{got.public_id}", timeout=30)
        assert public.json()["number"] == ticket.number and public.json()["priority"] is True
    finally:
        courier.stop()
    assert_exactly_once(ticket_server, kiosk.hall_id, outbox)


def test_hundred_tickets_with_the_server_down_arrive_once_when_it_returns(
    own_server: ServerBox, tmp_path: Path
) -> None:
    server = own_server.server
    kiosk = demo_kiosk(server)
    queues = open_queues(server, kiosk)
    outbox = TicketOutbox(tmp_path / "outbox.sqlite3")
    courier = make_courier(outbox, server.base_url, kiosk.token, queues[:2])
    courier.start()
    wait_until("leases", lambda: all(outbox.numbers_left(q) for q in queues[:2]))
    server.kill()
    taken = [outbox.take(queues[i % 2]) for i in range(100)]
    assert len({(t.queue, t.number) for t in taken}) == 100
    assert any(t.fallback for t in taken) and any(not t.fallback for t in taken)
    wait_until("the courier noticed", lambda: courier.status.last_error is not None)
    assert outbox.backlog() == 100
    server = own_server.restart()
    try:
        wait_until("all delivered", lambda: outbox.backlog() == 0)
    finally:
        courier.stop()
    assert [t.number for t in outbox.tickets()] == [t.number for t in taken]
    assert_exactly_once(server, kiosk.hall_id, outbox)


class LosingProxy(HostileProxy):
    """Forwards every ticket delivery to the server, and loses the server's answer the first
    two times each request body is sent: every delivery is retried twice."""

    def __init__(self, origin: str) -> None:
        super().__init__(origin)
        self.lost: collections.Counter[bytes] = collections.Counter()
        self._count_lock = threading.Lock()

    def _handle(self, req: Any) -> None:
        path = req.path.split("?", 1)[0]
        if req.command != "POST" or not path.startswith("/api/v1/tickets"):
            super()._handle(req)
            return
        length = int(req.headers.get("Content-Length") or 0)
        body = req.rfile.read(length) if length else b""
        status, headers, payload = self._forward(req, body)  # the server handles it …
        key = (req.headers.get("Idempotency-Key") or "").encode() + body
        with self._count_lock:
            self.lost[key] += 1
            lose = self.lost[key] <= 2
        if lose:  # … and the answer never reaches the kiosk
            req.close_connection = True
            req.connection.shutdown(2)
            return
        self._reply(req, status, headers, payload)


def test_every_delivery_retried_twice_makes_no_duplicate(
    ticket_server: RunningServer, tmp_path: Path
) -> None:
    kiosk = add_kiosk(ticket_server, demo_kiosk(ticket_server).hall_id)
    queues = open_queues(ticket_server, kiosk)
    with LosingProxy(ticket_server.base_url) as proxy:
        outbox = TicketOutbox(tmp_path / "outbox.sqlite3")
        courier = make_courier(outbox, proxy.base_url, kiosk.token, queues[:1], batch_size=7)
        courier.refresh()
        courier.top_up()
        one = outbox.take(queues[0])  # alone: POST /tickets
        courier.start()
        try:
            wait_until("the single ticket delivered", lambda: outbox.backlog() == 0)
            courier.stop()
            for _ in range(20):  # a backlog: POST /tickets/batch in batches of 7
                outbox.take(queues[0])
            courier = make_courier(outbox, proxy.base_url, kiosk.token, queues[:1], batch_size=7)
            courier.start()
            wait_until("the backlog delivered", lambda: outbox.backlog() == 0)
        finally:
            courier.stop()
        assert proxy.lost and all(n == 3 for n in proxy.lost.values()), proxy.lost.values()
    assert outbox.tickets()[0].number == one.number
    assert_exactly_once(ticket_server, kiosk.hall_id, outbox)


def test_server_killed_mid_batch_loses_nothing_and_duplicates_nothing(
    own_server: ServerBox, tmp_path: Path
) -> None:
    server = own_server.server
    kiosk = demo_kiosk(server)
    queues = open_queues(server, kiosk)
    outbox = TicketOutbox(tmp_path / "outbox.sqlite3")
    with HostileProxy(server.base_url) as proxy:
        courier = make_courier(outbox, proxy.base_url, kiosk.token, queues[:1], batch_size=50)
        courier.refresh()
        courier.top_up()
        for _ in range(300):
            outbox.take(queues[0])
        killed = threading.Event()
        # Hold the second batch at the proxy a moment, kill the server while it is being
        # forwarded, then bring the server back on its port.
        proxy.fault(Fault("/tickets/batch", "delay", seconds=0.3))
        courier.start()
        try:
            wait_until("a first batch delivered", lambda: outbox.backlog() <= 250)
            server.kill()
            killed.set()
            wait_until("the courier saw the failure", lambda: courier.status.last_error)
            proxy.clear()
            server = own_server.restart()
            wait_until("all delivered", lambda: outbox.backlog() == 0)
        finally:
            courier.stop()
    assert killed.is_set()
    assert_exactly_once(server, kiosk.hall_id, outbox)


def test_kiosk_killed_between_writing_and_delivering_delivers_once_after_restart(
    ticket_server: RunningServer, tmp_path: Path
) -> None:
    kiosk = add_kiosk(ticket_server, demo_kiosk(ticket_server).hall_id)
    queue = open_queues(ticket_server, kiosk)[0]
    path = tmp_path / "outbox.sqlite3"
    with HostileProxy(ticket_server.base_url) as proxy:
        # Deliveries are slow, so the kill lands with tickets written and not yet delivered
        # (and likely with a delivery in flight).
        proxy.fault(Fault("/tickets", "delay", seconds=0.5))
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.tickets.kiosk_process",
                str(path),
                proxy.base_url,
                kiosk.token,
                queue,
                "30",
            ],
            stdout=subprocess.PIPE,
            text=True,
            cwd=REPO,
            env=env,
        )
        try:
            assert proc.stdout is not None
            for line in proc.stdout:
                if line.strip() == "written 30":
                    break
            wait_until("a delivery on its way", lambda: "/tickets" in "".join(proxy.seen))
        finally:
            proc.send_signal(signal.SIGKILL)
            proc.wait(30)
            if proc.stdout is not None:
                proc.stdout.close()
    outbox = TicketOutbox(path)  # the restarted kiosk
    assert len(outbox.tickets()) == 30
    assert outbox.backlog() > 0, "the kill came too late to test anything"
    courier = make_courier(outbox, ticket_server.base_url, kiosk.token, [queue])
    courier.start()
    try:
        wait_until("delivered after the restart", lambda: outbox.backlog() == 0)
    finally:
        courier.stop()
    assert_exactly_once(ticket_server, kiosk.hall_id, outbox)


def test_two_kiosks_a_window_restarts_and_a_wrong_clock_never_clash(
    ticket_server: RunningServer, tmp_path: Path
) -> None:
    hall_id = demo_kiosk(ticket_server, 1).hall_id
    k1, k2 = add_kiosk(ticket_server, hall_id), add_kiosk(ticket_server, hall_id)
    queue = open_queues(ticket_server, k1)[0]
    off = dt.timedelta(minutes=10)
    box1 = TicketOutbox(tmp_path / "k1.sqlite3")
    box2 = TicketOutbox(
        tmp_path / "k2.sqlite3", clock=lambda: wall_clock.now() + off
    )  # a kiosk clock 10 minutes fast
    c1 = make_courier(box1, ticket_server.base_url, k1.token, [queue], lease_size=3, low_water=2)
    c2 = make_courier(box2, ticket_server.base_url, k2.token, [queue], lease_size=3, low_water=2)
    window = requests.Session()
    window.headers["Authorization"] = f"Bearer {staff_token(ticket_server, hall_id)}"
    taken = []
    for c in (c1, c2):
        c.refresh()
        c.top_up()
    assert abs(box2.clock_offset + 600) < 30
    for i in range(12):  # offline-ish: nobody delivers; leases run dry; fallback series
        taken.append(box1.take(queue))
        taken.append(box2.take(queue))
        r = window.post(
            f"{ticket_server.api}/tickets",
            json={"queue": queue},
            headers={"Idempotency-Key": f"window-{os.getpid()}-{i}-{id(taken)}"},
            timeout=30,
        )
        assert r.status_code == 201, r.text
        if i == 5:  # kiosk 1 restarts mid-way: its numbering goes on where it was
            box1.close()
            box1 = TicketOutbox(tmp_path / "k1.sqlite3")
            c1 = make_courier(
                box1, ticket_server.base_url, k1.token, [queue], lease_size=3, low_water=2
            )
    today = box1.today()
    assert box2.today() == today
    for c in (c1, c2):
        c.start()
    try:
        wait_until("both delivered", lambda: box1.backlog() == 0 and box2.backlog() == 0)
    finally:
        for c in (c1, c2):
            c.stop()
    stored = server_tickets(ticket_server, hall_id)
    numbers = [r["number"] for r in stored if r["number_queue"] == queue]
    assert len(numbers) == len(set(numbers)), "two tickets share a number"
    assert {t.number for t in taken} <= set(numbers)
    assert any("-" in n for n in numbers)  # the fallback series was used
    for box in (box1, box2):
        assert all(t.status == "delivered" for t in box.tickets())
        assert {t.service_day for t in box.tickets()} == {today}
    # Kiosk 2's tickets carry the true time (its clock corrected), in the order taken.
    issued = [
        dt.datetime.fromisoformat(r["kiosk_issued_at"])
        for r in stored
        if r["idempotency_key"] in {t.idempotency_key for t in box2.tickets()}
    ]
    now = wall_clock.now()
    for at in issued:
        at = at if at.tzinfo else at.replace(tzinfo=dt.UTC)
        assert abs((at - now).total_seconds()) < 300
    keys2 = [t.idempotency_key for t in box2.tickets()]
    queued = [r["idempotency_key"] for r in stored if r["idempotency_key"] in set(keys2)]
    assert queued == keys2  # delivered in the order they were taken
