"""民情日记: a staff member's dated diary of what they heard and saw in the neighbourhood
(free text, tags, location). One tap turns an entry into a request (channel ``diary``,
linked both ways: the request carries the entry's id, the entry the request's).

Each staff member sees their own diary; entries belong to a hall (a district
administrator picks one)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.engine import Connection

from kiosk.core.clock import HALL_TZ
from kiosk.core.values import RowId
from kiosk.server import models as m
from kiosk.server import requests as store
from kiosk.server.admin.fields import typed_date
from kiosk.server.admin.request_detail import actor_of
from kiosk.server.admin.sessions import StaffSession
from kiosk.server.admin.web import (
    AdminPageError,
    BackWithMessage,
    CurrentSession,
    PostedForm,
    Runtime,
    redirect,
    render,
    write_or_back,
)
from kiosk.server.db import utcnow
from kiosk.server.runtime import Outbox

__all__ = ["parse_tags", "router"]

router = APIRouter()

TEXT_MAX = 1000
TAGS_MAX = 8
DAYS_SHOWN = 31

_Day = Annotated[str, Query(max_length=40)]


def parse_tags(text: str) -> list[str]:
    """``独居老人，楼道 照明`` → ``["独居老人", "楼道", "照明"]`` (Chinese or ASCII
    commas and spaces; repeated ones once; at most 8 of at most 12 characters)."""
    tags = [t.strip().lstrip("#＃") for t in re.split(r"[,，、;；\s]+", text)]
    out = list(dict.fromkeys(t for t in tags if t))
    if len(out) > TAGS_MAX:
        raise ValueError(f"标签最多 {TAGS_MAX} 个")
    if any(len(t) > 12 for t in out):
        raise ValueError("每个标签最多 12 个字")
    return out


def _halls(conn: Connection, session: StaffSession) -> dict[str, str]:
    query = sa.select(m.halls.c.id, m.halls.c.name).order_by(m.halls.c.id)
    if not session.staff.is_admin:
        query = query.where(m.halls.c.id == session.staff.hall_id)
    return {r.id: r.name for r in conn.execute(query)}


@router.get("/diary", response_class=HTMLResponse, name="diary")
async def diary(
    request: Request, runtime: Runtime, session: CurrentSession, day: _Day = ""
) -> HTMLResponse:
    today = utcnow().astimezone(HALL_TZ).date()
    try:
        shown_to = typed_date(day) if day else today
    except ValueError as exc:
        raise AdminPageError(400, f"日期：{exc}") from None
    shown_from = shown_to - dt.timedelta(days=DAYS_SHOWN - 1)

    def read(conn: Connection) -> dict[str, Any]:
        d = m.diary_entries
        rows = conn.execute(
            sa.select(d, m.service_requests.c.number.label("request_number"))
            .select_from(d.outerjoin(m.service_requests, m.service_requests.c.id == d.c.request_id))
            .where(
                d.c.staff_id == session.staff.account_id,
                d.c.day >= shown_from,
                d.c.day <= shown_to,
            )
            .order_by(d.c.day.desc(), d.c.id.desc())
        ).all()
        halls = _halls(conn, session)
        hall_id = session.staff.hall_id or next(iter(halls), "")
        return {
            "entries": rows,
            "halls": halls,
            "categories": store.categories(conn, hall_id) if hall_id else [],
        }

    data = await runtime.db.read(read)
    return render(
        request,
        "admin/diary.html",
        {
            **data,
            "today": today,
            "shown_from": shown_from,
            "shown_to": shown_to,
            "earlier": (shown_from - dt.timedelta(days=1)).isoformat(),
        },
    )


@router.post("/diary", name="diary_add")
async def diary_add(runtime: Runtime, post: PostedForm) -> Response:
    back = "/admin/diary"
    session = post.session
    text = post.text("text")
    if not text:
        raise BackWithMessage(back, "请写下听到或看到的情况")
    if len(text) > TEXT_MAX:
        raise BackWithMessage(back, f"内容过长（最多 {TEXT_MAX} 字）")
    try:
        day = typed_date(post.text("day")) if post.text("day") else None
        tags = parse_tags(post.text("tags"))
    except ValueError as exc:
        raise BackWithMessage(back, f"未保存：{exc}") from None
    location = post.text("location")[:20] or None
    now = utcnow()
    today = now.astimezone(HALL_TZ).date()
    if day is not None and day > today:
        raise BackWithMessage(back, "未保存：日记的日期不能晚于今天")

    def run(conn: Connection, outbox: Outbox) -> int:
        halls = _halls(conn, session)
        hall_id = post.text("hall") or session.staff.hall_id or ""
        if hall_id not in halls:
            raise BackWithMessage(back, "请选择大厅")
        result = conn.execute(
            m.diary_entries.insert().values(
                hall_id=hall_id,
                staff_id=session.staff.account_id,
                day=day or today,
                text=text,
                tags=tags,
                location=location,
                request_id=None,
                created_at=now,
            )
        )
        key = result.inserted_primary_key
        return int(key[0]) if key else 0

    await write_or_back(runtime, run, back=back)
    return redirect(back, "已记入民情日记")


@router.post("/diary/{entry_id}/to-request", name="diary_to_request")
async def diary_to_request(runtime: Runtime, entry_id: RowId, post: PostedForm) -> Response:
    back = "/admin/diary"
    session = post.session
    category = post.text("category")
    if not category:
        raise BackWithMessage(back, "请先选择诉求类别")
    actor = actor_of(session)
    now = utcnow()

    def run(conn: Connection, outbox: Outbox) -> Any:
        d = m.diary_entries
        entry = conn.execute(sa.select(d).where(d.c.id == entry_id)).first()
        if entry is None or entry.staff_id != session.staff.account_id:
            raise AdminPageError(404, "没有这条日记")
        if not session.staff.may_manage(entry.hall_id):
            raise AdminPageError(403, "您没有管理这个大厅的权限")
        if entry.request_id is not None:
            raise BackWithMessage(back, "这条日记已转为诉求")
        record = store.register(
            conn,
            hall_id=entry.hall_id,
            category=category,
            description=entry.text[:500],
            channel="diary",
            actor=actor,
            at=now,
            location=entry.location,
            diary_entry_id=entry.id,
            settings=runtime.settings,
            outbox=outbox,
        )
        conn.execute(sa.update(d).where(d.c.id == entry_id).values(request_id=record.id))
        return record

    record = await write_or_back(runtime, run, back=back, refused="未能转为诉求：")
    return redirect(f"/admin/requests/{record.id}", f"已由民情日记登记为诉求 {record.number}")
