"""Registering a request and every change to it, in the caller's transaction.

Each change goes through the core rules (:func:`kiosk.core.service_requests.transition`),
stores the new fields and the deadline (``due_at``), writes a ``request_events`` row and
an event ``request`` (id, number, state: never personal data) that wakes the boards.
Pass the write's :class:`~kiosk.server.runtime.Outbox` as ``outbox`` to wake them at
once; without it the event hub finds the event at its next scan.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Row

from kiosk.core import values
from kiosk.core.clock import HALL_TZ
from kiosk.core.ratings import Level
from kiosk.core.request_deadlines import LEVEL_SATISFACTION, deadline_status, satisfaction_of
from kiosk.core.request_numbers import format_number, new_public_id, new_query_code
from kiosk.core.service_requests import (
    CLOSED_STATES,
    SET_ASIDE_STATES,
    Action,
    Actor,
    RequestEvent,
    Role,
    Satisfaction,
    ServiceRequest,
    State,
    TransitionRefused,
    transition,
)
from kiosk.core.service_requests import (
    register as core_register,
)
from kiosk.core.wire import EventType
from kiosk.core.workdays import UnknownCalendarYear
from kiosk.server import models as m
from kiosk.server.db import as_utc
from kiosk.server.domain_errors import Conflict, Invalid, NotFound
from kiosk.server.events import record_event
from kiosk.server.requests import people
from kiosk.server.requests.catalog import category_of, hall_code
from kiosk.server.requests.records import RequestRecord, TimelineEntry
from kiosk.server.settings import ServerSettings
from kiosk.server.workday_calendar import calendar

__all__ = [
    "CHANNELS",
    "LEVEL_SATISFACTION",
    "PHOTO",
    "EventSink",
    "act",
    "add_note",
    "by_query_code",
    "core_of",
    "event_data",
    "get",
    "insert_event",
    "register",
    "timeline",
]

log = logging.getLogger(__name__)

CHANNELS = frozenset({"kiosk", "window", "phone", "visit", "diary", "other"})
_TEXT_MAX = 500
_BAD_LOCATION = "地点请按“楼号-单元-室”填写，例如 3-2-501"
#: Actions whose event the resident never sees (the rest are their request's story).
_INTERNAL_ACTIONS = frozenset({Action.FOLLOW_UP, Action.MARK_DUPLICATE})
NOTE = "note"
ESCALATE = "escalate"
PHOTO = "photo"  # a photo attached (requests/photos.py)


class EventSink(Protocol):
    """Where the store puts ``(hall_id, seq)`` of the events it wrote (runtime's Outbox)."""

    def add(self, events: Iterable[tuple[str, int]]) -> None: ...


def _bump(dialect: Any) -> Any:
    table = m.request_counters
    return (
        dialect.insert(table)
        .values(hall_id=sa.bindparam("hall"), year=sa.bindparam("year"), last_seq=1)
        .on_conflict_do_update(
            index_elements=[table.c.hall_id, table.c.year],
            set_={"last_seq": table.c.last_seq + 1},
        )
        .returning(table.c.last_seq)
    )


_BUMP = {"postgresql": _bump(postgresql), "sqlite": _bump(sqlite)}


def register(
    conn: Connection,
    *,
    hall_id: str,
    category: str,
    description: str,
    channel: str,
    actor: Actor,
    at: dt.datetime,
    location: str | None = None,
    name: str | None = None,
    phone: str | None = None,
    query_code: str | None = None,
    public_id: str | None = None,
    idempotency_key: str | None = None,
    device_id: str | None = None,
    household_id: str | None = None,
    diary_entry_id: int | None = None,
    voice_note: bool = False,
    staff_id: int | None = None,
    settings: ServerSettings | None = None,
    outbox: EventSink | None = None,
) -> RequestRecord:
    """Store a new request (numbered, with its deadline); the same ``idempotency_key``
    from the same ``device_id`` gives back the first one's record, never a second row."""
    t = m.service_requests
    if idempotency_key is not None:
        if device_id is None:
            raise Invalid("invalid_request", "幂等键需要设备号", field="device_id")
        existing = conn.execute(
            sa.select(t.c.id).where(
                t.c.device_id == device_id, t.c.idempotency_key == idempotency_key
            )
        ).scalar()
        if existing is not None:
            return get(conn, existing, settings=settings)
    if channel not in CHANNELS:
        raise Invalid("invalid_channel", f"不认识的登记渠道：{channel}", field="channel")
    if conn.execute(sa.select(m.halls.c.id).where(m.halls.c.id == hall_id)).first() is None:
        raise NotFound("unknown_hall", f"没有这个大厅：{hall_id}", field="hall_id")
    kind = category_of(conn, hall_id, category)
    text = _text(description, "请写明诉求内容", "description")
    if location is not None and (len(location) > 20 or not location.strip()):
        raise Invalid(
            "invalid_request", "地点请按“楼号-单元-室”填写，例如 3-2-501", field="location"
        )
    if phone is not None:
        phone = "".join(phone.split())
        if len(phone) != 11 or not phone.isascii() or not phone.isdigit():
            raise Invalid("invalid_request", "手机号应为 11 位数字", field="phone")
    if public_id is None:
        public_id = new_public_id()
    elif conn.execute(sa.select(t.c.id).where(t.c.id == public_id)).first() is not None:
        raise Conflict("request_exists", "这条诉求已经登记过了", field="public_id")
    if query_code is None:
        query_code = _fresh_query_code(conn, hall_id)
    year = at.astimezone(HALL_TZ).year
    seq = int(conn.execute(_BUMP[conn.dialect.name], {"hall": hall_id, "year": year}).scalar_one())
    number = format_number(hall_code(hall_id), year, seq)
    named = bool(name or phone)
    try:
        core, event = core_register(
            id=public_id,
            number=number,
            category=kind.id,
            limit_workdays=kind.core.limit_workdays,
            at=at,
            named=named,
            actor=actor,
        )
    except TransitionRefused as exc:
        raise Invalid("invalid_request", str(exc), field=exc.field) from None
    due = _due(conn, core, at)
    conn.execute(
        sa.insert(t).values(
            id=public_id,
            hall_id=hall_id,
            number=number,
            seq_year=year,
            seq=seq,
            query_code=query_code,
            category=kind.id,
            description=text,
            location=location,
            name_enc=people.seal(settings, name) if name else None,
            phone_enc=people.seal(settings, phone) if phone else None,
            phone_hash=people.lookup_hash(settings, phone) if phone else None,
            channel=channel,
            staff_id=staff_id,
            household_id=household_id,
            diary_entry_id=diary_entry_id,
            voice_note=voice_note,
            idempotency_key=idempotency_key,
            device_id=device_id,
            created_at=_utc(at),
            **_core_columns(core),
            due_at=_utc(due),
        )
    )
    _record(conn, core, hall_id, event, public=True, note=None, outbox=outbox)
    return get(conn, public_id, settings=settings)


def act(
    conn: Connection,
    request_id: str,
    action: Action | str,
    actor: Actor,
    at: dt.datetime,
    *,
    settings: ServerSettings | None = None,
    outbox: EventSink | None = None,
    **fields: object,
) -> RequestRecord:
    """Do ``action`` to the request by the core rules; store it, record it, publish it.

    For 评价 the phone page may pass ``level`` (one of the five faces, core.ratings.Level)
    instead of ``satisfaction``: it is stored in ``rating_level`` and turned into the
    three-level 满意度 (:func:`kiosk.core.request_deadlines.satisfaction_of`).
    """
    row = _row(conn, request_id, lock=True)
    current = core_of(row)
    try:
        action = Action(action)
    except ValueError:
        raise Invalid("unknown_action", f"未知的操作：{action}", field="action") from None
    extra: dict[str, Any] = {}
    if action is Action.RATE and "level" in fields:
        try:
            level = Level(str(fields.pop("level")))
        except ValueError:
            raise Invalid("invalid_level", "请选择一个评价", field="level") from None
        fields["satisfaction"] = satisfaction_of(level)
        extra["rating_level"] = level.value
    if action is Action.MARK_DUPLICATE and "original" in fields:
        _need_original(conn, row.hall_id, fields["original"])
    try:
        new, event = transition(current, action, actor, at, **fields)
    except TransitionRefused as exc:
        if exc.field is not None:
            raise Invalid("invalid_request", str(exc), field=exc.field) from None
        raise Conflict("transition_refused", str(exc)) from None
    due = _due(conn, new, at)
    if due is None:
        due = as_utc(row.due_at)  # no clock runs now: keep the last deadline (on time?)
    escalated = row.escalated if due == as_utc(row.due_at) else "none"
    conn.execute(
        sa.update(m.service_requests)
        .where(m.service_requests.c.id == request_id)
        .values(
            **_core_columns(new),
            **extra,
            due_at=_utc(due),
            escalated=escalated,
            archived_at=_utc(at) if new.state is State.ARCHIVED else None,
        )
    )
    public = action not in _INTERNAL_ACTIONS
    _record(conn, new, row.hall_id, event, public=public, note=_public_note(event), outbox=outbox)
    return get(conn, request_id, settings=settings)


def add_note(
    conn: Connection,
    request_id: str,
    *,
    text: str,
    public: bool,
    actor: Actor,
    at: dt.datetime,
    settings: ServerSettings | None = None,
    outbox: EventSink | None = None,
) -> RequestRecord:
    """A note on the timeline: ``public`` ones show on the phone page and the kiosk."""
    row = _row(conn, request_id, lock=True)
    note = _text(text, "备注不能为空", "text")
    core = core_of(row)
    event = RequestEvent(Action.REGISTER, actor, at, core.state, core.state, {})
    insert_event(conn, request_id, event, action=NOTE, public=public, note=note)
    seq = record_event(
        conn,
        row.hall_id,
        EventType.REQUEST,
        event_data(core, NOTE),
    )
    if outbox is not None:
        outbox.add([(row.hall_id, seq)])
    return get(conn, request_id, settings=settings)


def get(
    conn: Connection, request_id: str, *, settings: ServerSettings | None = None
) -> RequestRecord:
    """The request, or :class:`NotFound`. Name and phone are opened when ``settings`` are
    given (for staff pages), else left None."""
    return _record_of(_row(conn, request_id), settings)


def by_query_code(conn: Connection, hall_id: str, code: str) -> list[RequestRecord]:
    """The hall's requests with this 查询码, newest first (a code is not unique)."""
    t = m.service_requests
    rows = conn.execute(
        sa.select(t)
        .where(t.c.hall_id == hall_id, t.c.query_code == code)
        .order_by(t.c.registered_at.desc())
        .limit(10)
    ).all()
    return [_record_of(r, None, personal=False) for r in rows]


def timeline(conn: Connection, request_id: str, *, public_only: bool) -> list[TimelineEntry]:
    """The request's story, oldest first; ``public_only`` for the resident's eyes."""
    e = m.request_events
    query = sa.select(e).where(e.c.request_id == request_id).order_by(e.c.id)
    if public_only:
        query = query.where(e.c.public.is_(True))
    return [
        TimelineEntry(
            at=as_utc(r.at) or r.at,
            label=_label(r.action, r.before, r.after, r.public),
            note=r.note,
            public=bool(r.public),
            action=r.action,
            actor_role=r.actor_role,
        )
        for r in conn.execute(query)
    ]


# ---------------------------------------------------------------------------------------


def _label(action: str, before: str | None, after: str, public: bool) -> str:
    if action == NOTE:
        return "进展说明" if public else "内部备注"
    if action == ESCALATE:
        return "超期督办"
    if action == PHOTO:
        return "添加照片"
    if before != after:
        return State(after).label
    return Action(action).label


def _public_note(event: RequestEvent) -> str | None:
    f = event.fields
    for key in ("answer", "redirect_to", "unit", "expected_date", "reason", "note"):
        if key in f:
            prefix = {"unit": "承办单位：", "expected_date": "预计办理日期：", "reason": "理由："}
            return prefix.get(key, "") + f[key]
    if "satisfaction" in f:
        return Satisfaction(f["satisfaction"]).label
    return None


def _text(value: str, ask: str, name: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise Invalid("invalid_request", ask, field=name)
    if len(value) > _TEXT_MAX:
        raise Invalid("invalid_request", f"内容过长（最多 {_TEXT_MAX} 字）", field=name)
    try:
        return values.check_text(value.strip(), multiline=True)
    except ValueError as exc:
        raise Invalid("invalid_request", str(exc), field=name) from None


def _due(conn: Connection, core: ServiceRequest, at: dt.datetime) -> dt.datetime | None:
    """The deadline to store, or None. A year the calendar does not know yet never refuses
    a request (a resident's receipt is already printed): no deadline is guessed, the board
    says 时限待定 with the calendar's message, and the hourly job fills the deadline in once
    the district has entered the year (:func:`kiosk.server.requests.jobs.escalate_overdue`)."""
    try:
        status = deadline_status(core, at, calendar(conn))
    except UnknownCalendarYear as exc:
        log.warning("request %s: no deadline yet: %s", core.id, exc)
        return None
    return None if status is None else status.due


def _need_original(conn: Connection, hall_id: str, original: object) -> None:
    """重复 must name a request of the hall by its number or id."""
    t = m.service_requests
    text = original.strip().upper() if isinstance(original, str) else ""
    found = None
    if 0 < len(text) <= 40:
        found = conn.execute(
            sa.select(t.c.id).where(
                t.c.hall_id == hall_id,
                sa.or_(t.c.number == text, t.c.id == str(original).strip()),
            )
        ).first()
    if found is None:
        raise Invalid("invalid_request", "找不到原诉求：请填写本大厅诉求的编号", field="original")


def _fresh_query_code(conn: Connection, hall_id: str) -> str:
    """A 查询码 none of the hall's open requests has (one indexed look-up per try)."""
    t = m.service_requests
    ended = [s.value for s in (*CLOSED_STATES, *SET_ASIDE_STATES, State.ARCHIVED)]
    for _ in range(50):
        code = new_query_code()
        taken = conn.execute(
            sa.select(t.c.id).where(
                t.c.hall_id == hall_id, t.c.query_code == code, t.c.state.not_in(ended)
            )
        ).first()
        if taken is None:
            return code
    return new_query_code()  # a million codes: only a hall with ~all of them open gets here


def _row(conn: Connection, request_id: str, *, lock: bool = False) -> Row[Any]:
    query = sa.select(m.service_requests).where(m.service_requests.c.id == request_id)
    if lock and conn.dialect.name == "postgresql":
        query = query.with_for_update()
    row = conn.execute(query).first() if isinstance(request_id, str) else None
    if row is None:
        raise NotFound("unknown_request", "找不到这条诉求", field="id")
    return row


def _core_columns(core: ServiceRequest) -> dict[str, Any]:
    return {
        "state": core.state.value,
        "named": core.named,
        "limit_workdays": core.limit_workdays,
        "registered_at": _utc(core.registered_at),
        "updated_at": _utc(core.updated_at or core.registered_at),
        "accepted_at": _utc(core.accepted_at),
        "clock_start": _utc(core.clock_start),
        "pauses": [[a.isoformat(), b.isoformat()] for a, b in core.pauses],
        "paused_since": _utc(core.paused_since),
        "closed_at": _utc(core.closed_at),
        "reopen_count": core.reopen_count,
        "at_district": core.at_district,
        "redirect_to": core.redirect_to,
        "duplicate_of": core.duplicate_of,
        "transferred_to": core.transferred_to,
        "expected_date": core.expected_date,
        "answer": core.answer,
        "followed_up_at": _utc(core.followed_up_at),
        "satisfaction": None if core.satisfaction is None else core.satisfaction.value,
        "rated_at": _utc(core.rated_at),
    }


def core_of(row: Row[Any]) -> ServiceRequest:
    registered = as_utc(row.registered_at)
    assert registered is not None
    return ServiceRequest(
        id=row.id,
        number=row.number,
        category=row.category,
        limit_workdays=row.limit_workdays,
        registered_at=registered,
        named=bool(row.named),
        state=State(row.state),
        updated_at=as_utc(row.updated_at),
        accepted_at=as_utc(row.accepted_at),
        clock_start=as_utc(row.clock_start),
        pauses=tuple(
            (dt.datetime.fromisoformat(a), dt.datetime.fromisoformat(b)) for a, b in row.pauses
        ),
        paused_since=as_utc(row.paused_since),
        closed_at=as_utc(row.closed_at),
        reopen_count=row.reopen_count,
        at_district=bool(row.at_district),
        redirect_to=row.redirect_to,
        duplicate_of=row.duplicate_of,
        transferred_to=row.transferred_to,
        expected_date=row.expected_date,
        answer=row.answer,
        followed_up_at=as_utc(row.followed_up_at),
        satisfaction=None if row.satisfaction is None else Satisfaction(row.satisfaction),
        rated_at=as_utc(row.rated_at),
    )


def _record_of(
    row: Row[Any], settings: ServerSettings | None, *, personal: bool = True
) -> RequestRecord:
    created = as_utc(row.created_at)
    assert created is not None
    personal = personal and settings is not None
    return RequestRecord(
        core=core_of(row),
        hall_id=row.hall_id,
        number=row.number,
        query_code=row.query_code,
        category=row.category,
        description=row.description,
        location=row.location,
        name=people.open_(settings, row.name_enc) if personal and row.name_enc else None,
        phone=people.open_(settings, row.phone_enc) if personal and row.phone_enc else None,
        channel=row.channel,
        staff_id=row.staff_id,
        due_at=as_utc(row.due_at),
        publishable=bool(row.publishable),
        public_summary=row.public_summary,
        household_id=row.household_id,
        diary_entry_id=row.diary_entry_id,
        rating_level=row.rating_level,
        voice_note=bool(row.voice_note),
        created_at=created,
    )


def insert_event(
    conn: Connection,
    request_id: str,
    event: RequestEvent,
    *,
    action: str,
    public: bool,
    note: str | None,
) -> None:
    conn.execute(
        sa.insert(m.request_events).values(
            request_id=request_id,
            at=_utc(event.at),
            actor_role=event.actor.role.value,
            actor_id=event.actor.id,
            action=action,
            before=None if event.before is None else event.before.value,
            after=event.after.value,
            fields=dict(event.fields),
            note=note,
            public=public,
        )
    )


def _record(
    conn: Connection,
    core: ServiceRequest,
    hall_id: str,
    event: RequestEvent,
    *,
    public: bool,
    note: str | None,
    outbox: EventSink | None,
) -> None:
    insert_event(conn, core.id, event, action=event.action.value, public=public, note=note)
    seq = record_event(
        conn,
        hall_id,
        EventType.REQUEST,
        {
            "id": core.id,
            "number": core.number,
            "state": core.state.value,
            "action": event.action.value,
        },
    )
    if outbox is not None:
        outbox.add([(hall_id, seq)])


def _utc(at: dt.datetime | None) -> dt.datetime | None:
    """What we store: UTC (SQLite keeps the wall time and drops the offset)."""
    return None if at is None else at.astimezone(dt.UTC)


def event_data(core: ServiceRequest, action: str) -> dict[str, str]:
    """What boards are told: never a name, phone, location or text."""
    return {"id": core.id, "number": core.number, "state": core.state.value, "action": action}


def system_actor() -> Actor:
    return Actor(Role.SYSTEM, "server")
