"""Requests for staff: the board (filters as query), one request in full (audited: it
shows the resident's name and phone), actions by the core rules, notes, the voice note.
Hall staff see their hall; the district admin every hall."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import APIRouter, Body, Path, Query
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, StringConstraints
from sqlalchemy.engine import Connection

from kiosk.core import clock
from kiosk.core.moments import parse_day
from kiosk.core.request_deadlines import deadline_status
from kiosk.core.service_requests import Action, Role, allowed_actions
from kiosk.core.values import INT64_MAX, Flag, MultiLine
from kiosk.core.wire import Timestamp
from kiosk.core.workdays import UnknownCalendarYear
from kiosk.server import models as m
from kiosk.server import requests as store
from kiosk.server import workday_calendar
from kiosk.server.api.deps import CurrentStaff, Runtime
from kiosk.server.api.responses import error_responses
from kiosk.server.auth import StaffPrincipal
from kiosk.server.db import utcnow
from kiosk.server.domain_errors import Forbidden, Invalid
from kiosk.server.requests.actors import staff_actor
from kiosk.server.requests.views import category_for
from kiosk.server.requests.voice import MIME, read_voice_note
from kiosk.server.runtime import Outbox

__all__ = ["router"]

router = APIRouter(tags=["requests (staff)"])

_BAD_DATE = "预计办理日期格式应为 2026-12-08"
RequestId = Annotated[str, Path(pattern=r"^[A-Za-z0-9_-]{8,32}$")]


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid")


class BoardRowPublic(_Out):
    id: str
    number: str
    hall_id: str
    category: str
    category_label: str
    state: str
    state_label: str
    summary: str
    location: str | None
    channel: str
    staff_id: int | None
    registered_at: Timestamp
    due_at: Timestamp | None
    light: str | None
    escalation: str
    paused: bool
    problem: str | None


class RequestBoardPublic(_Out):
    rows: list[BoardRowPublic]
    total: int
    offset: int
    limit: int


class TimelineEntryStaff(_Out):
    at: Timestamp
    label: str
    note: str | None
    public: bool
    action: str
    actor_role: str


class RequestStaffView(_Out):
    id: str
    number: str
    hall_id: str
    query_code: str
    state: str
    state_label: str
    category: str
    category_label: str
    deadline_text: str
    description: str
    location: str | None
    name: str | None
    phone: str | None
    channel: str
    staff_id: int | None
    due_at: Timestamp | None
    light: str | None
    allowed_actions: list[str]
    answer: str | None
    transferred_to: str | None
    redirect_to: str | None
    reopen_count: int
    satisfaction: str | None
    rating_level: str | None
    publishable: bool
    public_summary: str | None
    voice_note: bool
    registered_at: Timestamp
    timeline: list[TimelineEntryStaff]


class NoteCreate(_Out):
    text: Annotated[str, StringConstraints(min_length=1, max_length=500), MultiLine]
    public: Flag = False


def _halls(conn: Connection, staff: StaffPrincipal, hall: str | None) -> list[str]:
    if hall is not None and not staff.may_manage(hall):
        raise Forbidden("forbidden", f"没有查看大厅 {hall} 诉求的权限")
    if hall is not None:
        return [hall]
    if staff.hall_id is not None:
        return [staff.hall_id]
    return list(conn.execute(sa.select(m.halls.c.id)).scalars())


def _mine(conn: Connection, staff: StaffPrincipal, request_id: str) -> store.RequestRecord:
    record = store.get(conn, request_id)
    if not staff.may_manage(record.hall_id):
        raise Forbidden("forbidden", "没有处理其他大厅诉求的权限")
    return record


@router.get(
    "/requests", response_model=RequestBoardPublic, responses=error_responses(401, 403, 422)
)
async def request_board(
    staff: CurrentStaff,
    runtime: Runtime,
    hall: Annotated[str | None, Query(max_length=63)] = None,
    state: Annotated[str | None, Query(max_length=20)] = None,
    category: Annotated[str | None, Query(max_length=63)] = None,
    staff_id: Annotated[int | None, Query(ge=1, le=INT64_MAX)] = None,
    overdue: bool | None = None,
    order: Annotated[str, Query(max_length=20)] = "time_left",
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> RequestBoardPublic:
    """Open requests by time left (``state=open``; or ``closed``, ``set_aside``, ``all``,
    one state), with the light of each row shown."""
    now = clock.now()

    def read(conn: Connection) -> RequestBoardPublic:
        page = store.board(
            conn,
            _halls(conn, staff, hall),
            now=now,
            state=state,
            category=category,
            staff_id=staff_id,
            overdue=overdue,
            order=order,
            limit=limit,
            offset=offset,
        )
        return RequestBoardPublic(
            rows=[
                BoardRowPublic(
                    id=r.id,
                    number=r.number,
                    hall_id=r.hall_id,
                    category=r.category,
                    category_label=r.category_label,
                    state=r.state.value,
                    state_label=r.state.label,
                    summary=r.summary,
                    location=r.location,
                    channel=r.channel,
                    staff_id=r.staff_id,
                    registered_at=r.registered_at,
                    due_at=r.due_at,
                    light=None if r.light is None else r.light.value,
                    escalation=r.escalation.value,
                    paused=r.paused,
                    problem=r.problem,
                )
                for r in page.rows
            ],
            total=page.total,
            offset=page.offset,
            limit=page.limit,
        )

    return await runtime.db.read(read)


def staff_view(conn: Connection, record: store.RequestRecord, now: dt.datetime) -> RequestStaffView:
    category = category_for(conn, record)
    try:
        status = deadline_status(record.core, now, workday_calendar.calendar(conn))
    except UnknownCalendarYear:
        status = None
    return RequestStaffView(
        id=record.id,
        number=record.number,
        hall_id=record.hall_id,
        query_code=record.query_code,
        state=record.state.value,
        state_label=record.state.label,
        category=record.category,
        category_label=category.name,
        deadline_text=category.limit_in_words(),
        description=record.description,
        location=record.location,
        name=record.name,
        phone=record.phone,
        channel=record.channel,
        staff_id=record.staff_id,
        due_at=status.due if status else record.due_at,
        light=status.light.value if status else None,
        allowed_actions=sorted(
            a.value for a in allowed_actions(record.core, Role.STAFF) if a is not Action.REGISTER
        ),
        answer=record.core.answer,
        transferred_to=record.core.transferred_to,
        redirect_to=record.core.redirect_to,
        reopen_count=record.core.reopen_count,
        satisfaction=None if record.core.satisfaction is None else record.core.satisfaction.value,
        rating_level=record.rating_level,
        publishable=record.publishable,
        public_summary=record.public_summary,
        voice_note=record.voice_note,
        registered_at=record.core.registered_at,
        timeline=[
            TimelineEntryStaff(
                at=e.at,
                label=e.label,
                note=e.note,
                public=e.public,
                action=e.action,
                actor_role=e.actor_role,
            )
            for e in store.timeline(conn, record.id, public_only=False)
        ],
    )


def _audit(conn: Connection, staff: StaffPrincipal, hall_id: str, action: str, target: str) -> None:
    conn.execute(
        sa.insert(m.admin_audit).values(
            at=utcnow(), username=staff.username, hall_id=hall_id, action=action, target=target
        )
    )


@router.get(
    "/requests/{request_id}",
    response_model=RequestStaffView,
    responses=error_responses(401, 403, 404),
)
async def request_detail(
    request_id: RequestId, staff: CurrentStaff, runtime: Runtime
) -> RequestStaffView:
    """One request in full, with the resident's name and phone: every view is recorded in
    the audit log (``request_view``)."""
    now = clock.now()

    def write(conn: Connection, _outbox: Outbox) -> RequestStaffView:
        record = _mine(conn, staff, request_id)
        _audit(conn, staff, record.hall_id, "request_view", f"{record.number} {record.id}")
        full = store.get(conn, request_id, settings=runtime.settings)
        return staff_view(conn, full, now)

    return await runtime.write(write)


#: The store's own keyword arguments: never taken from a request body.
_NOT_FIELDS = frozenset({"settings", "outbox", "conn", "request_id", "action", "actor", "at"})


def _fields(body: dict[str, Any]) -> dict[str, object]:
    fields: dict[str, object] = dict(body)
    for name in fields:
        if name in _NOT_FIELDS:
            raise Invalid("invalid_request", f"不需要填写“{name}”", field=name)
    if "expected_date" in fields:
        try:
            fields["expected_date"] = parse_day(str(fields["expected_date"]))
        except ValueError:
            raise Invalid("invalid_request", _BAD_DATE, field="expected_date") from None
    return fields


@router.post(
    "/requests/{request_id}/actions/{action}",
    response_model=RequestStaffView,
    responses=error_responses(401, 403, 404, 409, 422),
)
async def request_action(
    request_id: RequestId,
    action: Annotated[str, Path(max_length=20)],
    staff: CurrentStaff,
    runtime: Runtime,
    body: Annotated[dict[str, Any] | None, Body()] = None,
) -> RequestStaffView:
    """Do ``action`` (accept, start, transfer {unit}, schedule {expected_date}, resolve
    {answer}, …) by the rules of docs/SERVICE_TRACKING.md; refusals say why (409/422)."""
    now = clock.now()
    fields = _fields(body or {})

    def write(conn: Connection, outbox: Outbox) -> RequestStaffView:
        _mine(conn, staff, request_id)
        record = store.act(
            conn,
            request_id,
            action,
            staff_actor(staff),
            now,
            settings=runtime.settings,
            outbox=outbox,
            **fields,
        )
        return staff_view(conn, record, now)

    return await runtime.write(write)


@router.post(
    "/requests/{request_id}/notes",
    response_model=RequestStaffView,
    status_code=201,
    responses=error_responses(401, 403, 404, 422),
)
async def request_note(
    request_id: RequestId, body: NoteCreate, staff: CurrentStaff, runtime: Runtime
) -> RequestStaffView:
    """A note on the timeline; ``public`` ones show on the phone page and the kiosk."""
    now = clock.now()

    def write(conn: Connection, outbox: Outbox) -> RequestStaffView:
        _mine(conn, staff, request_id)
        record = store.add_note(
            conn,
            request_id,
            text=body.text,
            public=body.public,
            actor=staff_actor(staff),
            at=now,
            settings=runtime.settings,
            outbox=outbox,
        )
        return staff_view(conn, record, now)

    return await runtime.write(write)


@router.get(
    "/requests/{request_id}/voice-note",
    response_class=Response,
    responses={**error_responses(401, 403, 404), 200: {"content": {MIME: {}}}},
)
async def get_voice_note(request_id: RequestId, staff: CurrentStaff, runtime: Runtime) -> Response:
    """The resident's voice note (staff only; recorded in the audit log)."""

    def write(conn: Connection, _outbox: Outbox) -> bytes:
        record = _mine(conn, staff, request_id)
        _audit(conn, staff, record.hall_id, "request_voice", f"{record.number} {record.id}")
        return read_voice_note(conn, request_id)

    data = await runtime.write(write)
    return Response(data, media_type=MIME, headers={"Cache-Control": "no-store"})
