"""Logging in and out of the admin web.

The login form carries its own CSRF token (a random cookie echoed in a hidden field),
since there is no session yet. Failed logins are throttled per username and per client
address (:mod:`kiosk.server.admin.sessions`).
"""

from __future__ import annotations

import hmac
import secrets

import anyio.to_thread
import sqlalchemy as sa
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.engine import Connection

from kiosk.server import models as m
from kiosk.server.admin.drafts import audit
from kiosk.server.admin.sessions import (
    IDLE_HOURS,
    StaffSession,
    check_login_allowed,
    end_session,
    find_session,
    record_login_failure,
    record_login_success,
    start_session,
)
from kiosk.server.admin.web import (
    COOKIE,
    PostedForm,
    redirect,
    render,
    runtime_of,
    secure_cookies,
)
from kiosk.server.auth import StaffPrincipal, verify_password

__all__ = ["router"]

router = APIRouter()

LOGIN_COOKIE = "kiosk_admin_login"


def _next(value: str) -> str:
    if value.startswith("/admin") and not value.startswith("//") and "\\" not in value:
        return value
    return "/admin"


def _client_ip(request: Request) -> str:
    return request.client.host if request.client is not None else "unknown"


def _login_page(
    request: Request,
    *,
    message: str = "",
    username: str = "",
    next_url: str = "/admin",
    status_code: int = 200,
) -> HTMLResponse:
    token = request.cookies.get(LOGIN_COOKIE) or ""
    if len(token) < 20:
        token = secrets.token_urlsafe(24)
    response = render(
        request,
        "admin/login.html",
        {"login_csrf": token, "message": message, "username": username, "next": next_url},
        status_code=status_code,
    )
    response.set_cookie(
        LOGIN_COOKIE,
        token,
        max_age=3600,
        path="/admin",
        httponly=True,
        samesite="lax",
        secure=secure_cookies(request),
    )
    return response


@router.get("/login", response_class=HTMLResponse, name="login")
async def login_form(request: Request) -> Response:
    token = request.cookies.get(COOKIE, "")
    if token:
        found = await runtime_of(request).db.read(lambda c: find_session(c, token))
        if found is not None:
            return redirect("/admin")
    return _login_page(request, next_url=_next(request.query_params.get("next", "")))


@router.post("/login", response_class=HTMLResponse, name="login_submit")
async def login_submit(request: Request) -> Response:
    try:
        form = await request.form(max_files=0, max_fields=10)
    except Exception:
        return _login_page(request, message="提交的表单无法识别，请重试", status_code=400)
    username = str(form.get("username") or "").strip()[:64]
    password = str(form.get("password") or "")[:256]
    next_url = _next(str(form.get("next") or ""))
    sent = str(form.get("csrf") or "")
    expected = request.cookies.get(LOGIN_COOKIE, "")
    if not expected or not hmac.compare_digest(sent.encode(), expected.encode()):
        return _login_page(
            request,
            message="页面已过期（安全校验失败），请重新输入后登录",
            username=username,
            next_url=next_url,
            status_code=403,
        )
    if not username or not password:
        return _login_page(
            request, message="请输入用户名和密码", username=username, status_code=422
        )
    runtime = runtime_of(request)
    ip = _client_ip(request)
    refusal = await runtime.db.read(lambda c: check_login_allowed(c, username, ip))
    if refusal is not None:
        response = _login_page(
            request,
            message=refusal.message,
            username=username,
            next_url=next_url,
            status_code=429,
        )
        response.headers["Retry-After"] = str(refusal.retry_after)
        return response

    def find(conn: Connection) -> tuple[int, str, str, str | None, str, bool] | None:
        a = m.staff_accounts
        row = conn.execute(
            sa.select(
                a.c.id, a.c.password_hash, a.c.role, a.c.hall_id, a.c.display_name, a.c.disabled
            ).where(a.c.username == username)
        ).first()
        if row is None:
            return None
        return row.id, row.password_hash, row.role, row.hall_id, row.display_name, row.disabled

    found = await runtime.db.read(find)
    ok = await anyio.to_thread.run_sync(verify_password, found[1] if found else None, password)
    if found is None or not ok or found[5]:
        await runtime.db.write(lambda c: record_login_failure(c, username, ip))
        return _login_page(
            request,
            message="用户名或密码不正确",
            username=username,
            next_url=next_url,
            status_code=401,
        )
    account_id, _, role, hall_id, display_name, _ = found
    principal = StaffPrincipal(account_id, username, role, hall_id)  # type: ignore[arg-type]
    session_for_audit = StaffSession("", principal, display_name or username, "")

    def begin(conn: Connection) -> str:
        record_login_success(conn, username)
        token, _ = start_session(conn, account_id, ip)
        audit(conn, session_for_audit, "login", hall_id, ip)
        return token

    token = await runtime.db.write(begin)
    response = redirect(next_url)
    response.set_cookie(
        COOKIE,
        token,
        max_age=IDLE_HOURS * 3600,
        path="/",
        httponly=True,
        samesite="lax",
        secure=secure_cookies(request),
    )
    response.delete_cookie(LOGIN_COOKIE, path="/admin")
    return response


@router.post("/logout", name="logout")
async def logout(request: Request, post: PostedForm) -> Response:
    session = post.session

    def end(conn: Connection) -> None:
        end_session(conn, session.id_hash)
        audit(conn, session, "logout", session.staff.hall_id)

    await runtime_of(request).db.write(end)
    response = redirect("/admin/login", "已退出登录")
    response.delete_cookie(COOKIE, path="/")
    return response
