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
from kiosk.server.models import kiosk_allowance, kiosk_rate
from kiosk.server.pg_driver import Round
from kiosk.server.sqlite_driver import cursor, flat, from_db, is_sqlite, marks, to_db

__all__ = ["KioskQuota", "QuotaRows", "kiosk_allowance", "kiosk_rate", "refusals"]


# The batch statements of a ticket batch (take_tickets_many, take_numbers_many). Each
# kiosk's row is made if missing and read, locked, in one statement: an upsert that
# "updates" an existing row to itself and returns it (PostgreSQL locks a row it updates,
# as FOR UPDATE would; SQLite holds the write lock since BEGIN IMMEDIATE). On PostgreSQL
# they are psycopg text for a pipelined round (kiosk/server/pg_driver.py), the rows sent
# as arrays, so the text (and the server's prepared plan) does not change with the batch.
_PG_RATES = """
INSERT INTO kiosk_rate AS r (device_id, tokens, updated_at, refused)
SELECT u.d, %(burst)s, %(now)s, 0 FROM unnest(CAST(%(devices)s AS bigint[])) AS u(d)
ON CONFLICT (device_id) DO UPDATE SET tokens = r.tokens
RETURNING r.device_id, r.tokens, r.updated_at
"""
_PG_ALLOWANCES = """
INSERT INTO kiosk_allowance AS a (device_id, queue, service_day, taken)
SELECT u.d, u.q, u.day, 0
FROM unnest(CAST(%(devices)s AS bigint[]), CAST(%(queues)s AS varchar[]),
    CAST(%(days)s AS date[])) AS u(d, q, day)
ON CONFLICT (device_id, queue, service_day) DO UPDATE SET taken = a.taken
RETURNING a.device_id, a.queue, a.service_day, a.taken
"""
_PG_SET_RATES = """
UPDATE kiosk_rate AS r
SET tokens = u.tokens, updated_at = %(now)s, refused = r.refused + u.refused,
    refused_at = CASE WHEN u.refused > 0 THEN %(now)s ELSE r.refused_at END
FROM unnest(CAST(%(devices)s AS bigint[]), CAST(%(tokens)s AS double precision[]),
    CAST(%(refused)s AS integer[])) AS u(d, tokens, refused)
WHERE r.device_id = u.d
"""
_PG_ADD_TAKEN = """
UPDATE kiosk_allowance AS a SET taken = a.taken + u.n
FROM unnest(CAST(%(devices)s AS bigint[]), CAST(%(queues)s AS varchar[]),
    CAST(%(days)s AS date[]), CAST(%(granted)s AS integer[])) AS u(d, q, day, n)
WHERE a.device_id = u.d AND a.queue = u.q AND a.service_day = u.day
"""
_PG_ADD_REFUSED = """
UPDATE kiosk_rate AS r SET refused = r.refused + u.n, refused_at = %(now)s
FROM unnest(CAST(%(devices)s AS bigint[]), CAST(%(refused)s AS integer[])) AS u(d, n)
WHERE r.device_id = u.d
"""
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
_SQLITE_ADD_REFUSED = (
    "UPDATE kiosk_rate SET refused = refused + ?, refused_at = ? WHERE device_id = ?"
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

    def hold(
        self,
        round_: Round,
        later: Round,
        devices: list[int],
        allowances: list[tuple[int, str, dt.date]],
        now: dt.datetime,
    ) -> QuotaRows:
        """PostgreSQL: add to ``round_`` the statements that make (if missing) and lock the
        rate rows of ``devices`` and the allowance rows of ``allowances`` (a superset of what
        :meth:`take_tickets_many` and :meth:`take_numbers_many` will ask about), rate rows
        first: the one lock order. Their rows are in the answer once the round ran; their
        updates go into ``later``, which the caller runs."""
        keys = sorted(set(allowances))
        rates = (
            round_.add(
                _PG_RATES,
                {"devices": sorted(set(devices)), "burst": float(self.burst), "now": now},
            )
            if devices
            else []
        )
        taken = (
            round_.add(
                _PG_ALLOWANCES,
                {
                    "devices": [d for d, _, _ in keys],
                    "queues": [q for _, q, _ in keys],
                    "days": [day for _, _, day in keys],
                },
            )
            if keys
            else []
        )
        return QuotaRows(now, rates, taken, later)

    def take_tickets_many(
        self,
        conn: Connection,
        counts: dict[int, int],
        held: QuotaRows | None = None,
    ) -> dict[int, tuple[int, int]]:
        """:meth:`take_tickets` for several kiosks at once (device id → count), in a fixed
        number of statements; the rate rows are locked in device order. PostgreSQL: the
        rows come from ``held`` (:meth:`hold`, its round run), the updates go to its
        ``later`` round."""
        if not counts:
            return {}
        devices = sorted(counts)
        if is_sqlite(conn):
            now = utcnow()
            rows = _sqlite_rate_rows(conn, devices, float(self.burst), now)
        else:
            assert held is not None, "PostgreSQL: the rows come from hold()"
            now, rows = held.now, held.rate_rows()
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
            assert held is not None
            held.later.add(
                _PG_SET_RATES,
                {
                    "now": now,
                    "devices": [d for d, _, _ in updates],
                    "tokens": [t for _, t, _ in updates],
                    "refused": [r for _, _, r in updates],
                },
            )
        return out

    def take_numbers_many(
        self,
        conn: Connection,
        wants: dict[tuple[int, str, dt.date], int],
        held: QuotaRows | None = None,
    ) -> dict[tuple[int, str, dt.date], int]:
        """:meth:`take_numbers` for several (device, queue, day) at once, in a fixed number
        of statements. The caller holds the kiosks' rate rows (:meth:`take_tickets_many`
        in the same transaction, or :meth:`hold`): the one lock order, rate row before
        allowance. ``held`` as for :meth:`take_tickets_many`."""
        if not wants:
            return {}
        keys = sorted(wants)
        if is_sqlite(conn):
            taken = _sqlite_allowance_rows(conn, keys)
        else:
            assert held is not None, "PostgreSQL: the rows come from hold()"
            taken = held.allowance_rows()
            assert set(keys) <= set(taken), "hold() was not given every allowance row"
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
            assert held is not None
            held.later.add(
                _PG_ADD_TAKEN,
                {
                    "devices": [d for d, _, _, _ in grants],
                    "queues": [q for _, q, _, _ in grants],
                    "days": [day for _, _, day, _ in grants],
                    "granted": [n for _, _, _, n in grants],
                },
            )
        if refused:
            now = utcnow()
            ordered = sorted(refused.items())
            if is_sqlite(conn):
                stamp = to_db("time", now)
                cursor(conn).executemany(_SQLITE_ADD_REFUSED, [(n, stamp, d) for d, n in ordered])
            else:
                assert held is not None
                held.later.add(
                    _PG_ADD_REFUSED,
                    {
                        "now": now,
                        "devices": [d for d, _ in ordered],
                        "refused": [n for _, n in ordered],
                    },
                )
        return out

    def too_fast(self, retry_after: int) -> TooMany:
        return TooMany(
            "rate_limited",
            f"本机提交号码过于频繁（每分钟最多 {self.per_minute:g} 张），"
            f"请 {retry_after} 秒后再提交",
            retry_after=retry_after,
        )


@dataclass(frozen=True, slots=True)
class QuotaRows:
    """The rate and allowance rows :meth:`KioskQuota.hold` made and locked (PostgreSQL),
    filled in when its round ran."""

    now: dt.datetime
    rates: list[tuple[Any, ...]]
    taken: list[tuple[Any, ...]]
    #: The round the updates go into (the caller runs it).
    later: Round

    def rate_rows(self) -> dict[int, _RateRow]:
        return {int(d): _RateRow(float(t), at) for d, t, at in self.rates}

    def allowance_rows(self) -> dict[tuple[int, str, dt.date], int]:
        return {(int(d), q, day): int(n) for d, q, day, n in self.taken}


def _sqlite_rate_rows(
    conn: Connection, devices: list[int], burst: float, now: dt.datetime
) -> dict[int, _RateRow]:
    """The kiosks' rate rows (made full if missing): one statement."""
    stamp = to_db("time", now)
    found = cursor(conn).execute(
        _SQLITE_RATES.format(rows=marks(len(devices), 4)),
        flat([(d, burst, stamp, 0) for d in devices]),
    )
    return {int(d): _RateRow(float(t), from_db("time", at)) for d, t, at in found}


def _sqlite_allowance_rows(
    conn: Connection, keys: list[tuple[int, str, dt.date]]
) -> dict[tuple[int, str, dt.date], int]:
    """How many numbers each (device, queue, day) has taken (rows made if missing): one
    statement."""
    found = cursor(conn).execute(
        _SQLITE_ALLOWANCES.format(rows=marks(len(keys), 4)),
        flat([(d, q, to_db("date", day), 0) for d, q, day in keys]),
    )
    return {(int(d), q, from_db("date", day)): int(n) for d, q, day, n in found}


def refusals(conn: Connection) -> dict[int, tuple[int, dt.datetime | None]]:
    """device id → (numbers and tickets refused so far, when last) for the fleet page."""
    rows = conn.execute(
        sa.select(kiosk_rate.c.device_id, kiosk_rate.c.refused, kiosk_rate.c.refused_at).where(
            kiosk_rate.c.refused > 0
        )
    )
    return {int(r.device_id): (int(r.refused), as_utc(r.refused_at)) for r in rows}
