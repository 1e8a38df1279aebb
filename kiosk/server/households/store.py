"""Storing and reading households: sealing on the way in, masking in lists, auditing
every full view, and who may see what.

Every function takes a SQLAlchemy Connection (inside the caller's transaction), the
server settings (for the data key) and the staff member asking (a
:class:`~kiosk.server.auth.StaffPrincipal`). Refusals are domain errors:
:class:`NotFound` for another hall's household (its existence is not confirmed),
:class:`Forbidden` for a district admin whom the hall has not opened its register to.

A district admin sees the counts of every hall (:func:`counts`); a hall's staff may open
their register to the district (:func:`set_district_access`), and then a district admin
may read and change it like the hall's staff (and export it). Opening is the hall's
choice alone.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Row

from kiosk.core.privacy import mask_name, mask_phone
from kiosk.core.residents import check_phone
from kiosk.core.visits import Tier
from kiosk.server import models as m
from kiosk.server.auth import StaffPrincipal
from kiosk.server.db import as_utc
from kiosk.server.domain_errors import Forbidden, Invalid, NotFound
from kiosk.server.households.values import (
    HouseholdInput,
    HouseholdRecord,
    HouseholdRow,
    MemberInput,
)
from kiosk.server.personal import lookup_hash, open_or_none, seal_or_none
from kiosk.server.settings import ServerSettings

__all__ = [
    "AuditEntry",
    "HallCounts",
    "HouseholdPage",
    "audit",
    "audit_log",
    "counts",
    "create",
    "district_may_view",
    "erase_due",
    "get",
    "list_households",
    "mark_moved_away",
    "may_view",
    "phone_hash",
    "require_view",
    "set_district_access",
    "update",
]

ACTIONS = ("view", "export", "edit", "create", "import", "moved_away", "erase", "access")


@dataclass(frozen=True, slots=True)
class HouseholdPage:
    rows: list[HouseholdRow]
    total: int


@dataclass(frozen=True, slots=True)
class HallCounts:
    """What a district admin sees of a hall that has not opened its register."""

    hall_id: str
    total: int
    by_tier: dict[Tier, int]
    archived: int


@dataclass(frozen=True, slots=True)
class AuditEntry:
    at: dt.datetime
    actor: str
    action: str
    household_id: str | None
    reason: str


def phone_hash(settings: ServerSettings, phone: str) -> str:
    """The keyed hash a member's phone is found by (normalised first: one number, one hash)."""
    return lookup_hash(settings, "phone:" + check_phone(phone))


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


def set_district_access(
    conn: Connection, hall_id: str, allowed: bool, *, viewer: StaffPrincipal, at: dt.datetime
) -> None:
    """The hall's own staff open (or close) their register to the district admins."""
    if viewer.is_admin or viewer.hall_id != hall_id:
        raise Forbidden("hall_decides", "只有本社区的工作人员可以决定是否向街道开放住户明细")
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


# --- writing ---------------------------------------------------------------------------


def _member_values(settings: ServerSettings, member: MemberInput) -> dict[str, Any]:
    return {
        "name_enc": seal_or_none(settings, member.name),
        "birth_year": member.birth_year,
        "phone_enc": seal_or_none(settings, member.phone),
        "phone_hash": phone_hash(settings, member.phone) if member.phone else None,
        "id_number_enc": seal_or_none(settings, member.id_number),
        "relation": member.relation,
    }


def _household_values(settings: ServerSettings, data: HouseholdInput) -> dict[str, Any]:
    return {
        "address": data.address,
        "building": data.address.split("-", 1)[0],
        "tags": list(data.tags),
        "tier": data.effective_tier.value,
        "tier_set_by_staff": data.tier is not None,
        "staff_id": data.staff_id,
        "emergency_contact_enc": seal_or_none(settings, data.emergency_contact),
        "notes_enc": seal_or_none(settings, data.notes),
    }


def _check_unique_address(
    conn: Connection, hall_id: str, address: str, *, other_than: str | None = None
) -> None:
    table = m.households
    query = sa.select(table.c.id).where(
        table.c.hall_id == hall_id, table.c.address == address, table.c.archived_at.is_(None)
    )
    if other_than is not None:
        query = query.where(table.c.id != other_than)
    if conn.execute(query.limit(1)).first() is not None:
        raise Invalid("duplicate_address", f"住址 {address} 已经登记过一户", field="address")


def _write_members(
    conn: Connection, settings: ServerSettings, household_id: str, members: Sequence[MemberInput]
) -> None:
    conn.execute(
        sa.delete(m.household_members).where(m.household_members.c.household_id == household_id)
    )
    if members:
        conn.execute(
            m.household_members.insert(),
            [
                {"household_id": household_id, "position": i, **_member_values(settings, one)}
                for i, one in enumerate(members)
            ],
        )


def create(
    conn: Connection,
    settings: ServerSettings,
    data: HouseholdInput,
    *,
    hall_id: str,
    viewer: StaffPrincipal,
    at: dt.datetime,
    action: str = "create",
) -> str:
    """A new household of ``hall_id``; its id. (Staff of the hall, or a district admin
    the hall opened its register to.)"""
    require_view(conn, viewer, hall_id)
    if conn.execute(sa.select(m.halls.c.id).where(m.halls.c.id == hall_id)).first() is None:
        raise NotFound("no_hall", "没有这个社区")
    _check_unique_address(conn, hall_id, data.address)
    household_id = secrets.token_hex(16)
    conn.execute(
        m.households.insert().values(
            id=household_id,
            hall_id=hall_id,
            registered_at=at,
            updated_at=at,
            **_household_values(settings, data),
        )
    )
    _write_members(conn, settings, household_id, data.members)
    audit(
        conn,
        hall_id=hall_id,
        household_id=household_id,
        actor=viewer.username,
        action=action,
        at=at,
    )
    return household_id


def _own_row(conn: Connection, household_id: str, viewer: StaffPrincipal) -> Row[Any]:
    row = conn.execute(sa.select(m.households).where(m.households.c.id == household_id)).first()
    if row is None or (not viewer.is_admin and viewer.hall_id != row.hall_id):
        # Another hall's household is "not found": its existence is not confirmed.
        raise NotFound("no_household", "没有找到这户住户")
    require_view(conn, viewer, row.hall_id)
    return row


def update(
    conn: Connection,
    settings: ServerSettings,
    household_id: str,
    data: HouseholdInput,
    *,
    viewer: StaffPrincipal,
    at: dt.datetime,
) -> None:
    row = _own_row(conn, household_id, viewer)
    if row.erased_at is not None:
        raise Invalid("erased", "这户的个人信息已按保存期限删除，不能再修改")
    _check_unique_address(conn, row.hall_id, data.address, other_than=household_id)
    conn.execute(
        sa.update(m.households)
        .where(m.households.c.id == household_id)
        .values(updated_at=at, **_household_values(settings, data))
    )
    _write_members(conn, settings, household_id, data.members)
    audit(
        conn,
        hall_id=row.hall_id,
        household_id=household_id,
        actor=viewer.username,
        action="edit",
        at=at,
    )


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
    row = _own_row(conn, household_id, viewer)
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


# --- reading ---------------------------------------------------------------------------


def _members(conn: Connection, settings: ServerSettings, household_id: str) -> list[MemberInput]:
    table = m.household_members
    rows = conn.execute(
        sa.select(table).where(table.c.household_id == household_id).order_by(table.c.position)
    ).all()
    return [
        MemberInput(
            name=open_or_none(settings, r.name_enc) or "",
            birth_year=r.birth_year,
            phone=open_or_none(settings, r.phone_enc),
            id_number=open_or_none(settings, r.id_number_enc),
            relation=r.relation,
        )
        for r in rows
    ]


def _record(conn: Connection, settings: ServerSettings, row: Row[Any]) -> HouseholdRecord:
    return HouseholdRecord(
        id=row.id,
        hall_id=row.hall_id,
        address=row.address,
        tags=tuple(row.tags or ()),
        tier=Tier(row.tier),
        tier_set_by_staff=bool(row.tier_set_by_staff),
        staff_id=row.staff_id,
        emergency_contact=open_or_none(settings, row.emergency_contact_enc),
        notes=open_or_none(settings, row.notes_enc),
        members=tuple(_members(conn, settings, row.id)),
        registered_at=as_utc(row.registered_at) or row.registered_at,
        updated_at=as_utc(row.updated_at) or row.updated_at,
        moved_away_at=as_utc(row.moved_away_at),
        archived_at=as_utc(row.archived_at),
        erase_due_at=as_utc(row.erase_due_at),
        erased_at=as_utc(row.erased_at),
    )


def get(
    conn: Connection,
    settings: ServerSettings,
    household_id: str,
    *,
    viewer: StaffPrincipal,
    at: dt.datetime,
    audited: bool = True,
) -> HouseholdRecord:
    """A household in full, for its own page; the view is audited (who, when)."""
    row = _own_row(conn, household_id, viewer)
    if audited:
        audit(
            conn,
            hall_id=row.hall_id,
            household_id=household_id,
            actor=viewer.username,
            action="view",
            at=at,
        )
    return _record(conn, settings, row)


def list_households(
    conn: Connection,
    settings: ServerSettings,
    hall_id: str,
    *,
    viewer: StaffPrincipal,
    tag: str = "",
    tier: Tier | None = None,
    staff_id: str | None = None,
    phone: str = "",
    address: str = "",
    archived: bool = False,
    limit: int = 50,
    offset: int = 0,
) -> HouseholdPage:
    """One page of a hall's households, phones and names masked.

    ``phone`` is found through the keyed hash (a full number: nothing else can match);
    ``address`` matches a prefix of 楼号-单元-室 ("3", "3-2", "3-2-501").
    """
    require_view(conn, viewer, hall_id)
    table = m.households
    query = sa.select(table).where(table.c.hall_id == hall_id)
    query = query.where(
        table.c.archived_at.is_not(None) if archived else table.c.archived_at.is_(None)
    )
    if tier is not None:
        query = query.where(table.c.tier == tier.value)
    if staff_id is not None:
        query = query.where(table.c.staff_id == staff_id)
    if address.strip():
        prefix = address.strip().replace("%", "").replace("_", "")
        query = query.where(sa.or_(table.c.address == prefix, table.c.address.like(prefix + "-%")))
    if phone.strip():
        try:
            digest = phone_hash(settings, phone)
        except ValueError as exc:
            raise Invalid("bad_phone", f"按电话查找：{exc}", field="phone") from None
        members = m.household_members
        query = query.where(
            table.c.id.in_(sa.select(members.c.household_id).where(members.c.phone_hash == digest))
        )
    rows = conn.execute(query.order_by(table.c.building, table.c.address)).all()
    if tag.strip():  # tags are a JSON list: filtered here, portable across databases
        rows = [r for r in rows if tag.strip() in (r.tags or ())]
    total = len(rows)
    page = rows[offset : offset + limit]
    heads = _heads(conn, settings, [r.id for r in page])
    out = []
    for r in page:
        count, name, number = heads.get(r.id, (0, None, None))
        out.append(
            HouseholdRow(
                id=r.id,
                address=r.address,
                tags=tuple(r.tags or ()),
                tier=Tier(r.tier),
                staff_id=r.staff_id,
                members=count,
                head=mask_name(name) if name else "",
                phone=mask_phone(number) if number else "",
                registered_at=as_utc(r.registered_at) or r.registered_at,
                archived=r.archived_at is not None,
                erased=r.erased_at is not None,
            )
        )
    return HouseholdPage(out, total)


def _heads(
    conn: Connection, settings: ServerSettings, ids: list[str]
) -> dict[str, tuple[int, str | None, str | None]]:
    """Per household: members, and the first member's name and first known phone."""
    if not ids:
        return {}
    table = m.household_members
    rows = conn.execute(
        sa.select(table.c.household_id, table.c.name_enc, table.c.phone_enc)
        .where(table.c.household_id.in_(ids))
        .order_by(table.c.household_id, table.c.position)
    ).all()
    found: dict[str, tuple[int, str | None, str | None]] = {}
    for r in rows:
        count, name, number = found.get(r.household_id, (0, None, None))
        if name is None and r.name_enc is not None:
            name = open_or_none(settings, r.name_enc)
        if number is None and r.phone_enc is not None:
            number = open_or_none(settings, r.phone_enc)
        found[r.household_id] = (count + 1, name, number)
    return found


def counts(conn: Connection, hall_ids: Sequence[str]) -> list[HallCounts]:
    """Households per hall and tier: all a district admin sees without the hall's grant."""
    table = m.households
    archived = sa.case((table.c.archived_at.is_(None), 0), else_=1)
    rows = conn.execute(
        sa.select(
            table.c.hall_id, table.c.tier, archived.label("archived"), sa.func.count().label("n")
        )
        .where(table.c.hall_id.in_(list(hall_ids)))
        .group_by(table.c.hall_id, table.c.tier, archived)
    ).all()
    by_hall = {hall: HallCounts(hall, 0, {t: 0 for t in Tier}, 0) for hall in hall_ids}
    for r in rows:
        entry = by_hall[r.hall_id]
        if r.archived:
            by_hall[r.hall_id] = HallCounts(
                r.hall_id, entry.total, entry.by_tier, entry.archived + r.n
            )
            continue
        tiers = dict(entry.by_tier)
        tiers[Tier(r.tier)] = tiers.get(Tier(r.tier), 0) + r.n
        by_hall[r.hall_id] = HallCounts(r.hall_id, entry.total + r.n, tiers, entry.archived)
    return [by_hall[h] for h in hall_ids]
