"""整改: every 差评 is called back, verified and fixed within working-day limits
(:class:`kiosk.core.ratings.RectificationPolicy`); overdue steps go to the district."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Row

from kiosk.core import ratings as core
from kiosk.core.clock import HALL_TZ
from kiosk.core.ratings import Level, RectificationPolicy, Step
from kiosk.core.workdays import UnknownCalendarYear, WorkCalendar
from kiosk.server import models as m
from kiosk.server.db import as_utc
from kiosk.server.domain_errors import Conflict, Invalid, NotFound
from kiosk.server.ratings.store import RatingRecord, _to_utc, get

__all__ = [
    "FollowupRow",
    "escalate_overdue",
    "followups",
    "open_followup",
    "record_second_rating",
    "record_step",
]

_F = m.rating_followups
_DONE = {Step.CALL_BACK: "called_back_at", Step.VERIFY: "verified_at", Step.FIX: "fixed_at"}
_DUE = {Step.CALL_BACK: "call_back_due", Step.VERIFY: "verify_due", Step.FIX: "fix_due"}


@dataclass(frozen=True)
class FollowupRow:
    """One 差评's 整改 as the hall leader's list shows it."""

    rating: RatingRecord
    rectification: core.Rectification
    due: dict[Step, dt.datetime]
    notes: tuple[dict[str, str], ...]
    escalated_at: dt.datetime | None
    escalated_step: Step | None

    def next_step(self) -> Step | None:
        for step in Step:
            if self.rectification.done_at(step) is None:
                return step
        return None

    def overdue(self, now: dt.datetime) -> Step | None:
        """The first step not done whose due time has passed."""
        for step in Step:
            if self.rectification.done_at(step) is None and now > self.due[step]:
                return step
        return None

    def on_time(self, step: Step) -> bool | None:
        done = self.rectification.done_at(step)
        return None if done is None else done <= self.due[step]


def open_followup(
    conn: Connection, rating: RatingRecord, calendar: WorkCalendar, policy: RectificationPolicy
) -> None:
    """The 整改 of a new 差评, with each step's due time (core.step_due)."""
    core_rating = core.Rating(
        rating.prompt(),
        rating.level,
        rating.answered_at,
        frozenset(rating.reasons),
        rating.named,
        core.Rectification(opened_at=rating.answered_at),
    )
    due = {step: _to_utc(core.step_due(core_rating, step, calendar, policy)) for step in Step}
    conn.execute(sa.delete(_F).where(_F.c.rating_id == rating.id))
    conn.execute(
        sa.insert(_F).values(
            rating_id=rating.id,
            hall_id=rating.hall_id,
            opened_at=rating.answered_at,
            notes=[],
            **{_DUE[step]: at for step, at in due.items()},
        )
    )


def _hall_time(at: dt.datetime) -> str:
    return at.astimezone(HALL_TZ).strftime("%Y-%m-%d %H:%M")


def _utc(value: dt.datetime | None) -> dt.datetime | None:
    return as_utc(value)


def _row(conn: Connection, row: Row[Any]) -> FollowupRow:
    rect = core.Rectification(
        opened_at=as_utc(row.opened_at) or row.opened_at,
        called_back_at=_utc(row.called_back_at),
        verified_at=_utc(row.verified_at),
        fixed_at=_utc(row.fixed_at),
    )
    due = {step: as_utc(getattr(row, _DUE[step])) or row.opened_at for step in Step}
    return FollowupRow(
        rating=get(conn, row.rating_id),
        rectification=rect,
        due=due,
        notes=tuple(row.notes or ()),
        escalated_at=_utc(row.escalated_at),
        escalated_step=Step(row.escalated_step) if row.escalated_step else None,
    )


def followups(
    conn: Connection, hall_ids: list[str] | None, *, open_only: bool = False
) -> list[FollowupRow]:
    """The 整改 of the halls (None: every hall), newest first."""
    query = sa.select(_F).order_by(_F.c.opened_at.desc(), _F.c.rating_id.desc())
    if hall_ids is not None:
        query = query.where(_F.c.hall_id.in_(hall_ids))
    if open_only:
        query = query.where(_F.c.fixed_at.is_(None))
    return [_row(conn, row) for row in conn.execute(query)]


def followup(conn: Connection, rating_id: int) -> FollowupRow:
    row = conn.execute(sa.select(_F).where(_F.c.rating_id == rating_id)).first()
    if row is None:
        raise NotFound("unknown_followup", "这条评价没有整改记录（只有差评需要整改）")
    return _row(conn, row)


def record_step(
    conn: Connection, rating_id: int, step: Step | str, *, note: str, by: str, at: dt.datetime
) -> FollowupRow:
    """回访 → 核实 → 整改答复, in order, each once (core.record_step), with a note."""
    try:
        step = Step(step)
    except ValueError:
        raise Invalid("unknown_step", "没有这个整改步骤", field="step") from None
    note = note.strip()
    if not note:
        raise Invalid("missing_note", f"请写明{step.label}的情况", field="note")
    if len(note) > 2000:
        raise Invalid("note_too_long", "情况说明最多 2000 字", field="note")
    at = _to_utc(at)
    current = followup(conn, rating_id)
    rating = core.Rating(
        current.rating.prompt(),
        current.rating.level,
        current.rating.answered_at,
        rectification=current.rectification,
    )
    try:
        core.record_step(rating, step, at)
    except core.RatingRefused as exc:
        raise Conflict("step_refused", str(exc), field="step") from None
    notes = [*current.notes, {"step": step.value, "at": at.isoformat(), "by": by, "note": note}]
    conn.execute(
        sa.update(_F).where(_F.c.rating_id == rating_id).values(**{_DONE[step]: at}, notes=notes)
    )
    return followup(conn, rating_id)


def record_second_rating(
    conn: Connection, rating_id: int, level: Level | str, at: dt.datetime
) -> RatingRecord:
    """The resident's one 追评 after the 整改 is answered (core.second_rating)."""
    at = _to_utc(at)
    current = followup(conn, rating_id)
    rating = core.Rating(
        current.rating.prompt(),
        current.rating.level,
        current.rating.answered_at,
        rectification=current.rectification,
        second_level=current.rating.second_level,
    )
    try:
        second = core.second_rating(rating, level)
    except core.RatingRefused as exc:
        raise Conflict("second_rating_refused", str(exc), field="level") from None
    assert second.second_level is not None
    conn.execute(
        sa.update(m.ratings)
        .where(m.ratings.c.id == rating_id)
        .values(second_level=second.second_level.value, second_at=at)
    )
    return get(conn, rating_id)


def escalate_overdue(conn: Connection, now: dt.datetime) -> list[FollowupRow]:
    """Every 整改 with an overdue step not yet escalated for that step → the district.

    Marks ``escalated_at`` / ``escalated_step`` (the district's list shows them) and
    writes an ``admin_audit`` row per escalation, so the step is told once.
    """
    now = _to_utc(now)
    out = []
    for row in followups(conn, None, open_only=True):
        step = row.overdue(now)
        if step is None or row.escalated_step is step:
            continue
        conn.execute(
            sa.update(_F)
            .where(_F.c.rating_id == row.rating.id)
            .values(escalated_at=now, escalated_step=step.value)
        )
        conn.execute(
            sa.insert(m.admin_audit).values(
                at=now,
                username="system",
                hall_id=row.rating.hall_id,
                action="rating_escalated",
                target=f"rating:{row.rating.id}",
                detail=f"{step.label}超期（应于 {_hall_time(row.due[step])} 前完成），已报街道",
            )
        )
        out.append(followup(conn, row.rating.id))
    return out


def open_missing_followups(conn: Connection, policy: RectificationPolicy) -> int:
    """差评 kept without a 整改 because the calendar did not know the year when they were
    given: their 整改, once it does (each step due from the 差评's own time). Run when the
    district confirms a year and whenever the 好差评 page is read."""
    from kiosk.server import workday_calendar

    ids = missing_followups(conn)
    days = workday_calendar.calendar(conn)
    opened = 0
    for rating_id in list(ids):
        try:
            open_followup(conn, get(conn, int(rating_id)), days, policy)
        except UnknownCalendarYear:
            continue
        opened += 1
    return opened


def missing_followups(conn: Connection) -> list[int]:
    """The 差评 that have no 整改 yet (given while the calendar did not know the year)."""
    r = m.ratings
    bad = [level.value for level in Level if level.is_bad]
    return [
        int(i)
        for i in conn.execute(
            sa.select(r.c.id).where(
                r.c.level.in_(bad),
                r.c.excluded.is_(False),
                ~sa.exists().where(_F.c.rating_id == r.c.id),
            )
        ).scalars()
    ]
