"""The counter console: one window's current ticket, call next (with a queue filter),
recall, no-show, complete and transfer — through the server's :class:`CounterDesk` —
plus the live waiting counts the page polls."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from sqlalchemy.engine import Connection

from kiosk.core.content import CATEGORY_NAMES
from kiosk.core.tickets import Action, service_day
from kiosk.core.values import RowId
from kiosk.core.wire import TicketState
from kiosk.server import models as m
from kiosk.server.admin.sessions import StaffSession
from kiosk.server.admin.web import (
    AdminPageError,
    CurrentSession,
    PostedForm,
    Runtime,
    redirect,
    render,
    write_or_back,
)
from kiosk.server.counters import list_counters
from kiosk.server.db import utcnow
from kiosk.server.runtime import Outbox, ServerRuntime

__all__ = ["router"]

router = APIRouter()

_ACTIONS = {
    "recall": (Action.RECALL, "已重新呼叫"),
    "start": (Action.START, "开始办理"),
    "no-show": (Action.NO_SHOW, "已标记过号"),
    "complete": (Action.COMPLETE, "已办结"),
}


def _counter_row(conn: Connection, counter_id: int, session: StaffSession) -> Any:
    row = conn.execute(sa.select(m.counters).where(m.counters.c.id == counter_id)).first()
    if row is None:
        if session.staff.is_admin:
            raise AdminPageError(404, "没有这个窗口")
        raise AdminPageError(403, "您没有操作这个窗口的权限")
    if not session.staff.may_manage(row.hall_id):
        raise AdminPageError(403, "您没有操作这个窗口的权限")
    return row


def _live(runtime: ServerRuntime, conn: Connection, counter_id: int, session: StaffSession) -> Any:
    counter = _counter_row(conn, counter_id, session)
    hall = runtime.halls.get_sync(conn, counter.hall_id)
    today = service_day(utcnow(), hall.zone) if hall is not None else utcnow().date()
    waiting = runtime.view.waiting_by_queue(conn, counter.hall_id, today)
    t = m.tickets
    served = conn.execute(
        sa.select(sa.func.count())
        .select_from(t)
        .where(
            t.c.hall_id == counter.hall_id,
            t.c.service_day == today,
            t.c.counter_id == counter.id,
            t.c.state == TicketState.DONE.value,
        )
    ).scalar_one()
    current = next(
        (
            c.current
            for c in list_counters(conn, session.staff, counter.hall_id, runtime.view)
            if c.id == counter.id
        ),
        None,
    )
    queues: list[dict[str, Any]] = []
    if hall is not None and hall.content is not None:
        for q in hall.content.queues:
            queues.append(
                {
                    "code": q.code,
                    "name": q.name or CATEGORY_NAMES.get(q.category, ""),
                    "waiting": waiting.get(q.code, 0),
                    "mine": q.code in (counter.queues or []),
                    "open": q.open,
                }
            )
    waiting_total = sum(q["waiting"] for q in queues if q["mine"])
    return {
        "counter": counter,
        "hall_name": hall.name if hall is not None else counter.hall_id,
        "queues": queues,
        "current": current,
        "served_today": served,
        "waiting_total": waiting_total,
        "hint": _elsewhere_hint(queues, waiting_total),
    }


def _elsewhere_hint(queues: list[dict[str, Any]], waiting_total: int) -> str:
    """When this window's own queues are empty while others wait: say which, so the clerk
    can tick them ("A 队列有 3 人等候，本窗口未办理")."""
    if waiting_total:
        return ""
    others = [q for q in queues if not q["mine"] and q["waiting"]]
    if not others:
        return ""
    parts = "、".join(f"{q['code']} 队列有 {q['waiting']} 人" for q in others)
    return f"{parts}等候，本窗口未办理（可在下方勾选后叫号）"


#: The queue filter a window ticked, kept for the browser session (per window).
FILTER_COOKIE = "kiosk_console_queues"


def _picked(request: Request, queues: list[dict[str, Any]]) -> set[str]:
    known = {q["code"] for q in queues}
    raw = request.cookies.get(FILTER_COOKIE, "")
    return {code for code in raw.split(",") if code in known}


@router.get("/counters", response_class=HTMLResponse, name="counters")
async def counters(request: Request, runtime: Runtime, session: CurrentSession) -> HTMLResponse:

    def read(conn: Connection) -> list[Any]:
        query = (
            sa.select(
                m.counters.c.id,
                m.counters.c.hall_id,
                m.counters.c.name,
                m.counters.c.queues,
                m.halls.c.name.label("hall_name"),
            )
            .select_from(m.counters.join(m.halls, m.halls.c.id == m.counters.c.hall_id))
            .order_by(m.counters.c.hall_id, m.counters.c.window)
        )
        if not session.staff.is_admin:
            query = query.where(m.counters.c.hall_id == session.staff.hall_id)
        return list(conn.execute(query))

    rows = await runtime.db.read(read)
    return render(request, "admin/counters.html", {"counters": rows})


@router.get("/counters/{counter_id}", response_class=HTMLResponse, name="console")
async def console(
    request: Request, runtime: Runtime, counter_id: RowId, session: CurrentSession
) -> HTMLResponse:
    live = await runtime.db.read(lambda c: _live(runtime, c, counter_id, session))
    live["picked"] = _picked(request, live["queues"])
    return render(request, "admin/console.html", live)


@router.get("/counters/{counter_id}/live", name="console_live")
async def console_live(
    runtime: Runtime, counter_id: RowId, session: CurrentSession
) -> JSONResponse:
    live = await runtime.db.read(lambda c: _live(runtime, c, counter_id, session))
    current = live["current"]
    return JSONResponse(
        {
            "queues": live["queues"],
            "waiting_total": live["waiting_total"],
            "served_today": live["served_today"],
            "hint": live["hint"],
            "current": None
            if current is None
            else {
                "number": current.number,
                "state": current.state.value,
                "queue": current.queue,
                "called_at": current.called_at.isoformat() if current.called_at else None,
            },
        },
        headers={"Cache-Control": "no-store"},
    )


async def _do(runtime: ServerRuntime, counter_id: RowId, post: Any, op: Any, done: str) -> Response:
    back = f"/admin/counters/{counter_id}"

    def run(conn: Connection, outbox: Outbox) -> Any:
        _counter_row(conn, counter_id, post.session)
        ticket, events = op(conn)
        outbox.add(events)
        return ticket

    ticket = await write_or_back(runtime, run, back=back)
    return redirect(back, f"{ticket.number}：{done}")


@router.post("/counters/{counter_id}/call-next", name="console_call_next")
async def call_next(runtime: Runtime, counter_id: RowId, post: PostedForm) -> Response:
    queues = [q for q in post.values("queues") if len(q) == 1 and "A" <= q <= "Z"] or None
    response = await _do(
        runtime,
        counter_id,
        post,
        lambda c: runtime.desk.call_next(c, counter_id, post.session.staff, queues),
        "已叫号",
    )
    # Keep the filter for the next call (ticked A stays ticked), for this browser session.
    path = f"/admin/counters/{counter_id}"
    if queues:
        response.set_cookie(
            FILTER_COOKIE, ",".join(queues), path=path, httponly=True, samesite="lax"
        )
    else:
        response.delete_cookie(FILTER_COOKIE, path=path)
    return response


@router.post("/counters/{counter_id}/transfer", name="console_transfer")
async def transfer(runtime: Runtime, counter_id: RowId, post: PostedForm) -> Response:
    queue = post.text("queue")
    return await _do(
        runtime,
        counter_id,
        post,
        lambda c: runtime.desk.act(c, counter_id, post.session.staff, Action.TRANSFER, queue),
        f"已转到 {queue} 队列",
    )


@router.post("/counters/{counter_id}/{action}", name="console_act")
async def act(runtime: Runtime, counter_id: RowId, action: str, post: PostedForm) -> Response:
    if action not in _ACTIONS:
        raise AdminPageError(404, "没有这个操作")
    what, done = _ACTIONS[action]
    return await _do(
        runtime,
        counter_id,
        post,
        lambda c: runtime.desk.act(c, counter_id, post.session.staff, what),
        done,
    )
