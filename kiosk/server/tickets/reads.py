"""What a resident sees of a ticket: :class:`TicketView` (people ahead, wait estimate,
url), with its per-process cache of recent service times."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Row

from kiosk.core.queueing import estimate_wait_minutes
from kiosk.core.tickets import ticket_url
from kiosk.core.wire import TicketPublic, TicketState
from kiosk.server import models as m
from kiosk.server.content_store import HallDirectory, HallEntry
from kiosk.server.db import as_utc, utcnow
from kiosk.server.tickets import sql
from kiosk.server.tickets.rows import TicketRow

__all__ = ["AnyTicket", "TicketView"]

#: A ticket as read from ``tickets``, or one just issued (not read back).
AnyTicket = Row[Any] | TicketRow


class TicketView:
    """Turns ticket rows into :class:`TicketPublic` (people ahead, wait estimate, url)."""

    def __init__(self, base_url: str, default_minutes: int, halls: HallDirectory) -> None:
        self.base_url = base_url
        self.default_minutes = default_minutes
        self.halls = halls
        self._recent: dict[tuple[str, str, dt.date], tuple[float, list[float]]] = {}

    @staticmethod
    def waiting_by_queue(conn: Connection, hall_id: str, day: dt.date) -> dict[str, int]:
        """How many tickets wait in each queue of ``hall_id`` on ``day`` (queues with none
        are left out)."""
        t = m.tickets
        rows = conn.execute(
            sa.select(t.c.queue, sa.func.count())
            .where(
                t.c.hall_id == hall_id,
                t.c.service_day == day,
                t.c.state == TicketState.WAITING.value,
            )
            .group_by(t.c.queue)
        )
        return {queue: int(count) for queue, count in rows}

    def recent_service_seconds(
        self, conn: Connection, hall_id: str, queue: str, service_day: dt.date
    ) -> list[float]:
        """Today's last 20 service times of the queue (cached for 10 s per process)."""
        key = (hall_id, queue, service_day)
        now = time.monotonic()
        hit = self._recent.get(key)
        if hit is not None and hit[0] > now:
            return hit[1]
        t = m.tickets
        rows = conn.execute(
            sa.select(t.c.called_at, t.c.finished_at)
            .where(
                t.c.hall_id == hall_id,
                t.c.queue == queue,
                t.c.service_day == service_day,
                t.c.state == TicketState.DONE.value,
                t.c.called_at.is_not(None),
                t.c.finished_at.is_not(None),
            )
            .order_by(t.c.finished_at.desc())
            .limit(20)
        ).all()
        seconds = []
        for called, finished in rows:
            start, end = as_utc(called), as_utc(finished)
            if start is not None and end is not None and end > start:
                seconds.append((end - start).total_seconds())
        seconds.reverse()  # oldest first, as estimate_wait_minutes expects
        if len(self._recent) > 5000:
            self._recent.clear()
        self._recent[key] = (now + 10.0, seconds)
        return seconds

    def people_ahead(self, conn: Connection, row: AnyTicket) -> int:
        """Waiting tickets of the queue served before this one (priority, then arrival)."""
        if row.state != TicketState.WAITING.value:
            return 0
        params = {
            "hall": row.hall_id,
            "day": row.service_day,
            "queue": row.queue,
            "at": row.queued_at,
            "id": row.id,
        }
        statement = sql.AHEAD_OF_PRIORITY if row.priority else sql.AHEAD_OF_NORMAL
        return int(conn.execute(statement, params).scalar_one())

    def public(
        self,
        conn: Connection,
        row: AnyTicket,
        hall: HallEntry | None = None,
        *,
        ahead: int | None = None,
    ) -> TicketPublic:
        """The wire view of a stored ticket row or of a just-issued :class:`TicketRow`."""
        if ahead is None:
            ahead = self.people_ahead(conn, row)
        if row.state == TicketState.WAITING.value:
            windows = hall.windows_for(row.queue) if hall is not None else 1
            recent = self.recent_service_seconds(conn, row.hall_id, row.queue, row.service_day)
            wait = estimate_wait_minutes(ahead, recent, self.default_minutes, windows)
        else:
            wait = 0
        return TicketPublic(
            id=row.public_id,
            number=row.number,
            hall_id=row.hall_id,
            queue=row.queue,
            service_id=row.service_id,
            service_day=row.service_day,
            priority=row.priority,
            state=TicketState(row.state),
            issued_at=as_utc(row.issued_at) or utcnow(),
            called_at=as_utc(row.called_at),
            window=row.window,
            people_ahead=ahead,
            estimated_wait_minutes=wait,
            url=ticket_url(self.base_url, row.public_id),
        )

    @staticmethod
    def last_move(conn: Connection, public_id: str) -> tuple[str, str] | None:
        """``(from_queue, to_queue)`` of the ticket's latest transfer, from its audit trail;
        None when it was never moved."""
        t, a = m.tickets, m.ticket_audit
        rows = conn.execute(
            sa.select(t.c.number_queue, a.c.data)
            .select_from(a.join(t, t.c.id == a.c.ticket_id))
            .where(t.c.public_id == public_id, a.c.action == "transfer")
            .order_by(a.c.id)
        ).all()
        if not rows:
            return None
        before = str(rows[0].number_queue)
        move: tuple[str, str] | None = None
        for row in rows:
            to = (row.data or {}).get("queue")
            if isinstance(to, str):
                move = (before, to)
                before = to
        return move

    def by_public_id(self, conn: Connection, public_id: str) -> TicketPublic | None:
        row = conn.execute(sa.select(m.tickets).where(m.tickets.c.public_id == public_id)).first()
        if row is None:
            return None
        return self.public(conn, row, self.halls.get_sync(conn, row.hall_id))
