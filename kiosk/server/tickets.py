"""Issuing tickets (with idempotency and group commit) and what a resident sees of one.

``POST /tickets`` requests are queued to one :class:`IssueWriter` per process which runs
whatever has piled up in a single transaction on the writer thread (each request in its
own savepoint), commits once, then answers all of them: a 201 is only ever sent after
the commit that contains its ticket. Under load that turns N fsyncs into one.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import hashlib
import logging
import time
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Row
from sqlalchemy.exc import IntegrityError

from kiosk.core.queueing import estimate_wait_minutes
from kiosk.core.tickets import format_number, new_public_id, service_day, ticket_url
from kiosk.core.wire import EventType, TicketCreate, TicketPublic, TicketState
from kiosk.server import models as m
from kiosk.server.auth import KioskPrincipal, Principal
from kiosk.server.content_store import HallDirectory, HallEntry
from kiosk.server.db import Database, as_utc, utcnow
from kiosk.server.errors import ApiError
from kiosk.server.events import EventHub, lock_hall_events, record_event
from kiosk.server.kiosk_quota import KioskQuota
from kiosk.server.numbering import (
    MAX_SEQ,
    Numbered,
    allocate,
    check_leased_number,
    next_number,
)

__all__ = ["IssueRequest", "IssueResult", "IssueWriter", "TicketView", "issue_one"]

log = logging.getLogger(__name__)

# Statements of the hot path, built once (SQLAlchemy then reuses their compiled form).
_t = m.tickets
_WAITING_IN_QUEUE = sa.and_(
    _t.c.hall_id == sa.bindparam("hall"),
    _t.c.service_day == sa.bindparam("day"),
    _t.c.queue == sa.bindparam("queue"),
    _t.c.state == TicketState.WAITING.value,
)
_EARLIER = sa.or_(
    _t.c.queued_at < sa.bindparam("at"),
    sa.and_(_t.c.queued_at == sa.bindparam("at"), _t.c.id < sa.bindparam("id")),
)
_AHEAD_OF_PRIORITY = (
    sa.select(sa.func.count())
    .select_from(_t)
    .where(_WAITING_IN_QUEUE, _t.c.priority.is_(True), _EARLIER)
)
_AHEAD_OF_NORMAL = (
    sa.select(sa.func.count())
    .select_from(_t)
    .where(
        _WAITING_IN_QUEUE,
        sa.or_(_t.c.priority.is_(True), sa.and_(_t.c.priority.is_(False), _EARLIER)),
    )
)
_BY_KEY = sa.select(_t).where(
    _t.c.principal == sa.bindparam("principal"), _t.c.idempotency_key == sa.bindparam("key")
)
_ID_TAKEN = sa.select(_t.c.id).where(_t.c.public_id == sa.bindparam("public_id"))
_IDS_TAKEN = sa.select(_t.c.public_id).where(
    _t.c.public_id.in_(sa.bindparam("public_ids", expanding=True))
)
_INSERT_TICKET = sa.insert(_t).returning(_t.c.id)
_INSERT_AUDIT = sa.insert(m.ticket_audit)


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

    def recent_service_seconds(self, conn: Connection, row: Row[Any]) -> list[float]:
        """Today's last 20 service times of the queue (cached for 10 s per process)."""
        key = (row.hall_id, row.queue, row.service_day)
        now = time.monotonic()
        hit = self._recent.get(key)
        if hit is not None and hit[0] > now:
            return hit[1]
        t = m.tickets
        rows = conn.execute(
            sa.select(t.c.called_at, t.c.finished_at)
            .where(
                t.c.hall_id == row.hall_id,
                t.c.queue == row.queue,
                t.c.service_day == row.service_day,
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

    def people_ahead(self, conn: Connection, row: Any) -> int:
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
        statement = _AHEAD_OF_PRIORITY if row.priority else _AHEAD_OF_NORMAL
        return int(conn.execute(statement, params).scalar_one())

    def public(
        self, conn: Connection, row: Any, hall: HallEntry | None = None, *, ahead: int | None = None
    ) -> TicketPublic:
        """The wire view of a ticket row (or of anything with the same attributes)."""
        if ahead is None:
            ahead = self.people_ahead(conn, row)
        if row.state == TicketState.WAITING.value:
            windows = hall.windows_for(row.queue) if hall is not None else 1
            wait = estimate_wait_minutes(
                ahead, self.recent_service_seconds(conn, row), self.default_minutes, windows
            )
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


def _by_key(conn: Connection, principal: str, key: str) -> Row[Any] | None:
    return conn.execute(_BY_KEY, {"principal": principal, "key": key}).first()


def _replay(row: Row[Any], digest: str, key: str) -> None:
    if row.request_hash != digest:
        raise ApiError(
            409,
            "idempotency_conflict",
            f"Idempotency-Key {key} 已用于另一张不同内容的取号请求",
            field="Idempotency-Key",
        )


def _validate(hall: HallEntry, body: TicketCreate) -> None:
    queue = hall.queue(body.queue)
    if queue is None:
        raise ApiError(422, "unknown_queue", f"本大厅没有 {body.queue} 队列", field="queue")
    if body.service_id is not None and not hall.has_service(body.service_id):
        raise ApiError(
            422, "unknown_service", f"本大厅没有编号为 {body.service_id} 的服务", field="service_id"
        )


def _public_id(conn: Connection, wanted: str | None) -> str:
    """The kiosk's own public id for a new ticket, unless it is None or already another
    ticket's: then a fresh one (the answer's ``id`` tells the kiosk which it got)."""
    if wanted is not None:
        if conn.execute(_ID_TAKEN, {"public_id": wanted}).first() is None:
            return wanted
        log.warning("public id sent for a new ticket is already taken; minted another")
    return new_public_id()


def _check_day(hall: HallEntry, day: dt.date) -> None:
    today = service_day(utcnow(), hall.zone)
    if not today - dt.timedelta(days=7) <= day <= today + dt.timedelta(days=1):
        raise ApiError(
            422, "invalid_number", f"号码的日期 {day} 不在允许范围内", field="number.service_day"
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
        _replay(existing, digest, req.key)
        return IssueResult(view.public(conn, existing, hall), False)
    if hall is None:
        raise ApiError(404, "unknown_hall", f"没有编号为 {req.hall_id} 的大厅", field="hall_id")
    body = req.body
    _validate(hall, body)
    now = utcnow()
    numbered: Numbered | None = None
    try:
        with _item_scope(conn):
            if body.number is not None:
                if not isinstance(req.principal, KioskPrincipal):
                    raise ApiError(
                        422, "invalid_number", "只有自助机可以提交离线号码", field="number"
                    )
                _check_day(hall, body.number.service_day)
                numbered = check_leased_number(conn, req.principal, body.queue, body.number)
                day = body.number.service_day
            else:
                day = service_day(now, hall.zone)
                numbered = next_number(conn, req.hall_id, body.queue, day)
            values = {
                "public_id": _public_id(conn, body.public_id),
                "hall_id": req.hall_id,
                "queue": body.queue,
                "number_queue": body.queue,
                "service_id": body.service_id,
                "service_day": day,
                "seq": numbered.seq,
                "number": numbered.text,
                "origin": numbered.origin,
                "lease_id": numbered.lease_id,
                "priority": body.priority,
                "state": TicketState.WAITING.value,
                "issued_at": now,
                "queued_at": now,
                "kiosk_issued_at": body.issued_at,
                "principal": principal,
                "idempotency_key": req.key,
                "request_hash": digest,
            }
            ticket_id = conn.execute(_INSERT_TICKET, values).scalar_one()
            conn.execute(
                _INSERT_AUDIT,
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
            _replay(existing, digest, req.key)
            return IssueResult(view.public(conn, existing, hall), False)
        if (
            not again
            and body.public_id is not None
            and conn.dialect.name == "postgresql"
            and conn.execute(_ID_TAKEN, {"public_id": body.public_id}).first() is not None
        ):
            # Another transaction took the same id in between (the savepoint undid ours):
            # issue it again, now under an id of the server's.
            return issue_one(conn, req, halls, view, again=True)
        text = numbered.text if numbered is not None else ""
        raise ApiError(
            409, "number_taken", f"号码 {text} 已经被使用", field="number.text"
        ) from None
    row = SimpleNamespace(id=ticket_id, called_at=None, window=None, **values)
    return IssueResult(view.public(conn, row, hall), True, (req.hall_id, seq))


_EXISTING_KEYS = sa.select(_t).where(
    _t.c.principal.in_(sa.bindparam("principals", expanding=True)),
    _t.c.idempotency_key.in_(sa.bindparam("keys", expanding=True)),
)
_WAITING_COUNTS = sa.select(
    sa.func.count(), sa.func.coalesce(sa.func.sum(sa.case((_t.c.priority, 1), else_=0)), 0)
).where(_WAITING_IN_QUEUE)
_INSERT_TICKETS = sa.insert(_t).returning(_t.c.id, sort_by_parameter_order=True)
_INSERT_EVENTS = sa.insert(m.events).returning(m.events.c.seq, sort_by_parameter_order=True)


def _charge_kiosks(
    conn: Connection,
    requests: list[IssueRequest],
    existing: set[tuple[str, str]],
    quota: KioskQuota,
    halls: HallDirectory,
    now: dt.datetime,
) -> dict[int, ApiError]:
    """Each kiosk's new tickets against its rate and its daily allowance of counter numbers
    (kiosk/server/kiosk_quota.py); returns the refusals by request index."""
    fresh: dict[int, list[int]] = {}
    seen: set[tuple[str, str]] = set()
    for i, req in enumerate(requests):
        ident = (req.principal.principal, req.key)
        new = ident not in existing and ident not in seen
        if isinstance(req.principal, KioskPrincipal) and new:
            seen.add(ident)
            fresh.setdefault(req.principal.device_id, []).append(i)
    refused: dict[int, ApiError] = {}
    for device_id, members in sorted(fresh.items()):
        granted, wait = quota.take_tickets(conn, device_id, len(members))
        refused.update((i, quota.too_fast(wait)) for i in members[granted:])
        wanting: dict[tuple[str, dt.date], list[int]] = {}
        for i in members[:granted]:
            hall = halls.get_sync(conn, requests[i].hall_id)
            if requests[i].body.number is None and hall is not None:
                day = service_day(now, hall.zone)
                wanting.setdefault((requests[i].body.queue, day), []).append(i)
        for (queue, day), idx in sorted(wanting.items()):
            got = quota.take_numbers(conn, device_id, queue, day, len(idx))
            refused.update((i, quota.allowance_spent(queue)) for i in idx[got:])
    return refused


def issue_many(
    conn: Connection,
    requests: list[IssueRequest],
    halls: HallDirectory,
    view: TicketView,
    quota: KioskQuota | None = None,
) -> list[IssueResult | ApiError]:
    """Issue many tickets in the caller's transaction with a handful of statements.

    The common case — a new, server-numbered ticket — is done in bulk: one look-up of
    the idempotency keys, one counter bump and one count per queue, one multi-row INSERT
    each for tickets, audit rows and events. People ahead follow from the counts taken
    before the insert (priority first, then arrival). Everything else (replays, offline
    numbers, a key repeated within the batch) and any bulk step that hits a constraint
    goes through :func:`issue_one`, one by one, afterwards.
    """
    results: list[IssueResult | ApiError | None] = [None] * len(requests)
    existing = {
        (row.principal, row.idempotency_key)
        for row in conn.execute(
            _EXISTING_KEYS,
            {
                "principals": sorted({r.principal.principal for r in requests}),
                "keys": sorted({r.key for r in requests}),
            },
        )
    }
    wanted_ids = sorted({r.body.public_id for r in requests if r.body.public_id is not None})
    taken_ids = (
        set(conn.execute(_IDS_TAKEN, {"public_ids": wanted_ids}).scalars()) if wanted_ids else set()
    )
    now = utcnow()
    if quota is not None:
        for i, refusal in _charge_kiosks(conn, requests, existing, quota, halls, now).items():
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
        hall = halls.get_sync(conn, req.hall_id)
        try:
            if hall is None:
                raise ApiError(
                    404, "unknown_hall", f"没有编号为 {req.hall_id} 的大厅", field="hall_id"
                )
            _validate(hall, req.body)
        except ApiError as exc:
            results[i] = exc
            continue
        seen.add(ident)
        if own_id is not None:
            seen_ids.add(own_id)
        groups.setdefault((req.hall_id, req.body.queue, service_day(now, hall.zone)), []).append(i)
    if groups:
        if conn.dialect.name == "postgresql":
            # Every writer takes its halls' event locks first, in one order: no deadlocks.
            for hall_id in sorted({hall for hall, _, _ in groups}):
                lock_hall_events(conn, hall_id)
            groups = dict(sorted(groups.items()))
        try:
            with conn.begin_nested():
                _bulk(conn, requests, groups, results, now, halls, view)
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
        except ApiError as exc:
            results[i] = exc
    assert all(r is not None for r in results)
    return [r for r in results if r is not None]


def _bulk(
    conn: Connection,
    requests: list[IssueRequest],
    groups: dict[tuple[str, str, dt.date], list[int]],
    results: list[IssueResult | ApiError | None],
    now: dt.datetime,
    halls: HallDirectory,
    view: TicketView,
) -> None:
    rows: list[dict[str, Any]] = []
    order: list[int] = []
    before: dict[tuple[str, str, dt.date], tuple[int, int]] = {}
    for (hall_id, queue, day), members in groups.items():
        total, priority = conn.execute(
            _WAITING_COUNTS, {"hall": hall_id, "day": day, "queue": queue}
        ).one()
        before[(hall_id, queue, day)] = (int(total), int(priority))
        last = allocate(conn, hall_id, queue, day, len(members))
        first = last - len(members) + 1
        for seq, i in zip(range(first, last + 1), members, strict=True):
            if seq > MAX_SEQ:
                results[i] = ApiError(
                    409, "queue_full", f"{queue} 队列今天的号码已经发完（最多 {MAX_SEQ} 个）"
                )
                continue
            req = requests[i]
            order.append(i)
            rows.append(
                {
                    "public_id": req.body.public_id or new_public_id(),
                    "hall_id": hall_id,
                    "queue": queue,
                    "number_queue": queue,
                    "service_id": req.body.service_id,
                    "service_day": day,
                    "seq": seq,
                    "number": format_number(queue, seq),
                    "origin": "server",
                    "lease_id": None,
                    "priority": req.body.priority,
                    "state": TicketState.WAITING.value,
                    "issued_at": now,
                    "queued_at": now,
                    "kiosk_issued_at": req.body.issued_at,
                    "principal": req.principal.principal,
                    "idempotency_key": req.key,
                    "request_hash": request_hash(req.body),
                }
            )
    if not rows:
        return
    ids = list(conn.execute(_INSERT_TICKETS, rows).scalars())
    conn.execute(
        _INSERT_AUDIT,
        [
            {
                "ticket_id": ticket_id,
                "at": now,
                "actor": row["principal"],
                "action": "issue",
                "from_state": None,
                "to_state": TicketState.WAITING.value,
                "data": {"origin": "server"},
            }
            for ticket_id, row in zip(ids, rows, strict=True)
        ],
    )
    seqs = list(
        conn.execute(
            _INSERT_EVENTS,
            [
                {
                    "hall_id": row["hall_id"],
                    "type": EventType.TICKET.value,
                    "at": now,
                    "data": {
                        "number": row["number"],
                        "queue": row["queue"],
                        "state": "waiting",
                        "window": None,
                    },
                }
                for row in rows
            ],
        ).scalars()
    )
    # People ahead: all waiting priority tickets are ahead of a normal one; of one's own
    # rank, those already waiting and those earlier in this batch.
    new_normal: dict[tuple[str, str, dt.date], int] = {}
    new_priority: dict[tuple[str, str, dt.date], int] = {}
    for row in rows:
        group = (row["hall_id"], row["queue"], row["service_day"])
        counter = new_priority if row["priority"] else new_normal
        counter[group] = counter.get(group, 0) + 1
    seen_normal: dict[tuple[str, str, dt.date], int] = {}
    seen_priority: dict[tuple[str, str, dt.date], int] = {}
    for i, ticket_id, row, seq in zip(order, ids, rows, seqs, strict=True):
        group = (row["hall_id"], row["queue"], row["service_day"])
        total, priority = before[group]
        if row["priority"]:
            ahead = priority + seen_priority.get(group, 0)
            seen_priority[group] = seen_priority.get(group, 0) + 1
        else:
            ahead = total + new_priority.get(group, 0) + seen_normal.get(group, 0)
            seen_normal[group] = seen_normal.get(group, 0) + 1
        hall = halls.get_sync(conn, row["hall_id"])
        ticket = SimpleNamespace(id=ticket_id, called_at=None, window=None, **row)
        results[i] = IssueResult(
            view.public(conn, ticket, hall, ahead=ahead), True, (row["hall_id"], seq)
        )


@dataclass(slots=True)
class _Job:
    request: IssueRequest
    future: asyncio.Future[IssueResult] = field(repr=False)


class IssueWriter:
    """Group commit for ticket issues: one transaction for everything that piled up."""

    MAX_BATCH = 200
    GATHER_PASSES = 4

    def __init__(
        self,
        db: Database,
        halls: HallDirectory,
        view: TicketView,
        hub: EventHub,
        quota: KioskQuota | None = None,
    ):
        self.db = db
        self.quota = quota
        self.halls = halls
        self.view = view
        self.hub = hub
        self._queue: asyncio.Queue[_Job] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="issue-writer")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def submit(self, request: IssueRequest) -> IssueResult:
        future: asyncio.Future[IssueResult] = asyncio.get_running_loop().create_future()
        await self._queue.put(_Job(request, future))
        return await future

    def _transaction(self, conn: Connection, jobs: list[_Job]) -> list[IssueResult | ApiError]:
        return issue_many(conn, [job.request for job in jobs], self.halls, self.view, self.quota)

    async def _run(self) -> None:
        while True:
            jobs = [await self._queue.get()]
            # Let requests whose bytes are already here join this batch: one pass of the
            # event loop costs microseconds, a commit (fsync) milliseconds.
            for _ in range(self.GATHER_PASSES):
                while len(jobs) < self.MAX_BATCH and not self._queue.empty():
                    jobs.append(self._queue.get_nowait())
                await asyncio.sleep(0)
            while len(jobs) < self.MAX_BATCH and not self._queue.empty():
                jobs.append(self._queue.get_nowait())
            try:
                results = await self.db.write(lambda c, js=jobs: self._transaction(c, js))
            except asyncio.CancelledError:
                for job in jobs:
                    if not job.future.done():
                        job.future.cancel()
                raise
            except Exception as exc:
                log.exception("ticket batch of %d failed", len(jobs))
                for job in jobs:
                    if not job.future.done():
                        job.future.set_exception(exc)
                continue
            for job, result in zip(jobs, results, strict=True):
                if job.future.done():
                    continue
                if isinstance(result, ApiError):
                    job.future.set_exception(result)
                else:
                    if result.event is not None:
                        self.hub.notice(0, [(result.event[0], result.event[1], 0)])
                    job.future.set_result(result)
