"""The requests board (诉求台账): one hall's requests, or every hall's for the district,
filtered by state, category, handling staff member and overdue, sorted by time left, a
page at a time; each row carries its deadline light in colour *and* in words.

The board reads the store (:func:`kiosk.server.requests.board`); phones are masked here
(:func:`kiosk.core.privacy.mask_phone`) — only the request's own page shows them whole.
"""

from __future__ import annotations

import datetime as dt
import urllib.parse
from dataclasses import dataclass
from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from sqlalchemy.engine import Connection

from kiosk.core.privacy import mask_phone
from kiosk.core.request_deadlines import DEFAULT_CATEGORIES
from kiosk.core.request_states import State
from kiosk.core.values import INT64_MAX
from kiosk.core.workdays import UnknownCalendarYear, WorkCalendar
from kiosk.server import models as m
from kiosk.server import requests as store
from kiosk.server import workday_calendar
from kiosk.server.admin.sessions import StaffSession
from kiosk.server.admin.web import (
    AdminPageError,
    CurrentSession,
    HallScope,
    Runtime,
    redirect,
    render,
)
from kiosk.server.db import utcnow
from kiosk.server.requests import BoardRow
from kiosk.server.runtime import ServerRuntime

__all__ = ["LIGHT_WORDS", "PAGE_SIZE", "left_text", "router", "staff_names"]

router = APIRouter()

PAGE_SIZE = 50
LIGHT_WORDS = {"green": "正常", "amber": "临期", "red": "超期"}
"""The light in words, next to its colour (never colour alone)."""

_Text = Annotated[str, Query(max_length=40)]
_Page = Annotated[int, Query(ge=1, le=10_000)]


def left_text(left: dt.timedelta | None, paused: bool = False) -> str:
    """Working time left as staff say it: "剩 2 个工作日", "剩 5 小时", "超期 1 天"."""
    if left is None:
        return "—"
    prefix = "暂停 · " if paused else ""
    seconds = left.total_seconds()
    word = "剩" if seconds >= 0 else "超期"
    hours = abs(seconds) / 3600
    if hours >= 24:
        return f"{prefix}{word} {int(hours // 24)} 个工作日"
    if hours >= 1:
        return f"{prefix}{word} {int(hours)} 小时"
    return f"{prefix}{word}不到 1 小时"


def staff_names(conn: Connection, hall_ids: list[str] | None) -> dict[int, str]:
    """Staff accounts who may handle requests of ``hall_ids`` (None: every account)."""
    a = m.staff_accounts
    query = sa.select(a.c.id, a.c.username, a.c.display_name, a.c.hall_id).where(
        a.c.disabled == sa.false()
    )
    if hall_ids is not None:
        query = query.where(sa.or_(a.c.hall_id.in_(hall_ids), a.c.hall_id.is_(None)))
    return {r.id: r.display_name or r.username for r in conn.execute(query.order_by(a.c.id))}


@dataclass(frozen=True)
class Filters:
    state: str
    category: str
    staff: str
    overdue: bool
    page: int
    #: "" | "leader" (升级给我, the hall's leader) | "district" (已报区级, the district board)
    escalated: str = ""

    def query(self, **change: Any) -> str:
        values = {
            "state": self.state,
            "category": self.category,
            "staff": self.staff,
            "overdue": "1" if self.overdue else "",
            "escalated": self.escalated,
            "page": str(self.page),
            **{k: str(v) for k, v in change.items()},
        }
        return urllib.parse.urlencode({k: v for k, v in values.items() if v and v != "0"})


def _filters(
    state: str, category: str, staff: str, overdue: str, page: int, escalated: str = ""
) -> Filters:
    if state and state not in {s.value for s in State}:
        raise AdminPageError(400, "没有这个诉求状态")
    if category and category not in {c.id for c in DEFAULT_CATEGORIES}:
        raise AdminPageError(400, "没有这个诉求类别")
    if staff and not (staff.isascii() and staff.isdigit() and 1 <= int(staff) <= INT64_MAX):
        raise AdminPageError(400, "经办人应为账号编号")
    if escalated and escalated not in store.ESCALATED_FILTERS:
        raise AdminPageError(400, "没有这个督办级别")
    return Filters(state, category, staff, overdue in ("1", "on", "true"), page, escalated)


def time_left(
    due: dt.datetime | None, now: dt.datetime, calendar: WorkCalendar
) -> dt.timedelta | None:
    """Working time from ``now`` to ``due`` (negative when overdue), by the district's calendar."""
    if due is None:
        return None
    try:
        if due >= now:
            return calendar.working_time(now, due)
        return -calendar.working_time(due, now)
    except UnknownCalendarYear:
        return None


def _row_view(
    row: BoardRow,
    now: dt.datetime,
    staff: dict[int, str],
    halls: dict[str, str],
    phone: str | None,
    calendar: WorkCalendar,
) -> dict[str, Any]:
    light = row.light.value if row.light is not None else None
    return {
        "id": row.id,
        "number": row.number,
        "hall": halls.get(row.hall_id, row.hall_id),
        "category": row.category_label,
        "description": row.summary[:60],
        "location": row.location or "",
        "phone": mask_phone(phone) if phone else "",
        "state": row.state.label,
        "light": light,
        "light_word": LIGHT_WORDS.get(light or "", ""),
        "left": left_text(time_left(row.due_at, now, calendar), row.paused)
        if light
        else (row.problem or "—"),
        "staff": staff.get(row.staff_id or 0, "未分派"),
        "escalation": row.escalation.value,
    }


async def _board_page(
    request: Request,
    runtime: ServerRuntime,
    session: StaffSession,
    hall_ids: list[str],
    filters: Filters,
    *,
    title: str,
    base: str,
    hall_id: str | None,
) -> HTMLResponse:
    now = utcnow()

    def read(conn: Connection) -> dict[str, Any]:
        calendar = workday_calendar.calendar(conn)
        page = store.board(
            conn,
            hall_ids,
            now=now,
            state=filters.state or None,
            category=filters.category or None,
            staff_id=int(filters.staff) if filters.staff else None,
            overdue=True if filters.overdue else None,
            escalated=filters.escalated or None,
            order="time_left",
            limit=PAGE_SIZE,
            offset=(filters.page - 1) * PAGE_SIZE,
        )
        halls = {r.id: r.name for r in conn.execute(sa.select(m.halls.c.id, m.halls.c.name))}
        # The board's rows carry no personal data; the shown page's phones, masked here.
        phones = {r.id: store.get(conn, r.id, settings=runtime.settings).phone for r in page.rows}
        staff = staff_names(conn, None if session.staff.is_admin else hall_ids)
        return {
            "rows": [
                _row_view(r, now, staff, halls, phones.get(r.id), calendar) for r in page.rows
            ],
            "total": page.total,
            "staff_options": staff,
        }

    data = await runtime.db.read(read)
    stamp = await runtime.db.read(lambda c: _stamp(c, hall_ids))
    pages = max(1, -(-data["total"] // PAGE_SIZE))
    return render(
        request,
        "admin/requests_board.html",
        {
            **data,
            "title": title,
            "base": base,
            "hall_id": hall_id,
            "filters": filters,
            "pages": pages,
            "states": [(s.value, s.label) for s in State],
            "categories": [(c.id, c.name) for c in DEFAULT_CATEGORIES],
            "light_words": LIGHT_WORDS,
            "stamp": stamp,
        },
    )


@router.get("/halls/{hall_id}/requests", response_class=HTMLResponse, name="requests_board")
async def hall_board(
    request: Request,
    runtime: Runtime,
    hall: HallScope,
    state: _Text = "",
    category: _Text = "",
    staff: _Text = "",
    overdue: _Text = "",
    escalated: _Text = "",
    page: _Page = 1,
) -> HTMLResponse:
    filters = _filters(state, category, staff, overdue, page, escalated)
    return await _board_page(
        request,
        runtime,
        hall.session,
        [hall.id],
        filters,
        title=f"{hall.name} · 诉求",
        base=f"/admin/halls/{hall.id}/requests",
        hall_id=hall.id,
    )


@router.get("/requests", response_model=None, name="requests_all")
async def all_boards(
    request: Request,
    runtime: Runtime,
    session: CurrentSession,
    state: _Text = "",
    category: _Text = "",
    staff: _Text = "",
    overdue: _Text = "",
    escalated: _Text = "",
    page: _Page = 1,
) -> Response:
    """Every hall the staff member may see: the district's board (overdue across halls)."""
    filters = _filters(state, category, staff, overdue, page, escalated)
    if not session.staff.is_admin:
        return redirect(f"/admin/halls/{session.staff.hall_id}/requests?{filters.query()}")
    hall_ids = await runtime.db.read(
        lambda c: [r.id for r in c.execute(sa.select(m.halls.c.id).order_by(m.halls.c.id))]
    )
    title = "全部大厅 · 诉求"
    return await _board_page(
        request,
        runtime,
        session,
        hall_ids,
        filters,
        title=title,
        base="/admin/requests",
        hall_id=None,
    )


def _stamp(conn: Connection, hall_ids: list[str]) -> str:
    """What changes whenever a request of these halls does: how many, the latest change."""
    r = m.service_requests
    count, latest = conn.execute(
        sa.select(sa.func.count(), sa.func.max(r.c.updated_at)).where(r.c.hall_id.in_(hall_ids))
    ).one()
    return f"{count}:{latest or ''}"  # the raw stored time: only compared


def _live(stamp: str) -> JSONResponse:
    return JSONResponse({"stamp": stamp}, headers={"Cache-Control": "no-store"})


@router.get("/halls/{hall_id}/requests/live", name="requests_board_live")
async def hall_board_live(runtime: Runtime, hall: HallScope) -> JSONResponse:
    """Polled by the open board (requests.js): a new stamp shows "有新变化，点此刷新"."""
    return _live(await runtime.db.read(lambda c: _stamp(c, [hall.id])))


@router.get("/requests/live", name="requests_all_live")
async def all_boards_live(runtime: Runtime, session: CurrentSession) -> JSONResponse:
    def read(conn: Connection) -> str:
        if session.staff.is_admin:
            halls = [r.id for r in conn.execute(sa.select(m.halls.c.id))]
        else:
            halls = [session.staff.hall_id or ""]
        return _stamp(conn, halls)

    return _live(await runtime.db.read(read))
