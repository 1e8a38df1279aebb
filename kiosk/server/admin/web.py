"""What every admin page needs: the templates, the logged-in session, CSRF-checked forms,
hall access, flash messages and the HTML error page.

Routes declare what they need through the ``Annotated`` aliases here:
``CurrentSession`` (any logged-in staff member; a GET without one is sent to the login
page), ``PostedForm`` (a POST whose CSRF token matched: every admin POST takes it),
``HallScope`` (the ``{hall_id}`` of the path, which the staff member must be allowed to
manage), ``DistrictAdmin`` (district administrators only) and ``Runtime`` (the server's
shared state: database, caches, event hub).

A write that publishes goes through :func:`write_or_back`: a refusal of the domain
(:class:`~kiosk.server.domain_errors.DomainError`) sends the staff member back to the
form with the refusal's message — the admin's one translation of domain errors.
"""

from __future__ import annotations

import datetime as dt
import hmac
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from sqlalchemy.engine import Connection
from starlette.datastructures import FormData

from kiosk.core import clock
from kiosk.core.clock import HALL_TZ
from kiosk.core.content import CATEGORIES, CATEGORY_NAMES, StaffStatus
from kiosk.server import workday_calendar
from kiosk.server.admin import fields as _fields
from kiosk.server.admin.sessions import StaffSession, find_session, touch_session
from kiosk.server.domain_errors import DomainError
from kiosk.server.requests import escalated_count
from kiosk.server.runtime import Outbox, ServerRuntime

__all__ = [
    "COOKIE",
    "AdminPageError",
    "BackWithMessage",
    "CurrentSession",
    "DistrictAdmin",
    "Hall",
    "HallScope",
    "LeaderScope",
    "LoginRequired",
    "Posted",
    "PostedForm",
    "Runtime",
    "flash",
    "redirect",
    "render",
    "templates",
    "write_or_back",
]

COOKIE = "kiosk_admin"
FLASH_COOKIE = "kiosk_admin_flash"
TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "templates"

templates = Jinja2Templates(directory=str(TEMPLATES_DIR))
templates.env.globals.update(
    CATEGORIES=CATEGORIES,
    CATEGORY_NAMES=CATEGORY_NAMES,
    STATUSES=[(s.value, s.label) for s in StaffStatus],
    STATUS_LABELS={s.value: s.label for s in StaffStatus},
    WEEKDAYS=["一", "二", "三", "四", "五", "六", "日"],
    ACTION_LABELS={
        "edit": "修改草稿",
        "publish": "发布",
        "restore": "恢复版本",
        "discard": "放弃草稿",
        "staff_status": "在岗状态",
        "login": "登录",
        "logout": "退出",
        "logout_everywhere": "退出所有设备",
        "account_logout_everywhere": "账号全部下线",
        "account_create": "新增账号",
        "account_disable": "停用账号",
        "account_enable": "启用账号",
        "account_password": "重设密码",
        "kiosk_create": "登记自助机",
        "kiosk_revoke": "注销自助机",
        "kiosk_screenshot": "查看自助机屏幕",
        "kiosk_logs": "查看自助机日志",
        "kiosk_restart": "重启自助机",
        "request_view": "查看诉求（含姓名电话）",
        "request_assign": "分派诉求",
        "request_voice": "下载诉求录音",
    },
    utc=dt.UTC,
)
# Typed dates and times (see kiosk.server.admin.fields): hint, pattern, inputmode.
templates.env.globals.update(
    TYPED={
        "date": (_fields.DATE_HINT, _fields.DATE_PATTERN, "decimal"),
        "time": (_fields.TIME_HINT, _fields.TIME_PATTERN, "decimal"),
        "datetime": (_fields.DATETIME_HINT, _fields.DATETIME_PATTERN, "text"),
    }
)


def _local(value: Any, zone: Any = None, fmt: str = "%m-%d %H:%M") -> str:
    """A stored time (ISO text or datetime) as the hall's wall clock."""
    if not value:
        return ""
    try:
        moment = value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(str(value))
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=dt.UTC)
        return moment.astimezone(zone).strftime(fmt) if zone is not None else moment.strftime(fmt)
    except (ValueError, OverflowError):
        return str(value)  # stored before the range rule (9999-12-31): shown as it is


templates.env.filters["local"] = _local


class AdminPageError(Exception):
    """A refusal shown as an admin HTML page (403 not yours, 404 not found, …)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class BackWithMessage(Exception):
    """Answered with a redirect to ``url`` and ``message`` flashed (see :func:`write_or_back`)."""

    def __init__(self, url: str, message: str) -> None:
        super().__init__(message)
        self.url = url
        self.message = message


class LoginRequired(Exception):
    """No (live) session: GET → login page, anything else → 403 page."""


def _runtime(request: Request) -> ServerRuntime:
    runtime: ServerRuntime = request.app.state.runtime
    return runtime


Runtime = Annotated[ServerRuntime, Depends(_runtime)]


T = TypeVar("T")


async def write_or_back(
    runtime: ServerRuntime,
    op: Callable[[Connection, Outbox], T],
    *,
    back: str,
    refused: str = "",
) -> T:
    """:meth:`ServerRuntime.write` for an admin form: a domain refusal goes back to
    ``back`` with ``refused`` and the refusal's message flashed."""
    try:
        return await runtime.write(op)
    except DomainError as exc:
        raise BackWithMessage(back, f"{refused}{exc.message}") from None


def secure_cookies(request: Request) -> bool:
    return _runtime(request).settings.base_url.startswith("https://")


async def _session(request: Request, runtime: Runtime) -> StaffSession:
    cached = getattr(request.state, "admin_session", None)
    if isinstance(cached, StaffSession):
        return cached
    token = request.cookies.get(COOKIE, "")
    if not token:
        raise LoginRequired()
    found = await runtime.db.read(lambda c: find_session(c, token))
    if found is None:
        raise LoginRequired()
    session, stale = found
    if stale:
        await runtime.db.write(lambda c: touch_session(c, session.id_hash))
    request.state.admin_session = session
    # The banner of base.html: next year's holidays not entered yet (district admins).
    year = workday_calendar.year_to_ask(clock.now(HALL_TZ).date())
    if (
        year is not None
        and session.staff.is_admin
        and not await runtime.db.read(lambda c: workday_calendar.year_entered(c, year))
    ):
        request.state.calendar_missing = year
    if session.staff.is_leader and session.staff.hall_id:
        hall_id = session.staff.hall_id
        request.state.leader_escalated = await runtime.db.read(
            lambda c: escalated_count(c, hall_id)
        )
    return session


CurrentSession = Annotated[StaffSession, Depends(_session)]


@dataclass(frozen=True, slots=True)
class Posted:
    """A POST whose CSRF token matched the session's."""

    session: StaffSession
    form: FormData

    def text(self, name: str, default: str = "") -> str:
        value = self.form.get(name)
        return value.strip() if isinstance(value, str) else default

    def values(self, name: str) -> list[str]:
        return [v for v in self.form.getlist(name) if isinstance(v, str)]


async def _posted(request: Request, session: CurrentSession) -> Posted:
    try:
        form = await request.form(max_files=9, max_fields=400)  # 9: a request's photos
    except Exception:  # malformed multipart / urlencoded body
        raise AdminPageError(400, "提交的表单无法识别，请返回重试") from None
    sent = form.get("csrf") or request.headers.get("x-csrf-token") or ""
    if not isinstance(sent, str) or not hmac.compare_digest(
        sent.encode(), session.csrf_token.encode()
    ):
        raise AdminPageError(403, "页面已过期或来源不明（安全校验失败），请刷新页面后重试")
    return Posted(session, form)


PostedForm = Annotated[Posted, Depends(_posted)]


@dataclass(frozen=True, slots=True)
class Hall:
    """A hall the current staff member may manage."""

    id: str
    name: str
    session: StaffSession


async def _hall(hall_id: str, runtime: Runtime, session: CurrentSession) -> Hall:
    if not session.staff.may_manage(hall_id):
        raise AdminPageError(403, "您没有管理这个大厅的权限")
    entry = await runtime.halls.get(hall_id)
    if entry is None:
        raise AdminPageError(404, "没有这个大厅")
    return Hall(hall_id, entry.name, session)


HallScope = Annotated[Hall, Depends(_hall)]

NOT_LEADER_PAGE = "这个页面只对本大厅负责人和街道管理员开放，请联系本大厅负责人"


async def _led_hall(hall: HallScope) -> Hall:
    if not hall.session.staff.may_lead(hall.id):
        raise AdminPageError(403, NOT_LEADER_PAGE)
    return hall


LeaderScope = Annotated[Hall, Depends(_led_hall)]
"""A hall whose leader (负责人) the current staff member is, or any hall for a district admin."""


async def _admin(session: CurrentSession) -> StaffSession:
    if not session.staff.is_admin:
        raise AdminPageError(403, "只有街道管理员可以使用此页面")
    return session


DistrictAdmin = Annotated[StaffSession, Depends(_admin)]


def flash(response: Response, message: str) -> Response:
    response.set_cookie(
        FLASH_COOKIE,
        urllib.parse.quote(message[:300]),
        max_age=60,
        path="/admin",
        httponly=True,
        samesite="lax",
    )
    return response


def redirect(url: str, message: str | None = None) -> RedirectResponse:
    response = RedirectResponse(url, status_code=303)
    if message:
        flash(response, message)
    return response


def render(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    status_code: int = 200,
) -> HTMLResponse:
    session = getattr(request.state, "admin_session", None)
    message = urllib.parse.unquote(request.cookies.get(FLASH_COOKIE, ""))[:300]
    ctx: dict[str, Any] = {
        "session": session,
        "csrf": session.csrf_token if isinstance(session, StaffSession) else "",
        "flash": message,
        "path": request.url.path,
        "calendar_missing": getattr(request.state, "calendar_missing", None),
        # The leader's banner: open requests the escalation job raised to them (升级给我).
        "leader_escalated": getattr(request.state, "leader_escalated", 0),
    }
    ctx.update(context or {})
    response = templates.TemplateResponse(
        request,
        template,
        ctx,
        status_code=status_code,
        # The CSP and its companions: kiosk.server.security_headers (every /admin response).
        headers={"Cache-Control": "no-store"},
    )
    if message:
        response.delete_cookie(FLASH_COOKIE, path="/admin")
    return response
