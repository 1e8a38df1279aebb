"""The households of the register (``households``, :mod:`kiosk.server.households`) as the
visit plan sees them: address, tier, tags, registration and 网格员 — no personal field.

Households that moved away or were archived are not visited."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from kiosk.core.visits import Tier
from kiosk.server import models as m
from kiosk.server.db import as_utc
from kiosk.server.domain_errors import NotFound
from kiosk.server.visits.plan import PlanHousehold

__all__ = ["plan_household", "plan_households"]

_h = m.households


def _plan(row: Any) -> PlanHousehold:
    registered = as_utc(row.registered_at)
    assert registered is not None
    return PlanHousehold(
        id=row.id,
        hall_id=row.hall_id,
        address=row.address,
        tier=Tier(row.tier),
        registered_at=registered,
        tags=frozenset(str(t) for t in row.tags or ()),
        staff_id=row.staff_id or "",
    )


def _columns() -> sa.Select[Any]:
    return sa.select(
        _h.c.id,
        _h.c.hall_id,
        _h.c.address,
        _h.c.tier,
        _h.c.registered_at,
        _h.c.tags,
        _h.c.staff_id,
    ).where(_h.c.moved_away_at.is_(None), _h.c.archived_at.is_(None))


def plan_households(conn: Connection, hall_id: str) -> list[PlanHousehold]:
    """The hall's households to visit."""
    rows = conn.execute(_columns().where(_h.c.hall_id == hall_id).order_by(_h.c.address))
    return [_plan(row) for row in rows]


def plan_household(conn: Connection, hall_id: str, household_id: str) -> PlanHousehold:
    """One household of ``hall_id`` (NotFound for another hall's, so ids cannot be probed)."""
    row = conn.execute(
        _columns().where(_h.c.hall_id == hall_id, _h.c.id == household_id[:32])
    ).first()
    if row is None:
        raise NotFound("household", "没有这一户（或已迁出），请返回走访列表")
    return _plan(row)
