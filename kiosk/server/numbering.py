"""Ticket numbers that are never handed out twice (see docs/NUMBERING.md).

One ``queue_counters`` row per (hall, queue, service day) is bumped atomically with
``INSERT … ON CONFLICT … DO UPDATE SET last_seq = last_seq + n RETURNING last_seq`` inside
the ticket's own transaction; a new day simply has no row yet. Kiosks lease blocks of the
same counter for offline use, or fall back to their own series ``A{kiosk_no}-001``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from kiosk.core.tickets import format_number, parse_number
from kiosk.core.wire import LeasedNumber
from kiosk.server import models as m
from kiosk.server.auth import KioskPrincipal
from kiosk.server.db import utcnow
from kiosk.server.domain_errors import Conflict, DomainError, Invalid
from kiosk.server.kiosk_quota import KioskQuota
from kiosk.server.sqlite_driver import cursor, flat, from_db, is_sqlite, marks, to_db

__all__ = ["MAX_SEQ", "Numbered", "allocate", "check_leased_number", "grant_lease"]

MAX_SEQ = 999


@dataclass(frozen=True, slots=True)
class Numbered:
    seq: int
    text: str
    origin: str  # server | lease | fallback
    lease_id: int | None


def _bump_statement(dialect: Any) -> Any:
    table = m.queue_counters
    return (
        dialect.insert(table)
        .values(
            hall_id=sa.bindparam("hall"),
            queue=sa.bindparam("queue"),
            service_day=sa.bindparam("day"),
            last_seq=sa.bindparam("n"),
        )
        .on_conflict_do_update(
            index_elements=[table.c.hall_id, table.c.queue, table.c.service_day],
            set_={"last_seq": table.c.last_seq + sa.bindparam("n")},
        )
        .returning(table.c.last_seq)
    )


_BUMP = {"postgresql": _bump_statement(postgresql), "sqlite": _bump_statement(sqlite)}


def _bump_many_statement(dialect: Any) -> Any:
    table = m.queue_counters
    insert = dialect.insert(table)
    return insert.on_conflict_do_update(
        index_elements=[table.c.hall_id, table.c.queue, table.c.service_day],
        set_={"last_seq": table.c.last_seq + insert.excluded.last_seq},
    ).returning(table.c.hall_id, table.c.queue, table.c.service_day, table.c.last_seq)


_PG_BUMP_MANY = _bump_many_statement(postgresql)
#: ``_PG_BUMP_MANY`` as SQLite text, for the driver's own cursor (kiosk/server/sqlite_driver.py).
_SQLITE_BUMP_MANY = (
    "INSERT INTO queue_counters (hall_id, queue, service_day, last_seq) VALUES {rows} "
    "ON CONFLICT (hall_id, queue, service_day) DO UPDATE SET last_seq = last_seq + "
    "excluded.last_seq RETURNING hall_id, queue, service_day, last_seq"
)


def allocate(conn: Connection, hall_id: str, queue: str, day: dt.date, count: int = 1) -> int:
    """Reserve ``count`` numbers; returns the last one reserved (may exceed MAX_SEQ)."""
    params = {"hall": hall_id, "queue": queue, "day": day, "n": count}
    return int(conn.execute(_BUMP[conn.dialect.name], params).scalar_one())


def allocate_many(conn: Connection, wants: list[tuple[str, str, dt.date, int]]) -> list[int]:
    """:func:`allocate` for several (hall, queue, day, count) at once, in one statement;
    the last number reserved of each, in the order asked. Each (hall, queue, day) may be
    asked once; the counters are locked in the order given."""
    if not wants:
        return []
    if is_sqlite(conn):
        found = cursor(conn).execute(
            _SQLITE_BUMP_MANY.format(rows=marks(len(wants), 4)),
            flat([(hall, queue, to_db("date", day), count) for hall, queue, day, count in wants]),
        )
        last = {(hall, queue, from_db("date", day)): int(seq) for hall, queue, day, seq in found}
        return [last[(hall, queue, day)] for hall, queue, day, _ in wants]
    rows = [
        {"hall_id": hall, "queue": queue, "service_day": day, "last_seq": count}
        for hall, queue, day, count in wants
    ]
    # RETURNING in any order (asking for the parameters' order would make SQLAlchemy send
    # one statement per row), matched up by key.
    last = {
        (hall, queue, day): int(seq) for hall, queue, day, seq in conn.execute(_PG_BUMP_MANY, rows)
    }
    return [last[(hall, queue, day)] for hall, queue, day, _ in wants]


def _queue_full(queue: str) -> DomainError:
    return Conflict("queue_full", f"{queue} 队列今天的号码已经发完（最多 {MAX_SEQ} 个）")


def next_number(conn: Connection, hall_id: str, queue: str, day: dt.date) -> Numbered:
    seq = allocate(conn, hall_id, queue, day)
    if seq > MAX_SEQ:
        raise _queue_full(queue)
    return Numbered(seq, format_number(queue, seq), "server", None)


def grant_lease(
    conn: Connection,
    kiosk: KioskPrincipal,
    queue: str,
    day: dt.date,
    count: int,
    quota: KioskQuota | None = None,
) -> tuple[int, int, int] | None:
    """(lease id, first, last) of a fresh block; shortened at the day's last number and to
    what is left of the kiosk's allowance (``None``: nothing is left of it today)."""
    if quota is not None:
        count = quota.take_numbers(conn, kiosk.device_id, queue, day, count)
        if count == 0:
            return None
    last = allocate(conn, kiosk.hall_id, queue, day, count)
    first = last - count + 1
    if first > MAX_SEQ:
        raise _queue_full(queue)
    last = min(last, MAX_SEQ)
    lease_id = conn.execute(
        sa.insert(m.leases)
        .values(
            hall_id=kiosk.hall_id,
            device_id=kiosk.device_id,
            queue=queue,
            service_day=day,
            start_seq=first,
            end_seq=last,
            created_at=utcnow(),
        )
        .returning(m.leases.c.id)
    ).scalar_one()
    return lease_id, first, last


def check_leased_number(
    conn: Connection, kiosk: KioskPrincipal, queue: str, number: LeasedNumber
) -> Numbered:
    """Accept a number a kiosk assigned offline, or refuse it with a clear 422."""
    try:
        parsed = parse_number(number.text)
    except ValueError as exc:
        raise Invalid("invalid_number", str(exc), field="number.text") from None
    if parsed.prefix != queue or parsed.seq != number.seq:
        raise Invalid(
            "invalid_number",
            f"号码 {number.text} 与队列 {queue}、序号 {number.seq} 不一致",
            field="number.text",
        )
    if number.lease_id is None:
        if parsed.kiosk_no != kiosk.kiosk_no:
            raise Invalid(
                "invalid_number",
                f"号码 {number.text} 不是本机（{kiosk.kiosk_no} 号自助机）的备用号段",
                field="number.text",
            )
        return Numbered(parsed.seq, number.text, "fallback", None)
    if parsed.kiosk_no is not None:
        raise Invalid(
            "invalid_number", f"租用号段里的号码不应带机号：{number.text}", field="number.text"
        )
    lease = None
    if number.lease_id <= 2**62:  # larger ids cannot exist (and overflow the column)
        lease = conn.execute(sa.select(m.leases).where(m.leases.c.id == number.lease_id)).first()
    if (
        lease is None
        or lease.device_id != kiosk.device_id
        or lease.queue != queue
        or lease.service_day != number.service_day
    ):
        raise Invalid(
            "unknown_lease",
            f"号段 {number.lease_id} 不属于本机的 {queue} 队列 {number.service_day}",
            field="number.lease_id",
        )
    if not lease.start_seq <= number.seq <= lease.end_seq:
        raise Invalid(
            "invalid_number",
            f"序号 {number.seq} 不在号段 {lease.start_seq}–{lease.end_seq} 之内",
            field="number.seq",
        )
    return Numbered(parsed.seq, number.text, "lease", lease.id)
