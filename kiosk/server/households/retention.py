"""Moving away and what follows: a household marked moved away is archived at once and
its personal fields are erased ``household_retention_days`` later (settings, default 180)
by the daily job ``household_retention`` (kiosk/server/jobs.py)."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from kiosk.server import models as m
from kiosk.server.auth import StaffPrincipal
from kiosk.server.domain_errors import Invalid
from kiosk.server.households.access import audit
from kiosk.server.households.store import own_row
from kiosk.server.settings import ServerSettings

__all__ = ["erase_due", "mark_moved_away"]


def mark_moved_away(
    conn: Connection,
    settings: ServerSettings,
    household_id: str,
    *,
    viewer: StaffPrincipal,
    at: dt.datetime,
) -> dt.datetime:
    """Archive a household that moved away; its personal fields are erased after
    ``household_retention_days`` (the job ``household_retention``). The erase time."""
    row = own_row(conn, household_id, viewer)
    if row.archived_at is not None:
        raise Invalid("archived", "这户已经登记迁出")
    erase_at = at + dt.timedelta(days=settings.household_retention_days)
    conn.execute(
        sa.update(m.households)
        .where(m.households.c.id == household_id)
        .values(moved_away_at=at, archived_at=at, erase_due_at=erase_at, updated_at=at)
    )
    audit(
        conn,
        hall_id=row.hall_id,
        household_id=household_id,
        actor=viewer.username,
        action="moved_away",
        at=at,
    )
    return erase_at


def erase_due(conn: Connection, now: dt.datetime) -> int:
    """Erase the personal fields of every archived household whose retention ran out.

    The address, tier and dates stay (visit statistics still count the household); the
    members' names, phones, hashes, ID numbers, the emergency contact and notes go.
    """
    table = m.households
    due = conn.execute(
        sa.select(table.c.id, table.c.hall_id).where(
            table.c.erase_due_at.is_not(None),
            table.c.erase_due_at <= now,
            table.c.erased_at.is_(None),
        )
    ).all()
    for row in due:
        conn.execute(
            sa.update(m.household_members)
            .where(m.household_members.c.household_id == row.id)
            .values(name_enc=None, phone_enc=None, phone_hash=None, id_number_enc=None)
        )
        conn.execute(
            sa.update(table)
            .where(table.c.id == row.id)
            .values(emergency_contact_enc=None, notes_enc=None, erased_at=now, updated_at=now)
        )
        audit(
            conn,
            hall_id=row.hall_id,
            household_id=row.id,
            actor="system",
            action="erase",
            at=now,
            reason="迁出后保存期满",
        )
    return len(due)
