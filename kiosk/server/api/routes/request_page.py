"""``/r/{id}``: the resident's phone page for one request (plain HTML, Chinese, no script).

State, the public timeline, the deadline in words and who handles it. Once closed and
for 14 days: the five faces (kiosk.core.ratings.Level), once; after 不满意 or 非常不满意
the page offers 申请重办 with a reason. Both are plain forms posting back here.
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
from kiosk.core.ratings import Level
from kiosk.core.request_deadlines import deadline_status, may_rate, offers_reopen
from kiosk.core.service_requests import (
    CLOSED_STATES,
    SET_ASIDE_STATES,
    Action,
    Actor,
    Role,
    State,
)
from kiosk.core.workdays import UnknownCalendarYear
from kiosk.server import requests as store
from kiosk.server.api.deps import Runtime
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
_DONE = {"rated": "谢谢您的评价！", "reopened": "已收到您的重办申请，我们会尽快重新处理。"}
FACES = [(level, face) for level, face in zip(Level, ("😄", "😊", "😐", "😟", "😠"), strict=True)]


def when(at: dt.datetime) -> str:
    """``12月7日（周一）10:00`` in the hall's zone; midnight reads as the day before's 24:00."""
    local = at.astimezone(HALL_TZ)
    if local.hour == 0 and local.minute == 0:
        day = local - dt.timedelta(days=1)
        return f"{day.month}月{day.day}日（周{_WEEKDAYS[day.weekday()]}）24:00"
    return f"{local.month}月{local.day}日（周{_WEEKDAYS[local.weekday()]}）{local:%H:%M}"


def deadline_words(record: store.RequestRecord, now: dt.datetime) -> str:
    core = record.core
    if core.state in CLOSED_STATES and core.closed_at is not None:
        return f"{when(core.closed_at)} {core.state.label}"
    if core.state in SET_ASIDE_STATES or core.state is State.ARCHIVED:
        return core.state.label
    try:
        status = deadline_status(core, now, store.calendar())
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
        return {
            "record": record,
            "category": category,
            "entries": store.timeline(conn, request_id, public_only=True),
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
    context = {
        "missing": False,
        "record": record,
        "hall_name": hall_name,
        "category": found["category"],
        "entries": [(when(e.at), e) for e in found["entries"]],
        "deadline": deadline_words(record, now),
        "handler": record.core.transferred_to or hall_name,
        "closed": record.state in CLOSED_STATES,
        "may_rate": may_rate(record.core, now),
        "offers_reopen": offers_reopen(record.core),
        "rated_label": Level(record.rating_level).label if record.rating_level else None,
        "faces": FACES,
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
async def rate(
    request_id: str,
    request: Request,
    runtime: Runtime,
    level: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    """One of the five faces, once, within 14 days of closing."""
    if level not in {lv.value for lv in Level}:
        return await _page(request, runtime, request_id, error="请选择一个评价", status_code=422)
    return await _resident_acts(request, runtime, request_id, Action.RATE, "rated", level=level)


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
