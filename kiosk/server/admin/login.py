"""Logging in and out of the admin web.

The login form carries its own CSRF token (a random cookie echoed in a hidden field),
since there is no session yet. Logins go through the one login flow of
:mod:`kiosk.server.login_throttle` (backoff per account and client address; the browser's
known-device cookie ``kiosk_admin_device`` gets its own limit). "退出所有设备" ends every
session, API token and known device of one's account.
"""

from __future__ import annotations

import hmac
import secrets

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.engine import Connection

from kiosk.server.addresses import client_address
from kiosk.server.admin.drafts import audit
from kiosk.server.admin.sessions import (
    IDLE_HOURS,
    StaffSession,
    end_all_logins,
    end_session,
    find_session,
    start_session,
)
from kiosk.server.admin.web import (
    COOKIE,
    PostedForm,
    Runtime,
    redirect,
    render,
    secure_cookies,
)
from kiosk.server.auth import StaffPrincipal
from kiosk.server.login_throttle import DEVICE_DAYS, LoginAccount, LoginRefusal, try_login

__all__ = ["router"]

router = APIRouter()

LOGIN_COOKIE = "kiosk_admin_login"
DEVICE_COOKIE = "kiosk_admin_device"


def _next(value: str) -> str:
    if value.startswith("/admin") and not value.startswith("//") and "\\" not in value:
        return value
    return "/admin"


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
async def login_form(request: Request, runtime: Runtime) -> Response:
    token = request.cookies.get(COOKIE, "")
    if token:
        found = await runtime.db.read(lambda c: find_session(c, token))
        if found is not None:
            return redirect("/admin")
    return _login_page(request, next_url=_next(request.query_params.get("next", "")))


@router.post("/login", response_class=HTMLResponse, name="login_submit")
async def login_submit(request: Request, runtime: Runtime) -> Response:
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
    ip = client_address(request)
    device = request.cookies.get(DEVICE_COOKIE) or None

    def begin(conn: Connection, account: LoginAccount) -> str:
        principal = StaffPrincipal(account.id, account.username, account.role, account.hall_id)  # type: ignore[arg-type]
        session = StaffSession("", principal, account.display_name or account.username, "")
        token, _ = start_session(conn, account.id, ip)
        audit(conn, session, "login", account.hall_id, ip)
        return token

    outcome = await try_login(runtime.db, username, password, ip, device, begin)
    if isinstance(outcome, LoginRefusal):
        response = _login_page(
            request,
            message=outcome.message,
            username=username,
            next_url=next_url,
            status_code=429,
        )
        response.headers["Retry-After"] = str(outcome.retry_after)
        return response
    if outcome is None:
        return _login_page(
            request,
            message="用户名或密码不正确",
            username=username,
            next_url=next_url,
            status_code=401,
        )
    done = redirect(next_url)
    done.set_cookie(
        COOKIE,
        outcome.result,
        max_age=IDLE_HOURS * 3600,
        path="/",
        httponly=True,
        samesite="lax",
        secure=secure_cookies(request),
    )
    # The known-device token: this browser's own login limit (docs/SERVER.md).
    done.set_cookie(
        DEVICE_COOKIE,
        outcome.device_token,
        max_age=DEVICE_DAYS * 86400,
        path="/admin",
        httponly=True,
        samesite="lax",
        secure=secure_cookies(request),
    )
    done.delete_cookie(LOGIN_COOKIE, path="/admin")
    return done


@router.post("/logout", name="logout")
async def logout(runtime: Runtime, post: PostedForm) -> Response:
    session = post.session

    def end(conn: Connection) -> None:
        end_session(conn, session.id_hash)
        audit(conn, session, "logout", session.staff.hall_id)

    await runtime.db.write(end)
    response = redirect("/admin/login", "已退出登录")
    response.delete_cookie(COOKIE, path="/")
    return response


@router.post("/logout-everywhere", name="logout_everywhere")
async def logout_everywhere(runtime: Runtime, post: PostedForm) -> Response:
    """End every admin session, API token and known device of one's own account."""
    session = post.session

    def end(conn: Connection) -> None:
        end_all_logins(conn, session.staff.account_id)
        audit(conn, session, "logout_everywhere", session.staff.hall_id)

    await runtime.db.write(end)
    response = redirect("/admin/login", "已在所有设备上退出登录，所有令牌已失效")
    response.delete_cookie(COOKIE, path="/")
    response.delete_cookie(DEVICE_COOKIE, path="/admin")
    return response
