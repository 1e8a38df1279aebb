"""Figures of requests (诉求) for the statistics page and its CSV: received, closed, on
time %, median time to close, satisfaction %, reopen rate — by month, hall, category and
handling staff member.

The store's :func:`kiosk.server.requests.stats` gives the per-hall, per-month totals the
public board needs; the staff page needs more (the median, reopens, by category and by
staff member), so this module reads the same table once and groups it. A request counts
in the month (hall time) it was registered. "On time" is the store's rule: closed at or
before the deadline stored with it (``due_at``, the last one once closed).
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from kiosk.core.clock import HALL_TZ
from kiosk.core.request_states import CLOSED_STATES, Satisfaction, State
from kiosk.server import models as m
from kiosk.server.db import as_utc

__all__ = ["RequestFigures", "RequestReport", "month_range", "request_figures"]

_CLOSED = {s.value for s in CLOSED_STATES}
_ARCHIVED = State.ARCHIVED.value
_GOOD = {Satisfaction.SATISFIED.value, Satisfaction.FAIRLY.value}


@dataclass
class RequestFigures:
    """One group's requests (a month, hall, category, staff member — or all of them)."""

    received: int = 0
    closed: int = 0
    closed_on_time: int = 0
    rated: int = 0
    satisfied: int = 0
    reopened: int = 0
    hours_to_close: list[float] = field(default_factory=list)

    def add(self, row: Any) -> None:
        """Count one request (a row of ``service_requests``)."""
        self.received += 1
        closed_at = as_utc(row.closed_at)
        closed = row.state in _CLOSED or (row.state == _ARCHIVED and closed_at is not None)
        if closed and closed_at is not None:
            self.closed += 1
            due = as_utc(row.due_at)
            if due is not None and closed_at <= due:
                self.closed_on_time += 1
            registered = as_utc(row.registered_at)
            if registered is not None:
                self.hours_to_close.append((closed_at - registered).total_seconds() / 3600)
        if row.satisfaction:
            self.rated += 1
            if row.satisfaction in _GOOD:
                self.satisfied += 1
        if row.reopen_count:
            self.reopened += 1

    @property
    def on_time_pct(self) -> float | None:
        return 100 * self.closed_on_time / self.closed if self.closed else None

    @property
    def satisfaction_pct(self) -> float | None:
        return 100 * self.satisfied / self.rated if self.rated else None

    @property
    def reopen_pct(self) -> float | None:
        return 100 * self.reopened / self.closed if self.closed else None

    @property
    def median_days(self) -> float | None:
        """Median calendar days from registration to closing."""
        return statistics.median(self.hours_to_close) / 24 if self.hours_to_close else None


@dataclass
class RequestReport:
    totals: RequestFigures
    by_month: dict[str, RequestFigures]
    by_hall: dict[str, RequestFigures]
    by_category: dict[str, RequestFigures]
    by_staff: dict[int | None, RequestFigures]


def month_range(start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The UTC instants from the first of ``start``'s month to the end of ``end``'s (hall
    time), the span of registrations a report of those days' months covers."""
    first = dt.datetime(start.year, start.month, 1, tzinfo=HALL_TZ)
    after = dt.datetime(end.year + end.month // 12, end.month % 12 + 1, 1, tzinfo=HALL_TZ)
    return first.astimezone(dt.UTC), after.astimezone(dt.UTC)


def request_figures(
    conn: Connection,
    hall_ids: Iterable[str],
    start: dt.date,
    end: dt.date,
    zones: dict[str, ZoneInfo] | None = None,
) -> RequestReport:
    """The figures of the requests registered in ``hall_ids`` from ``start``'s month to
    ``end``'s month, grouped."""
    begin, after = month_range(start, end)
    r = m.service_requests
    rows = conn.execute(
        sa.select(
            r.c.hall_id,
            r.c.category,
            r.c.staff_id,
            r.c.state,
            r.c.registered_at,
            r.c.closed_at,
            r.c.due_at,
            r.c.satisfaction,
            r.c.reopen_count,
        ).where(
            r.c.hall_id.in_(list(hall_ids)), r.c.registered_at >= begin, r.c.registered_at < after
        )
    )
    report = RequestReport(RequestFigures(), {}, {}, {}, {})
    for row in rows:
        registered = as_utc(row.registered_at)
        zone = (zones or {}).get(row.hall_id, HALL_TZ)
        month = registered.astimezone(zone).strftime("%Y-%m") if registered else ""
        report.totals.add(row)
        report.by_month.setdefault(month, RequestFigures()).add(row)
        report.by_hall.setdefault(row.hall_id, RequestFigures()).add(row)
        report.by_category.setdefault(row.category, RequestFigures()).add(row)
        report.by_staff.setdefault(row.staff_id, RequestFigures()).add(row)
    report.by_month = dict(sorted(report.by_month.items()))
    return report
