"""One request's page (诉求详情): the facts (the phone in full — only here, and every view
is audited by the store), the whole timeline with internal notes marked, and a form for
each action :func:`kiosk.core.service_requests.allowed_actions` allows the staff member
now — nothing else is offered. Also: assign (the district across halls), public and
internal notes, and an outside unit's answer to a passed-on request.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.engine import Connection

from kiosk.core.clock import HALL_TZ
from kiosk.core.request_deadlines import DeadlineStatus, deadline_status
from kiosk.core.request_states import Action
from kiosk.core.service_requests import Actor, allowed_actions
from kiosk.core.values import INT64_MAX
from kiosk.core.workdays import UnknownCalendarYear, WorkCalendar
from kiosk.server import models as m
from kiosk.server import requests as store
from kiosk.server import workday_calendar
from kiosk.server.admin.drafts import audit
from kiosk.server.admin.fields import typed_date
from kiosk.server.admin.requests_board import LIGHT_WORDS, left_text, staff_names
from kiosk.server.admin.sessions import StaffSession
from kiosk.server.admin.web import (
    AdminPageError,
    BackWithMessage,
    CurrentSession,
    Posted,
    PostedForm,
    Runtime,
    redirect,
    render,
    write_or_back,
)
from kiosk.server.db import utcnow
from kiosk.server.domain_errors import Invalid, NotFound
from kiosk.server.requests import RequestRecord
from kiosk.server.requests import photos as photo_store
from kiosk.server.requests.actors import staff_actor
from kiosk.server.requests.settings_store import SUMMARY_MAX, set_public_summary
from kiosk.server.requests.voice import read_voice_note
from kiosk.server.runtime import Outbox
from kiosk.server.settings import ServerSettings

__all__ = ["ACTION_FIELDS", "actor_of", "router"]

router = APIRouter()

ACTION_FIELDS: dict[Action, tuple[str, str, bool]] = {
    Action.ASK_INFO: ("note", "请居民补充什么", False),
    Action.SUPPLY_INFO: ("note", "居民补充了什么", False),
    Action.TRANSFER: ("unit", "承办单位（街道 / 物业 / 派出所 …）", True),
    Action.SCHEDULE: ("expected_date", "预计办理日期", True),
    Action.RESOLVE: ("answer", "办理结果（居民可见）", True),
    Action.ANSWER: ("answer", "答复内容（居民可见）", True),
    Action.REFUSE: ("redirect_to", "居民应去哪里办理", True),
    Action.OUT_OF_AREA: ("redirect_to", "居民应去哪里反映", True),
    Action.MARK_DUPLICATE: ("original", "原诉求编号（如 HY-2026-000123）", True),
    Action.REOPEN: ("reason", "重办理由", True),
    Action.FOLLOW_UP: ("note", "回访记录（居民怎么说）", False),
}
"""The one field each action takes (form name = the core field), its label, required."""

CHANNEL_LABELS = {
    "kiosk": "自助机",
    "window": "窗口来访",
    "phone": "电话来电",
    "visit": "入户走访",
    "diary": "民情日记",
    "other": "其他",
}

_ORDER = [
    Action.ACCEPT,
    Action.START,
    Action.TRANSFER,
    Action.SCHEDULE,
    Action.ASK_INFO,
    Action.SUPPLY_INFO,
    Action.RESOLVE,
    Action.ANSWER,
    Action.FOLLOW_UP,
    Action.REOPEN,
    Action.MARK_DUPLICATE,
    Action.REFUSE,
    Action.OUT_OF_AREA,
    Action.WITHDRAW,
    Action.ARCHIVE,
]


def actor_of(session: StaffSession) -> Actor:
    """The staff member as the rules see them (district administrators act as 区级)."""
    return staff_actor(session.staff)


def _mine(
    conn: Connection, request_id: str, session: StaffSession, settings: ServerSettings | None = None
) -> RequestRecord:
    """The request if the staff member may see it (name and phone opened with ``settings``)."""
    try:
        record = store.get(conn, request_id, settings=settings)
    except NotFound:
        raise AdminPageError(404, "没有这件诉求") from None
    if not session.staff.may_manage(record.hall_id):
        raise AdminPageError(403, "您没有查看这件诉求的权限")
    return record


@router.get("/requests/{request_id}", response_class=HTMLResponse, name="request_page")
async def request_page(
    request: Request, runtime: Runtime, request_id: str, session: CurrentSession
) -> HTMLResponse:
    if len(request_id) > 40:
        raise AdminPageError(404, "没有这件诉求")
    now = utcnow()
    actor = actor_of(session)

    def read(conn: Connection, outbox: Outbox) -> dict[str, Any]:
        record = _mine(conn, request_id, session, runtime.settings)
        # Every view of a request's page (name and phone in full) is in the audit log.
        audit(conn, session, "request_view", record.hall_id, target=record.id, detail=record.number)
        timeline = store.timeline(conn, request_id, public_only=False)
        photos = photo_store.photos(conn, request_id)  # served by admin/request_photos.py
        halls = {r.id: r.name for r in conn.execute(sa.select(m.halls.c.id, m.halls.c.name))}
        staff = staff_names(conn, None if session.staff.is_admin else [record.hall_id])
        return {
            "record": record,
            "timeline": timeline,
            "photos": photos,
            "max_photos": photo_store.MAX_PHOTOS,
            "halls": halls,
            "staff_options": staff,
            "status": _status(record, now, workday_calendar.calendar(conn)),
            "category_label": next(
                (
                    c.label
                    for c in store.categories(conn, record.hall_id)
                    if c.id == record.category
                ),
                record.category,
            ),
        }

    data = await runtime.write(read)
    record = data["record"]
    allowed = allowed_actions(record.core, actor.role)
    status = data["status"]
    return render(
        request,
        "admin/request_page.html",
        {
            **data,
            "hall_name": data["halls"].get(record.hall_id, record.hall_id),
            "handler": data["staff_options"].get(record.staff_id or 0, "未分派"),
            "actions": [a for a in _ORDER if a in allowed and _useful(a, record)],
            "fields": ACTION_FIELDS,
            "light": status.light.value if status else None,
            "light_word": LIGHT_WORDS.get(status.light.value, "") if status else "",
            "left": left_text(status.left, status.paused) if status else "—",
            "zone": HALL_TZ,
            "channel_label": CHANNEL_LABELS.get(record.channel, record.channel),
            # 办理公开's form as typed when it was refused (request_publish below).
            "publish_form": getattr(request.state, "publish_form", None),
            "summary_max": SUMMARY_MAX,
        },
    )


def _useful(action: Action, record: RequestRecord) -> bool:
    """The graph allows 回访 in every closed state; the rules then refuse an anonymous
    request or a second call: no button for those."""
    if action is Action.FOLLOW_UP:
        return record.core.named and record.core.followed_up_at is None
    return True


def _status(
    record: RequestRecord, now: dt.datetime, calendar: WorkCalendar
) -> DeadlineStatus | None:
    try:
        return deadline_status(record.core, now, calendar)
    except UnknownCalendarYear:
        return None


def _fields(action: Action, post: Posted, back: str) -> dict[str, Any]:
    spec = ACTION_FIELDS.get(action)
    if spec is None:
        return {}
    name, _label, required = spec
    value = post.text(name)
    if not value and not required:
        return {}
    if name == "expected_date":
        try:
            return {name: typed_date(value)}
        except ValueError as exc:
            raise BackWithMessage(back, f"预计办理日期：{exc}") from None
    return {name: value}


@router.post("/requests/{request_id}/actions/{action}", name="request_act")
async def request_act(runtime: Runtime, request_id: str, action: str, post: PostedForm) -> Response:
    back = f"/admin/requests/{request_id}"
    actor = actor_of(post.session)
    now = utcnow()

    def run(conn: Connection, outbox: Outbox) -> Any:
        _mine(conn, request_id, post.session)  # whose request, before what is asked of it
        try:
            what = Action(action)
        except ValueError:
            raise AdminPageError(404, "没有这个操作") from None
        fields = _fields(what, post, back)
        record = store.act(
            conn, request_id, what, actor, now, settings=runtime.settings, outbox=outbox, **fields
        )
        return what, record

    what, record = await write_or_back(runtime, run, back=back, refused="未能办理：")
    return redirect(back, f"{record.number}：已{what.label}（{record.core.state.label}）")


@router.post("/requests/{request_id}/notes", name="request_note")
async def request_note(runtime: Runtime, request_id: str, post: PostedForm) -> Response:
    back = f"/admin/requests/{request_id}"
    text = post.text("text")
    public = post.text("public") == "1"
    unit = post.text("unit")
    if unit:
        text = f"{unit}答复：{text}" if text else ""
    actor = actor_of(post.session)
    now = utcnow()

    def run(conn: Connection, outbox: Outbox) -> Any:
        _mine(conn, request_id, post.session)
        if not text:
            raise BackWithMessage(back, "备注不能为空")
        return store.add_note(
            conn, request_id, text=text, public=public, actor=actor, at=now, outbox=outbox
        )

    await write_or_back(runtime, run, back=back, refused="未能记录：")
    done = "已记录公开备注（居民可见）" if public else "已记录内部备注（居民看不到）"
    return redirect(back, done)


@router.post("/requests/{request_id}/assign", name="request_assign")
async def request_assign(runtime: Runtime, request_id: str, post: PostedForm) -> Response:
    back = f"/admin/requests/{request_id}"
    raw = post.text("staff_id")
    hall_id = post.text("hall_id")
    actor = actor_of(post.session)
    now = utcnow()

    def run(conn: Connection, outbox: Outbox) -> Any:
        record = _mine(conn, request_id, post.session)
        if raw and not (raw.isascii() and raw.isdigit() and 1 <= int(raw) <= INT64_MAX):
            raise BackWithMessage(back, "请选择经办人")
        if hall_id and hall_id != record.hall_id and not post.session.staff.is_admin:
            raise AdminPageError(403, "只有街道管理员可以把诉求转到其他大厅")
        staff_id = int(raw) if raw else None
        target = hall_id or record.hall_id
        known = conn.execute(sa.select(m.halls.c.id).where(m.halls.c.id == target)).first()
        if known is None:
            raise BackWithMessage(back, "没有这个大厅")
        if staff_id is not None:
            account = conn.execute(
                sa.select(m.staff_accounts.c.hall_id, m.staff_accounts.c.role).where(
                    m.staff_accounts.c.id == staff_id, m.staff_accounts.c.disabled == sa.false()
                )
            ).first()
            if account is None or (account.role != "district_admin" and account.hall_id != target):
                raise BackWithMessage(back, "这位工作人员不属于该大厅，不能分派")
        # Who handles it (and, for the district, which hall): stored here, told on the
        # timeline as an internal note through the store (its event wakes the boards).
        conn.execute(
            sa.update(m.service_requests)
            .where(m.service_requests.c.id == request_id)
            .values(staff_id=staff_id, hall_id=target, updated_at=now)
        )
        name = staff_names(conn, None).get(staff_id, "") if staff_id is not None else "（不分派）"
        hall_name = conn.execute(
            sa.select(m.halls.c.name).where(m.halls.c.id == target)
        ).scalar_one()
        moved = f"转到{hall_name}，" if target != record.hall_id else ""
        audit(conn, post.session, "request_assign", target, target=request_id, detail=name)
        return store.add_note(
            conn,
            request_id,
            text=f"{moved}经办人：{name}",
            public=False,
            actor=actor,
            at=now,
            outbox=outbox,
        )

    record = await write_or_back(runtime, run, back=back, refused="未能分派：")
    return redirect(back, f"{record.number}：已分派")


@router.get("/requests/{request_id}/voice-note", name="request_voice_note")
async def request_voice_note(
    runtime: Runtime, request_id: str, session: CurrentSession
) -> Response:
    """The resident's voice note, as a download (recorded in the audit log)."""

    def read(conn: Connection, outbox: Outbox) -> bytes:
        record = _mine(conn, request_id, session)
        try:
            data = read_voice_note(conn, request_id)
        except NotFound:
            raise AdminPageError(404, "这条诉求没有录音") from None
        audit(
            conn, session, "request_voice", record.hall_id, target=record.id, detail=record.number
        )
        return data

    data = await runtime.write(read)
    return Response(
        data,
        media_type="audio/wav",
        headers={
            "Content-Disposition": f'attachment; filename="voice-{request_id}.wav"',
            "Cache-Control": "no-store",
        },
    )


# --- 办理公开: the one-line summary of a closed request (req-config) ---


@router.post("/requests/{request_id}/public-summary", name="request_publish")
async def request_publish(
    request: Request, runtime: Runtime, request_id: str, post: PostedForm
) -> Response:
    """Show a closed request on the kiosk's 办理公开 with a one-line summary, or stop.
    A refusal shows the page again with what was typed and why, next to the field."""
    publishable = post.text("publishable") == "1"
    summary = post.text("public_summary")

    def run(conn: Connection, outbox: Outbox) -> RequestRecord:
        _mine(conn, request_id, post.session)
        return set_public_summary(
            conn,
            request_id,
            publishable=publishable,
            summary=summary,
            actor=post.session.username,
            at=utcnow(),
            settings=runtime.settings,
        )

    try:
        record = await runtime.write(run)
    except Invalid as exc:
        if exc.code == "request_not_closed":  # no form on its page to show it beside
            raise BackWithMessage(f"/admin/requests/{request_id}", exc.message) from None
        request.state.publish_form = {
            "publishable": publishable,
            "summary": summary,
            "error": exc.message,
        }
        page = await request_page(request, runtime, request_id, post.session)
        page.status_code = 422
        return page
    done = "已在办理公开中展示" if record.publishable else "已不在办理公开中展示"
    return redirect(f"/admin/requests/{request_id}#publish", f"{record.number}：{done}")
