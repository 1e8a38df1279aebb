"""The kiosk's ticket outbox: numbers it may hand out, and the tickets it has handed out.

One SQLite file (``synchronous=FULL``, WAL) holds

- the **leases**: blocks of numbers the server reserved for this kiosk
  (``POST /kiosk/leases``), per queue and service day;
- the **fallback series** counters (``A{kiosk_no}-001`` …) per queue and service day, used
  only when no leased number is left;
- the **tickets** this kiosk issued, each with its Idempotency-Key and the public id it
  minted (so its phone page's address, the QR code, is known at once), waiting to be
  delivered (``pending``) or delivered (``delivered``, with the server's public id — the
  same one unless the server refused it as already taken) or refused by the server
  (``rejected``, with its reason);
- what the kiosk last heard from the server: its clock offset, this kiosk's number in the
  hall, each queue's waiting count.

:meth:`TicketOutbox.take` numbers a ticket and stores it in **one durable transaction**
before it returns, with no network call, so the screen can show the ticket at once and a
power cut after that can lose nothing. :class:`kiosk.sync.courier.TicketCourier` delivers
the pending tickets in the background. Safe to share between threads (one lock). The file
itself (schema, transactions) is :mod:`kiosk.sync.outbox_file`; the ticket record
:mod:`kiosk.sync.ticket`.

The service day comes from the kiosk's clock corrected by the last known offset to the
server's clock, so a kiosk whose clock is wrong still numbers in the hall's day.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path

from kiosk.core import clock as wall_clock
from kiosk.core.clock import DEFAULT_TIMEZONE
from kiosk.core.queueing import DEFAULT_SERVICE_MINUTES, ceil_minutes
from kiosk.core.tickets import (
    fallback_number,
    format_number,
    hall_zone,
    new_public_id,
    service_day,
    ticket_url,
)
from kiosk.core.wire import KioskQueuesPublic, LeasePublic, TicketPublic
from kiosk.sync.outbox_file import TICKET_COLUMNS, OutboxFile, ticket_from_row
from kiosk.sync.ticket import KioskTicket, NoNumberLeft

__all__ = ["KioskTicket", "NoNumberLeft", "TicketOutbox"]


class TicketOutbox:
    """The durable ticket store of one kiosk at ``path`` (a SQLite file).

    ``zone`` is the hall's time zone (the service day is its local date); ``clock`` is
    the kiosk's own clock (aware datetimes; tests inject a wrong one). ``kiosk_no`` is
    used until the server has named this kiosk's number (the demo kiosk, with no server).
    ``public_base_url`` (the server's address) builds a new ticket's phone page address
    until the server has named its public address (``GET /kiosk/queues``); with neither
    a ticket has no address (QR code) until it is delivered.
    """

    def __init__(
        self,
        path: Path,
        *,
        zone: dt.tzinfo | str = DEFAULT_TIMEZONE,
        clock: Callable[[], dt.datetime] = wall_clock.now,
        kiosk_no: int | None = None,
        public_base_url: str | None = None,
    ) -> None:
        self.path = Path(path)
        self.zone = hall_zone(zone)
        self._clock = clock
        self._file = OutboxFile(self.path)
        self._offset = float(self._file.meta("clock_offset") or 0.0)
        stored = self._file.meta("kiosk_no")
        self._kiosk_no = int(stored) if stored else kiosk_no
        self._public_base = self._file.meta("public_base_url") or public_base_url

    # -- time ----------------------------------------------------------------------

    def now(self) -> dt.datetime:
        """The kiosk's best idea of the true time: its clock plus the server's offset."""
        return self._clock().astimezone(dt.UTC) + dt.timedelta(seconds=self._offset)

    def today(self) -> dt.date:
        """The hall's service day now (by the corrected clock)."""
        return service_day(self.now(), self.zone)

    @property
    def clock_offset(self) -> float:
        """Seconds to add to the kiosk's clock to get the server's."""
        return self._offset

    @property
    def kiosk_no(self) -> int | None:
        return self._kiosk_no

    @property
    def public_base_url(self) -> str | None:
        """Where residents' phones reach the server (a ticket's page is under ``/t/``)."""
        return self._public_base

    def local_clock(self) -> dt.datetime:
        """The kiosk's own (uncorrected) clock, for measuring the offset."""
        return self._clock().astimezone(dt.UTC)

    # -- taking a number (the UI thread; no network) ---------------------------------

    def take(
        self,
        queue: str,
        service_id: str | None = None,
        priority: bool = False,
        *,
        windows: int = 1,
    ) -> KioskTicket:
        """Number a new ticket and store it durably; returns it. Raises :class:`NoNumberLeft`.

        The number is the next one of the oldest usable lease of today, else the next of
        this kiosk's fallback series. People ahead and the wait are the kiosk's estimate
        (the last waiting count it heard, plus what it issued since).
        """
        now = self.now()
        day = service_day(now, self.zone)
        key = f"kiosk-{uuid.uuid4().hex}"
        public_id = new_public_id()
        url = ticket_url(self._public_base, public_id) if self._public_base else None
        with self._file.write() as db:
            lease = db.execute(
                "SELECT lease_id, next_seq FROM leases WHERE queue=? AND service_day=? "
                "AND next_seq <= last_seq ORDER BY lease_id LIMIT 1",
                (queue, day.isoformat()),
            ).fetchone()
            if lease is not None:
                lease_id, seq = int(lease[0]), int(lease[1])
                db.execute(
                    "UPDATE leases SET next_seq = next_seq + 1 WHERE lease_id=?", (lease_id,)
                )
                number = format_number(queue, seq)
                lease_ref: int | None = lease_id
            else:
                if self._kiosk_no is None:
                    raise NoNumberLeft("自助机还没有连上服务器，暂时不能取号，请到窗口取号")
                row = db.execute(
                    "SELECT last_seq FROM fallback WHERE queue=? AND service_day=?",
                    (queue, day.isoformat()),
                ).fetchone()
                seq = (int(row[0]) if row else 0) + 1
                if seq > 999:
                    raise NoNumberLeft("今天的号码已经发完，请到窗口咨询")
                db.execute(
                    "INSERT INTO fallback (queue, service_day, last_seq) VALUES (?, ?, ?) "
                    "ON CONFLICT (queue, service_day) DO UPDATE SET last_seq = excluded.last_seq",
                    (queue, day.isoformat(), seq),
                )
                number = fallback_number(queue, self._kiosk_no, seq)
                lease_ref = None
            ahead, per_person = self._waiting(db, queue, day, windows)
            wait = ceil_minutes(ahead * per_person)
            db.execute(
                "INSERT INTO waiting (queue, service_day, waiting, minutes_per_person) "
                "VALUES (?, ?, ?, ?) ON CONFLICT (queue) DO UPDATE SET "
                "service_day=excluded.service_day, waiting=excluded.waiting, "
                "minutes_per_person=excluded.minutes_per_person",
                (queue, day.isoformat(), ahead + 1, per_person),
            )
            cur = db.execute(
                "INSERT INTO tickets (idem_key, queue, service_id, priority, number, seq, "
                "service_day, lease_id, issued_at, people_ahead, wait_minutes, estimate, "
                "public_id, url) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?)",
                (
                    key,
                    queue,
                    service_id,
                    int(priority),
                    number,
                    seq,
                    day.isoformat(),
                    lease_ref,
                    now.isoformat(),
                    ahead,
                    wait,
                    public_id,
                    url,
                ),
            )
            local_id = int(cur.lastrowid or 0)
        return KioskTicket(
            local_id=local_id,
            idempotency_key=key,
            queue=queue,
            service_id=service_id,
            priority=priority,
            number=number,
            seq=seq,
            service_day=day,
            lease_id=lease_ref,
            issued_at=now,
            people_ahead=ahead,
            wait_minutes=wait,
            estimate=True,
            status="pending",
            public_id=public_id,
            url=url,
        )

    @staticmethod
    def _waiting(
        db: sqlite3.Connection, queue: str, day: dt.date, windows: int
    ) -> tuple[int, float]:
        row = db.execute(
            "SELECT service_day, waiting, minutes_per_person FROM waiting WHERE queue=?",
            (queue,),
        ).fetchone()
        default = DEFAULT_SERVICE_MINUTES / max(1, windows)
        if row is None or row[0] != day.isoformat():
            return 0, default
        return int(row[1]), float(row[2]) or default

    # -- numbers ahead -------------------------------------------------------------------

    def add_lease(self, lease: LeasePublic) -> None:
        """Keep a block of numbers the server leased to this kiosk."""
        with self._file.write() as db:
            db.execute(
                "INSERT OR IGNORE INTO leases (lease_id, queue, service_day, first_seq, "
                "last_seq, next_seq) VALUES (?, ?, ?, ?, ?, ?)",
                (
                    lease.lease_id,
                    lease.queue,
                    lease.service_day.isoformat(),
                    lease.start,
                    lease.end,
                    lease.start,
                ),
            )

    def numbers_left(self, queue: str, day: dt.date | None = None) -> int:
        """Leased numbers still unused for ``queue`` on ``day`` (default today)."""
        day = day or self.today()
        with self._file.read() as db:
            row = db.execute(
                "SELECT COALESCE(SUM(last_seq - next_seq + 1), 0) FROM leases "
                "WHERE queue=? AND service_day=? AND next_seq <= last_seq",
                (queue, day.isoformat()),
            ).fetchone()
        return int(row[0])

    def observe_server(
        self, info: KioskQueuesPublic, sent: dt.datetime, received: dt.datetime
    ) -> None:
        """Take the server's clock, this kiosk's number and the waiting counts from ``info``
        (``sent``/``received``: the kiosk's own clock around the request)."""
        midpoint = sent + (received - sent) / 2
        offset = (info.time - midpoint).total_seconds()
        with self._file.write() as db:
            self._file.set_meta(db, "clock_offset", repr(offset))
            self._file.set_meta(db, "kiosk_no", str(info.kiosk_no))
            if info.public_base_url:
                self._file.set_meta(db, "public_base_url", info.public_base_url)
            for q in info.queues:
                per_person = (
                    q.estimated_wait_minutes / q.waiting if q.waiting else DEFAULT_SERVICE_MINUTES
                )
                # Tickets this kiosk still has to deliver are not in the server's count.
                pending = db.execute(
                    "SELECT COUNT(*) FROM tickets WHERE status='pending' AND queue=? "
                    "AND service_day=?",
                    (q.queue, info.service_day.isoformat()),
                ).fetchone()[0]
                db.execute(
                    "INSERT INTO waiting (queue, service_day, waiting, minutes_per_person) "
                    "VALUES (?, ?, ?, ?) ON CONFLICT (queue) DO UPDATE SET "
                    "service_day=excluded.service_day, waiting=excluded.waiting, "
                    "minutes_per_person=excluded.minutes_per_person",
                    (q.queue, info.service_day.isoformat(), q.waiting + pending, per_person),
                )
        self._offset = offset
        self._kiosk_no = info.kiosk_no
        if info.public_base_url:
            self._public_base = info.public_base_url

    def waiting_counts(self) -> dict[str, int]:
        """The last waiting count per queue for today (the server's, plus our own since)."""
        day = self.today().isoformat()
        with self._file.read() as db:
            rows = db.execute(
                "SELECT queue, waiting FROM waiting WHERE service_day=?", (day,)
            ).fetchall()
        return {str(q): int(n) for q, n in rows}

    # -- delivering ----------------------------------------------------------------------

    def pending(self, limit: int = 200) -> list[KioskTicket]:
        """The oldest undelivered tickets, in the order they were taken."""
        with self._file.read() as db:
            rows = db.execute(
                f"SELECT {TICKET_COLUMNS} FROM tickets WHERE status='pending' "
                "ORDER BY local_id LIMIT ?",
                (limit,),
            ).fetchall()
        return [ticket_from_row(r) for r in rows]

    def backlog(self) -> int:
        """How many tickets wait for delivery (the maintenance screen shows it)."""
        with self._file.read() as db:
            row = db.execute("SELECT COUNT(*) FROM tickets WHERE status='pending'").fetchone()
        return int(row[0])

    def record_results(
        self,
        delivered: Sequence[tuple[str, TicketPublic]],
        rejected: Sequence[tuple[str, str]] = (),
    ) -> list[KioskTicket]:
        """Mark tickets delivered (with the server's view) or rejected (with the reason),
        in one transaction; returns the updated tickets."""
        keys = []
        with self._file.write() as db:
            for key, t in delivered:
                db.execute(
                    "UPDATE tickets SET status='delivered', public_id=?, url=?, "
                    "server_state=?, window=?, people_ahead=?, wait_minutes=?, estimate=0 "
                    "WHERE idem_key=?",
                    (
                        t.id,
                        t.url,
                        t.state.value,
                        t.window,
                        t.people_ahead,
                        t.estimated_wait_minutes,
                        key,
                    ),
                )
                if t.state.value == "waiting":
                    pending_after = db.execute(
                        "SELECT COUNT(*) FROM tickets WHERE status='pending' AND queue=? "
                        "AND service_day=?",
                        (t.queue, t.service_day.isoformat()),
                    ).fetchone()[0]
                    db.execute(
                        "UPDATE waiting SET waiting=?, service_day=? WHERE queue=?",
                        (t.people_ahead + 1 + pending_after, t.service_day.isoformat(), t.queue),
                    )
                keys.append(key)
            for key, reason in rejected:
                db.execute(
                    "UPDATE tickets SET status='rejected', error=? WHERE idem_key=?",
                    (reason[:500], key),
                )
                keys.append(key)
            if not keys:
                return []
            marks = ",".join("?" * len(keys))
            rows = db.execute(
                f"SELECT {TICKET_COLUMNS} FROM tickets WHERE idem_key IN ({marks}) "
                "ORDER BY local_id",
                keys,
            ).fetchall()
        return [ticket_from_row(r) for r in rows]

    def ticket(self, local_id: int) -> KioskTicket | None:
        with self._file.read() as db:
            row = db.execute(
                f"SELECT {TICKET_COLUMNS} FROM tickets WHERE local_id=?", (local_id,)
            ).fetchone()
        return ticket_from_row(row) if row else None

    def tickets(self) -> list[KioskTicket]:
        """Every ticket this kiosk holds, oldest first (tests, maintenance)."""
        with self._file.read() as db:
            rows = db.execute(f"SELECT {TICKET_COLUMNS} FROM tickets ORDER BY local_id").fetchall()
        return [ticket_from_row(r) for r in rows]

    def close(self) -> None:
        self._file.close()
