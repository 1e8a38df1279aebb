"""The kiosk fleet: every kiosk's last heartbeat, versions, outbox backlog and last
error, and what its rate and daily share of the queues refused (429s); a kiosk silent for
more than :data:`OFFLINE_AFTER` is shown offline."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.engine import Connection

from kiosk.core import clock
from kiosk.server import models as m
from kiosk.server.admin.web import CurrentSession, Runtime, render
from kiosk.server.db import as_utc, utcnow
from kiosk.server.kiosk_quota import refusals

__all__ = ["OFFLINE_AFTER", "fleet_rows", "router"]

router = APIRouter()

OFFLINE_AFTER = dt.timedelta(minutes=3)


def fleet_rows(conn: Connection, hall_id: str | None) -> list[dict[str, Any]]:
    k = m.kiosk_devices
    query = (
        sa.select(
            k.c.id,
            k.c.hall_id,
            k.c.kiosk_no,
            k.c.name,
            k.c.created_at,
            k.c.revoked_at,
            k.c.last_seen_at,
            k.c.last_heartbeat,
            m.halls.c.name.label("hall_name"),
            m.halls.c.current_version,
        )
        .select_from(k.join(m.halls, m.halls.c.id == k.c.hall_id))
        .order_by(k.c.hall_id, k.c.kiosk_no)
    )
    if hall_id is not None:
        query = query.where(k.c.hall_id == hall_id)
    now = utcnow()
    limited = refusals(conn)
    out = []
    for r in conn.execute(query):
        refused, refused_at = limited.get(r.id, (0, None))
        seen = as_utc(r.last_seen_at)
        beat = r.last_heartbeat or {}
        if r.revoked_at is not None:
            state, label = "revoked", "已注销"
        elif seen is None:
            state, label = "never", "从未连接"
        elif now - seen > OFFLINE_AFTER:
            state, label = "offline", "离线"
        else:
            state, label = "online", "在线"
        content_version = beat.get("content_version")
        out.append(
            {
                "id": r.id,
                "hall_id": r.hall_id,
                "hall_name": r.hall_name,
                "kiosk_no": r.kiosk_no,
                "name": r.name,
                "state": state,
                "label": label,
                "seen": seen,
                "silent_for": (now - seen) if seen is not None else None,
                "app_version": beat.get("app_version", ""),
                "content_version": content_version,
                "hall_version": r.current_version,
                "behind": content_version is not None
                and r.current_version is not None
                and content_version < r.current_version,
                "backlog": beat.get("outbox_backlog", 0),
                "last_error": beat.get("last_error") or "",
                "mode": beat.get("mode", ""),
                "revoked": r.revoked_at is not None,
                # Tickets and numbers refused for its rate or daily share (kiosk_quota.py),
                # shown while the last refusal is less than a day old.
                "refused": refused
                if refused_at is not None and now - refused_at < dt.timedelta(days=1)
                else 0,
                "refused_at": refused_at,
            }
        )
    return out


def ago(delta: dt.timedelta | None) -> str:
    if delta is None:
        return "—"
    seconds = int(delta.total_seconds())
    if seconds < 60:
        return f"{max(seconds, 0)} 秒前"
    if seconds < 3600:
        return f"{seconds // 60} 分钟前"
    if seconds < 86400:
        return f"{seconds // 3600} 小时前"
    return f"{seconds // 86400} 天前"


@router.get("/fleet", response_class=HTMLResponse, name="fleet")
async def fleet(request: Request, runtime: Runtime, session: CurrentSession) -> HTMLResponse:
    hall_id = None if session.staff.is_admin else session.staff.hall_id
    rows = await runtime.db.read(lambda c: fleet_rows(c, hall_id))
    rows = [r for r in rows if not r["revoked"]]
    counts = {s: sum(1 for r in rows if r["state"] == s) for s in ("online", "offline", "never")}
    settings = runtime.settings
    return render(
        request,
        "admin/fleet.html",
        {
            "rows": rows,
            "counts": counts,
            "ago": ago,
            "zone": ZoneInfo("Asia/Shanghai"),
            "revoke_seconds": settings.auth_cache_seconds,
            "quota": runtime.quota,
            "updated": clock.now().astimezone(ZoneInfo("Asia/Shanghai")),
        },
    )
