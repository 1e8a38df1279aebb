"""Events (calls, ticket changes, content and staff-status publications) and the long-poll.

An event is a row of ``events`` written in the same transaction as the change it
reports; ``seq`` orders them. Each process runs one :class:`EventHub` task that looks for
new rows every ``event_poll_seconds`` with a single cheap query shared by all waiters
(so events written by *any* process are seen), remembers the newest seq per hall, and
wakes only that hall's waiters. A waiter then reads its hall's events after its cursor.

Order across processes: on SQLite writes are serialised by the database lock, so seq
order is commit order. On PostgreSQL a writer first takes a per-hall transaction-level
advisory lock, so within a hall no event with a smaller seq can commit after one with a
larger seq — a waiter that has read up to N never misses a later-committed N-1. There,
writers also NOTIFY with the hall, seq and type of the event (sent with its INSERT,
delivered at commit) and each hub LISTENs: the notification alone wakes the hall's
waiters, and the periodic scan (every second while LISTEN is up) only backs it up.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import logging
import zlib
from collections.abc import Callable, Iterable
from typing import Any, NamedTuple

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from kiosk.core.wire import EventPublic, EventsPublic, EventType
from kiosk.server import models as m
from kiosk.server.db import Database, as_utc, utcnow
from kiosk.server.pg_driver import Round
from kiosk.server.tasks import cancelled

__all__ = [
    "EventHub",
    "HallSeen",
    "lock_hall_events",
    "lock_halls_events",
    "newest_event_seq",
    "notify_payload",
    "parse_notify",
    "read_events",
    "record_event",
]

log = logging.getLogger(__name__)


class HallSeen(NamedTuple):
    """What a scan (or a local commit) saw of one hall."""

    hall_id: str
    #: The hall's newest event seq.
    seq: int
    #: The hall's newest content/staff-status event seq (0: no publication seen).
    published: int = 0


_INSERT_EVENT = sa.insert(m.events).returning(m.events.c.seq)
#: PostgreSQL channel on which event writers announce new events. Payload:
#: ``"<hall id> <seq> <type>"`` of the newest event the transaction wrote for the hall
#: (:func:`notify_payload`), delivered at commit. A bare hall id (older writers) only
#: asks for a scan.
CHANNEL = "kiosk_events"
_LOCK_HALL_EVENTS = sa.text("SELECT pg_advisory_xact_lock(:k)")
#: The event locks of several halls, taken in the order given (psycopg text: a step of a
#: ticket batch's pipelined round, kiosk/server/pg_driver.py).
PG_LOCK_HALLS_EVENTS = (
    "SELECT pg_advisory_xact_lock(u.k) FROM unnest(CAST(%(ks)s AS bigint[])) AS u(k)"
)
#: The event and its NOTIFY in one round trip.
_PG_INSERT_EVENT = sa.text(
    "WITH e AS (INSERT INTO events (hall_id, type, at, data) "
    "VALUES (:hall_id, :type, :at, CAST(:data AS json)) RETURNING seq, hall_id, type) "
    f"SELECT e.seq, pg_notify('{CHANNEL}', e.hall_id || ' ' || e.seq || ' ' || e.type) FROM e"
)
#: Event types that are publications (content, staff status): see HallSeen.published.
PUBLICATIONS = frozenset({EventType.CONTENT.value, EventType.STAFF_STATUS.value})


def notify_payload(hall_id: str, seq: int, type_: str) -> str:
    return f"{hall_id} {seq} {type_}"


def parse_notify(payload: str) -> HallSeen | None:
    """What a NOTIFY says of its hall (None: an old-style payload; scan instead)."""
    parts = payload.split(" ")
    if len(parts) != 3 or not parts[1].isdigit():
        return None
    hall_id, seq, type_ = parts[0], int(parts[1]), parts[2]
    return HallSeen(hall_id, seq, seq if type_ in PUBLICATIONS else 0)


def _events_lock_key(hall_id: str) -> int:
    return zlib.crc32(f"events:{hall_id}".encode())


def lock_hall_events(conn: Connection, hall_id: str) -> None:
    """PostgreSQL: serialise event writers of one hall until commit (see module doc)."""
    conn.execute(_LOCK_HALL_EVENTS, {"k": _events_lock_key(hall_id)})


def lock_halls_events(round_: Round, hall_ids: list[str]) -> None:
    """:func:`lock_hall_events` for several halls, as a step of ``round_``, in sorted order
    (the one order every writer takes them in: no deadlocks)."""
    halls = sorted(set(hall_ids))
    round_.add(PG_LOCK_HALLS_EVENTS, {"ks": [_events_lock_key(h) for h in halls]})


def record_event(conn: Connection, hall_id: str, type_: EventType, data: dict[str, Any]) -> int:
    """Append an event inside the caller's transaction; returns its seq. On PostgreSQL it
    also NOTIFYs every server process's hub with the hall, seq and type (at commit)."""
    params: dict[str, Any] = {"hall_id": hall_id, "type": type_.value, "at": utcnow()}
    if conn.dialect.name == "postgresql":
        lock_hall_events(conn, hall_id)
        params["data"] = json.dumps(data)
        return int(conn.execute(_PG_INSERT_EVENT, params).one()[0])
    params["data"] = data
    return int(conn.execute(_INSERT_EVENT, params).scalar_one())


def newest_event_seq(conn: Connection) -> int:
    """The newest event's number across all halls (0 when there is none)."""
    return int(conn.execute(sa.select(sa.func.max(m.events.c.seq))).scalar() or 0)


def read_events(conn: Connection, hall_id: str, after: int, limit: int = 500) -> list[EventPublic]:
    rows = conn.execute(
        sa.select(m.events)
        .where(m.events.c.hall_id == hall_id, m.events.c.seq > after)
        .order_by(m.events.c.seq)
        .limit(limit)
    ).all()
    return [
        EventPublic(
            seq=r.seq,
            type=EventType(r.type),
            hall_id=r.hall_id,
            at=as_utc(r.at) or utcnow(),
            data=r.data,
        )
        for r in rows
    ]


class EventHub:
    """One per process: notices new events and wakes the waiters of their hall."""

    def __init__(self, db: Database, interval: float) -> None:
        self.db = db
        self.interval = interval
        self.last_seq = 0
        self.hall_latest: dict[str, int] = {}
        self.hall_published: dict[str, int] = {}
        self._wakers: dict[str, asyncio.Event] = {}
        self._reads: dict[tuple[str, int], asyncio.Future[bytes | None]] = {}
        self._task: asyncio.Task[None] | None = None
        self._listener: asyncio.Task[None] | None = None
        self._poke = asyncio.Event()
        self._scanning: asyncio.Future[None] | None = None
        #: Set when the process is shutting down: no long-poll waits any more.
        self.closing = False
        #: Called with the hall id when a new content/staff-status version is seen.
        self.on_publication: list[Callable[[str], None]] = []
        #: Event-loop time of the watcher's last successful scan (``/ready`` reads it).
        self.last_scan_at: float | None = None
        #: PostgreSQL: whether the LISTEN connection is up (the scan works without it).
        self.listening = False

    #: How far behind the newest seq each scan looks on PostgreSQL, where a transaction
    #: that took a seq earlier may commit after one that took a later seq (other hall).
    LOOKBACK = 1000

    async def start(self) -> None:
        newest, halls = await self.db.read(lambda c: self._scan(c, startup=True))
        self.notice(halls, newest=newest)
        self._task = asyncio.create_task(self._watch(), name="event-hub")
        if self.db.kind == "postgresql":
            self._listener = asyncio.create_task(self._listen(), name="event-hub-listen")

    async def stop(self) -> None:
        for task in (self._task, self._listener):
            await cancelled(task)

    async def scan_now(self) -> None:
        """Scan at once (sharing a scan already under way) and apply what it saw."""
        if self._scanning is None:
            self._scanning = asyncio.ensure_future(self._scan_and_notice())
            self._scanning.add_done_callback(lambda _f: setattr(self, "_scanning", None))
        await asyncio.shield(self._scanning)

    async def _scan_and_notice(self) -> None:
        newest, halls = await self.db.read(self._scan)
        self.notice(halls, newest=newest)

    async def _listen(self) -> None:
        """PostgreSQL: LISTEN for writers' NOTIFY and scan at once instead of at the next
        tick. The periodic scan stays: it alone guarantees nothing is missed."""
        import psycopg

        conninfo = self.db.url.replace("postgresql+psycopg://", "postgresql://", 1)
        while True:
            try:
                async with await psycopg.AsyncConnection.connect(conninfo, autocommit=True) as conn:
                    await conn.execute(f"LISTEN {CHANNEL}")
                    self.listening = True
                    self._poke.set()  # whatever was written while not listening
                    async for note in conn.notifies():
                        seen = parse_notify(note.payload)
                        if seen is None:
                            self._poke.set()
                        else:
                            # The hall's seq itself: its waiters wake now, no scan (the
                            # hall's event lock orders its commits, so all up to seq are in).
                            self.notice([seen])
            except asyncio.CancelledError:
                raise
            except Exception:  # the database went away; the periodic scan carries on
                self.listening = False
                log.warning("event listener: connection lost; reconnecting", exc_info=True)
                await asyncio.sleep(1)

    def fan_out_problem(self) -> str | None:
        """Why events may not reach this process's waiters now, or None when they do."""
        if self._task is None or self._task.done():
            return "事件监视任务没有运行"
        if self.last_scan_at is None:
            return "事件监视还没有完成第一次扫描"
        age = asyncio.get_running_loop().time() - self.last_scan_at
        if age > max(5.0, 50 * self.interval):
            return f"事件监视已 {age:.0f} 秒没有读到数据库"
        return None

    def close_waiters(self) -> None:
        """Shutdown: wake every waiting long-poll at once and let no new one wait.

        Called as soon as the process is told to stop (SIGTERM/SIGINT, see
        :func:`kiosk.server.app.create_app`), before uvicorn waits for open requests: each
        waiter then answers an ordinary empty page instead of being cancelled (a 500).
        """
        self.closing = True
        wakers, self._wakers = self._wakers, {}
        for waker in wakers.values():
            waker.set()

    def latest(self, hall_id: str) -> int:
        return self.hall_latest.get(hall_id, 0)

    def _scan(self, conn: Connection, *, startup: bool = False) -> tuple[int, list[HallSeen]]:
        newest = conn.execute(sa.select(sa.func.max(m.events.c.seq))).scalar() or 0
        ordered = conn.dialect.name == "sqlite"  # one writer at a time: seq = commit order
        if ordered and not startup and newest <= self.last_seq:
            return newest, []
        floor = (
            self.last_seq
            if ordered and not startup
            else max(self.last_seq, newest) - (self.LOOKBACK)
        )
        e = m.events.c
        published = sa.func.max(sa.case((e.type.in_(("content", "staff_status")), e.seq), else_=0))
        rows = conn.execute(
            sa.select(e.hall_id, sa.func.max(e.seq), published)
            .where(e.seq > max(0, floor))
            .group_by(e.hall_id)
        ).all()
        return newest, [HallSeen(h, int(s), int(p or 0)) for h, s, p in rows]

    async def _watch(self) -> None:
        while True:
            try:
                newest, halls = await self.db.read(self._scan)
                self.notice(halls, newest=newest)
                self.last_scan_at = asyncio.get_running_loop().time()
            except asyncio.CancelledError:
                raise
            except Exception:  # the database may be briefly unavailable; keep watching
                log.exception("event watcher: scan failed")
                await asyncio.sleep(1)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._poke.wait(), self._scan_interval())
            self._poke.clear()

    #: PostgreSQL, while LISTEN is up: the NOTIFYs carry each hall's seq, so the periodic
    #: scan is only the safety net and runs this often (at least).
    LISTENING_SCAN_SECONDS = 1.0

    def _scan_interval(self) -> float:
        if self.db.kind == "postgresql" and self.listening:
            return max(self.interval, self.LISTENING_SCAN_SECONDS)
        return self.interval

    def notice(self, halls: Iterable[HallSeen], *, newest: int = 0) -> None:
        """Record what a scan saw of each hall, and the newest seq of all (``newest``).

        Also called right after a local commit (no ``newest``), to skip the wait.
        """
        for hall_id, seq, published in halls:
            if seq > self.hall_latest.get(hall_id, 0):
                self.hall_latest[hall_id] = seq
                waker = self._wakers.pop(hall_id, None)
                if waker is not None:
                    waker.set()
            if published > self.hall_published.get(hall_id, 0):
                self.hall_published[hall_id] = published
                for callback in self.on_publication:
                    callback(hall_id)
        self.last_seq = max(self.last_seq, newest)

    async def shared_read(self, hall_id: str, after: int) -> bytes | None:
        """The hall's events after ``after`` as an encoded :class:`EventsPublic`, or None.

        Waiters woken together ask the same question: one database read answers them all.
        """
        key = (hall_id, after)
        pending = self._reads.get(key)
        if pending is None:
            pending = asyncio.ensure_future(self._read_encoded(hall_id, after))
            self._reads[key] = pending
            pending.add_done_callback(lambda _f: self._reads.pop(key, None))
        return await asyncio.shield(pending)

    async def _read_encoded(self, hall_id: str, after: int) -> bytes | None:
        events = await self.db.read(lambda c: read_events(c, hall_id, after))
        if not events:
            return None
        # What a waiter read may be news to this process (written by another one).
        published = max(
            (e.seq for e in events if e.type in (EventType.CONTENT, EventType.STAFF_STATUS)),
            default=0,
        )
        self.notice([HallSeen(hall_id, seq=events[-1].seq, published=published)])
        return EventsPublic(events=events, last_seq=events[-1].seq).model_dump_json().encode()

    async def wait_for(self, hall_id: str, after: int, seconds: float) -> bool:
        """Wait until the hall has an event after ``after``; False on timeout or when the
        process is shutting down (:meth:`close_waiters`)."""
        deadline = asyncio.get_running_loop().time() + seconds
        while self.latest(hall_id) <= after:
            if self.closing:
                return False
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                return False
            waker = self._wakers.get(hall_id)
            if waker is None:
                waker = self._wakers[hall_id] = asyncio.Event()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(waker.wait(), remaining)
        return True


def event_time(value: dt.datetime) -> dt.datetime:
    return as_utc(value) or utcnow()
