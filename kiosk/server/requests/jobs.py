"""The requests' periodic work, run once per period by :class:`kiosk.server.jobs.JobRunner`:

- :func:`escalate_overdue` (hourly): a request past its deadline is put before the hall's
  leader, and :data:`~kiosk.core.request_deadlines.DISTRICT_AFTER` working days later
  before the district (the core's ``deadline_status`` decides); each step once, recorded
  on the timeline (internal) and told to the boards.
- :func:`archive_finished` (daily): requests closed or set aside for 14 days are archived
  when the core allows it (follow-up done, rating given or its window over).
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from kiosk.core.request_deadlines import Escalation, deadline_status
from kiosk.core.service_requests import (
    CLOSED_STATES,
    RATING_WINDOW,
    SET_ASIDE_STATES,
    WORKING_STATES,
    Action,
    RequestEvent,
    State,
)
from kiosk.core.wire import EventType
from kiosk.core.workdays import UnknownCalendarYear, WorkCalendar
from kiosk.server import models as m
from kiosk.server.domain_errors import DomainError
from kiosk.server.events import record_event
from kiosk.server.requests.store import (
    ESCALATE,
    act,
    core_of,
    event_data,
    insert_event,
    system_actor,
)
from kiosk.server.workday_calendar import calendar

__all__ = ["archive_finished", "escalate_overdue"]

_RANK = {Escalation.NONE.value: 0, Escalation.LEADER.value: 1, Escalation.DISTRICT.value: 2}
_NOTES = {
    Escalation.LEADER: "已超过办理期限，已提醒本大厅负责人督办",
    Escalation.DISTRICT: "超期已满 2 个工作日，已报区级督办",
}
_OPEN = [s.value for s in (State.REGISTERED, *WORKING_STATES)]


def escalate_overdue(conn: Connection, now: dt.datetime) -> str:
    t = m.service_requests
    rows = conn.execute(
        sa.select(t).where(
            t.c.state.in_(_OPEN),
            t.c.due_at < now.astimezone(dt.UTC),
            t.c.escalated != Escalation.DISTRICT.value,
        )
    ).all()
    told = {Escalation.LEADER: 0, Escalation.DISTRICT: 0}
    days = calendar(conn)
    filled, unknown = _fill_missing_deadlines(conn, now, days)
    for row in rows:
        core = core_of(row)
        try:
            status = deadline_status(core, now, days)
        except UnknownCalendarYear:
            unknown += 1
            continue
        if status is None or _RANK[status.escalation.value] <= _RANK[row.escalated]:
            continue
        level = status.escalation
        conn.execute(sa.update(t).where(t.c.id == row.id).values(escalated=level.value))
        event = RequestEvent(
            Action.REGISTER, system_actor(), now, core.state, core.state, {"to": level.value}
        )
        insert_event(conn, row.id, event, action=ESCALATE, public=False, note=_NOTES[level])
        record_event(conn, row.hall_id, EventType.REQUEST, event_data(core, ESCALATE))
        told[level] += 1
    result = f"leader {told[Escalation.LEADER]}, district {told[Escalation.DISTRICT]}"
    result += f", {filled} deadlines filled in" if filled else ""
    return result + (f", {unknown} need the calendar year entered" if unknown else "")


def _fill_missing_deadlines(
    conn: Connection, now: dt.datetime, days: WorkCalendar
) -> tuple[int, int]:
    """Open requests stored without a deadline because the calendar did not know the year
    then: their deadline, now that it does. Returns (filled, still unknown)."""
    t = m.service_requests
    rows = conn.execute(
        sa.select(t).where(t.c.state.in_(_OPEN), t.c.due_at.is_(None), t.c.paused_since.is_(None))
    ).all()
    filled = unknown = 0
    for row in rows:
        try:
            status = deadline_status(core_of(row), now, days)
        except UnknownCalendarYear:
            unknown += 1
            continue
        if status is not None and status.due is not None:
            conn.execute(
                sa.update(t).where(t.c.id == row.id).values(due_at=status.due.astimezone(dt.UTC))
            )
            filled += 1
    return filled, unknown


def archive_finished(conn: Connection, now: dt.datetime) -> str:
    t = m.service_requests
    ended = [s.value for s in (*CLOSED_STATES, *SET_ASIDE_STATES)]
    ids = conn.execute(
        sa.select(t.c.id).where(
            t.c.state.in_(ended), t.c.updated_at < (now - RATING_WINDOW).astimezone(dt.UTC)
        )
    ).scalars()
    archived = kept = 0
    for request_id in list(ids):
        try:
            with conn.begin_nested():
                act(conn, request_id, Action.ARCHIVE, system_actor(), now)
            archived += 1
        except DomainError:  # e.g. a named request not yet called back: stays on the board
            kept += 1
    return f"archived {archived}, kept {kept}"
