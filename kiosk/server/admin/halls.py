"""The start page, the list of halls, one hall's overview and its hall information
(name, address, phone, opening hours, brand, contacts)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.engine import Connection

from kiosk.core.tickets import service_day
from kiosk.server import models as m
from kiosk.server.admin.drafts import EditRefused, edit_draft, load_draft
from kiosk.server.admin.fields import (
    Field,
    form_values,
    problems_by_field,
    read_fields,
    set_path,
)
from kiosk.server.admin.fleet import fleet_rows
from kiosk.server.admin.web import (
    CurrentSession,
    HallScope,
    PostedForm,
    Runtime,
    redirect,
    render,
)
from kiosk.server.db import utcnow
from kiosk.server.models import admin_drafts
from kiosk.server.runtime import ServerRuntime

__all__ = ["router"]

router = APIRouter()

HALL_FIELDS = [
    Field("name", "大厅全称"),
    Field("short_name", "简称"),
    Field("street", "所属街道"),
    Field("address", "地址", wide=True),
    Field("phone", "电话"),
    Field(
        "opening_hours",
        "开放时间（每行一段）",
        kind="hours",
        help="星期 开始-结束，例如“1-5 08:30-17:30”（1=周一，7=周日）",
    ),
    Field("intro", "简介", kind="textarea", wide=True),
    Field("brand.title", "一居一品牌：名称"),
    Field("brand.text", "一居一品牌：介绍", kind="textarea", wide=True),
    Field(
        "contacts",
        "联系方式二维码（每行一个）",
        kind="contacts",
        help="类型 | 名称 | 链接，类型为 wechat、qq、web 或 email",
        wide=True,
    ),
]


@router.get("/", response_class=HTMLResponse, name="admin_home")
async def home(session: CurrentSession) -> Response:
    if session.staff.is_admin:
        return redirect("/admin/halls")
    return redirect(f"/admin/halls/{session.staff.hall_id}")


@router.get("/halls", response_class=HTMLResponse, name="halls")
async def halls(request: Request, runtime: Runtime, session: CurrentSession) -> HTMLResponse:
    def read(conn: Connection) -> list[Any]:
        query = (
            sa.select(
                m.halls.c.id,
                m.halls.c.name,
                m.halls.c.current_version,
                admin_drafts.c.updated_at,
            )
            .select_from(m.halls.outerjoin(admin_drafts, admin_drafts.c.hall_id == m.halls.c.id))
            .order_by(m.halls.c.id)
        )
        if not session.staff.is_admin:
            query = query.where(m.halls.c.id == session.staff.hall_id)
        return list(conn.execute(query))

    rows = await runtime.db.read(read)
    hall_ids = [r.id for r in rows]

    def today(conn: Connection) -> dict[str, dict[str, int]]:
        out: dict[str, dict[str, int]] = {h: {"waiting": 0, "done": 0} for h in hall_ids}
        for hall_id in hall_ids:
            entry = runtime.halls.get_sync(conn, hall_id)
            day = service_day(utcnow(), entry.zone) if entry is not None else utcnow().date()
            t = m.tickets
            for state, count in conn.execute(
                sa.select(t.c.state, sa.func.count())
                .where(t.c.hall_id == hall_id, t.c.service_day == day)
                .group_by(t.c.state)
            ):
                if state == "waiting":
                    out[hall_id]["waiting"] = count
                elif state == "done":
                    out[hall_id]["done"] = count
        return out

    counts = await runtime.db.read(today)
    fleet = await runtime.db.read(lambda c: fleet_rows(c, None))
    kiosks = {
        h: (
            sum(1 for k in fleet if k["hall_id"] == h and k["state"] == "online"),
            sum(1 for k in fleet if k["hall_id"] == h and not k["revoked"]),
        )
        for h in hall_ids
    }
    return render(request, "admin/halls.html", {"halls": rows, "counts": counts, "kiosks": kiosks})


@router.get("/halls/{hall_id}", response_class=HTMLResponse, name="hall")
async def hall_overview(request: Request, runtime: Runtime, hall: HallScope) -> HTMLResponse:
    draft = await runtime.db.read(lambda c: load_draft(c, hall.id))
    counters = await runtime.db.read(
        lambda c: list(
            c.execute(
                sa.select(m.counters.c.id, m.counters.c.name, m.counters.c.queues)
                .where(m.counters.c.hall_id == hall.id)
                .order_by(m.counters.c.window)
            )
        )
    )
    return render(
        request,
        "admin/hall.html",
        {"hall": hall, "draft": draft, "content": draft.content, "counters": counters},
    )


async def _info_page(
    request: Request,
    runtime: ServerRuntime,
    hall: Any,
    *,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    general: list[str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    draft = await runtime.db.read(lambda c: load_draft(c, hall.id))
    entry = await runtime.halls.require(hall.id)
    shown = form_values(HALL_FIELDS, draft.content["hall"], entry.zone)
    shown.update(values or {})
    return render(
        request,
        "admin/hall_info.html",
        {
            "hall": hall,
            "draft": draft,
            "fields": HALL_FIELDS,
            "values": shown,
            "errors": errors or {},
            "general": general or [],
        },
        status_code=status_code,
    )


@router.get("/halls/{hall_id}/info", response_class=HTMLResponse, name="hall_info")
async def hall_info(request: Request, runtime: Runtime, hall: HallScope) -> HTMLResponse:
    return await _info_page(request, runtime, hall)


@router.post("/halls/{hall_id}/info", response_class=HTMLResponse, name="hall_info_save")
async def hall_info_save(
    request: Request, runtime: Runtime, hall: HallScope, post: PostedForm
) -> Response:
    entry = await runtime.halls.require(hall.id)
    values, errors, shown = read_fields(HALL_FIELDS, post, entry.zone, creating=False)
    if errors:
        return await _info_page(
            request, runtime, hall, values=shown, errors=errors, status_code=422
        )

    def change(content: dict[str, Any]) -> str:
        for name, value in values.items():
            set_path(content["hall"], name, value)
        return "修改大厅信息"

    try:
        await runtime.db.write(lambda c: edit_draft(c, post.session, hall.id, change))
    except EditRefused as exc:
        errors, general = problems_by_field(exc.problems, "hall", HALL_FIELDS)
        return await _info_page(
            request, runtime, hall, values=shown, errors=errors, general=general, status_code=422
        )
    return redirect(f"/admin/halls/{hall.id}/info", "大厅信息已保存到草稿，发布后自助机才会显示")
