"""Who may see a hall's households, and the trail every look and change leaves.

Staff of the hall see its households; a district admin only when the hall has opened its
register (:func:`set_district_access`, the hall's own choice). Every view, export, edit,
import, moved-away, erase and access change is a ``household_audit`` row (:func:`audit`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from kiosk.server import models as m
from kiosk.server.auth import StaffPrincipal
from kiosk.server.db import as_utc
from kiosk.server.domain_errors import Forbidden

__all__ = [
    "ACTIONS",
    "AuditEntry",
    "audit",
    "audit_log",
    "district_may_view",
    "may_set_access",
    "may_view",
    "require_view",
    "set_district_access",
]

ACTIONS = ("view", "export", "edit", "create", "import", "moved_away", "erase", "access")


@dataclass(frozen=True, slots=True)
class AuditEntry:
    at: dt.datetime
    actor: str
    action: str
    household_id: str | None
    reason: str


# --- access ----------------------------------------------------------------------------


def district_may_view(conn: Connection, hall_id: str) -> bool:
    value = conn.execute(
        sa.select(m.household_access.c.district_may_view).where(
            m.household_access.c.hall_id == hall_id
        )
    ).scalar()
    return bool(value)


def may_view(conn: Connection, viewer: StaffPrincipal, hall_id: str) -> bool:
    """Staff of the hall; a district admin only if the hall opened its register."""
    if viewer.is_admin:
        return district_may_view(conn, hall_id)
    return viewer.hall_id == hall_id


def require_view(conn: Connection, viewer: StaffPrincipal, hall_id: str) -> None:
    if viewer.is_admin:
        if not district_may_view(conn, hall_id):
            raise Forbidden(
                "district_counts_only",
                "该社区未向街道开放住户明细，街道管理员只能查看户数统计",
            )
        return
    if viewer.hall_id != hall_id:
        raise Forbidden("other_hall", "只有本社区的工作人员可以查看住户信息")


def may_set_access(viewer: StaffPrincipal, hall_id: str) -> bool:
    """The hall's own choice, made by its leader (not the district, not any staff member)."""
    return viewer.is_leader and viewer.hall_id == hall_id


def set_district_access(
    conn: Connection, hall_id: str, allowed: bool, *, viewer: StaffPrincipal, at: dt.datetime
) -> None:
    """The hall's leader (负责人) opens (or closes) its register to the district admins."""
    if not may_set_access(viewer, hall_id):
        raise Forbidden("hall_decides", "只有本社区的负责人可以决定是否向街道开放住户明细")
    table = m.household_access
    done = conn.execute(
        sa.update(table)
        .where(table.c.hall_id == hall_id)
        .values(district_may_view=allowed, changed_by=viewer.username, changed_at=at)
    ).rowcount
    if not done:
        conn.execute(
            table.insert().values(
                hall_id=hall_id,
                district_may_view=allowed,
                changed_by=viewer.username,
                changed_at=at,
            )
        )
    audit(
        conn,
        hall_id=hall_id,
        household_id=None,
        actor=viewer.username,
        action="access",
        at=at,
        reason="向街道开放住户明细" if allowed else "不再向街道开放住户明细",
    )


# --- audit -----------------------------------------------------------------------------


def audit(
    conn: Connection,
    *,
    hall_id: str,
    household_id: str | None,
    actor: str,
    action: str,
    at: dt.datetime,
    reason: str = "",
) -> None:
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    conn.execute(
        m.household_audit.insert().values(
            at=at,
            hall_id=hall_id,
            household_id=household_id,
            actor=actor[:64],
            action=action,
            reason=reason[:200],
        )
    )


def audit_log(
    conn: Connection, hall_id: str, *, household_id: str | None = None, limit: int = 100
) -> list[AuditEntry]:
    table = m.household_audit
    query = sa.select(table).where(table.c.hall_id == hall_id)
    if household_id is not None:
        query = query.where(table.c.household_id == household_id)
    rows = conn.execute(query.order_by(table.c.id.desc()).limit(limit)).all()
    return [
        AuditEntry(as_utc(r.at) or r.at, r.actor, r.action, r.household_id, r.reason) for r in rows
    ]
