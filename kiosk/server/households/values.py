"""The values of the households register: what a form or an import row becomes once
checked (:class:`HouseholdInput`), and what the store hands back (:class:`HouseholdRecord`
in full for the household's own page, :class:`HouseholdRow` masked for lists)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from kiosk.core.residents import (
    check_address,
    check_birth_year,
    check_name,
    check_phone,
    check_tags,
)
from kiosk.core.values import check_text
from kiosk.core.visits import Tier, suggest_tier
from kiosk.server.domain_errors import Invalid

__all__ = [
    "HouseholdInput",
    "HouseholdRecord",
    "HouseholdRow",
    "MemberInput",
    "MemberRefused",
    "check_household",
    "check_member",
]

MAX_MEMBERS = 12


@dataclass(frozen=True, slots=True)
class MemberInput:
    name: str
    birth_year: int | None = None
    phone: str | None = None
    id_number: str | None = None
    relation: str = ""


@dataclass(frozen=True, slots=True)
class HouseholdInput:
    address: str
    tags: tuple[str, ...] = ()
    #: None: take the tier the tags suggest (core.visits.suggest_tier).
    tier: Tier | None = None
    staff_id: str = ""
    emergency_contact: str | None = None
    notes: str | None = None
    members: tuple[MemberInput, ...] = ()

    @property
    def effective_tier(self) -> Tier:
        return self.tier if self.tier is not None else suggest_tier(self.tags)


@dataclass(frozen=True, slots=True)
class HouseholdRecord:
    """A household in full (names and phones in clear): its own page only."""

    id: str
    hall_id: str
    address: str
    tags: tuple[str, ...]
    tier: Tier
    tier_set_by_staff: bool
    staff_id: str
    emergency_contact: str | None
    notes: str | None
    members: tuple[MemberInput, ...]
    registered_at: dt.datetime
    updated_at: dt.datetime
    moved_away_at: dt.datetime | None
    archived_at: dt.datetime | None
    erase_due_at: dt.datetime | None
    erased_at: dt.datetime | None

    @property
    def suggested_tier(self) -> Tier:
        return suggest_tier(self.tags)


@dataclass(frozen=True, slots=True)
class HouseholdRow:
    """A household in a list: the first member's name and phone masked."""

    id: str
    address: str
    tags: tuple[str, ...]
    tier: Tier
    staff_id: str
    members: int
    head: str  # "张**"
    phone: str  # "138****1234" or ""
    registered_at: dt.datetime
    archived: bool
    erased: bool
    extra: Mapping[str, str] = field(default_factory=dict)


def _optional_text(value: str, label: str, field_name: str, limit: int) -> str | None:
    text = value.strip()
    if not text:
        return None
    if len(text) > limit:
        raise Invalid("too_long", f"{label}最多 {limit} 个字", field=field_name)
    try:
        return check_text(text, multiline=True)
    except ValueError as exc:
        raise Invalid("bad_text", f"{label}{exc}", field=field_name) from None


class MemberRefused(Invalid):
    """A member's form row with one or more bad fields: ``errors`` is field → message."""

    def __init__(self, errors: dict[str, str]) -> None:
        first = next(iter(errors))
        super().__init__("bad_member", errors[first], field=first)
        self.errors = errors


def check_member(
    *,
    name: str,
    birth_year: str = "",
    phone: str = "",
    id_number: str = "",
    relation: str = "",
    this_year: int,
    field_prefix: str = "",
) -> MemberInput:
    """One member from form text. Every field is checked; :class:`MemberRefused` (an
    :class:`Invalid` naming the first field at fault) carries all the errors by field."""
    errors: dict[str, str] = {}
    clean_name = ""
    try:
        clean_name = check_name(name)
    except ValueError as exc:
        errors["name"] = str(exc)
    year: int | None = None
    if birth_year.strip():
        try:
            year = check_birth_year(birth_year, this_year=this_year)
        except ValueError as exc:
            errors["birth_year"] = str(exc)
    clean_phone: str | None = None
    if phone.strip():
        try:
            clean_phone = check_phone(phone)
        except ValueError as exc:
            errors["phone"] = str(exc)
    number = "".join(id_number.split()).upper() or None
    if number is not None and (
        not number.isascii() or not number.isalnum() or not 6 <= len(number) <= 24
    ):
        errors["id_number"] = "证件号码应为 6–24 位数字或字母"
    rel = relation.strip()
    if len(rel) > 20:
        errors["relation"] = "与户主关系最多 20 个字"
    if errors:
        raise MemberRefused({f"{field_prefix}{k}": v for k, v in errors.items()})
    return MemberInput(clean_name, year, clean_phone, number, rel)


def check_household(
    *,
    address: str,
    tags: str | Sequence[str] = "",
    tier: str = "",
    staff_id: str = "",
    emergency_contact: str = "",
    notes: str = "",
    members: Sequence[MemberInput] = (),
) -> HouseholdInput:
    """A household from form text (members already checked by :func:`check_member`)."""
    try:
        clean_address = check_address(address)
    except ValueError as exc:
        raise Invalid("bad_address", str(exc), field="address") from None
    try:
        clean_tags = tuple(check_tags(tags))
    except ValueError as exc:
        raise Invalid("bad_tags", str(exc), field="tags") from None
    chosen: Tier | None = None
    if tier.strip():
        try:
            chosen = Tier(tier.strip())
        except ValueError:
            raise Invalid("bad_tier", "请选择分级：高风险、重点或一般", field="tier") from None
    staff = staff_id.strip()
    if len(staff) > 63:
        raise Invalid("bad_staff", "网格员编号太长", field="staff_id")
    if len(members) > MAX_MEMBERS:
        raise Invalid("too_many_members", f"一户最多登记 {MAX_MEMBERS} 人", field="members")
    return HouseholdInput(
        address=clean_address,
        tags=clean_tags,
        tier=chosen,
        staff_id=staff,
        emergency_contact=_optional_text(emergency_contact, "紧急联系人", "emergency_contact", 100),
        notes=_optional_text(notes, "备注", "notes", 1000),
        members=tuple(members),
    )
