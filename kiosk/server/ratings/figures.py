"""The figures of 好差评 (core.ratings.figures) per staff member, window, service, hall or
month, ranked; and the hall's month for the kiosk's 办理公开 board.

Served = tickets completed (办结) on the days asked; a ticket's rating counts in the group
of the ticket (so a rating given after midnight stays with the day it was served). A
served ticket with no rating row, or with a 未评价 row, is not rated; an upheld appeal
takes a rating out of every figure (``excluded``); flagged bursts stay in (for review).
Requests (issue 13) closed on the days asked are served too, rated on their phone page
(/r/{id}): staff = the request's handling account, service = 诉求·its category, and
they group under the hall's 诉求办理 instead of a window.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from kiosk.core import ratings as core
from kiosk.core.clock import HALL_TZ
from kiosk.core.ratings import Channel, Level, RectificationPolicy
from kiosk.core.request_deadlines import DEFAULT_CATEGORIES
from kiosk.core.wire import TicketState
from kiosk.core.workdays import WorkCalendar
from kiosk.server import models as m
from kiosk.server import workday_calendar
from kiosk.server.db import as_utc

__all__ = ["DIMENSIONS", "Dimension", "FigureRow", "figures_by", "public_summary"]

Dimension = Literal["staff", "window", "service", "hall", "month"]
DIMENSIONS: dict[Dimension, str] = {
    "staff": "工作人员",
    "window": "窗口",
    "service": "办理事项",
    "hall": "大厅",
    "month": "月份",
}


@dataclass(frozen=True)
class FigureRow:
    key: str
    label: str
    figures: core.Figures
    unrated: int  # served without a rating (no answer, or 未评价)

    @staticmethod
    def pct(share: float | None) -> str:
        return "—" if share is None else f"{100 * share:.1f}%"


@dataclass(frozen=True)
class _Served:
    hall_id: str
    account_id: int | None
    account_name: str
    window: int | None
    service: str
    month: str
    rating: core.Rating | None
    request: bool = False  # a request (诉求), not a ticket: no window


def _rating_of(row: Any, subject: str, staff: str, service: str) -> core.Rating | None:
    """The stored rating of one served row (joined ratings + rating_followups)."""
    if row.rating_id is None:
        return None
    answered = as_utc(row.answered_at)
    assert answered is not None
    rect = None
    if row.opened_at is not None:
        rect = core.Rectification(
            opened_at=as_utc(row.opened_at) or answered,
            called_back_at=as_utc(row.called_back_at),
            verified_at=as_utc(row.verified_at),
            fixed_at=as_utc(row.fixed_at),
        )
    prompt = core.RatingPrompt(
        subject=subject,
        staff=staff,
        service=service,
        window=getattr(row, "window", None) or 0,
        device=row.device_id,
        asked_at=as_utc(row.asked_at) or answered,
        channel=Channel(row.channel),
    )
    excluded = core.Appeal("", "", answered, upheld=True) if row.excluded else None
    level = Level(row.level) if row.level else None
    return core.Rating(prompt, level, answered, rectification=rect, appeal=excluded)


def _closed_requests(
    conn: Connection, hall_ids: list[str], start: dt.date, end: dt.date
) -> list[_Served]:
    """Requests closed on the hall's days ``start`` … ``end``, with their rating."""
    q, r, f = m.service_requests, m.ratings, m.rating_followups
    since = dt.datetime.combine(start, dt.time(), HALL_TZ).astimezone(dt.UTC)
    until = dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), HALL_TZ).astimezone(dt.UTC)
    query = (
        sa.select(
            q.c.id,
            q.c.hall_id,
            q.c.category,
            q.c.staff_id,
            q.c.closed_at,
            r.c.id.label("rating_id"),
            r.c.level,
            r.c.answered_at,
            r.c.asked_at,
            r.c.excluded,
            r.c.device_id,
            r.c.channel,
            f.c.opened_at,
            f.c.called_back_at,
            f.c.verified_at,
            f.c.fixed_at,
        )
        .select_from(q)
        .join(r, r.c.request_id == q.c.id, isouter=True)
        .join(f, f.c.rating_id == r.c.id, isouter=True)
        .where(
            q.c.hall_id.in_(hall_ids),
            q.c.closed_at.is_not(None),
            q.c.closed_at >= since,
            q.c.closed_at < until,
        )
    )
    names = {c.id: c.name for c in DEFAULT_CATEGORIES}
    out = []
    for row in conn.execute(query):
        account_id = int(row.staff_id) if row.staff_id is not None else None
        service = f"诉求·{names.get(row.category, row.category)}"
        closed = as_utc(row.closed_at)
        assert closed is not None
        out.append(
            _Served(
                hall_id=row.hall_id,
                account_id=account_id,
                account_name="",
                window=None,
                service=service,
                month=closed.astimezone(HALL_TZ).strftime("%Y-%m"),
                rating=_rating_of(row, row.id, str(account_id), service),
                request=True,
            )
        )
    return out


def _served(conn: Connection, hall_ids: list[str], start: dt.date, end: dt.date) -> list[_Served]:
    t, a, r, f, s = m.tickets, m.ticket_audit, m.ratings, m.rating_followups, m.staff_accounts
    done = (
        sa.select(a.c.ticket_id, sa.func.max(a.c.id).label("audit_id"))
        .where(a.c.to_state == TicketState.DONE.value)
        .group_by(a.c.ticket_id)
        .subquery()
    )
    query = (
        sa.select(
            t.c.id,
            t.c.hall_id,
            t.c.window,
            t.c.queue,
            t.c.service_id,
            t.c.service_day,
            a.c.actor,
            r.c.id.label("rating_id"),
            r.c.level,
            r.c.answered_at,
            r.c.asked_at,
            r.c.excluded,
            r.c.device_id,
            r.c.channel,
            f.c.opened_at,
            f.c.called_back_at,
            f.c.verified_at,
            f.c.fixed_at,
        )
        .select_from(t)
        .join(done, done.c.ticket_id == t.c.id, isouter=True)
        .join(a, a.c.id == done.c.audit_id, isouter=True)
        .join(r, r.c.ticket_id == t.c.id, isouter=True)
        .join(f, f.c.rating_id == r.c.id, isouter=True)
        .where(
            t.c.hall_id.in_(hall_ids),
            t.c.state == TicketState.DONE.value,
            t.c.service_day >= start,
            t.c.service_day <= end,
        )
    )
    accounts = {
        row.id: row.display_name or row.username
        for row in conn.execute(sa.select(s.c.id, s.c.display_name, s.c.username))
    }
    out = []
    for row in conn.execute(query):
        account_id = (
            int(row.actor.removeprefix("staff:"))
            if isinstance(row.actor, str) and row.actor.startswith("staff:")
            else None
        )
        rating = _rating_of(row, str(row.id), str(account_id), row.service_id or row.queue)
        out.append(
            _Served(
                hall_id=row.hall_id,
                account_id=account_id,
                account_name=accounts.get(account_id, "") if account_id is not None else "",
                window=row.window,
                service=row.service_id or f"queue:{row.queue}",
                month=row.service_day.strftime("%Y-%m"),
                rating=rating,
            )
        )
    for served in _closed_requests(conn, hall_ids, start, end):
        name = accounts.get(served.account_id, "") if served.account_id is not None else ""
        out.append(dataclasses.replace(served, account_name=name))
    return out


def _key(served: _Served, by: Dimension, names: dict[str, str]) -> tuple[str, str]:
    hall = names.get(served.hall_id, served.hall_id)
    if by == "staff":
        if served.account_id is None:
            return "staff:-", "（未记录）"
        return f"staff:{served.account_id}", served.account_name or f"账号 {served.account_id}"
    if by == "window" and served.request:
        return f"{served.hall_id}:requests", f"{hall} 诉求办理"
    if by == "window":
        return f"{served.hall_id}:{served.window}", f"{hall} {served.window or '?'}号窗口"
    if by == "service":
        return f"{served.hall_id}:{served.service}", served.service
    if by == "hall":
        return served.hall_id, hall
    return served.month, served.month


def figures_by(
    conn: Connection,
    hall_ids: list[str],
    start: dt.date,
    end: dt.date,
    by: Dimension,
    *,
    names: dict[str, str] | None = None,
    service_names: dict[str, str] | None = None,
    calendar: WorkCalendar | None = None,
    policy: RectificationPolicy | None = None,
) -> list[FigureRow]:
    """One row per group, ranked: 好评率 first, then 主动评价率, then most served."""
    names = names or {}
    calendar = calendar or workday_calendar.calendar(conn)
    groups: dict[str, list[_Served]] = defaultdict(list)
    labels: dict[str, str] = {}
    for served in _served(conn, hall_ids, start, end):
        key, label = _key(served, by, names)
        if by == "service" and service_names:
            label = service_names.get(key, label)
        groups[key].append(served)
        labels[key] = label
    rows = []
    for key, members in groups.items():
        answered = [s.rating for s in members if s.rating is not None]
        numbers = core.figures(answered, len(members), calendar, policy)
        unrated = len(members) - sum(1 for r in answered if r.level is not None)
        rows.append(FigureRow(key, labels[key], numbers, unrated))

    def rank(row: FigureRow) -> tuple[Any, ...]:
        good = row.figures.good_rate
        rated = row.figures.rated_rate
        return (good is None, -(good or 0), -(rated or 0), -row.figures.served, row.label)

    if by == "month":
        return sorted(rows, key=lambda row: row.key)
    return sorted(rows, key=rank)


def public_summary(
    conn: Connection,
    hall_id: str,
    month: str,
    *,
    calendar: WorkCalendar | None = None,
    policy: RectificationPolicy | None = None,
) -> dict[str, float | int | None]:
    """The hall's month for the kiosk's 办理公开 board: 好评率 (percent, one decimal; None
    when nothing was rated) and how many 差评 were called back on time, of how many."""
    first = dt.date.fromisoformat(f"{month}-01")
    last = (first.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)
    rows = figures_by(conn, [hall_id], first, last, "hall", calendar=calendar, policy=policy)
    if not rows:
        return {"good_pct": None, "bad_followed_on_time": 0, "bad_total": 0}
    numbers = rows[0].figures
    good = numbers.good_rate
    return {
        "good_pct": None if good is None else round(100 * good, 1),
        "bad_followed_on_time": numbers.called_back_on_time,
        "bad_total": numbers.bad,
    }
