"""The working-day calendar (``/admin/calendar``): which years deadlines can be counted
in, and the district's own entries for a year the library does not know yet.

Every staff member may look; only district administrators enter. A year is entered as
its holidays (a name and a date range, all days off) with the 调休 weekend days worked in
their place, then declared entered whole; a single day can be changed or deleted. Every
change is written to ``admin_audit``. The rule that reads the entries is
:mod:`kiosk.server.workday_calendar`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.engine import Connection

from kiosk.core import clock
from kiosk.core.clock import HALL_TZ
from kiosk.core.values import check_text
from kiosk.core.workdays import library_years
from kiosk.server import models as m
from kiosk.server import ratings, workday_calendar
from kiosk.server.admin.drafts import audit
from kiosk.server.admin.fields import typed_date
from kiosk.server.admin.web import (
    AdminPageError,
    CurrentSession,
    DistrictAdmin,
    PostedForm,
    Runtime,
    redirect,
    render,
    templates,
)
from kiosk.server.db import utcnow

__all__ = ["router"]

router = APIRouter()

FIRST_YEAR, LAST_YEAR = 2000, 2100
LONGEST_HOLIDAY = 31  # days; the longest statutory holiday is 8
NOTE_MAX = 40

_LABELS: dict[str, str] = templates.env.globals["ACTION_LABELS"]  # type: ignore[assignment]
_LABELS.update(
    {
        "calendar_holiday": "录入假期",
        "calendar_day": "修改日历中的一天",
        "calendar_day_delete": "删除日历中的一天",
        "calendar_year": "确认整年已录入",
        "calendar_year_undo": "撤销整年已录入",
    }
)


class _Refused(ValueError):
    """A field of a calendar form is wrong: (field, Chinese message)."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        super().__init__(message)


# One validator per kind of input.


def _year(text: str, field: str = "year") -> int:
    if not text.strip().isdigit() or not FIRST_YEAR <= int(text) <= LAST_YEAR:
        raise _Refused(field, f"年份应为 {FIRST_YEAR}–{LAST_YEAR} 之间的四位数字")
    return int(text)


def _day(text: str, field: str) -> dt.date:
    if not text.strip():
        raise _Refused(field, "请填写日期")
    try:
        return typed_date(text)
    except ValueError as exc:
        raise _Refused(field, str(exc)) from None


def _note(text: str, field: str = "note", *, required: bool = False) -> str:
    if required and not text:
        raise _Refused(field, "请填写名称，例如：春节")
    if len(text) > NOTE_MAX:
        raise _Refused(field, f"名称最多 {NOTE_MAX} 个字")
    try:
        return check_text(text)
    except ValueError as exc:
        raise _Refused(field, str(exc)) from None


def _range(first: dt.date, last: dt.date) -> list[dt.date]:
    if last < first:
        raise _Refused("last", "结束日期不能早于开始日期")
    if (last - first).days >= LONGEST_HOLIDAY:
        raise _Refused("last", f"一段假期最长 {LONGEST_HOLIDAY} 天，请分段录入")
    return [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]


def _weekend_days(text: str) -> list[dt.date]:
    """The 调休 working days: dates separated by spaces, commas or 、; weekends only."""
    days = []
    for part in text.replace("，", ",").replace("、", ",").replace(",", " ").split():
        day = _day(part, "workdays")
        if day.weekday() < 5:
            raise _Refused("workdays", f"{day} 不是周末：调休上班日应为周六或周日")
        days.append(day)
    return days


# Reading.


def _page_data(conn: Connection, year: int) -> dict[str, Any]:
    found = workday_calendar.entries(conn)
    per_year: dict[int, int] = {}
    for day in found.days:
        per_year[day.year] = per_year.get(day.year, 0) + 1
    library = library_years()
    years = sorted((set(per_year) | found.years) - set(library))
    rows = conn.execute(
        sa.select(m.calendar_days)
        .where(m.calendar_days.c.day.between(dt.date(year, 1, 1), dt.date(year, 12, 31)))
        .order_by(m.calendar_days.c.day)
    ).all()
    return {
        "library_first": library.start,
        "library_last": library.stop - 1,
        "years": [(y, y in found.years, per_year.get(y, 0)) for y in years],
        "year": year,
        "year_known": year in library or year in found.years,
        "year_in_library": year in library,
        "days": rows,
    }


async def _page(
    request: Request,
    runtime: Runtime,
    year: int,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    data = await runtime.db.read(lambda c: _page_data(c, year))
    session = request.state.admin_session
    data.update(
        values=values or {},
        errors=errors or {},
        may_enter=session.staff.is_admin,
        zone=HALL_TZ,
    )
    return render(request, "admin/calendar.html", data, status_code=status_code)


def _default_year() -> int:
    today = clock.now(HALL_TZ).date()
    return workday_calendar.year_to_ask(today) or today.year


@router.get("/calendar", response_class=HTMLResponse, name="calendar")
async def calendar_page(request: Request, runtime: Runtime, session: CurrentSession) -> Response:
    asked = request.query_params.get("year", "")
    try:
        year = _year(asked) if asked else _default_year()
    except _Refused as exc:
        raise AdminPageError(422, str(exc)) from None
    return await _page(request, runtime, year)


# Writing (district administrators only).


def _put_days(conn: Connection, days: dict[dt.date, tuple[bool, str]], who: str) -> None:
    at = utcnow()
    t = m.calendar_days
    conn.execute(sa.delete(t).where(t.c.day.in_(list(days))))
    conn.execute(
        sa.insert(t),
        [
            {"day": d, "workday": w, "note": n, "entered_by": who, "entered_at": at}
            for d, (w, n) in sorted(days.items())
        ],
    )


async def _refused(
    request: Request, runtime: Runtime, post: Any, year: int, exc: _Refused
) -> HTMLResponse:
    values = {k: post.text(k) for k in ("name", "first", "last", "workdays", "day", "note")}
    return await _page(
        request, runtime, year, values=values, errors={exc.field: str(exc)}, status_code=422
    )


def _form_year(post: Any) -> int:
    try:
        return _year(post.text("year"))
    except _Refused as exc:
        raise AdminPageError(422, str(exc)) from None


@router.post("/calendar/holiday", response_class=HTMLResponse, name="calendar_holiday")
async def calendar_holiday(
    request: Request, runtime: Runtime, session: DistrictAdmin, post: PostedForm
) -> Response:
    year = _form_year(post)
    try:
        name = _note(post.text("name"), "name", required=True)
        off = _range(_day(post.text("first"), "first"), _day(post.text("last"), "last"))
        worked = _weekend_days(post.text("workdays"))
        if any(d in off for d in worked):
            raise _Refused("workdays", "调休上班日不能在假期之内")
    except _Refused as exc:
        return await _refused(request, runtime, post, year, exc)
    days = {d: (False, name) for d in off} | {d: (True, f"{name}调休上班") for d in worked}

    def write(conn: Connection) -> None:
        _put_days(conn, days, session.username)
        detail = f"放假 {off[0]}–{off[-1]}" + (
            "；调休上班 " + "、".join(str(d) for d in worked) if worked else ""
        )
        audit(conn, session, "calendar_holiday", None, f"{year} {name}", detail)

    await runtime.db.write(write)
    return redirect(f"/admin/calendar?year={year}", f"已录入{name}：{off[0]} 至 {off[-1]} 放假")


@router.post("/calendar/day", response_class=HTMLResponse, name="calendar_day")
async def calendar_day(
    request: Request, runtime: Runtime, session: DistrictAdmin, post: PostedForm
) -> Response:
    year = _form_year(post)
    try:
        day = _day(post.text("day"), "day")
        kind = post.text("kind")
        if kind not in ("off", "work"):
            raise _Refused("kind", "请选择这一天放假还是上班")
        note = _note(post.text("note"))
    except _Refused as exc:
        return await _refused(request, runtime, post, year, exc)
    worked = kind == "work"
    said = "上班" if worked else "放假"

    def write(conn: Connection) -> None:
        _put_days(conn, {day: (worked, note)}, session.username)
        audit(conn, session, "calendar_day", None, str(day), f"{said} {note}")

    await runtime.db.write(write)
    return redirect(f"/admin/calendar?year={day.year}", f"已保存 {day}：{said}")


@router.post("/calendar/day/{day}/delete", response_class=HTMLResponse, name="calendar_day_delete")
async def calendar_day_delete(
    day: str, runtime: Runtime, session: DistrictAdmin, post: PostedForm
) -> Response:
    try:
        when = _day(day, "day")
    except _Refused as exc:
        raise AdminPageError(422, str(exc)) from None

    def write(conn: Connection) -> bool:
        gone = conn.execute(sa.delete(m.calendar_days).where(m.calendar_days.c.day == when))
        if gone.rowcount:
            audit(conn, session, "calendar_day_delete", None, str(when))
        return bool(gone.rowcount)

    if not await runtime.db.write(write):
        raise AdminPageError(404, f"{when} 没有录入过")
    return redirect(f"/admin/calendar?year={when.year}", f"已删除 {when} 的录入")


@router.post("/calendar/year", response_class=HTMLResponse, name="calendar_year")
async def calendar_year(
    request: Request, runtime: Runtime, session: DistrictAdmin, post: PostedForm
) -> Response:
    year = _form_year(post)
    if year in library_years():
        raise AdminPageError(422, f"{year} 年的放假安排由日历库提供，无需确认整年录入")
    undo = post.text("undo") == "1"
    t = m.calendar_years

    def write(conn: Connection) -> None:
        conn.execute(sa.delete(t).where(t.c.year == year))
        if not undo:
            conn.execute(
                sa.insert(t).values(year=year, entered_by=session.username, entered_at=utcnow())
            )
        audit(conn, session, "calendar_year_undo" if undo else "calendar_year", None, str(year))
        if not undo:  # 差评 given while the year was unknown get their 整改 now
            ratings.open_missing_followups(conn, ratings.policy_of(runtime.settings))

    await runtime.db.write(write)
    said = f"已撤销：{year} 年不再算作整年已录入" if undo else f"{year} 年已确认整年录入"
    return redirect(f"/admin/calendar?year={year}", said)
