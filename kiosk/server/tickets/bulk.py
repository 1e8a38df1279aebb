"""A batch of tickets in a handful of statements: :func:`issue_many`, which the group
commit (:mod:`~kiosk.server.tickets.writer`) and ``POST /tickets/batch`` run."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from kiosk.core.tickets import format_number, new_public_id, service_day
from kiosk.core.wire import EventType, TicketState
from kiosk.server import models as m
from kiosk.server.auth import KioskPrincipal
from kiosk.server.content_store import HallDirectory, HallEntry
from kiosk.server.db import utcnow
from kiosk.server.domain_errors import Conflict, DomainError
from kiosk.server.events import lock_halls_events
from kiosk.server.kiosk_quota import KioskQuota, QuotaRows
from kiosk.server.numbering import MAX_SEQ, allocate_many
from kiosk.server.pg_driver import Round
from kiosk.server.sqlite_driver import bound_rows, cursor, flat, from_db, is_sqlite, marks, to_db
from kiosk.server.tickets import sql
from kiosk.server.tickets.issue import IssueRequest, IssueResult, issue_one, request_hash, validate
from kiosk.server.tickets.reads import TicketView
from kiosk.server.tickets.rows import INSERTED_COLUMNS, TicketRow, new_ticket_row

__all__ = ["BatchRace", "issue_many"]


class BatchRace(Exception):
    """A bulk step hit a constraint with no savepoint to fall back to: the caller rolls
    the whole transaction back and runs the batch again with ``savepoint=True``."""


def _charge_kiosks(
    conn: Connection,
    requests: list[IssueRequest],
    existing: set[tuple[str, str]],
    quota: KioskQuota,
    halls: HallDirectory,
    today: Callable[[HallEntry], dt.date],
    held: QuotaRows | None = None,
) -> dict[int, DomainError]:
    """Each kiosk's new tickets against its rate and its daily allowance of counter numbers
    (kiosk/server/kiosk_quota.py); returns the refusals by request index. PostgreSQL: the
    rows were read by ``held``'s round."""
    fresh: dict[int, list[int]] = {}
    seen: set[tuple[str, str]] = set()
    for i, req in enumerate(requests):
        ident = (req.principal.principal, req.key)
        new = ident not in existing and ident not in seen
        if isinstance(req.principal, KioskPrincipal) and new:
            seen.add(ident)
            fresh.setdefault(req.principal.device_id, []).append(i)
    refused: dict[int, DomainError] = {}
    counts = {d: len(members) for d, members in fresh.items()}
    rates = quota.take_tickets_many(conn, counts, held)
    wanting: dict[tuple[int, str, dt.date], list[int]] = {}
    for device_id, members in sorted(fresh.items()):
        granted, wait = rates[device_id]
        refused.update((i, quota.too_fast(wait)) for i in members[granted:])
        for i in members[:granted]:
            key = _allowance_key(conn, requests[i], halls, today)
            if key is not None:
                wanting.setdefault(key, []).append(i)
    got = quota.take_numbers_many(conn, {k: len(idx) for k, idx in wanting.items()}, held)
    for key, idx in sorted(wanting.items()):
        refused.update((i, quota.allowance_spent(key[1])) for i in idx[got[key] :])
    return refused


def issue_many(
    conn: Connection,
    requests: list[IssueRequest],
    halls: HallDirectory,
    view: TicketView,
    quota: KioskQuota | None = None,
    *,
    savepoint: bool = True,
) -> list[IssueResult | DomainError]:
    """Issue many tickets in the caller's transaction with a handful of statements.

    The common case — a new, server-numbered ticket — is done in bulk: one look-up of
    the idempotency keys, one counter bump and one count per queue, one multi-row INSERT
    each for tickets, audit rows and events. People ahead follow from the counts taken
    before the insert (priority first, then arrival). Everything else (replays, offline
    numbers, a key repeated within the batch) and any bulk step that hits a constraint
    goes through :func:`issue_one`, one by one, afterwards.

    The bulk steps run inside a SAVEPOINT, so that a race on a key (another process
    committed the same idempotency key meanwhile) falls back to the careful way in the
    same transaction. ``savepoint=False`` saves its two round trips: such a race then
    raises :class:`BatchRace` and the caller runs the batch again in a new transaction
    (the group commit does; the race is rare).
    """
    results: list[IssueResult | DomainError | None] = [None] * len(requests)
    pairs = sorted({(r.principal.principal, r.key) for r in requests})
    wanted_ids = sorted({r.body.public_id for r in requests if r.body.public_id is not None})
    now = utcnow()
    days: dict[str, dt.date] = {}

    def today(hall: HallEntry) -> dt.date:
        """The hall's service day at ``now`` (worked out once per hall and batch)."""
        day = days.get(hall.hall_id)
        if day is None:
            day = days[hall.hall_id] = service_day(now, hall.zone)
        return day

    held: QuotaRows | None = None
    second: Round | None = None
    if is_sqlite(conn):
        existing = _existing_keys(conn, pairs)
        taken_ids: set[str] = set()
        if wanted_ids:
            taken_ids = set(conn.execute(sql.IDS_TAKEN, {"public_ids": wanted_ids}).scalars())
    else:
        # PostgreSQL: the look-ups and every lock the batch may need in one round trip
        # (kiosk/server/pg_driver.py), in the one lock order: rate rows, allowance rows,
        # the halls' event locks (then, in the next round, the queue counters).
        first = Round(conn)
        found = first.add(
            sql.PG_EXISTING_KEYS,
            {"principals": [p for p, _ in pairs], "keys": [k for _, k in pairs]},
        )
        found_ids = first.add(sql.PG_IDS_TAKEN, {"ids": wanted_ids}) if wanted_ids else []
        second = Round(conn)
        if quota is not None:
            # Every kiosk request's rows, as if none were a replay (this round finds out).
            devices = [
                r.principal.device_id for r in requests if isinstance(r.principal, KioskPrincipal)
            ]
            keys = [_allowance_key(conn, r, halls, today) for r in requests]
            allowances = [key for key in keys if key is not None]
            held = quota.hold(first, second, devices, allowances, now)
        lock_halls_events(first, [r.hall_id for r in requests])
        first.run()
        existing = {(p, k) for p, k in found}
        taken_ids = {public_id for (public_id,) in found_ids}
    if quota is not None:
        refusals = _charge_kiosks(conn, requests, existing, quota, halls, today, held)
        for i, refusal in refusals.items():
            results[i] = refusal
    later: list[int] = []
    groups: dict[tuple[str, str, dt.date], list[int]] = {}
    seen: set[tuple[str, str]] = set()
    seen_ids: set[str] = set()
    for i, req in enumerate(requests):
        if results[i] is not None:
            continue  # refused for the kiosk's rate or allowance
        ident = (req.principal.principal, req.key)
        own_id = req.body.public_id
        if (
            ident in existing
            or ident in seen
            or req.body.number is not None
            or (own_id is not None and (own_id in taken_ids or own_id in seen_ids))
        ):
            later.append(i)
            continue
        try:
            hall = validate(halls.get_sync(conn, req.hall_id), req.hall_id, req.body)
        except DomainError as exc:
            results[i] = exc
            continue
        seen.add(ident)
        if own_id is not None:
            seen_ids.add(own_id)
        groups.setdefault((req.hall_id, req.body.queue, today(hall)), []).append(i)
    bumped: list[tuple[Any, ...]] | None = None
    if second is not None:
        groups = dict(sorted(groups.items()))  # the counter rows in one order: no deadlocks
        if groups and not savepoint:
            bumped = _pg_bump(second, groups)  # else inside the savepoint, in _bulk
        second.run()
    if groups:
        if not savepoint:
            try:
                _bulk(conn, requests, groups, results, now, halls, view, bumped)
            except IntegrityError as exc:
                raise BatchRace() from exc
        else:
            try:
                with conn.begin_nested():
                    _bulk(conn, requests, groups, results, now, halls, view, bumped)
            except IntegrityError:
                # A race with another process on a key: do this batch the careful way.
                for members in groups.values():
                    for i in members:
                        results[i] = None
                        later.append(i)
                later.sort()
    for i in later:
        try:
            results[i] = issue_one(conn, requests[i], halls, view)
        except DomainError as exc:
            results[i] = exc
    assert all(r is not None for r in results)
    return [r for r in results if r is not None]


def _bulk(
    conn: Connection,
    requests: list[IssueRequest],
    groups: dict[tuple[str, str, dt.date], list[int]],
    results: list[IssueResult | DomainError | None],
    now: dt.datetime,
    halls: HallDirectory,
    view: TicketView,
    bumped: list[tuple[Any, ...]] | None = None,
) -> None:
    """The bulk steps of :func:`issue_many`. PostgreSQL: ``bumped`` holds the counter bumps
    already done in the batch's second round (None: done here, as a round of its own)."""
    rows: list[TicketRow] = []
    order: list[int] = []
    before: dict[tuple[str, str, dt.date], tuple[int, int]] = {}
    if not is_sqlite(conn):
        if bumped is None:
            bump = Round(conn)
            bumped = _pg_bump(bump, groups)
            bump.run()
        lasts = _pg_lasts(bumped, groups, before)
    else:
        # One count of what waits and one counter bump for all the batch's queues.
        hall_ids = sorted({hall for hall, _, _ in groups})
        days = sorted({day for _, _, day in groups})
        queues = sorted({queue for _, queue, _ in groups})
        waiting = cursor(conn).execute(
            sql.SQLITE_WAITING_BY_QUEUE.format(
                halls=marks(len(hall_ids)), days=marks(len(days)), queues=marks(len(queues))
            ),
            [*hall_ids, *(to_db("date", day) for day in days), *queues],
        )
        for hall_id, queue, day_text, total, priority in waiting:
            group = (hall_id, queue, from_db("date", day_text))
            if group in groups:
                before[group] = (int(total), int(priority))
        lasts = allocate_many(conn, [(*group, len(members)) for group, members in groups.items()])
    for ((hall_id, queue, day), members), last in zip(groups.items(), lasts, strict=True):
        before.setdefault((hall_id, queue, day), (0, 0))
        first = last - len(members) + 1
        for seq, i in zip(range(first, last + 1), members, strict=True):
            if seq > MAX_SEQ:
                results[i] = Conflict(
                    "queue_full", f"{queue} 队列今天的号码已经发完（最多 {MAX_SEQ} 个）"
                )
                continue
            req = requests[i]
            order.append(i)
            rows.append(
                new_ticket_row(
                    public_id=req.body.public_id or new_public_id(),
                    hall_id=hall_id,
                    queue=queue,
                    service_id=req.body.service_id,
                    service_day=day,
                    seq=seq,
                    number=format_number(queue, seq),
                    origin="server",
                    lease_id=None,
                    priority=req.body.priority,
                    now=now,
                    kiosk_issued_at=req.body.issued_at,
                    principal=req.principal.principal,
                    idempotency_key=req.key,
                    request_hash=request_hash(req.body),
                )
            )
    if not rows:
        return
    if conn.dialect.name == "postgresql":
        ids, seqs = _pg_insert(conn, rows, now)
    else:
        ids, seqs = _insert(conn, rows, now)
    # People ahead: all waiting priority tickets are ahead of a normal one; of one's own
    # rank, those already waiting and those earlier in this batch.
    new_normal: dict[tuple[str, str, dt.date], int] = {}
    new_priority: dict[tuple[str, str, dt.date], int] = {}
    for row in rows:
        group = (row.hall_id, row.queue, row.service_day)
        counter = new_priority if row.priority else new_normal
        counter[group] = counter.get(group, 0) + 1
    seen_normal: dict[tuple[str, str, dt.date], int] = {}
    seen_priority: dict[tuple[str, str, dt.date], int] = {}
    for i, ticket_id, row, seq in zip(order, ids, rows, seqs, strict=True):
        group = (row.hall_id, row.queue, row.service_day)
        total, priority = before[group]
        if row.priority:
            ahead = priority + seen_priority.get(group, 0)
            seen_priority[group] = seen_priority.get(group, 0) + 1
        else:
            ahead = total + new_priority.get(group, 0) + seen_normal.get(group, 0)
            seen_normal[group] = seen_normal.get(group, 0) + 1
        hall = halls.get_sync(conn, row.hall_id)
        results[i] = IssueResult(
            view.public(conn, row.with_id(ticket_id), hall, ahead=ahead), True, (row.hall_id, seq)
        )


def _event_data(row: TicketRow) -> dict[str, object]:
    return {"number": row.number, "queue": row.queue, "state": "waiting", "window": None}


_AUDIT_DATA = {"origin": "server"}


def _existing_keys(conn: Connection, pairs: list[tuple[str, str]]) -> set[tuple[str, str]]:
    """SQLite: those of the (principal, idempotency key) ``pairs`` already used (it looks
    up each combination of the two lists in the unique index)."""
    principals = sorted({p for p, _ in pairs})
    keys = sorted({k for _, k in pairs})
    found = cursor(conn).execute(
        sql.SQLITE_EXISTING_KEYS.format(principals=marks(len(principals)), keys=marks(len(keys))),
        [*principals, *keys],
    )
    return {(principal, key) for principal, key in found}


def _allowance_key(
    conn: Connection,
    req: IssueRequest,
    halls: HallDirectory,
    today: Callable[[HallEntry], dt.date],
) -> tuple[int, str, dt.date] | None:
    """The (device, queue, day) allowance a request takes a counter number from: a kiosk's
    ticket without its own number, in a hall there is (None: it takes none)."""
    if not isinstance(req.principal, KioskPrincipal) or req.body.number is not None:
        return None
    hall = halls.get_sync(conn, req.hall_id)
    return None if hall is None else (req.principal.device_id, req.body.queue, today(hall))


def _insert(
    conn: Connection, rows: list[TicketRow], now: dt.datetime
) -> tuple[list[int], list[int]]:
    """SQLite: the tickets, their audit rows and their events, with three statements on
    the driver's cursor; the tickets' ids and the events' seqs, in the order of ``rows``."""
    cur = cursor(conn)
    stamp = to_db("time", now)
    found = cur.execute(
        sql.SQLITE_INSERT_TICKETS.format(rows=marks(len(rows), len(INSERTED_COLUMNS))),
        bound_rows(m.tickets, INSERTED_COLUMNS, (r.values() for r in rows)),
    )
    inserted = {public_id: int(ticket_id) for public_id, ticket_id in found}
    ids = [inserted[row.public_id] for row in rows]
    audit = to_db("json", _AUDIT_DATA)
    cur.executemany(
        sql.SQLITE_INSERT_AUDIT,
        [
            (ticket_id, stamp, row.principal, "issue", None, TicketState.WAITING.value, audit)
            for ticket_id, row in zip(ids, rows, strict=True)
        ],
    )
    events = [
        (row.hall_id, EventType.TICKET.value, stamp, to_db("json", _event_data(row)))
        for row in rows
    ]
    found = cur.execute(sql.SQLITE_INSERT_EVENTS.format(rows=marks(len(rows), 4)), flat(events))
    written = {(hall_id, number): int(seq) for hall_id, number, seq in found}
    return ids, [written[(row.hall_id, row.number)] for row in rows]


def _pg_insert(
    conn: Connection, rows: list[TicketRow], now: dt.datetime
) -> tuple[list[int], list[int]]:
    """:func:`_insert` on PostgreSQL in one statement (``sql.PG_INSERT_BATCH``)."""
    values = [r.values() for r in rows]
    params: dict[str, object] = {name: [v[name] for v in values] for name in values[0]}
    params.update(
        now=now,
        audit_data=json.dumps(_AUDIT_DATA),
        event_hall=[r.hall_id for r in rows],
        event_type=[EventType.TICKET.value] * len(rows),
        event_at=[now] * len(rows),
        event_data=[json.dumps(_event_data(r)) for r in rows],
    )
    inserted: dict[str, int] = {}
    written: dict[tuple[str, str], int] = {}
    for kind, key, number, value in conn.execute(sql.PG_INSERT_BATCH, params):
        if kind == 0:
            inserted[key] = int(value)
        elif kind == 1:
            written[(key, number)] = int(value)
    ids = [inserted[row.public_id] for row in rows]
    return ids, [written[(row.hall_id, row.number)] for row in rows]


def _pg_bump(
    round_: Round, groups: dict[tuple[str, str, dt.date], list[int]]
) -> list[tuple[Any, ...]]:
    """Add the counter bumps and the waiting counts of ``groups`` to ``round_`` as one
    statement (``sql.PG_BUMP_AND_COUNT``); its rows once the round ran."""
    keys = list(groups)
    params = {
        "halls": [hall for hall, _, _ in keys],
        "queues": [queue for _, queue, _ in keys],
        "days": [day for _, _, day in keys],
        "counts": [len(groups[key]) for key in keys],
    }
    return round_.add(sql.PG_BUMP_AND_COUNT, params)


def _pg_lasts(
    bumped: list[tuple[Any, ...]],
    groups: dict[tuple[str, str, dt.date], list[int]],
    before: dict[tuple[str, str, dt.date], tuple[int, int]],
) -> list[int]:
    """From :func:`_pg_bump`'s rows: fills ``before``; the last number of each group."""
    last: dict[tuple[str, str, dt.date], int] = {}
    for hall_id, queue, day, seq, total, priority in bumped:
        last[(hall_id, queue, day)] = int(seq)
        before[(hall_id, queue, day)] = (int(total), int(priority))
    return [last[key] for key in groups]
