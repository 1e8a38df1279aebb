"""Recording ratings: from the counter's device and the phone page, once per ticket or
request, with staff, service and window taken from the ticket (never from the device)."""

from __future__ import annotations

import datetime as dt
import importlib
import logging
from dataclasses import dataclass
from typing import Any, Literal, NamedTuple

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Row

from kiosk.core import ratings as core
from kiosk.core.ratings import Channel, Level, Reason, RectificationPolicy
from kiosk.core.request_states import RATING_WINDOW
from kiosk.core.wire import RatingPublic, TicketState
from kiosk.core.workdays import UnknownCalendarYear, WorkCalendar
from kiosk.server import models as m
from kiosk.server import workday_calendar
from kiosk.server.db import as_utc
from kiosk.server.domain_errors import Conflict, Forbidden, Invalid, NotFound
from kiosk.server.settings import ServerSettings

__all__ = [
    "PHONE_DEVICE",
    "RatingCard",
    "RatingRecord",
    "Recorded",
    "assign_window_staff",
    "get",
    "policy_of",
    "rating_card",
    "rating_for_request",
    "rating_for_ticket",
    "recent",
    "record",
    "record_from_device",
]

log = logging.getLogger(__name__)

Subject = Literal["ticket", "request"]
#: The phone page's device id: no burst check (each phone rates its own ticket once).
PHONE_DEVICE = "phone"


def policy_of(settings: ServerSettings) -> RectificationPolicy:
    """The district's 整改 limits (working days), from the server settings."""
    return RectificationPolicy(
        settings.rating_call_back_days, settings.rating_verify_days, settings.rating_fix_days
    )


def _to_utc(value: dt.datetime) -> dt.datetime:
    """An aware time in UTC (how every time is stored); a naive one is left for the core
    to refuse with its message."""
    return value.astimezone(dt.UTC) if value.utcoffset() is not None else value


def _utc(value: dt.datetime | None) -> dt.datetime:
    out = as_utc(value)
    assert out is not None
    return out


@dataclass(frozen=True)
class RatingRecord:
    """A stored rating as the pages and the figures see it (no phone number)."""

    id: int
    hall_id: str
    ticket_id: int | None
    ticket_public_id: str | None
    ticket_number: str | None
    request_id: str | None
    staff_account_id: int | None
    staff_id: str | None
    staff_name: str
    service_id: str | None
    queue: str | None
    counter_id: int | None
    window: int | None
    channel: Channel
    level: Level | None
    reasons: tuple[Reason, ...]
    named: bool
    device_id: str
    asked_at: dt.datetime
    answered_at: dt.datetime
    flagged_burst: bool
    excluded: bool
    second_level: Level | None
    created_at: dt.datetime

    @property
    def level_label(self) -> str:
        return self.level.label if self.level is not None else "未评价"

    @property
    def is_bad(self) -> bool:
        return self.level is not None and self.level.is_bad

    def public(self) -> RatingPublic:
        return RatingPublic(
            id=self.id,
            ticket_id=self.ticket_public_id,
            request_id=self.request_id,
            level=self.level.value if self.level is not None else None,
            level_label=self.level_label,
            reasons=[r.value for r in self.reasons],
            named=self.named,
            window=self.window,
            created_at=self.created_at,
        )

    def prompt(self) -> core.RatingPrompt:
        return core.RatingPrompt(
            subject=self.ticket_public_id or self.request_id or str(self.id),
            staff=_staff_key(self.staff_account_id),
            service=self.service_id or "",
            window=self.window or 0,
            device=self.device_id,
            asked_at=self.asked_at,
            channel=self.channel,
        )


def _staff_key(account_id: int | None) -> str:
    return f"staff:{account_id}" if account_id is not None else ""


class Recorded(NamedTuple):
    rating: RatingRecord
    created: bool  # False: the same Idempotency-Key again (nothing new stored)


_R = m.ratings
_T = m.tickets


def _select() -> sa.Select[Any]:
    return sa.select(_R, _T.c.public_id.label("t_public_id"), _T.c.number.label("t_number")).join(
        _T, _T.c.id == _R.c.ticket_id, isouter=True
    )


def _record_of(row: Row[Any]) -> RatingRecord:
    return RatingRecord(
        id=row.id,
        hall_id=row.hall_id,
        ticket_id=row.ticket_id,
        ticket_public_id=row.t_public_id,
        ticket_number=row.t_number,
        request_id=row.request_id,
        staff_account_id=row.staff_account_id,
        staff_id=row.staff_id,
        staff_name=row.staff_name,
        service_id=row.service_id,
        queue=row.queue,
        counter_id=row.counter_id,
        window=row.window,
        channel=Channel(row.channel),
        level=Level(row.level) if row.level else None,
        reasons=tuple(Reason(r) for r in row.reasons or []),
        named=bool(row.named),
        device_id=row.device_id,
        asked_at=_utc(row.asked_at),
        answered_at=_utc(row.answered_at),
        flagged_burst=bool(row.flagged_burst),
        excluded=bool(row.excluded),
        second_level=Level(row.second_level) if row.second_level else None,
        created_at=_utc(row.created_at),
    )


def get(conn: Connection, rating_id: int) -> RatingRecord:
    row = conn.execute(_select().where(_R.c.id == rating_id)).first()
    if row is None:
        raise NotFound("unknown_rating", f"没有编号为 {rating_id} 的评价", field="rating_id")
    return _record_of(row)


def rating_for_ticket(conn: Connection, ticket_id: int) -> RatingRecord | None:
    row = conn.execute(_select().where(_R.c.ticket_id == ticket_id)).first()
    return _record_of(row) if row is not None else None


def rating_for_request(conn: Connection, request_id: str) -> RatingRecord | None:
    row = conn.execute(_select().where(_R.c.request_id == request_id)).first()
    return _record_of(row) if row is not None else None


def _seal_phone(settings: ServerSettings | None, phone: str | None) -> bytes | None:
    """The phone sealed by ``kiosk.server.personal`` (issue 15's encryption at rest).

    Until that module is in this branch the number is not stored at all (the rating
    is still marked 实名); a phone is never stored in clear text.
    """
    if phone is None or settings is None:
        return None
    try:
        personal = importlib.import_module("kiosk.server.personal")
    except ImportError:
        log.warning("kiosk.server.personal is missing: the rating's phone is not kept")
        return None
    try:
        sealed: bytes = personal.seal(settings, phone)
    except RuntimeError:  # personal.DataKeyMissing: no data key configured yet
        log.warning("no data key for personal data: the rating's phone is not kept")
        return None
    return sealed


def _ticket(conn: Connection, hall_id: str, public_id: str) -> Row[Any]:
    row = conn.execute(
        sa.select(_T).where(_T.c.public_id == public_id, _T.c.hall_id == hall_id)
    ).first()
    if row is None:
        raise NotFound("unknown_ticket", "找不到这张号码单", field="ticket_id")
    return row


def _request(conn: Connection, hall_id: str, request_id: str) -> Row[Any]:
    r = m.service_requests
    row = conn.execute(sa.select(r).where(r.c.id == request_id, r.c.hall_id == hall_id)).first()
    if row is None:
        raise NotFound("unknown_request", "找不到这条诉求", field="request_id")
    return row


def _account_name(conn: Connection, account_id: int) -> str:
    s = m.staff_accounts
    row = conn.execute(
        sa.select(s.c.display_name, s.c.username).where(s.c.id == account_id)
    ).first()
    return str(row.display_name or row.username) if row is not None else ""


def _served_by(conn: Connection, ticket_id: int) -> tuple[int | None, str]:
    """The staff account that completed the ticket, and its display name."""
    a = m.ticket_audit
    actor = conn.execute(
        sa.select(a.c.actor)
        .where(a.c.ticket_id == ticket_id, a.c.to_state == TicketState.DONE.value)
        .order_by(a.c.id.desc())
        .limit(1)
    ).scalar()
    if not isinstance(actor, str) or not actor.startswith("staff:"):
        return None, ""
    account_id = int(actor.removeprefix("staff:"))
    return account_id, _account_name(conn, account_id)


def _window_staff(conn: Connection, counter_id: int | None) -> str | None:
    if counter_id is None:
        return None
    w = m.rating_window_staff
    found = conn.execute(sa.select(w.c.staff_id).where(w.c.counter_id == counter_id)).scalar()
    return str(found) if found is not None else None


def record(
    conn: Connection,
    *,
    hall_id: str,
    subject: Subject,
    subject_id: str,
    level: Level | str | None,
    reasons: list[str] | tuple[str, ...] = (),
    phone: str | None,
    channel: Channel | str,
    device_id: str,
    at: dt.datetime,
    asked_at: dt.datetime | None = None,
    counter_id: int | None = None,
    idempotency_key: str | None = None,
    rater_is_staff: bool = False,
    settings: ServerSettings | None = None,
    calendar: WorkCalendar | None = None,
) -> Recorded:
    """Store one rating of a ticket (its public id) or a request (its id).

    The same ``idempotency_key`` from the same device gives back the stored rating; a
    second rating of the subject is refused (409) — except that a 未评价 left by the
    counter's device may still be answered once on the phone page. The core decides
    what may be rated (levels, reasons, time limits, no staff); a 差评 opens its 整改.
    """
    channel = Channel(channel)
    # Stored in UTC, as tickets are (SQLite keeps no offset); a naive time is the core's
    # to refuse.
    at = _to_utc(at)
    asked_at = _to_utc(asked_at) if asked_at is not None else None
    if idempotency_key is not None:
        again = conn.execute(
            _select().where(_R.c.device_id == device_id, _R.c.idempotency_key == idempotency_key)
        ).first()
        if again is not None:
            return Recorded(_record_of(again), False)
    values: dict[str, Any]
    window: dt.timedelta | None = None  # the core's phone-page window for a ticket
    if subject == "ticket":
        ticket = _ticket(conn, hall_id, subject_id)
        if ticket.state != TicketState.DONE.value:
            raise Conflict("not_finished", f"{ticket.number} 号尚未办结，办结后才能评价")
        if counter_id is not None and ticket.counter_id != counter_id:
            raise Invalid(
                "wrong_counter", f"{ticket.number} 号不是在这个窗口办结的", field="counter_id"
            )
        account_id, account_name = _served_by(conn, ticket.id)
        staff_id = _window_staff(conn, ticket.counter_id)
        values = {
            "ticket_id": ticket.id,
            "staff_account_id": account_id,
            "staff_id": staff_id,
            "staff_name": account_name,
            "service_id": ticket.service_id,
            "queue": ticket.queue,
            "counter_id": ticket.counter_id,
            "window": ticket.window,
        }
        existing = conn.execute(_R.select().where(_R.c.ticket_id == ticket.id)).first()
        finished = as_utc(ticket.finished_at)
        if channel is Channel.PHONE_PAGE:
            asked_at = finished
    elif subject == "request":
        # Staff = the request's handling staff account, service = its category; on the
        # phone page the 14 days count from its closing (the core's RATE rule says so too).
        found = _request(conn, hall_id, subject_id)
        if found.closed_at is None:
            raise Conflict("not_closed", "这条诉求尚未办结，办结后才能评价")
        handler = int(found.staff_id) if found.staff_id is not None else None
        values = {
            "request_id": subject_id,
            "staff_account_id": handler,
            "staff_name": _account_name(conn, handler) if handler is not None else "",
            "service_id": found.category,
        }
        existing = conn.execute(_R.select().where(_R.c.request_id == subject_id)).first()
        if channel is Channel.PHONE_PAGE:
            asked_at = as_utc(found.closed_at)
        window = RATING_WINDOW
    else:
        raise Invalid("unknown_subject", "只能评价号码单或诉求", field="subject")
    if asked_at is None:
        raise Invalid("missing_asked_at", "缺少邀请评价的时间", field="asked_at")
    if existing is not None and not (existing.level is None and channel is Channel.PHONE_PAGE):
        raise Conflict("already_rated", "这次服务已经评价过了，每次服务只能评价一次")
    prompt = core.RatingPrompt(
        subject=subject_id,
        staff=_staff_key(values.get("staff_account_id")),
        service=values.get("service_id") or "",
        window=values.get("window") or 0,
        device=device_id,
        asked_at=asked_at,
        channel=channel,
    )
    try:
        if level is None:
            if channel is not Channel.DEVICE:
                raise core.RatingRefused("请选择一个评价等级")
            if reasons or phone:
                raise core.RatingRefused("未评价时不能选择原因或留电话")
            if at < asked_at:
                raise core.RatingRefused("评价时间早于邀请评价的时间，请检查系统时间")
            rating = core.Rating(prompt, None, at)
        else:
            rating = core.answer(
                prompt,
                level,
                at,
                reasons=reasons,
                named=phone is not None,
                rater_is_staff=rater_is_staff,
                window=window,
            )
    except core.RatingRefused as exc:
        raise Invalid("rating_refused", str(exc), field="level") from None
    row_values = {
        **values,
        "hall_id": hall_id,
        "channel": channel.value,
        "level": rating.level.value if rating.level is not None else None,
        "reasons": sorted(r.value for r in rating.reasons),
        "phone_enc": _seal_phone(settings, phone),
        "named": rating.named,
        "device_id": device_id,
        "idempotency_key": idempotency_key,
        "asked_at": asked_at,
        "answered_at": at,
        "created_at": at,
    }
    if existing is not None:
        # The device's 未评价, answered on the phone page: the one rating of the ticket.
        conn.execute(sa.update(_R).where(_R.c.id == existing.id).values(**row_values))
        rating_id = int(existing.id)
    else:
        inserted = conn.execute(sa.insert(_R).values(**row_values).returning(_R.c.id))
        rating_id = int(inserted.scalar_one())
    stored = get(conn, rating_id)
    if rating.rectification is not None:
        from kiosk.server.ratings.followups import open_followup

        policy = policy_of(settings) if settings is not None else RectificationPolicy()
        try:
            open_followup(conn, stored, calendar or workday_calendar.calendar(conn), policy)
        except UnknownCalendarYear as exc:
            # The resident's rating is kept; its 整改 opens (with true deadlines, none
            # guessed) once the district has entered the year: open_missing_followups.
            log.warning("rating %s: 整改 not opened yet: %s", rating_id, exc)
    if channel is Channel.DEVICE and rating.level is not None:
        _flag_bursts(conn, device_id, at)
        stored = get(conn, rating_id)
    return Recorded(stored, True)


def record_from_device(
    conn: Connection,
    *,
    hall_id: str,
    device_id: str,
    idempotency_key: str,
    ticket_id: str,
    counter_id: int,
    level: str | None,
    reasons: list[str],
    phone: str | None,
    asked_at: dt.datetime,
    answered_at: dt.datetime,
    settings: ServerSettings,
) -> Recorded:
    """``POST /ratings`` from a counter's rating device (a kiosk token of the hall)."""
    return record(
        conn,
        hall_id=hall_id,
        subject="ticket",
        subject_id=ticket_id,
        level=level,
        reasons=reasons,
        phone=phone,
        channel=Channel.DEVICE,
        device_id=device_id,
        at=answered_at,
        asked_at=asked_at,
        counter_id=counter_id,
        idempotency_key=idempotency_key,
        settings=settings,
    )


def _flag_bursts(conn: Connection, device_id: str, at: dt.datetime) -> None:
    """Mark every rating of a burst from this device for review (core.burst_flags)."""
    span = dt.timedelta(minutes=2)
    rows = conn.execute(
        _select().where(
            _R.c.device_id == device_id,
            _R.c.level.is_not(None),
            _R.c.answered_at >= at - span,
            _R.c.answered_at <= at + span,
        )
    ).all()
    records = {r.id: _record_of(r) for r in rows}
    ratings = {
        rid: core.Rating(rec.prompt(), rec.level, rec.answered_at) for rid, rec in records.items()
    }
    flagged = core.burst_flags(ratings.values(), window=span)
    ids = [rid for rid, rating in ratings.items() if rating in flagged]
    if ids:
        conn.execute(sa.update(_R).where(_R.c.id.in_(ids)).values(flagged_burst=True))


# --- the window's card on its rating device -----------------------------------------


@dataclass(frozen=True)
class RatingCard:
    counter_id: int
    hall_id: str
    window: int
    staff_id: str | None


def rating_card(conn: Connection, hall_id: str, counter_id: int) -> RatingCard:
    c = m.counters
    row = conn.execute(sa.select(c).where(c.c.id == counter_id)).first()
    if row is None or row.hall_id != hall_id:
        raise NotFound(
            "unknown_counter", f"本大厅没有编号为 {counter_id} 的窗口", field="counter_id"
        )
    return RatingCard(row.id, row.hall_id, row.window, _window_staff(conn, row.id))


def assign_window_staff(
    conn: Connection,
    *,
    counter_id: int,
    staff_id: str | None,
    known_staff: set[str],
    by: str,
    may_manage: bool,
    at: dt.datetime,
) -> None:
    """Who sits at the window (a staff id of the hall's content), or nobody (None)."""
    if not may_manage:
        raise Forbidden("forbidden", "不能设置其他大厅的窗口")
    w = m.rating_window_staff
    conn.execute(sa.delete(w).where(w.c.counter_id == counter_id))
    if staff_id is None:
        return
    if staff_id not in known_staff:
        raise Invalid("unknown_staff", f"本大厅的工作人员中没有 {staff_id}", field="staff_id")
    conn.execute(
        sa.insert(w).values(counter_id=counter_id, staff_id=staff_id, set_by=by, set_at=at)
    )


def recent(conn: Connection, hall_ids: list[str] | None, *, limit: int = 50) -> list[RatingRecord]:
    """The newest ratings of the halls (None: every hall), 未评价 included."""
    query = _select().order_by(_R.c.answered_at.desc(), _R.c.id.desc()).limit(limit)
    if hall_ids is not None:
        query = query.where(_R.c.hall_id.in_(hall_ids))
    return [_record_of(row) for row in conn.execute(query)]
