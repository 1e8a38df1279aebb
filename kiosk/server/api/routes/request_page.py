"""``/r/{id}``: the resident's phone page for one request (plain HTML, Chinese, no script).

State, the public timeline, the deadline in words and who handles it. Once closed and
for 14 days (core.request_states.RATING_WINDOW): the same 好差评 form as the ticket page
(templates/rating_form.html: five faces, reasons after a 差评, optional phone), once;
it stores the core RATE transition and the 好差评 rating in one write, so a 差评 opens its
整改 and counts in the figures; the 追评 once the 整改 is answered. After 不满意 the page
offers 申请重办 with a reason. All are plain forms posting back here.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from sqlalchemy.engine import Connection

from kiosk.core import clock
from kiosk.core.clock import HALL_TZ
from kiosk.core.ratings import Channel, Level
from kiosk.core.request_deadlines import deadline_status, offers_reopen
from kiosk.core.request_states import RATING_WINDOW
from kiosk.core.service_requests import (
    CLOSED_STATES,
    SET_ASIDE_STATES,
    Action,
    Actor,
    Role,
    State,
)
from kiosk.core.workdays import UnknownCalendarYear, WorkCalendar
from kiosk.server import ratings, workday_calendar
from kiosk.server import requests as store
from kiosk.server.api.deps import Runtime
from kiosk.server.api.routes.phone_rating import fixed_of, form_context, is_staff, read_form
from kiosk.server.domain_errors import DomainError, NotFound
from kiosk.server.errors import api_error
from kiosk.server.requests.photos import photos
from kiosk.server.requests.views import category_for
from kiosk.server.runtime import Outbox

__all__ = ["router"]

router = APIRouter(tags=["phone page"])
templates = Jinja2Templates(directory=str(Path(__file__).resolve().parents[2] / "templates"))
_ID = re.compile(r"^[A-Za-z0-9_-]{8,32}$")
_WEEKDAYS = "一二三四五六日"
_DONE = {
    "rated": "谢谢您的评价！",
    "second": "已收到您的追评，谢谢！",
    "reopened": "已收到您的重办申请，我们会尽快重新处理。",
}


def when(at: dt.datetime) -> str:
    """``12月7日（周一）10:00`` in the hall's zone; midnight reads as the day before's 24:00."""
    local = at.astimezone(HALL_TZ)
    if local.hour == 0 and local.minute == 0:
        day = local - dt.timedelta(days=1)
        return f"{day.month}月{day.day}日（周{_WEEKDAYS[day.weekday()]}）24:00"
    return f"{local.month}月{local.day}日（周{_WEEKDAYS[local.weekday()]}）{local:%H:%M}"


def deadline_words(record: store.RequestRecord, now: dt.datetime, days: WorkCalendar) -> str:
    core = record.core
    if core.state in CLOSED_STATES and core.closed_at is not None:
        return f"{when(core.closed_at)} {core.state.label}"
    if core.state in SET_ASIDE_STATES or core.state is State.ARCHIVED:
        return core.state.label
    try:
        status = deadline_status(core, now, days)
    except UnknownCalendarYear:
        return "办理期限待定（节假日安排尚未录入）"
    if status is None:
        return ""
    if status.paused:
        return "等待补充材料，期限暂停计算"
    if core.state is State.REGISTERED:
        return f"将在 {when(status.due)} 前受理"
    late = "（已超期，正在督办）" if now > status.due else ""
    return f"预计 {when(status.due)} 前办结{late}"


async def _page(
    request: Request,
    runtime: Runtime,
    request_id: str,
    *,
    error: str | None = None,
    rating_error: str = "",
    chosen: dict[str, Any] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    now = clock.now()

    def read(conn: Connection) -> dict[str, Any] | None:
        if not _ID.match(request_id):
            return None
        try:
            record = store.get(conn, request_id)
        except NotFound:
            return None
        category = category_for(conn, record)
        rating = ratings.rating_for_request(conn, request_id)
        return {
            "record": record,
            "category": category,
            "entries": store.timeline(conn, request_id, public_only=True),
            "calendar": workday_calendar.calendar(conn),
            "rating": rating,
            "fixed": fixed_of(conn, rating),
            "photos": photos(conn, request_id, public_only=True),  # only those marked 公开
        }

    found = await runtime.db.read(read)
    if found is None:
        return templates.TemplateResponse(
            request,
            "request.html",
            {"missing": True},
            status_code=404,
            headers={"Cache-Control": "no-store"},
        )
    record: store.RequestRecord = found["record"]
    hall = await runtime.halls.get(record.hall_id)
    hall_name = hall.name if hall is not None else record.hall_id
    done = request.query_params.get("done")
    rating = None
    closed_at = record.core.closed_at
    # Closed, or archived since (the job archives an unrated request once its 14 days are
    # over): the form, its thanks, the 追评, or "评价已过期".
    if (record.state in CLOSED_STATES or record.state is State.ARCHIVED) and closed_at:
        # A rating kept before 好差评 stored requests' ratings: only rating_level.
        earlier = Level(record.rating_level).label if record.rating_level else None
        rating = form_context(
            finished=closed_at,
            window=RATING_WINDOW,
            existing=found["rating"],
            fixed=found["fixed"],
            staff=await is_staff(request, runtime),
            action=f"/r/{request_id}/rate",
            second_action=f"/r/{request_id}/second-rating",
            error=rating_error,
            chosen=chosen,
            title="请您评价这次办理",
            prompt="您对这次诉求的办理满意吗？",
            given=earlier,
        )
    if rating is None and rating_error:
        error = rating_error  # e.g. rating a request not closed: said at the top
    context = {
        "missing": False,
        "record": record,
        "hall_name": hall_name,
        "category": found["category"],
        "entries": [(when(e.at), e) for e in found["entries"]],
        "deadline": deadline_words(record, now, found["calendar"]),
        "handler": record.core.transferred_to or hall_name,
        "closed": record.state in CLOSED_STATES,
        "rating": rating,
        "offers_reopen": offers_reopen(record.core),
        "photos": found["photos"],
        "error": error,
        "notice": _DONE.get(done or ""),
    }
    return templates.TemplateResponse(
        request,
        "request.html",
        context,
        status_code=status_code,
        headers={"Cache-Control": "no-store"},
    )


@router.get("/r/{request_id}", response_class=HTMLResponse, include_in_schema=False)
async def request_page(request_id: str, request: Request, runtime: Runtime) -> HTMLResponse:
    return await _page(request, runtime, request_id)


async def _resident_acts(
    request: Request,
    runtime: Runtime,
    request_id: str,
    action: Action,
    done: str,
    **fields: Any,
) -> Response:
    now = clock.now()
    resident = Actor(Role.RESIDENT, "phone")

    def write(conn: Connection, outbox: Outbox) -> None:
        store.act(conn, request_id, action, resident, now, outbox=outbox, **fields)

    try:
        if not _ID.match(request_id):
            raise NotFound("unknown_request", "找不到这条诉求", field="id")
        await runtime.write(write)
    except DomainError as exc:
        status = api_error(exc).status
        return await _page(request, runtime, request_id, error=exc.message, status_code=status)
    return RedirectResponse(f"/r/{request_id}?done={done}", status_code=303)


@router.post("/r/{request_id}/rate", response_class=HTMLResponse, include_in_schema=False)
async def rate(request_id: str, request: Request, runtime: Runtime) -> Response:
    """One of the five faces (reasons and an optional phone after a 差评), once, within 14
    days of closing: the core RATE transition and the 好差评 rating in ONE write."""
    if not _ID.match(request_id):
        return await _page(request, runtime, request_id)
    try:
        form: Any = await request.form(max_files=0, max_fields=20)
    except Exception:  # a body that is not a form
        form = None
    level, reasons, phone, chosen, problem = read_form(form)

    async def again(message: str, status_code: int = 422) -> HTMLResponse:
        return await _page(
            request,
            runtime,
            request_id,
            rating_error=message,
            chosen=chosen,
            status_code=status_code,
        )

    if problem:
        return await again(problem)
    staff = await is_staff(request, runtime)  # the admin cookie: refused by the core
    now = clock.now()
    resident = Actor(Role.RESIDENT, "phone")

    def write(conn: Connection, outbox: Outbox) -> None:
        record = store.act(conn, request_id, Action.RATE, resident, now, outbox=outbox, level=level)
        ratings.record(
            conn,
            hall_id=record.hall_id,
            subject="request",
            subject_id=request_id,
            level=level,
            reasons=reasons,
            phone=phone or None,
            channel=Channel.PHONE_PAGE,
            device_id=ratings.PHONE_DEVICE,
            at=now,
            rater_is_staff=staff,
            settings=runtime.settings,
            calendar=workday_calendar.calendar(conn),
        )

    try:
        await runtime.write(write)
    except DomainError as exc:
        return await again(exc.message, api_error(exc).status)
    return RedirectResponse(f"/r/{request_id}?done=rated#rating", status_code=303)


@router.post("/r/{request_id}/second-rating", response_class=HTMLResponse, include_in_schema=False)
async def second_rating(request_id: str, request: Request, runtime: Runtime) -> Response:
    """The resident's one 追评 once the 整改 of their 差评 is answered."""
    if not _ID.match(request_id):
        return await _page(request, runtime, request_id)
    try:
        form: Any = await request.form(max_files=0, max_fields=20)
    except Exception:  # a body that is not a form
        form = None
    level = form.get("level") if form is not None else None
    if not isinstance(level, str) or level not in {lv.value for lv in Level}:
        return await _page(
            request, runtime, request_id, rating_error="请选择五个等级之一", status_code=422
        )
    if await is_staff(request, runtime):
        return await _page(
            request, runtime, request_id, rating_error="工作人员账号不能评价", status_code=422
        )

    def write(conn: Connection, _outbox: Outbox) -> None:
        rating = ratings.rating_for_request(conn, request_id)
        if rating is None:
            raise NotFound("unknown_rating", "这条诉求还没有评价")
        ratings.record_second_rating(conn, rating.id, level, clock.now())

    try:
        await runtime.write(write)
    except DomainError as exc:
        return await _page(
            request,
            runtime,
            request_id,
            rating_error=exc.message,
            status_code=api_error(exc).status,
        )
    return RedirectResponse(f"/r/{request_id}?done=second#rating", status_code=303)


@router.post("/r/{request_id}/reopen", response_class=HTMLResponse, include_in_schema=False)
async def reopen(
    request_id: str,
    request: Request,
    runtime: Runtime,
    reason: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """申请重办 with a reason (after 不满意)."""
    return await _resident_acts(
        request, runtime, request_id, Action.REOPEN, "reopened", reason=reason
    )
