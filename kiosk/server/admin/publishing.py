"""Publishing a hall's draft, the preview of what the kiosk will show, the list of
versions with one-step restore, and the audit log."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.engine import Connection

from kiosk.core.clock import HALL_TZ
from kiosk.core.content import CATEGORIES, HallContent, Snapshot
from kiosk.core.schedule import now_and_next, occurrences_on, opening_text, weekdays_text
from kiosk.core.values import RowId
from kiosk.server import models as m
from kiosk.server.admin.drafts import (
    EditRefused,
    discard_draft,
    load_draft,
    load_version,
    publish_draft,
    restore_version,
)
from kiosk.server.admin.web import (
    DistrictAdmin,
    HallScope,
    PostedForm,
    Runtime,
    redirect,
    render,
    write_or_back,
)
from kiosk.server.db import as_utc, utcnow
from kiosk.server.models import admin_audit
from kiosk.server.runtime import Outbox

__all__ = ["router"]

router = APIRouter()


def _preview_context(content: HallContent, hall_id: str) -> dict[str, Any]:
    zone = content.hall.zone
    now = utcnow().astimezone(zone)
    by_category = []
    for code, name in CATEGORIES:
        services = [s for s in content.services if s.category == code]
        if services:
            by_category.append((name, services))
    rooms = []
    for room in content.rooms:
        rooms.append(
            {
                "room": room,
                "nn": now_and_next(room, now, zone),
                "today": occurrences_on(room, now.date(), zone),
                "hours": opening_text(room.hours),
            }
        )
    return {
        "c": content,
        "hall_id": hall_id,
        "by_category": by_category,
        "rooms": rooms,
        "notices": content.published_notices(now),
        "now": now,
        "zone": zone,
        "weekdays_text": weekdays_text,
        "hall_hours": opening_text(content.hall.opening_hours),
    }


@router.get("/halls/{hall_id}/preview", response_class=HTMLResponse, name="preview")
async def preview(request: Request, runtime: Runtime, hall: HallScope) -> HTMLResponse:
    draft = await runtime.db.read(lambda c: load_draft(c, hall.id))
    ctx = _preview_context(draft.model(), hall.id)
    ctx.update({"hall": hall, "draft": draft, "title": "草稿预览（发布后自助机显示的内容）"})
    return render(request, "admin/preview.html", ctx)


@router.post("/halls/{hall_id}/publish", name="publish")
async def publish(runtime: Runtime, hall: HallScope, post: PostedForm) -> Response:
    draft = await runtime.db.read(lambda c: load_draft(c, hall.id))
    if not draft.changed:
        return redirect(f"/admin/halls/{hall.id}", "没有未发布的修改，无需发布")

    def publish(conn: Connection, outbox: Outbox) -> Snapshot:
        snapshot, seq = publish_draft(conn, post.session, hall.id)
        outbox.publication(hall.id, seq)
        return snapshot

    try:
        snapshot = await write_or_back(
            runtime, publish, back=f"/admin/halls/{hall.id}", refused="未发布："
        )
    except EditRefused as exc:
        return redirect(f"/admin/halls/{hall.id}", f"未发布：{exc}")
    return redirect(
        f"/admin/halls/{hall.id}/versions",
        f"已发布第 {snapshot.version} 版，在线的自助机几秒内更新",
    )


@router.post("/halls/{hall_id}/discard", name="discard")
async def discard(runtime: Runtime, hall: HallScope, post: PostedForm) -> Response:
    await runtime.db.write(lambda c: discard_draft(c, post.session, hall.id))
    return redirect(f"/admin/halls/{hall.id}", "已放弃未发布的修改")


def _versions(conn: Connection, hall_id: str) -> list[dict[str, Any]]:
    names = {"demo": "演示数据导入"}
    names |= {
        f"staff:{r.id}": r.display_name or r.username
        for r in conn.execute(
            sa.select(
                m.staff_accounts.c.id,
                m.staff_accounts.c.username,
                m.staff_accounts.c.display_name,
            )
        )
    }
    rows = conn.execute(
        sa.select(
            m.content_versions.c.version,
            m.content_versions.c.published_at,
            m.content_versions.c.published_by,
        )
        .where(m.content_versions.c.hall_id == hall_id)
        .order_by(m.content_versions.c.version.desc())
        .limit(200)
    )
    return [
        {
            "version": r.version,
            "at": as_utc(r.published_at),
            "by": names.get(r.published_by, r.published_by),
        }
        for r in rows
    ]


@router.get("/halls/{hall_id}/versions", response_class=HTMLResponse, name="versions")
async def versions(request: Request, runtime: Runtime, hall: HallScope) -> HTMLResponse:
    rows = await runtime.db.read(lambda c: _versions(c, hall.id))
    draft = await runtime.db.read(lambda c: load_draft(c, hall.id))
    entry = await runtime.halls.require(hall.id)
    return render(
        request,
        "admin/versions.html",
        {"hall": hall, "draft": draft, "versions": rows, "zone": entry.zone},
    )


@router.get(
    "/halls/{hall_id}/versions/{version}", response_class=HTMLResponse, name="version_preview"
)
async def version_preview(
    request: Request, runtime: Runtime, hall: HallScope, version: RowId
) -> HTMLResponse:
    snapshot, _ = await runtime.db.read(lambda c: load_version(c, hall.id, version))
    draft = await runtime.db.read(lambda c: load_draft(c, hall.id))
    ctx = _preview_context(snapshot.content, hall.id)
    ctx.update({"hall": hall, "draft": draft, "title": f"第 {version} 版", "version": version})
    return render(request, "admin/preview.html", ctx)


@router.post("/halls/{hall_id}/versions/{version}/restore", name="restore")
async def restore(runtime: Runtime, hall: HallScope, version: RowId, post: PostedForm) -> Response:

    def restore(conn: Connection, outbox: Outbox) -> Snapshot:
        snapshot, seq = restore_version(conn, post.session, hall.id, version)
        outbox.publication(hall.id, seq)
        return snapshot

    snapshot = await write_or_back(
        runtime, restore, back=f"/admin/halls/{hall.id}/versions", refused="未恢复："
    )
    return redirect(
        f"/admin/halls/{hall.id}/versions",
        f"已把第 {version} 版恢复为第 {snapshot.version} 版并发布",
    )


def _audit_rows(conn: Connection, hall_id: str | None, days: int) -> list[Any]:
    query = (
        sa.select(admin_audit)
        .where(admin_audit.c.at >= utcnow() - dt.timedelta(days=days))
        .order_by(admin_audit.c.id.desc())
        .limit(500)
    )
    if hall_id is not None:
        query = query.where(admin_audit.c.hall_id == hall_id)
    return list(conn.execute(query))


@router.get("/halls/{hall_id}/audit", response_class=HTMLResponse, name="hall_audit")
async def hall_audit(request: Request, runtime: Runtime, hall: HallScope) -> HTMLResponse:
    rows = await runtime.db.read(lambda c: _audit_rows(c, hall.id, 90))
    entry = await runtime.halls.require(hall.id)
    return render(request, "admin/audit.html", {"hall": hall, "rows": rows, "zone": entry.zone})


@router.get("/audit", response_class=HTMLResponse, name="audit")
async def all_audit(request: Request, runtime: Runtime, session: DistrictAdmin) -> HTMLResponse:
    rows = await runtime.db.read(lambda c: _audit_rows(c, None, 90))
    return render(
        request,
        "admin/audit.html",
        {"hall": None, "rows": rows, "zone": HALL_TZ},
    )
