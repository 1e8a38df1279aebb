"""The rating (好差评) on a ticket's phone page: the five faces once the ticket is 办结,
for 3 days, once; after a 差评 at least one reason and an optional phone (实名).

A logged-in staff session (the admin cookie) is refused: staff accounts cannot rate.
The rules are :mod:`kiosk.core.ratings`; storing is :func:`kiosk.server.ratings.record`.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import sqlalchemy as sa
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.engine import Connection

from kiosk.core.ratings import PAGE_WINDOW, Channel, Level, Reason
from kiosk.server import models as m
from kiosk.server import ratings
from kiosk.server.admin.sessions import find_session
from kiosk.server.api.deps import PUBLIC_ID, Runtime
from kiosk.server.db import as_utc, utcnow
from kiosk.server.domain_errors import DomainError, NotFound
from kiosk.server.runtime import Outbox, ServerRuntime

__all__ = ["fixed_of", "form_context", "is_staff", "rating_context", "read_form", "router"]

router = APIRouter(tags=["phone page"])

#: The admin web's session cookie (kiosk/server/admin/web.py; path "/", so sent here too).
ADMIN_COOKIE = "kiosk_admin"
_PHONE = re.compile(r"^1[3-9][0-9]{9}$")
#: The mouth of each face (an SVG path on a 24 × 24 face): no emoji font needed.
MOUTHS = {
    Level.VERY_SATISFIED: "M6.5 13.5 Q12 20 17.5 13.5",
    Level.SATISFIED: "M7.5 14.5 Q12 18 16.5 14.5",
    Level.FAIR: "M8 15.5 L16 15.5",
    Level.UNSATISFIED: "M7.5 17 Q12 13.5 16.5 17",
    Level.VERY_UNSATISFIED: "M6.5 18 Q12 11.5 17.5 18",
}


async def is_staff(request: Request, runtime: ServerRuntime) -> bool:
    token = request.cookies.get(ADMIN_COOKIE, "")
    if not token:
        return False
    return await runtime.db.read(lambda c: find_session(c, token)) is not None


def _read(conn: Connection, public_id: str) -> tuple[dt.datetime | None, str, Any, bool]:
    """The ticket's end, state, rating, and whether its 整改 is answered (追评 open)."""
    t = m.tickets
    row = conn.execute(
        sa.select(t.c.id, t.c.state, t.c.finished_at).where(t.c.public_id == public_id)
    ).first()
    if row is None:
        return None, "", None, False
    rating = ratings.rating_for_ticket(conn, row.id)
    return as_utc(row.finished_at), row.state, rating, fixed_of(conn, rating)


def form_context(
    *,
    finished: dt.datetime,
    window: dt.timedelta,
    existing: ratings.RatingRecord | None,
    fixed: bool,
    staff: bool,
    action: str,
    second_action: str,
    error: str = "",
    chosen: dict[str, Any] | None = None,
    title: str = "服务评价",
    prompt: str = "请您对本次服务进行评价",
    given: str | None = None,
) -> dict[str, Any]:
    """The shared form's context (templates/rating_form.html) for a ticket or a request:
    ``mode`` offer / rated / expired / staff, the faces, reasons and the last values.
    ``given`` is a rating stored before 好差评 kept it (a request's ``rating_level``)."""
    context: dict[str, Any] = {
        "levels": [
            {"value": lv.value, "label": lv.label, "mouth": MOUTHS[lv], "bad": lv.is_bad}
            for lv in Level
        ],
        "reasons": [{"value": r.value, "label": r.label} for r in Reason],
        "error": error,
        "chosen": chosen or {"level": "", "reasons": [], "phone": ""},
        "until": finished + window,
        "window_words": f"{window.days} 天",
        "action": action,
        "title": title,
        "prompt": prompt,
    }
    if existing is not None and existing.level is not None:
        context.update(mode="rated", given=existing.level_label)
        if fixed:
            # 整改 answered: the resident's one 追评 (no time limit in the rules).
            second = existing.second_level
            context.update(
                second=second.label if second is not None else None,
                second_action=second_action,
            )
    elif given is not None:
        context.update(mode="rated", given=given)
    elif staff:
        context.update(mode="staff")
    elif utcnow() > finished + window:
        context.update(mode="expired")
    else:
        context.update(mode="offer")
    return context


def fixed_of(conn: Connection, rating: ratings.RatingRecord | None) -> bool:
    """Whether the 整改 of this 差评 is answered (the 追评 is open)."""
    if rating is None or not rating.is_bad:
        return False
    f = m.rating_followups
    fixed = conn.execute(sa.select(f.c.fixed_at).where(f.c.rating_id == rating.id)).scalar()
    return fixed is not None


def read_form(form: Any) -> tuple[str, list[str], str, dict[str, Any], str]:
    """The posted level, reasons and phone, the form's values to show again, and the
    Chinese error ('' when the input is well formed). Reasons and phone only after a 差评."""
    level = form.get("level") if form is not None else None
    reasons = [v for v in form.getlist("reason") if isinstance(v, str)] if form is not None else []
    phone_text = form.get("phone") if form is not None else None
    phone = phone_text.replace(" ", "").replace("-", "") if isinstance(phone_text, str) else ""
    chosen = {"level": level if isinstance(level, str) else "", "reasons": reasons, "phone": phone}
    if form is None:
        return "", [], "", chosen, "提交的内容无法识别，请重新选择"
    if not isinstance(level, str) or level not in {lv.value for lv in Level}:
        return "", [], "", chosen, "请选择五个等级之一"
    if phone and not _PHONE.match(phone):
        return level, [], "", chosen, "手机号应为 11 位数字，如 13812341234；也可以不填"
    if not Level(level).is_bad:
        reasons, phone = [], ""  # the reasons and phone belong to a 差评 only
    return level, reasons, phone, chosen, ""


async def rating_context(
    request: Request,
    runtime: ServerRuntime,
    public_id: str,
    error: str = "",
    chosen: dict[str, Any] | None = None,
) -> dict[str, Any] | None:
    """What the ticket page shows about rating: None before 办结; else the shared form's
    context (:func:`form_context`), 3 days (core.ratings.PAGE_WINDOW)."""
    finished, state, existing, fixed = await runtime.db.read(lambda c: _read(c, public_id))
    if state != "done" or finished is None:
        return None
    return form_context(
        finished=finished,
        window=PAGE_WINDOW,
        existing=existing,
        fixed=fixed,
        staff=await is_staff(request, runtime),
        action=f"/t/{public_id}/rating",
        second_action=f"/t/{public_id}/second-rating",
        error=error,
        chosen=chosen,
    )


@router.post("/t/{public_id}/rating", response_class=HTMLResponse, include_in_schema=False)
async def rate_on_phone(public_id: str, request: Request, runtime: Runtime) -> Response:
    """The resident's rating from the phone page: stored once, then back to the page."""
    from kiosk.server.api.routes.phone_page import ticket_page

    if not PUBLIC_ID.match(public_id):
        return await ticket_page(public_id, request, runtime)
    try:
        form: Any = await request.form(max_files=0, max_fields=20)
    except Exception:  # a body that is not a form
        form = None
    level, reasons, phone, chosen, problem = read_form(form)

    async def again(message: str) -> HTMLResponse:
        return await ticket_page(
            public_id, request, runtime, rating_error=message, chosen=chosen, status_code=422
        )

    if problem:
        return await again(problem)
    hall_id = await runtime.db.read(
        lambda c: c.execute(
            sa.select(m.tickets.c.hall_id).where(m.tickets.c.public_id == public_id)
        ).scalar()
    )
    if hall_id is None:
        return await ticket_page(public_id, request, runtime)
    staff = await is_staff(request, runtime)

    def store(conn: Connection, _outbox: Outbox) -> ratings.Recorded:
        return ratings.record(
            conn,
            hall_id=str(hall_id),
            subject="ticket",
            subject_id=public_id,
            level=level,
            reasons=reasons,
            phone=phone or None,
            channel=Channel.PHONE_PAGE,
            device_id=ratings.PHONE_DEVICE,
            at=utcnow(),
            rater_is_staff=staff,
            settings=runtime.settings,
        )

    try:
        await runtime.write(store)
    except DomainError as exc:
        return await again(exc.message)
    return RedirectResponse(f"/t/{public_id}#rating", status_code=303)


@router.post("/t/{public_id}/second-rating", response_class=HTMLResponse, include_in_schema=False)
async def second_rating_on_phone(public_id: str, request: Request, runtime: Runtime) -> Response:
    """The resident's one 追评 once the 整改 of their 差评 is answered."""
    from kiosk.server.api.routes.phone_page import ticket_page

    if not PUBLIC_ID.match(public_id):
        return await ticket_page(public_id, request, runtime)
    try:
        form = await request.form(max_files=0, max_fields=20)
    except Exception:  # a body that is not a form
        form = None
    level = form.get("level") if form is not None else None
    if not isinstance(level, str) or level not in {lv.value for lv in Level}:
        return await ticket_page(
            public_id, request, runtime, rating_error="请选择五个等级之一", status_code=422
        )
    if await is_staff(request, runtime):
        return await ticket_page(
            public_id, request, runtime, rating_error="工作人员账号不能评价", status_code=422
        )

    def store(conn: Connection, _outbox: Outbox) -> None:
        ticket_id = conn.execute(
            sa.select(m.tickets.c.id).where(m.tickets.c.public_id == public_id)
        ).scalar()
        rating = ratings.rating_for_ticket(conn, int(ticket_id)) if ticket_id else None
        if rating is None:
            raise NotFound("unknown_rating", "这次服务还没有评价")
        ratings.record_second_rating(conn, rating.id, level, utcnow())

    try:
        await runtime.write(store)
    except DomainError as exc:
        return await ticket_page(
            public_id, request, runtime, rating_error=exc.message, status_code=422
        )
    return RedirectResponse(f"/t/{public_id}#rating", status_code=303)
