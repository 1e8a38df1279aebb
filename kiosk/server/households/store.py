"""Storing and reading households: sealing on the way in, masking in lists, auditing
every full view (who may see what: :mod:`access`).

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
from kiosk.server.domain_errors import Invalid, NotFound
from kiosk.server.households.access import audit, require_view
from kiosk.server.households.values import (
    HouseholdInput,
    HouseholdRecord,
    HouseholdRow,
    MemberInput,
)
from kiosk.server.personal import lookup_hash, open_or_none, seal_or_none
from kiosk.server.settings import ServerSettings

__all__ = [
    "HallCounts",
    "HouseholdPage",
    "counts",
    "create",
    "get",
    "list_households",
    "own_row",
    "phone_hash",
    "update",
]


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


def phone_hash(settings: ServerSettings, phone: str) -> str:
    """The keyed hash a member's phone is found by (normalised first: one number, one hash)."""
    return lookup_hash(settings, "phone:" + check_phone(phone))


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


def own_row(conn: Connection, household_id: str, viewer: StaffPrincipal) -> Row[Any]:
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
    row = own_row(conn, household_id, viewer)
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
    row = own_row(conn, household_id, viewer)
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
