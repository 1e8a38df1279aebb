"""How often one kiosk may look requests up by 查询码.

Six digits can be guessed, and a hit shows a request's story (never a person): so each
kiosk gets :data:`LOOKUPS_PER_MINUTE` look-ups per minute, counted in the database (all
server processes share it) inside the look-up's write transaction. Beyond it: ``TooMany``
(429 with ``Retry-After``), like a kiosk's ticket rate.
"""

from __future__ import annotations

import datetime as dt
import math

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from kiosk.server import models as m
from kiosk.server.db import as_utc
from kiosk.server.domain_errors import TooMany

__all__ = ["LOOKUPS_PER_MINUTE", "take_lookup"]

LOOKUPS_PER_MINUTE = 10
_WINDOW = dt.timedelta(minutes=1)


def take_lookup(
    conn: Connection, device_id: str, now: dt.datetime, *, limit: int = LOOKUPS_PER_MINUTE
) -> None:
    """Count one look-up of ``device_id`` at ``now``, or raise :class:`TooMany`."""
    t = m.request_lookups
    now = now.astimezone(dt.UTC)
    query = sa.select(t).where(t.c.device_id == device_id)
    if conn.dialect.name == "postgresql":
        query = query.with_for_update()
    row = conn.execute(query).first()
    if row is None:
        conn.execute(sa.insert(t).values(device_id=device_id, window_start=now, taken=1))
        return
    start = as_utc(row.window_start) or now
    if now >= start + _WINDOW:
        conn.execute(
            sa.update(t).where(t.c.device_id == device_id).values(window_start=now, taken=1)
        )
        return
    if row.taken >= limit:
        wait = max(1, math.ceil((start + _WINDOW - now).total_seconds()))
        raise TooMany(
            "lookup_rate_limited",
            f"查询太频繁，请 {wait} 秒后再试",
            retry_after=wait,
            field="code",
        )
    conn.execute(sa.update(t).where(t.c.device_id == device_id).values(taken=row.taken + 1))
