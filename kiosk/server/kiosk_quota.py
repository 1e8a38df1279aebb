"""What one kiosk token may do to a hall's queues (docs/NUMBERING.md, "One kiosk's share").

Two limits, both kept in the database and taken inside the caller's write transaction
(SQLite: ``BEGIN IMMEDIATE``; PostgreSQL: the row is locked ``FOR UPDATE``), so they hold
across server processes and under parallel requests:

- **Numbers per queue and day** (``kiosk_numbers_per_queue_day``, default 300 of the 999):
  every number a kiosk takes from a queue's day counter — a leased block, or a number the
  server gives a kiosk's ticket that carries none — counts against its allowance in
  ``kiosk_allowance``. A lease is shortened to what is left; with nothing left the answer is
  ``429 kiosk_quota`` and the kiosk numbers from its own fallback series (which uses none
  of the counter). So one token can never use up a queue for the other kiosks and windows.
- **Ticket rate** (``kiosk_ticket_burst``, ``kiosk_tickets_per_minute``): a token bucket per
  kiosk in ``kiosk_rate`` for every new ticket it delivers (replays of a delivered ticket are
  free). Beyond it: ``429 rate_limited`` with ``Retry-After``; the kiosk's courier keeps the
  tickets and delivers them later. Refusals are counted (``refused``, ``refused_at``) and
  shown on the admin fleet page.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from kiosk.server.db import as_utc, utcnow
from kiosk.server.domain_errors import TooMany
from kiosk.server.models import Time, kiosk_allowance, kiosk_rate
from kiosk.server.sqlite_driver import cursor, flat, from_db, is_sqlite, marks, to_db

__all__ = ["KioskQuota", "kiosk_allowance", "kiosk_rate", "refusals"]


# The batch statements of a ticket batch (take_tickets_many, take_numbers_many), built once.
# Each kiosk's row is made if missing and read, locked, in one statement: an upsert that
# "updates" an existing row to itself and returns it (PostgreSQL locks a row it updates,
# as FOR UPDATE would; SQLite holds the write lock since BEGIN IMMEDIATE).


def _upsert_returning(table: sa.Table, keys: list[str], same: str) -> Any:
    insert = postgresql.insert(table)
    return insert.on_conflict_do_update(
        index_elements=[table.c[k] for k in keys], set_={same: table.c[same]}
    ).returning(*table.c)


_PG_RATES = _upsert_returning(kiosk_rate, ["device_id"], "tokens")
_PG_ALLOWANCES = _upsert_returning(kiosk_allowance, ["device_id", "queue", "service_day"], "taken")
_NOW = sa.bindparam("b_now", type_=Time)
_REFUSED = sa.bindparam("b_refused", type_=sa.Integer)
_SET_RATE = (
    sa.update(kiosk_rate)
    .where(kiosk_rate.c.device_id == sa.bindparam("b_device"))
    .values(
        tokens=sa.bindparam("b_tokens", type_=sa.Float),
        updated_at=_NOW,
        refused=kiosk_rate.c.refused + _REFUSED,
        refused_at=sa.case((_REFUSED > 0, _NOW), else_=kiosk_rate.c.refused_at),
    )
)
_ADD_REFUSED = (
    sa.update(kiosk_rate)
    .where(kiosk_rate.c.device_id == sa.bindparam("b_device"))
    .values(refused=kiosk_rate.c.refused + _REFUSED, refused_at=_NOW)
)
_ADD_TAKEN = (
    sa.update(kiosk_allowance)
    .where(
        kiosk_allowance.c.device_id == sa.bindparam("b_device"),
        kiosk_allowance.c.queue == sa.bindparam("b_queue"),
        kiosk_allowance.c.service_day == sa.bindparam("b_day"),
    )
    .values(taken=kiosk_allowance.c.taken + sa.bindparam("b_granted", type_=sa.Integer))
)
# The same steps as SQLite text, for the driver's own cursor (kiosk/server/sqlite_driver.py).
_SQLITE_RATES = (
    "INSERT INTO kiosk_rate (device_id, tokens, updated_at, refused) VALUES {rows} "
    "ON CONFLICT (device_id) DO UPDATE SET tokens = tokens "
    "RETURNING device_id, tokens, updated_at"
)
_SQLITE_ALLOWANCES = (
    "INSERT INTO kiosk_allowance (device_id, queue, service_day, taken) VALUES {rows} "
    "ON CONFLICT (device_id, queue, service_day) DO UPDATE SET taken = taken "
    "RETURNING device_id, queue, service_day, taken"
)
_SQLITE_SET_RATE = (
    "UPDATE kiosk_rate SET tokens = ?, updated_at = ?, refused = refused + ?, "
    "refused_at = CASE WHEN ? > 0 THEN ? ELSE refused_at END WHERE device_id = ?"
)
_SQLITE_ADD_TAKEN = (
    "UPDATE kiosk_allowance SET taken = taken + ? "
    "WHERE device_id = ? AND queue = ? AND service_day = ?"
)


@dataclass(frozen=True, slots=True)
class _RateRow:
    tokens: float
    updated_at: dt.datetime | None


def _locked(
    conn: Connection, table: sa.Table, key: dict[str, object], fresh: dict[str, object]
) -> sa.Row[Any]:
    """The row of ``table`` at ``key`` (made from ``fresh`` if missing), locked until commit."""
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    conn.execute(dialect.insert(table).values({**key, **fresh}).on_conflict_do_nothing())
    query = sa.select(table).where(*(table.c[name] == value for name, value in key.items()))
    if conn.dialect.name == "postgresql":
        query = query.with_for_update()
    return conn.execute(query).one()


@dataclass(frozen=True, slots=True)
class KioskQuota:
    burst: int
    per_minute: float
    numbers_per_queue_day: int

    def take_numbers(
        self, conn: Connection, device_id: int, queue: str, day: dt.date, count: int
    ) -> int:
        """Take up to ``count`` numbers of the kiosk's allowance for ``queue`` on ``day``;
        returns how many it may have (0: none left today)."""
        # The kiosk's rate row first, as take_tickets does: one lock order, no deadlocks.
        self._rate_row(conn, device_id)
        key = {"device_id": device_id, "queue": queue, "service_day": day}
        row = _locked(conn, kiosk_allowance, key, {"taken": 0})
        granted = max(0, min(count, self.numbers_per_queue_day - int(row.taken)))
        if granted < count:
            self._refused(conn, device_id, count - granted)
        if granted:
            conn.execute(
                sa.update(kiosk_allowance)
                .where(*(kiosk_allowance.c[k] == v for k, v in key.items()))
                .values(taken=kiosk_allowance.c.taken + granted)
            )
        return granted

    def _rate_row(self, conn: Connection, device_id: int) -> sa.Row[Any]:
        fresh = {"tokens": float(self.burst), "updated_at": utcnow(), "refused": 0}
        return _locked(conn, kiosk_rate, {"device_id": device_id}, fresh)

    def _refused(self, conn: Connection, device_id: int, count: int) -> None:
        now = utcnow()
        conn.execute(
            sa.update(kiosk_rate)
            .where(kiosk_rate.c.device_id == device_id)
            .values(refused=kiosk_rate.c.refused + count, refused_at=now)
        )

    def allowance_spent(self, queue: str) -> TooMany:
        return TooMany(
            "kiosk_quota",
            f"本机今天在 {queue} 队列已取满 {self.numbers_per_queue_day} 个号码，"
            "请用本机备用号段或到窗口取号",
            field="queue",
            retry_after=3600,
        )

    def take_tickets(self, conn: Connection, device_id: int, count: int) -> tuple[int, int]:
        """Take ``count`` tickets from the kiosk's bucket: (how many may go, Retry-After
        seconds for the rest)."""
        now = utcnow()
        row = self._rate_row(conn, device_id)
        granted, tokens, wait = self._bucket(row, count, now)
        refused = count - granted
        values: dict[str, object] = {"tokens": tokens, "updated_at": now}
        if refused:
            values["refused"] = kiosk_rate.c.refused + refused
            values["refused_at"] = now
        conn.execute(
            sa.update(kiosk_rate).where(kiosk_rate.c.device_id == device_id).values(values)
        )
        return granted, wait

    def _bucket(self, row: Any, count: int, now: dt.datetime) -> tuple[int, float, int]:
        """The one token-bucket rule: of ``count`` tickets, how many may go now, the tokens
        left, and the Retry-After seconds for the rest (at least 1)."""
        last = as_utc(row.updated_at) or now
        elapsed = max(0.0, (now - last).total_seconds())
        tokens = min(float(self.burst), float(row.tokens) + elapsed * self.per_minute / 60.0)
        granted = max(0, min(count, math.floor(tokens)))
        tokens -= granted
        wait = math.ceil((1.0 - tokens) * 60.0 / self.per_minute) if tokens < 1 else 0
        return granted, tokens, max(1, wait)

    def take_tickets_many(
        self, conn: Connection, counts: dict[int, int]
    ) -> dict[int, tuple[int, int]]:
        """:meth:`take_tickets` for several kiosks at once (device id → count), in a fixed
        number of statements; the rate rows are locked in device order."""
        if not counts:
            return {}
        now = utcnow()
        devices = sorted(counts)
        rows = _rate_rows(conn, devices, float(self.burst), now)
        out: dict[int, tuple[int, int]] = {}
        updates: list[tuple[int, float, int]] = []
        for device_id in devices:
            count = counts[device_id]
            granted, tokens, wait = self._bucket(rows[device_id], count, now)
            updates.append((device_id, tokens, count - granted))
            out[device_id] = (granted, wait)
        if is_sqlite(conn):
            stamp = to_db("time", now)
            cursor(conn).executemany(
                _SQLITE_SET_RATE, [(t, stamp, r, r, stamp, d) for d, t, r in updates]
            )
        else:
            conn.execute(
                _SET_RATE,
                [
                    {"b_device": d, "b_tokens": t, "b_now": now, "b_refused": r}
                    for d, t, r in updates
                ],
            )
        return out

    def take_numbers_many(
        self, conn: Connection, wants: dict[tuple[int, str, dt.date], int]
    ) -> dict[tuple[int, str, dt.date], int]:
        """:meth:`take_numbers` for several (device, queue, day) at once, in a fixed number
        of statements. The caller holds the kiosks' rate rows (:meth:`take_tickets_many`
        in the same transaction): the one lock order, rate row before allowance."""
        if not wants:
            return {}
        keys = sorted(wants)
        taken = _allowance_rows(conn, keys)
        out: dict[tuple[int, str, dt.date], int] = {}
        refused: dict[int, int] = {}
        for key in keys:
            count = wants[key]
            granted = max(0, min(count, self.numbers_per_queue_day - taken[key]))
            out[key] = granted
            if granted < count:
                refused[key[0]] = refused.get(key[0], 0) + count - granted
        grants = [(d, q, day, out[(d, q, day)]) for d, q, day in keys if out[(d, q, day)]]
        if grants and is_sqlite(conn):
            cursor(conn).executemany(
                _SQLITE_ADD_TAKEN, [(n, d, q, to_db("date", day)) for d, q, day, n in grants]
            )
        elif grants:
            conn.execute(
                _ADD_TAKEN,
                [
                    {"b_device": d, "b_queue": q, "b_day": day, "b_granted": n}
                    for d, q, day, n in grants
                ],
            )
        if refused:
            now = utcnow()
            conn.execute(
                _ADD_REFUSED,
                [{"b_device": d, "b_refused": n, "b_now": now} for d, n in sorted(refused.items())],
            )
        return out

    def too_fast(self, retry_after: int) -> TooMany:
        return TooMany(
            "rate_limited",
            f"本机提交号码过于频繁（每分钟最多 {self.per_minute:g} 张），"
            f"请 {retry_after} 秒后再提交",
            retry_after=retry_after,
        )


def _rate_rows(
    conn: Connection, devices: list[int], burst: float, now: dt.datetime
) -> dict[int, _RateRow]:
    """The kiosks' rate rows (made full if missing), locked until commit: one statement."""
    if is_sqlite(conn):
        stamp = to_db("time", now)
        found = cursor(conn).execute(
            _SQLITE_RATES.format(rows=marks(len(devices), 4)),
            flat([(d, burst, stamp, 0) for d in devices]),
        )
        return {int(d): _RateRow(float(t), from_db("time", at)) for d, t, at in found}
    fresh = [{"device_id": d, "tokens": burst, "updated_at": now, "refused": 0} for d in devices]
    return {
        int(r.device_id): _RateRow(float(r.tokens), r.updated_at)
        for r in conn.execute(_PG_RATES, fresh)
    }


def _allowance_rows(
    conn: Connection, keys: list[tuple[int, str, dt.date]]
) -> dict[tuple[int, str, dt.date], int]:
    """How many numbers each (device, queue, day) has taken (rows made if missing, locked
    until commit): one statement."""
    if is_sqlite(conn):
        found = cursor(conn).execute(
            _SQLITE_ALLOWANCES.format(rows=marks(len(keys), 4)),
            flat([(d, q, to_db("date", day), 0) for d, q, day in keys]),
        )
        return {(int(d), q, from_db("date", day)): int(n) for d, q, day, n in found}
    fresh = [{"device_id": d, "queue": q, "service_day": day, "taken": 0} for d, q, day in keys]
    return {
        (int(r.device_id), r.queue, r.service_day): int(r.taken)
        for r in conn.execute(_PG_ALLOWANCES, fresh)
    }


def refusals(conn: Connection) -> dict[int, tuple[int, dt.datetime | None]]:
    """device id → (numbers and tickets refused so far, when last) for the fleet page."""
    rows = conn.execute(
        sa.select(kiosk_rate.c.device_id, kiosk_rate.c.refused, kiosk_rate.c.refused_at).where(
            kiosk_rate.c.refused > 0
        )
    )
    return {int(r.device_id): (int(r.refused), as_utc(r.refused_at)) for r in rows}
