"""Service statistics (服务追踪): per day, hall, queue and window — tickets issued,
served, no-shows, mean and p90 wait and service times, busiest hours — as tables,
server-drawn SVG bar charts, and CSV.

Wait = called − issued (the first call); service = finished − started, or finished −
called when the window never pressed "start".
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.engine import Connection

from kiosk.core.clock import HALL_TZ, hall_zone
from kiosk.core.request_deadlines import DEFAULT_CATEGORIES
from kiosk.core.schedule import weekdays_text
from kiosk.core.wire import TicketState
from kiosk.server import models as m
from kiosk.server.admin.csv_files import csv_download, safe_cell
from kiosk.server.admin.fields import typed_date
from kiosk.server.admin.sessions import StaffSession
from kiosk.server.admin.web import AdminPageError, CurrentSession, Runtime, render
from kiosk.server.db import as_utc, utcnow
from kiosk.server.ratings import DIMENSIONS, Dimension, FigureRow, figures_by, policy_of
from kiosk.server.requests_stats import RequestFigures, RequestReport, request_figures
from kiosk.server.runtime import ServerRuntime

__all__ = ["Group", "compute_stats", "router"]

router = APIRouter()

MAX_DAYS = 92


def p90(values: list[float]) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.9 * len(ordered)) - 1)]


def mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


@dataclass
class Group:
    """One row of the table: the tickets of one (day, hall, queue, window)."""

    day: dt.date
    hall_id: str
    queue: str
    window: int | None
    issued: int = 0
    served: int = 0
    no_show: int = 0
    waits: list[float] = field(default_factory=list)
    services: list[float] = field(default_factory=list)

    def minutes(self, what: str, kind: str) -> float | None:
        values = self.waits if what == "wait" else self.services
        seconds = mean(values) if kind == "mean" else p90(values)
        return None if seconds is None else seconds / 60


@dataclass
class Stats:
    groups: list[Group]
    hours: dict[int, int]  # local hour → tickets issued
    days: dict[dt.date, int]
    totals: Group


def compute_stats(
    conn: Connection, hall_ids: list[str], start: dt.date, end: dt.date, zones: dict[str, ZoneInfo]
) -> Stats:
    t = m.tickets
    rows = conn.execute(
        sa.select(
            t.c.hall_id,
            t.c.service_day,
            t.c.queue,
            t.c.window,
            t.c.state,
            t.c.issued_at,
            t.c.called_at,
            t.c.started_at,
            t.c.finished_at,
        ).where(t.c.hall_id.in_(hall_ids), t.c.service_day >= start, t.c.service_day <= end)
    )
    groups: dict[tuple[Any, ...], Group] = {}
    hours: dict[int, int] = defaultdict(int)
    days: dict[dt.date, int] = defaultdict(int)
    totals = Group(start, "", "", None)
    for r in rows:
        key = (r.service_day, r.hall_id, r.queue, r.window)
        group = groups.get(key)
        if group is None:
            group = groups[key] = Group(r.service_day, r.hall_id, r.queue, r.window)
        issued = as_utc(r.issued_at)
        called = as_utc(r.called_at)
        started = as_utc(r.started_at)
        finished = as_utc(r.finished_at)
        for g in (group, totals):
            g.issued += 1
            if r.state == TicketState.DONE.value:
                g.served += 1
            elif r.state == TicketState.NO_SHOW.value:
                g.no_show += 1
            if issued is not None and called is not None and called >= issued:
                g.waits.append((called - issued).total_seconds())
            if r.state == TicketState.DONE.value and finished is not None:
                begin = started or called
                if begin is not None and finished >= begin:
                    g.services.append((finished - begin).total_seconds())
        if issued is not None:
            hours[issued.astimezone(zones.get(r.hall_id, HALL_TZ)).hour] += 1
        days[r.service_day] += 1
    ordered = sorted(
        groups.values(), key=lambda g: (g.day, g.hall_id, g.queue, g.window or 0), reverse=False
    )
    return Stats(ordered, dict(hours), dict(days), totals)


def bar_chart(
    bars: list[tuple[str, float]], *, unit: str = "张", marked: int = 0
) -> dict[str, Any]:
    """Rows of a horizontal bar chart: every bar keeps its label and its number as page
    text (readable at any width, on a phone too); the bar's length is a share of the
    longest, drawn as a stretched one-rectangle SVG. The ``marked`` largest are flagged."""
    top = max((v for _, v in bars), default=0) or 1
    busiest = {i for i, _ in sorted(enumerate(bars), key=lambda iv: (-iv[1][1], iv[0]))[:marked]}
    rows = [
        {
            "label": label,
            "value": value,
            "text": f"{value:g} {unit}".strip(),
            "share": round(100 * value / top, 1),
            "busy": i in busiest and value > 0,
        }
        for i, (label, value) in enumerate(bars)
    ]
    return {"rows": rows}


def report_day(text: str, what: str) -> dt.date:
    """A day of the report's query (``from``/``to``), typed as in every admin form."""
    try:
        return typed_date(text)
    except ValueError as exc:
        raise AdminPageError(400, f"{what}：{exc}") from None


#: The report's query: declared, so it is in the route table (and its tests) like any other.
_Day = Annotated[str, Query(max_length=40, description="a day, 2026-11-26")]
_Hall = Annotated[str, Query(max_length=80, description="one hall's id; empty: all visible")]


async def _query(
    runtime: ServerRuntime, session: StaffSession, hall_param: str, start_text: str, end_text: str
) -> tuple[list[str], dt.date, dt.date, dict[str, ZoneInfo], dict[str, str]]:
    all_halls = await runtime.db.read(
        lambda c: list(
            c.execute(
                sa.select(m.halls.c.id, m.halls.c.name, m.halls.c.timezone).order_by(m.halls.c.id)
            )
        )
    )
    if session.staff.is_admin:
        visible = all_halls
    else:
        visible = [h for h in all_halls if h.id == session.staff.hall_id]
    names = {h.id: h.name for h in visible}
    zones = {h.id: hall_zone(h.timezone) for h in visible}
    if hall_param:
        if not session.staff.may_manage(hall_param):
            raise AdminPageError(403, "您没有查看这个大厅的权限")
        if hall_param not in names:
            raise AdminPageError(404, "没有这个大厅")
        hall_ids = [hall_param]
    else:
        hall_ids = list(names)
    today = utcnow().astimezone(HALL_TZ).date()
    end = report_day(end_text, "结束日期") if end_text else today
    start = report_day(start_text, "开始日期") if start_text else end - dt.timedelta(days=6)
    if start > end:
        start, end = end, start
    if (end - start).days >= MAX_DAYS:
        start = end - dt.timedelta(days=MAX_DAYS - 1)
    return hall_ids, start, end, zones, names


def _fmt(value: float | None) -> str:
    return "" if value is None else f"{value:.1f}"


def minutes_text(value: float | None) -> str:
    """Minutes as a clerk says them: "约 12 分钟", "不到 1 分钟", "—" when there is none."""
    if value is None:
        return "—"
    if value < 1:
        return "不到 1 分钟"
    return f"约 {round(value)} 分钟"


@router.get("/stats", response_class=HTMLResponse, name="stats")
async def stats(
    request: Request,
    runtime: Runtime,
    session: CurrentSession,
    hall: _Hall = "",
    from_: Annotated[str, Query(alias="from", max_length=40)] = "",
    to: _Day = "",
) -> HTMLResponse:
    hall_ids, start, end, zones, names = await _query(runtime, session, hall, from_, to)
    result = await runtime.db.read(lambda c: compute_stats(c, hall_ids, start, end, zones))
    day_bars = []
    day = start
    while day <= end:
        label = f"{day:%m-%d} {weekdays_text([day.isoweekday()])}"
        day_bars.append((label, float(result.days.get(day, 0))))
        day += dt.timedelta(days=1)
    first = min([7, *result.hours])
    last = max([19, *result.hours])
    hour_bars = [
        (f"{h:02d}:00–{h + 1:02d}:00", float(result.hours.get(h, 0)))
        for h in range(first, last + 1)
    ]
    busiest = sorted(result.hours.items(), key=lambda kv: (-kv[1], kv[0]))[:3]
    rating_tables = await rating_figures(runtime, hall_ids, start, end, names)
    requests_report = await runtime.db.read(
        lambda c: request_figures(c, hall_ids, start, end, zones)
    )
    staff_names = await runtime.db.read(_staff_names)
    return render(
        request,
        "admin/stats.html",
        {
            "stats": result,
            "start": start,
            "end": end,
            "names": names,
            "hall": hall,
            "day_chart": bar_chart(day_bars),
            "hour_chart": bar_chart(hour_bars, marked=3),
            "busiest": busiest,
            "fmt": _fmt,
            "minutes": minutes_text,
            "query": request.url.query,
            "rating_tables": rating_tables,
            "pct": FigureRow.pct,
            "req": requests_report,
            "req_staff": staff_names,
            "req_categories": {c.id: c.name for c in DEFAULT_CATEGORIES},
            "req_pct": _pct,
            "days": _days,
        },
    )


@router.get("/stats.csv", name="stats_csv")
async def stats_csv(
    runtime: Runtime,
    session: CurrentSession,
    hall: _Hall = "",
    from_: Annotated[str, Query(alias="from", max_length=40)] = "",
    to: _Day = "",
) -> Response:
    hall_ids, start, end, zones, names = await _query(runtime, session, hall, from_, to)
    result = await runtime.db.read(lambda c: compute_stats(c, hall_ids, start, end, zones))
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        [
            "日期",
            "大厅编号",
            "大厅",
            "队列",
            "窗口",
            "取号",
            "办结",
            "过号",
            "平均等候(分钟)",
            "九成的人等候不超过(分钟)",
            "平均办理(分钟)",
            "九成的人办理不超过(分钟)",
        ]
    )
    for g in result.groups:
        writer.writerow(
            [
                g.day.isoformat(),
                g.hall_id,
                safe_cell(names.get(g.hall_id, "")),
                g.queue,
                g.window or "",
                g.issued,
                g.served,
                g.no_show,
                _fmt(g.minutes("wait", "mean")),
                _fmt(g.minutes("wait", "p90")),
                _fmt(g.minutes("service", "mean")),
                _fmt(g.minutes("service", "p90")),
            ]
        )
    name = f"service-stats-{start.isoformat()}-{end.isoformat()}.csv"
    return csv_download(out.getvalue(), name)


# --- 好差评 (issue 14): the rating figures of the same days, per dimension, ranked ------


async def rating_figures(
    runtime: ServerRuntime,
    hall_ids: list[str],
    start: dt.date,
    end: dt.date,
    names: dict[str, str],
) -> dict[Dimension, list[FigureRow]]:
    """Per staff member, window, service, hall and month: 主动评价率, 好评率, 差评率,
    回访率, 整改率 (kiosk.server.ratings.figures_by, ranked by 好评率)."""
    service_names: dict[str, str] = {}
    for hall_id in hall_ids:
        entry = await runtime.halls.get(hall_id)
        if entry is not None and entry.content is not None:
            for service in entry.content.services:
                service_names[f"{hall_id}:{service.id}"] = service.name
            for queue in entry.content.queues:
                service_names[f"{hall_id}:queue:{queue.code}"] = f"{queue.code} 队列（未选事项）"
    policy = policy_of(runtime.settings)

    def read(conn: Connection) -> dict[Dimension, list[FigureRow]]:
        return {
            by: figures_by(
                conn,
                hall_ids,
                start,
                end,
                by,
                names=names,
                service_names=service_names,
                policy=policy,
            )
            for by in DIMENSIONS
        }

    return await runtime.db.read(read)


@router.get("/stats/ratings.csv", name="stats_ratings_csv")
async def ratings_csv(
    runtime: Runtime,
    session: CurrentSession,
    hall: _Hall = "",
    from_: Annotated[str, Query(alias="from", max_length=40)] = "",
    to: _Day = "",
) -> Response:
    """The 好差评 figures of the report's days as CSV: one block per dimension."""
    hall_ids, start, end, _zones, names = await _query(runtime, session, hall, from_, to)
    tables = await rating_figures(runtime, hall_ids, start, end, names)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        [
            "维度",
            "名称",
            "排名",
            "办结",
            "评价",
            "未评价",
            "好评",
            "差评",
            "主动评价率",
            "好评率",
            "差评率",
            "回访",
            "按时回访",
            "回访率",
            "整改",
            "按时整改",
            "整改率",
        ]
    )
    for by, rows in tables.items():
        for rank, row in enumerate(rows, 1):
            f = row.figures
            writer.writerow(
                [
                    DIMENSIONS[by],
                    safe_cell(row.label),
                    rank,
                    f.served,
                    f.rated,
                    row.unrated,
                    f.good,
                    f.bad,
                    FigureRow.pct(f.rated_rate),
                    FigureRow.pct(f.good_rate),
                    FigureRow.pct(f.bad_rate),
                    f.called_back,
                    f.called_back_on_time,
                    FigureRow.pct(f.call_back_rate),
                    f.fixed,
                    f.fixed_on_time,
                    FigureRow.pct(f.fix_rate),
                ]
            )
    name = f"ratings-{start.isoformat()}-{end.isoformat()}.csv"
    return csv_download(out.getvalue(), name)


@router.get("/stats/requests.csv", name="stats_requests_csv")
async def stats_requests_csv(
    runtime: Runtime,
    session: CurrentSession,
    hall: _Hall = "",
    from_: Annotated[str, Query(alias="from", max_length=40)] = "",
    to: _Day = "",
) -> Response:
    """The requests' figures of the same query: their own CSV (other columns than the
    tickets' one, which spreadsheets and scripts read as it is)."""
    hall_ids, start, end, zones, names = await _query(runtime, session, hall, from_, to)
    report = await runtime.db.read(lambda c: request_figures(c, hall_ids, start, end, zones))
    staff = await runtime.db.read(_staff_names)
    out = io.StringIO()
    _request_rows(csv.writer(out), report, names, staff)
    name = f"request-stats-{start:%Y-%m}-{end:%Y-%m}.csv"
    return csv_download(out.getvalue(), name)


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.0f}%"


def _days(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f} 天"


def _staff_names(conn: Connection) -> dict[int, str]:
    a = m.staff_accounts
    return {
        r.id: r.display_name or r.username
        for r in conn.execute(sa.select(a.c.id, a.c.username, a.c.display_name))
    }


def _request_rows(
    writer: Any, report: RequestReport, names: dict[str, str], staff: dict[int, str]
) -> None:
    """The requests' figures, one row per group (total, month, hall, category, staff)."""
    labels = {c.id: c.name for c in DEFAULT_CATEGORIES}
    writer.writerow(
        [
            "诉求分组",
            "分组",
            "受理登记",
            "办结",
            "按时办结率(%)",
            "办结用时中位数(天)",
            "满意率(%)",
            "重办率(%)",
        ]
    )
    groups: list[tuple[str, str, RequestFigures]] = [("合计", "全部", report.totals)]
    groups += [("月份", k, v) for k, v in report.by_month.items()]
    groups += [("大厅", names.get(k, k), v) for k, v in report.by_hall.items()]
    groups += [("类别", labels.get(k, k), v) for k, v in report.by_category.items()]
    groups += [
        ("经办人", staff.get(k, "未分派") if k is not None else "未分派", v)
        for k, v in report.by_staff.items()
    ]
    for kind, key, f in groups:
        writer.writerow(
            [
                kind,
                safe_cell(key),
                f.received,
                f.closed,
                _fmt(f.on_time_pct),
                _fmt(f.median_days),
                _fmt(f.satisfaction_pct),
                _fmt(f.reopen_pct),
            ]
        )
