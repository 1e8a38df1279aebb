"""The kiosk fleet: every kiosk's last heartbeat, versions, outbox backlog and last
error, and what its rate and daily share of the queues refused (429s); a kiosk silent for
more than :data:`OFFLINE_AFTER` is shown offline.

Remote care (:mod:`kiosk.server.kiosk_care`): 查看屏幕, 查看日志 and 重启 send a command
to one kiosk over its hall's event channel; the page shows its latest screenshot and log
lines, and 屏幕可能卡住 for a kiosk whose screen has not changed while it should have."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.engine import Connection

from kiosk.core import clock
from kiosk.core.clock import HALL_TZ
from kiosk.core.values import RowId
from kiosk.core.wire import CareCommandName
from kiosk.server import models as m
from kiosk.server.admin.drafts import audit
from kiosk.server.admin.web import (
    AdminPageError,
    CurrentSession,
    PostedForm,
    Runtime,
    redirect,
    render,
)
from kiosk.server.content_store import HallDirectory
from kiosk.server.db import as_utc, utcnow
from kiosk.server.kiosk_care import (
    COMMAND_NAMES,
    CareRefused,
    care_states,
    queue_command,
    read_screenshot,
    stuck_reason,
)
from kiosk.server.kiosk_quota import refusals
from kiosk.server.runtime import Outbox

__all__ = ["OFFLINE_AFTER", "fleet_rows", "router"]

router = APIRouter()

OFFLINE_AFTER = dt.timedelta(minutes=3)


def fleet_rows(
    conn: Connection,
    hall_id: str | None,
    *,
    stuck_after: dt.timedelta | None = None,
    halls: HallDirectory | None = None,
) -> list[dict[str, Any]]:
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
    cared = care_states(conn)
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
        changed_at = _moment(beat.get("screen_changed_at"))
        stuck = None
        if stuck_after is not None and halls is not None and state == "online":
            stuck = stuck_reason(
                conn,
                r.hall_id,
                changed_at,
                threshold=stuck_after,
                hall=halls.get_sync(conn, r.hall_id),
            )
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
                "care": cared.get(r.id),
                "stuck": stuck,
            }
        )
    return out


def _moment(value: object) -> dt.datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment.astimezone(dt.UTC) if moment.tzinfo is not None else None


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
    settings = runtime.settings
    stuck_after = dt.timedelta(hours=settings.stuck_screen_hours)
    rows = await runtime.db.read(
        lambda c: fleet_rows(c, hall_id, stuck_after=stuck_after, halls=runtime.halls)
    )
    rows = [r for r in rows if not r["revoked"]]
    counts = {s: sum(1 for r in rows if r["state"] == s) for s in ("online", "offline", "never")}
    return render(
        request,
        "admin/fleet.html",
        {
            "rows": rows,
            "counts": counts,
            "ago": ago,
            "zone": HALL_TZ,
            "revoke_seconds": settings.auth_cache_seconds,
            "quota": runtime.quota,
            "updated": clock.now().astimezone(HALL_TZ),
            "stuck_hours": settings.stuck_screen_hours,
            "command_names": COMMAND_NAMES,
        },
    )


def _care_target(conn: Connection, device_id: int) -> Any:
    k = m.kiosk_devices
    return conn.execute(
        sa.select(k.c.id, k.c.hall_id, k.c.kiosk_no, k.c.last_seen_at, k.c.revoked_at).where(
            k.c.id == device_id
        )
    ).first()


@router.post("/fleet/{device_id}/care", name="fleet_care")
async def fleet_care(
    request: Request, runtime: Runtime, device_id: RowId, post: PostedForm
) -> Response:
    """Send one remote-care command (the form's ``command``) to one kiosk."""
    command = post.text("command")
    if command not in COMMAND_NAMES:
        return redirect("/admin/fleet", "无法识别的操作，请刷新页面后重试")
    wanted: CareCommandName = command  # type: ignore[assignment]
    gap = dt.timedelta(seconds=runtime.settings.care_command_seconds)
    back = f"/admin/fleet#kiosk-{device_id}"

    def send(conn: Connection, outbox: Outbox) -> str | None:
        row = _care_target(conn, device_id)
        if row is None or row.revoked_at is not None:
            return "没有这台在用的自助机"
        if not post.session.staff.may_manage(row.hall_id):
            raise AdminPageError(403, "您没有管理这个大厅自助机的权限")
        seen = as_utc(row.last_seen_at)
        if seen is None or utcnow() - seen > OFFLINE_AFTER:
            return f"终端离线：{row.kiosk_no} 号自助机已超过 3 分钟没有心跳，指令无法送达"
        try:
            _command_id, seq = queue_command(conn, device_id, row.hall_id, wanted, min_gap=gap)
        except CareRefused as exc:
            return str(exc)
        audit(
            conn,
            post.session,
            f"kiosk_{wanted}",
            row.hall_id,
            f"自助机 {row.kiosk_no}",
            COMMAND_NAMES[wanted],
        )
        outbox.add([(row.hall_id, seq)])
        return None

    refused = await runtime.write(send)
    if refused is not None:
        return redirect(back, refused)
    done = {
        "screenshot": "已请求屏幕截图，几秒后显示在下方",
        "logs": "已请求最近的日志，几秒后显示在下方",
        "restart": "已发送重启指令，自助机将在几秒内重新启动",
    }
    return redirect(back, done[wanted])


@router.get("/fleet/{device_id}/screenshot", name="fleet_screenshot")
async def fleet_screenshot(runtime: Runtime, session: CurrentSession, device_id: RowId) -> Response:
    """The kiosk's latest screenshot (never cached: it is replaced by the next one)."""

    def read(conn: Connection) -> tuple[bytes, str] | str:
        row = _care_target(conn, device_id)
        if row is None or not session.staff.may_manage(row.hall_id):
            # Another hall's kiosk reads as no kiosk at all: its existence is not told.
            return "没有这台自助机的截图"
        return read_screenshot(conn, device_id) or "这台自助机还没有截图，请先点“查看屏幕”"

    found = await runtime.db.read(read)
    if isinstance(found, str):  # the page links it only once there is one: back, and why
        return redirect(f"/admin/fleet#kiosk-{device_id}", found)
    data, mime = found
    return Response(
        data,
        media_type=mime,
        headers={"Cache-Control": "no-store", "Content-Security-Policy": "default-src 'none'"},
    )
