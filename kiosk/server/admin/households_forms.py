"""The household forms: register a household, edit it, mark it moved away.

Only the hall's own staff write (the store refuses anyone else). Every field is checked
by one validator per kind (kiosk.core.residents via kiosk.server.households); a refusal
comes back on the form, next to its field, in Chinese. The tier is suggested from the
tags (core.visits.suggest_tier) unless staff choose one.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.engine import Connection

from kiosk.core.residents import KNOWN_TAGS, MEMBER_RELATIONS
from kiosk.core.visits import HIGH_RISK_TAGS, KEY_TAGS
from kiosk.server import households as hh
from kiosk.server.admin.households import _refusal, hall_staff_names, tier_options
from kiosk.server.admin.web import Hall, HallScope, Posted, PostedForm, Runtime, redirect, render
from kiosk.server.db import utcnow
from kiosk.server.domain_errors import DomainError, Invalid, NotFound
from kiosk.server.households.values import MemberRefused
from kiosk.server.runtime import ServerRuntime

__all__ = ["router"]

router = APIRouter()

MEMBER_ROWS = 2  # blank member rows offered beyond the ones already there (3 when new)
MEMBER_FIELDS = ("name", "birth_year", "phone", "id_number", "relation")


def _values_of(record: hh.HouseholdRecord) -> dict[str, Any]:
    return {
        "address": record.address,
        "tags": "、".join(record.tags),
        "tier": record.tier.value if record.tier_set_by_staff else "",
        "staff_id": record.staff_id,
        "emergency_contact": record.emergency_contact or "",
        "notes": record.notes or "",
        "members": [
            {
                "name": one.name,
                "birth_year": str(one.birth_year or ""),
                "phone": one.phone or "",
                "id_number": one.id_number or "",
                "relation": one.relation,
            }
            for one in record.members
        ],
    }


def _read_form(post: Posted) -> tuple[dict[str, Any], hh.HouseholdInput | None, dict[str, str]]:
    """The posted form as values to show again, the checked household, the errors."""
    values: dict[str, Any] = {
        k: post.text(k) for k in ("address", "tags", "tier", "staff_id", "emergency_contact")
    }
    values["notes"] = post.text("notes")
    values["tags"] = "、".join([*post.values("tag"), values["tags"]]).strip("、")
    errors: dict[str, str] = {}
    this_year = utcnow().year
    members: list[hh.MemberInput] = []
    rows: list[dict[str, str]] = []
    for i in range(40):
        row = {k: post.text(f"m{i}_{k}") for k in MEMBER_FIELDS}
        if f"m{i}_name" not in post.form:
            break
        if not any(row.values()):
            continue
        rows.append(row)
        try:
            members.append(hh.check_member(**row, this_year=this_year, field_prefix=f"m{i}_"))
        except MemberRefused as exc:
            errors.update(exc.errors)
    values["members"] = rows
    try:
        data = hh.check_household(
            address=values["address"],
            tags=values["tags"],
            tier=values["tier"],
            staff_id=values["staff_id"],
            emergency_contact=values["emergency_contact"],
            notes=values["notes"],
            members=members,
        )
    except Invalid as exc:
        errors[exc.field or "address"] = exc.message
        return values, None, errors
    return values, (data if not errors else None), errors


async def _form(
    request: Request,
    runtime: ServerRuntime,
    hall: Hall,
    *,
    values: dict[str, Any],
    errors: dict[str, str],
    household_id: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    members = list(values.get("members") or [])
    blank = MEMBER_ROWS if members else MEMBER_ROWS + 1
    members += [dict.fromkeys(MEMBER_FIELDS, "") for _ in range(blank)]
    return render(
        request,
        "admin/household_form.html",
        {
            "hall": hall,
            "values": values,
            "members": members,
            "errors": errors,
            "household_id": household_id,
            "tiers": tier_options(),
            "known_tags": KNOWN_TAGS,
            "high_risk_tags": sorted(HIGH_RISK_TAGS),
            "key_tags": sorted(KEY_TAGS),
            "relations": MEMBER_RELATIONS,
            "staff": await hall_staff_names(runtime, hall.id),
        },
        status_code=status_code,
    )


@router.get("/halls/{hall_id}/households-new", response_class=HTMLResponse, name="household_new")
async def new_form(request: Request, runtime: Runtime, hall: HallScope) -> Response:
    viewer = hall.session.staff
    try:
        await runtime.db.read(lambda c: hh.require_view(c, viewer, hall.id))
    except DomainError as exc:
        raise _refusal(exc) from None
    return await _form(request, runtime, hall, values={"members": []}, errors={})


@router.post(
    "/halls/{hall_id}/households-new", response_class=HTMLResponse, name="household_create"
)
async def create(request: Request, runtime: Runtime, hall: HallScope, post: PostedForm) -> Response:
    values, data, errors = _read_form(post)
    if data is None:
        return await _form(request, runtime, hall, values=values, errors=errors, status_code=422)
    checked = data
    settings = runtime.settings

    def write(conn: Connection) -> str:
        return hh.create(
            conn, settings, checked, hall_id=hall.id, viewer=post.session.staff, at=utcnow()
        )

    try:
        household_id = await runtime.db.write(write)
    except Invalid as exc:
        errors[exc.field or "address"] = exc.message
        return await _form(request, runtime, hall, values=values, errors=errors, status_code=422)
    except DomainError as exc:
        raise _refusal(exc) from None
    return redirect(
        f"/admin/halls/{hall.id}/households/{household_id}", f"已登记 {checked.address}"
    )


@router.get(
    "/halls/{hall_id}/households/{household_id}/edit",
    response_class=HTMLResponse,
    name="household_edit",
)
async def edit_form(
    request: Request, runtime: Runtime, hall: HallScope, household_id: str
) -> Response:
    settings = runtime.settings
    viewer = hall.session.staff
    try:
        record = await runtime.db.write(
            lambda c: hh.get(c, settings, household_id, viewer=viewer, at=utcnow())
        )
    except DomainError as exc:
        raise _refusal(exc) from None
    if record.hall_id != hall.id:
        raise _refusal(NotFound("no_household", "没有找到这户住户"))
    return await _form(
        request, runtime, hall, values=_values_of(record), errors={}, household_id=household_id
    )


@router.post(
    "/halls/{hall_id}/households/{household_id}/edit",
    response_class=HTMLResponse,
    name="household_update",
)
async def update(
    request: Request, runtime: Runtime, hall: HallScope, household_id: str, post: PostedForm
) -> Response:
    values, data, errors = _read_form(post)
    if data is None:
        return await _form(
            request,
            runtime,
            hall,
            values=values,
            errors=errors,
            household_id=household_id,
            status_code=422,
        )
    checked = data
    settings = runtime.settings

    def write(conn: Connection) -> None:
        hh.update(conn, settings, household_id, checked, viewer=post.session.staff, at=utcnow())

    try:
        await runtime.db.write(write)
    except Invalid as exc:
        errors[exc.field or "address"] = exc.message
        return await _form(
            request,
            runtime,
            hall,
            values=values,
            errors=errors,
            household_id=household_id,
            status_code=422,
        )
    except DomainError as exc:
        raise _refusal(exc) from None
    return redirect(f"/admin/halls/{hall.id}/households/{household_id}", "已保存")


@router.post("/halls/{hall_id}/households/{household_id}/moved-away", name="household_moved")
async def moved_away(
    runtime: Runtime, hall: HallScope, household_id: str, post: PostedForm
) -> Response:
    settings = runtime.settings
    back = f"/admin/halls/{hall.id}/households/{household_id}"
    try:
        erase_at = await runtime.db.write(
            lambda c: hh.mark_moved_away(
                c, settings, household_id, viewer=post.session.staff, at=utcnow()
            )
        )
    except Invalid as exc:
        return redirect(back, exc.message)
    except DomainError as exc:
        raise _refusal(exc) from None
    entry = await runtime.halls.require(hall.id)
    day = erase_at.astimezone(entry.zone).date().isoformat()
    return redirect(back, f"已登记迁出并归档；个人信息将于 {day} 删除")
