"""One ticket, the careful way: :func:`issue_one` issues (or replays) a ticket inside the
caller's transaction — offline numbers, replays, races and everything
:mod:`~kiosk.server.tickets.bulk` leaves aside come here."""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Connection, Row
from sqlalchemy.exc import IntegrityError

from kiosk.core.tickets import new_public_id, service_day
from kiosk.core.wire import EventType, TicketCreate, TicketPublic, TicketState
from kiosk.server.auth import KioskPrincipal, Principal
from kiosk.server.content_store import HallDirectory, HallEntry
from kiosk.server.db import utcnow
from kiosk.server.domain_errors import Conflict, Invalid, NotFound
from kiosk.server.events import record_event
from kiosk.server.numbering import Numbered, check_leased_number, next_number
from kiosk.server.tickets import sql
from kiosk.server.tickets.reads import TicketView
from kiosk.server.tickets.rows import new_ticket_row

__all__ = ["IssueRequest", "IssueResult", "issue_one", "replay", "request_hash", "validate"]

log = logging.getLogger(__name__)


@dataclass(slots=True)
class IssueRequest:
    principal: Principal
    hall_id: str
    key: str
    body: TicketCreate


@dataclass(slots=True)
class IssueResult:
    ticket: TicketPublic
    created: bool
    event: tuple[str, int] | None = None  # (hall, seq) of the event written


def request_hash(body: TicketCreate) -> str:
    return hashlib.sha256(body.model_dump_json().encode()).hexdigest()


def _by_key(conn: Connection, principal: str, key: str) -> Row[Any] | None:
    return conn.execute(sql.BY_KEY, {"principal": principal, "key": key}).first()


def replay(row: Row[Any], digest: str, key: str) -> None:
    if row.request_hash != digest:
        raise Conflict(
            "idempotency_conflict",
            f"Idempotency-Key {key} 已用于另一张不同内容的取号请求",
            field="Idempotency-Key",
        )


def validate(hall: HallEntry | None, hall_id: str, body: TicketCreate) -> HallEntry:
    """The hall, when it exists and has the queue and service asked for; else the refusal."""
    if hall is None:
        raise NotFound("unknown_hall", f"没有编号为 {hall_id} 的大厅", field="hall_id")
    queue = hall.queue(body.queue)
    if queue is None:
        raise Invalid("unknown_queue", f"本大厅没有 {body.queue} 队列", field="queue")
    if body.service_id is not None and not hall.has_service(body.service_id):
        raise Invalid(
            "unknown_service", f"本大厅没有编号为 {body.service_id} 的服务", field="service_id"
        )
    return hall


def _public_id(conn: Connection, wanted: str | None) -> str:
    """The kiosk's own public id for a new ticket, unless it is None or already another
    ticket's: then a fresh one (the answer's ``id`` tells the kiosk which it got)."""
    if wanted is not None:
        if conn.execute(sql.ID_TAKEN, {"public_id": wanted}).first() is None:
            return wanted
        log.warning("public id sent for a new ticket is already taken; minted another")
    return new_public_id()


def _check_day(hall: HallEntry, day: dt.date) -> None:
    today = service_day(utcnow(), hall.zone)
    if not today - dt.timedelta(days=7) <= day <= today + dt.timedelta(days=1):
        raise Invalid(
            "invalid_number", f"号码的日期 {day} 不在允许范围内", field="number.service_day"
        )


def _item_scope(conn: Connection) -> contextlib.AbstractContextManager[Any]:
    """A savepoint per ticket on PostgreSQL, where a failed INSERT aborts the transaction.

    SQLite undoes just the failed statement, and the only writes before the statements
    that can fail are counter bumps (a skipped number is harmless; a repeated one is not),
    so the savepoint round trips are spared there.
    """
    return conn.begin_nested() if conn.dialect.name == "postgresql" else contextlib.nullcontext()


def issue_one(
    conn: Connection,
    req: IssueRequest,
    halls: HallDirectory,
    view: TicketView,
    *,
    again: bool = False,
) -> IssueResult:
    """Issue (or replay) one ticket inside the caller's transaction."""
    digest = request_hash(req.body)
    principal = req.principal.principal
    existing = _by_key(conn, principal, req.key)
    hall = halls.get_sync(conn, req.hall_id)
    if existing is not None:
        replay(existing, digest, req.key)
        return IssueResult(view.public(conn, existing, hall), False)
    body = req.body
    hall = validate(hall, req.hall_id, body)
    now = utcnow()
    numbered: Numbered | None = None
    try:
        with _item_scope(conn):
            if body.number is not None:
                if not isinstance(req.principal, KioskPrincipal):
                    raise Invalid("invalid_number", "只有自助机可以提交离线号码", field="number")
                _check_day(hall, body.number.service_day)
                numbered = check_leased_number(conn, req.principal, body.queue, body.number)
                day = body.number.service_day
            else:
                day = service_day(now, hall.zone)
                numbered = next_number(conn, req.hall_id, body.queue, day)
            row = new_ticket_row(
                public_id=_public_id(conn, body.public_id),
                hall_id=req.hall_id,
                queue=body.queue,
                service_id=body.service_id,
                service_day=day,
                seq=numbered.seq,
                number=numbered.text,
                origin=numbered.origin,
                lease_id=numbered.lease_id,
                priority=body.priority,
                now=now,
                kiosk_issued_at=body.issued_at,
                principal=principal,
                idempotency_key=req.key,
                request_hash=digest,
            )
            ticket_id = conn.execute(sql.INSERT_TICKET, row.values()).scalar_one()
            conn.execute(
                sql.INSERT_AUDIT,
                {
                    "ticket_id": ticket_id,
                    "at": now,
                    "actor": principal,
                    "action": "issue",
                    "from_state": None,
                    "to_state": TicketState.WAITING.value,
                    "data": {"origin": numbered.origin},
                },
            )
            seq = record_event(
                conn,
                req.hall_id,
                EventType.TICKET,
                {"number": numbered.text, "queue": body.queue, "state": "waiting", "window": None},
            )
    except IntegrityError:
        # Another process won a race on the same key, or the number was already used.
        existing = _by_key(conn, principal, req.key)
        if existing is not None:
            replay(existing, digest, req.key)
            return IssueResult(view.public(conn, existing, hall), False)
        if (
            not again
            and body.public_id is not None
            and conn.dialect.name == "postgresql"
            and conn.execute(sql.ID_TAKEN, {"public_id": body.public_id}).first() is not None
        ):
            # Another transaction took the same id in between (the savepoint undid ours):
            # issue it again, now under an id of the server's.
            return issue_one(conn, req, halls, view, again=True)
        text = numbered.text if numbered is not None else ""
        raise Conflict("number_taken", f"号码 {text} 已经被使用", field="number.text") from None
    issued = row.with_id(ticket_id)
    return IssueResult(view.public(conn, issued, hall), True, (req.hall_id, seq))
