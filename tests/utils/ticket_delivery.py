"""Plain helpers of the ticket tests: the demo server's kiosks, what the server stored, a
courier with a fast backoff, waiting with a deadline (fixtures: tests/tickets/conftest.py).

The server runs as a real ``kiosk-server demo`` subprocess on loopback; the kiosk side is
the real :class:`~kiosk.sync.outbox.TicketOutbox` and :class:`~kiosk.sync.courier.TicketCourier`.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kiosk.core.clock import HALL_TZ
from kiosk.sync.backoff import Backoff
from kiosk.sync.client import HallClient
from kiosk.sync.courier import TicketCourier
from kiosk.sync.outbox import TicketOutbox
from tests.utils.servers import RunningServer, run_cli, start_server
from tests.utils.waiting import until

#: Generous: the suite runs on a loaded 2-core machine. Behaviour, not speed, is asserted.
DEADLINE = 60.0


def fast_backoff() -> Backoff:
    return Backoff(base=0.05, cap=0.3, floor=0.02)


def wait_until(what: str, condition: Callable[[], Any], timeout: float = DEADLINE) -> Any:
    return until(condition, what, timeout, step=0.05)


@dataclass
class Kiosk:
    """One registered kiosk of a hall: its token and number."""

    hall_id: str
    token: str
    kiosk_no: int


def add_kiosk(server: RunningServer, hall_id: str) -> Kiosk:
    out = run_cli("add-kiosk", hall_id, data_dir=server.data_dir).stdout.splitlines()
    kiosk_no = int(out[0].split("no. ")[1].split(" ")[0])
    return Kiosk(hall_id, out[-1].strip(), kiosk_no)


def demo_kiosk(server: RunningServer, index: int = 0) -> Kiosk:
    creds = server.credentials["kiosks"]
    hall_id = sorted(creds)[index]
    return Kiosk(hall_id, creds[hall_id]["token"], creds[hall_id]["kiosk_no"])


def server_tickets(server: RunningServer, hall_id: str) -> list[dict[str, Any]]:
    """Every ticket of ``hall_id`` as the server stored it, in queue order."""
    db = sqlite3.connect(server.data_dir / "kiosk.sqlite3", timeout=30)
    db.row_factory = sqlite3.Row
    try:
        rows = db.execute(
            "SELECT number, number_queue, service_day, idempotency_key, principal, origin, "
            "queued_at, kiosk_issued_at, priority, state FROM tickets WHERE hall_id=? "
            "ORDER BY queued_at, id",
            (hall_id,),
        ).fetchall()
    finally:
        db.close()
    return [dict(r) for r in rows]


def open_queues(server: RunningServer, kiosk: Kiosk) -> list[str]:
    with HallClient(server.base_url, kiosk.token, timeout=30) as client:
        return [q.queue for q in client.queues().queues]


def make_courier(
    outbox: TicketOutbox, base_url: str, token: str, queues: list[str], **kw: Any
) -> TicketCourier:
    kw.setdefault("backoff", fast_backoff)
    kw.setdefault("idle_interval", 0.5)
    return TicketCourier(
        outbox, HallClient(base_url, token, timeout=10), queues=lambda: queues, **kw
    )


class ServerBox:
    """A demo server of one test, which the test may kill and start again on its port."""

    def __init__(self, data_dir: Path) -> None:
        self.server = start_server(data_dir)

    def restart(self) -> RunningServer:
        self.server = self.server.restart()
        return self.server


def shanghai(y: int, mo: int, d: int, h: int, mi: int, s: int = 0) -> dt.datetime:

    return dt.datetime(y, mo, d, h, mi, s, tzinfo=HALL_TZ)
