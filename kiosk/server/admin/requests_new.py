"""Registering a request for a walk-in or a phone caller (窗口 / 电话登记), from the
counter console or the board, in under a minute: category tiles, the category's common
phrases as chips, location, phone and name (both optional), then 登记. A refusal (a phone
that is not a phone, …) shows the form again with what was typed and the store's message.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from sqlalchemy.engine import Connection

from kiosk.core.validation_messages import error_message
from kiosk.core.wire import RequestStaffCreate
from kiosk.server import requests as store
from kiosk.server.admin.request_detail import actor_of
from kiosk.server.admin.web import (
    Hall,
    HallScope,
    Posted,
    PostedForm,
    Runtime,
    redirect,
    render,
)
from kiosk.server.db import utcnow
from kiosk.server.domain_errors import DomainError
from kiosk.server.runtime import Outbox, ServerRuntime

__all__ = ["CHANNELS", "router"]

router = APIRouter()

CHANNELS = {"window": "窗口来访", "phone": "电话来电", "other": "其他"}
"""The channels staff register from the admin (the kiosk, visits and the diary have theirs)."""

_Counter = Annotated[str, Query(max_length=20)]
_FIELD_NAMES = {
    "category": "类别",
    "description": "内容",
    "location": "位置",
    "name": "姓名",
    "phone": "电话",
    "channel": "渠道",
}


async def _form(
    request: Request,
    runtime: ServerRuntime,
    hall: Hall,
    values: dict[str, Any],
    *,
    error: str = "",
    status_code: int = 200,
) -> HTMLResponse:
    categories = await runtime.db.read(lambda c: store.categories(c, hall.id))
    return render(
        request,
        "admin/request_new.html",
        {
            "hall": hall,
            "categories": categories,
            "values": values,
            "error": error,
            "channels": CHANNELS,
        },
        status_code=status_code,
    )


@router.get("/halls/{hall_id}/requests/new", response_class=HTMLResponse, name="request_new")
async def request_new(
    request: Request, runtime: Runtime, hall: HallScope, counter: _Counter = ""
) -> HTMLResponse:
    channel = "window" if counter else "phone"
    if counter and not (counter.isascii() and counter.isdigit() and len(counter) <= 18):
        counter = ""
    return await _form(request, runtime, hall, {"channel": channel, "counter": counter})


def _values(post: Posted) -> dict[str, Any]:
    return {
        "category": post.text("category"),
        "phrases": post.values("phrases"),
        "description": post.text("description"),
        "location": post.text("location"),
        "phone": post.text("phone"),
        "name": post.text("name"),
        "channel": post.text("channel") or "window",
        "counter": post.text("counter"),
    }


def description_of(phrases: list[str], text: str) -> str:
    """The chips picked and the words typed, as one description (phrases first)."""
    parts = [p.strip() for p in phrases if p.strip()]
    if text:
        parts.append(text)
    return "；".join(dict.fromkeys(parts))


@router.post("/halls/{hall_id}/requests/new", name="request_register")
async def request_register(
    request: Request, runtime: Runtime, hall: HallScope, post: PostedForm
) -> Response:
    values = _values(post)
    if values["channel"] not in CHANNELS:
        values["channel"] = "other"
    description = description_of(values["phrases"], values["description"])
    if not values["category"]:
        return await _form(request, runtime, hall, values, error="请先选择类别", status_code=422)
    if not description:
        return await _form(
            request,
            runtime,
            hall,
            values,
            error="请点选常见问题或写一句居民反映的内容",
            status_code=422,
        )
    try:
        checked = RequestStaffCreate(
            channel=values["channel"],
            category=values["category"],
            description=description,
            location=values["location"] or None,
            name=values["name"] or None,
            phone=values["phone"] or None,
        )
    except ValidationError as exc:
        error = exc.errors()[0]
        what = _FIELD_NAMES.get(str(error["loc"][0]) if error["loc"] else "", "")
        message = f"{what}：{error_message(error)}" if what else error_message(error)
        return await _form(request, runtime, hall, values, error=message, status_code=422)
    actor = actor_of(post.session)
    now = utcnow()

    def run(conn: Connection, outbox: Outbox) -> Any:
        return store.register(
            conn,
            hall_id=hall.id,
            category=checked.category,
            description=checked.description,
            channel=checked.channel,
            actor=actor,
            at=now,
            location=checked.location,
            name=checked.name,
            phone=checked.phone,
            settings=runtime.settings,
            outbox=outbox,
        )

    try:
        record = await runtime.write(run)
    except DomainError as exc:
        return await _form(request, runtime, hall, values, error=exc.message, status_code=422)
    message = f"已登记 {record.number}，查询码 {record.query_code}（请告诉居民）"
    return redirect(f"/admin/requests/{record.id}", message)
