"""The staff board (open requests by time left, with their lights), the public board's
monthly figures (办理公开) and the statistics by hall and month."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from kiosk.core.clock import HALL_TZ
from kiosk.core.request_deadlines import Escalation, deadline_status
from kiosk.core.service_requests import (
    CLOSED_STATES,
    SET_ASIDE_STATES,
    WORKING_STATES,
    Satisfaction,
    State,
)
from kiosk.core.wire import CategoryFigures, ClosedSummary, PublicFigures
from kiosk.core.workdays import UnknownCalendarYear, WorkCalendar
from kiosk.server import models as m
from kiosk.server.db import as_utc
from kiosk.server.domain_errors import Invalid
from kiosk.server.requests.catalog import categories
from kiosk.server.requests.records import BoardPage, BoardRow, RequestStats
from kiosk.server.requests.store import core_of
from kiosk.server.workday_calendar import calendar

__all__ = [
    "ESCALATED_FILTERS",
    "ORDERS",
    "STATE_FILTERS",
    "board",
    "escalated_count",
    "month_bounds",
    "public_figures",
    "stats",
]

OPEN_STATES = frozenset({State.REGISTERED, *WORKING_STATES})
#: ``state=`` on the board: one state's value, or one of these groups.
STATE_FILTERS: dict[str, frozenset[State]] = {
    "open": OPEN_STATES,
    "closed": CLOSED_STATES,
    "set_aside": SET_ASIDE_STATES,
    "all": frozenset(State),
}
ORDERS = ("time_left", "newest", "oldest")
#: ``escalated=`` on the board: how far the escalation job has raised an open request.
#: "leader" is the leader's 升级给我 (raised to the leader, and those gone on to the district).
ESCALATED_FILTERS: dict[str, tuple[str, ...]] = {
    "leader": (Escalation.LEADER.value, Escalation.DISTRICT.value),
    "district": (Escalation.DISTRICT.value,),
}
_SUMMARY = 60


def board(
    conn: Connection,
    hall_ids: Sequence[str],
    *,
    now: dt.datetime,
    state: str | None = None,
    category: str | None = None,
    staff_id: int | None = None,
    overdue: bool | None = None,
    escalated: str | None = None,
    order: str = "time_left",
    limit: int = 50,
    offset: int = 0,
) -> BoardPage:
    """One page of the board; the light is computed for the rows shown only."""
    t = m.service_requests
    states = _states(state)
    if order not in ORDERS:
        raise Invalid("invalid_order", f"不认识的排序：{order}", field="order")
    if not 1 <= limit <= 500 or offset < 0:
        raise Invalid("invalid_page", "每页 1–500 条", field="limit")
    where: list[Any] = [t.c.hall_id.in_(list(hall_ids)), t.c.state.in_([s.value for s in states])]
    if category is not None:
        where.append(t.c.category == category)
    if staff_id is not None:
        where.append(t.c.staff_id == staff_id)
    if overdue is not None:
        # due_at is stored at every transition; a paused request's real deadline is later.
        late = sa.and_(
            t.c.due_at < now.astimezone(dt.UTC),
            t.c.paused_since.is_(None),
            t.c.state.in_([s.value for s in OPEN_STATES]),
        )
        where.append(late if overdue else sa.not_(late))
    if escalated is not None:
        if escalated not in ESCALATED_FILTERS:
            raise Invalid("invalid_escalated", f"不认识的督办级别：{escalated}", field="escalated")
        where.append(t.c.escalated.in_(ESCALATED_FILTERS[escalated]))
        where.append(t.c.state.in_([s.value for s in OPEN_STATES]))
    orderings: dict[str, list[Any]] = {
        "time_left": [t.c.due_at.is_(None), t.c.due_at, t.c.registered_at],
        "newest": [t.c.registered_at.desc()],
        "oldest": [t.c.registered_at],
    }
    ordering = orderings[order]
    total = int(conn.execute(sa.select(sa.func.count()).select_from(t).where(*where)).scalar_one())
    rows = conn.execute(
        sa.select(t).where(*where).order_by(*ordering, t.c.id).limit(limit).offset(offset)
    ).all()
    labels = _labels(conn, {r.hall_id for r in rows})
    days = calendar(conn)
    return BoardPage([_board_row(r, now, labels, days) for r in rows], total, offset, limit)


def escalated_count(conn: Connection, hall_id: str) -> int:
    """Open requests of ``hall_id`` the escalation job has raised to its leader (升级给我)."""
    t = m.service_requests
    return int(
        conn.execute(
            sa.select(sa.func.count())
            .select_from(t)
            .where(
                t.c.hall_id == hall_id,
                t.c.escalated.in_(ESCALATED_FILTERS["leader"]),
                t.c.state.in_([s.value for s in OPEN_STATES]),
            )
        ).scalar_one()
    )


def _states(state: str | None) -> frozenset[State]:
    if state is None:
        return OPEN_STATES
    if state in STATE_FILTERS:
        return STATE_FILTERS[state]
    try:
        return frozenset({State(state)})
    except ValueError:
        raise Invalid("invalid_state", f"不认识的状态：{state}", field="state") from None


def _labels(conn: Connection, hall_ids: set[str]) -> dict[tuple[str, str], str]:
    return {
        (hall, c.id): c.label
        for hall in hall_ids
        for c in categories(conn, hall, include_disabled=True)
    }


def _board_row(
    row: Any, now: dt.datetime, labels: dict[tuple[str, str], str], days: WorkCalendar
) -> BoardRow:
    core = core_of(row)
    problem = None
    try:
        status = deadline_status(core, now, days)
    except UnknownCalendarYear as exc:
        status, problem = None, str(exc)
    summary = (
        row.description if len(row.description) <= _SUMMARY else row.description[:_SUMMARY] + "…"
    )
    registered = as_utc(row.registered_at)
    assert registered is not None
    return BoardRow(
        id=row.id,
        hall_id=row.hall_id,
        number=row.number,
        category=row.category,
        category_label=labels.get((row.hall_id, row.category), row.category),
        state=core.state,
        summary=summary,
        location=row.location,
        channel=row.channel,
        staff_id=row.staff_id,
        registered_at=registered,
        due_at=status.due if status else as_utc(row.due_at),
        light=status.light if status else None,
        escalation=status.escalation if status else Escalation.NONE,
        paused=status.paused if status else False,
        problem=problem,
    )


def month_bounds(month: str) -> tuple[dt.datetime, dt.datetime]:
    """``2026-12`` → its first instant and the next month's in the hall zone (as UTC)."""
    try:
        year, mon = (int(p) for p in month.split("-"))
        start = dt.datetime(year, mon, 1, tzinfo=HALL_TZ)
    except ValueError:
        raise Invalid("invalid_month", "月份格式应为 2026-12", field="month") from None
    end = dt.datetime(year + mon // 12, mon % 12 + 1, 1, tzinfo=HALL_TZ)
    return start.astimezone(dt.UTC), end.astimezone(dt.UTC)


def _month_of(at: dt.datetime) -> str:
    return at.astimezone(HALL_TZ).strftime("%Y-%m")


def _on_time(row: Any) -> bool:
    closed, due = as_utc(row.closed_at), as_utc(row.due_at)
    return closed is not None and due is not None and closed <= due


_GOOD = (Satisfaction.SATISFIED.value, Satisfaction.FAIRLY.value)


def public_figures(conn: Connection, hall_id: str, month: str) -> PublicFigures:
    """办理公开 of one hall and month: received, closed (on time), 满意率, by category,
    and the latest closed requests staff marked publishable (their public summary only)."""
    start, end = month_bounds(month)
    t = m.service_requests
    cols = [t.c.category, t.c.registered_at, t.c.closed_at, t.c.due_at, t.c.satisfaction]
    received = conn.execute(
        sa.select(*cols).where(
            t.c.hall_id == hall_id, t.c.registered_at >= start, t.c.registered_at < end
        )
    ).all()
    closed = conn.execute(
        sa.select(*cols, t.c.publishable, t.c.public_summary).where(
            t.c.hall_id == hall_id, t.c.closed_at >= start, t.c.closed_at < end
        )
    ).all()
    labels = {c.id: c.label for c in categories(conn, hall_id, include_disabled=True)}
    got = Counter(r.category for r in received)
    done = Counter(r.category for r in closed)
    timely = Counter(r.category for r in closed if _on_time(r))
    rated = [r.satisfaction for r in closed if r.satisfaction is not None]
    pct = round(100 * sum(s in _GOOD for s in rated) / len(rated), 1) if rated else None
    latest = sorted(
        (r for r in closed if r.publishable and r.public_summary),
        key=lambda r: r.closed_at,
        reverse=True,
    )[:5]
    return PublicFigures(
        month=month,
        received=len(received),
        closed=len(closed),
        closed_on_time=sum(timely.values()),
        satisfaction_pct=pct,
        by_category=[
            CategoryFigures(
                category_label=labels.get(c, c),
                received=got[c],
                closed=done[c],
                closed_on_time=timely[c],
            )
            for c in sorted(set(got) | set(done), key=lambda c: -(got[c] + done[c]))
        ],
        latest=[
            ClosedSummary(
                category_label=labels.get(r.category, r.category),
                summary=r.public_summary,
                closed_on=(as_utc(r.closed_at) or start).astimezone(HALL_TZ).date(),
            )
            for r in latest
        ],
    )


def stats(
    conn: Connection, hall_ids: Sequence[str], *, month_from: str, month_to: str
) -> list[RequestStats]:
    """Per hall and month from ``month_from`` to ``month_to`` (both included)."""
    start, _ = month_bounds(month_from)
    _, end = month_bounds(month_to)
    t = m.service_requests
    rows = conn.execute(
        sa.select(
            t.c.hall_id,
            t.c.state,
            t.c.registered_at,
            t.c.closed_at,
            t.c.due_at,
            t.c.satisfaction,
            t.c.paused_since,
        ).where(
            t.c.hall_id.in_(list(hall_ids)),
            sa.or_(
                sa.and_(t.c.registered_at >= start, t.c.registered_at < end),
                sa.and_(t.c.closed_at >= start, t.c.closed_at < end),
            ),
        )
    ).all()
    keys: dict[tuple[str, str], Counter[str]] = {}
    open_values = {s.value for s in OPEN_STATES}
    for r in rows:
        registered = as_utc(r.registered_at)
        assert registered is not None
        if start <= registered < end:
            c = keys.setdefault((r.hall_id, _month_of(registered)), Counter())
            c["received"] += 1
            due = as_utc(r.due_at)
            if r.state in open_values and due is not None and r.paused_since is None:
                c["open_overdue"] += due < end
        closed = as_utc(r.closed_at)
        if closed is not None and start <= closed < end:
            c = keys.setdefault((r.hall_id, _month_of(closed)), Counter())
            c["closed"] += 1
            c["closed_on_time"] += _on_time(r)
            if r.satisfaction is not None:
                c["rated"] += 1
                c["satisfied"] += r.satisfaction in _GOOD
    return [
        RequestStats(
            hall_id=hall,
            month=month,
            received=c["received"],
            closed=c["closed"],
            closed_on_time=c["closed_on_time"],
            rated=c["rated"],
            satisfied=c["satisfied"],
            open_overdue=c["open_overdue"],
        )
        for (hall, month), c in sorted(keys.items())
    ]
