"""``POST /auth/token``: a staff member's username and password → a bearer token;
``POST /auth/logout-everywhere``: end every token and admin session of one's account.

Logins go through the one login flow of :mod:`kiosk.server.login_throttle` (shared with
the admin web's form): every attempt is counted before its password is checked, and a
try that must wait is answered ``429 too_many_attempts`` with ``Retry-After`` unverified.
"""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Request, Response
from sqlalchemy.engine import Connection

from kiosk.core.wire import TokenCreate, TokenPublic
from kiosk.server.addresses import client_address
from kiosk.server.admin.sessions import end_all_logins
from kiosk.server.api.deps import CurrentStaff, Runtime
from kiosk.server.api.responses import error_responses
from kiosk.server.auth import issue_staff_token
from kiosk.server.errors import ApiError
from kiosk.server.login_throttle import LoginAccount, LoginRefusal, try_login

router = APIRouter(tags=["auth"])


@router.post(
    "/auth/token",
    response_model=TokenPublic,
    responses=error_responses(401, 429),
)
async def create_token(body: TokenCreate, runtime: Runtime, request: Request) -> TokenPublic:
    if "\x00" in body.username:
        raise ApiError(401, "invalid_credentials", "用户名或密码不正确")
    hours = runtime.settings.staff_token_hours

    def issue(conn: Connection, account: LoginAccount) -> tuple[str, dt.datetime]:
        return issue_staff_token(conn, account.id, hours)

    outcome = await try_login(
        runtime.db,
        body.username,
        body.password,
        client_address(request),
        body.device_token,
        issue,
    )
    if isinstance(outcome, LoginRefusal):
        raise ApiError(
            429,
            "too_many_attempts",
            outcome.message,
            headers={"Retry-After": str(outcome.retry_after)},
        )
    if outcome is None:
        raise ApiError(401, "invalid_credentials", "用户名或密码不正确")
    token, expires = outcome.result
    return TokenPublic(access_token=token, expires_at=expires, device_token=outcome.device_token)


@router.post(
    "/auth/logout-everywhere",
    status_code=204,
    responses=error_responses(401, 403),
)
async def logout_everywhere(staff: CurrentStaff, runtime: Runtime) -> Response:
    """End, for good, every bearer token (this one too), admin session and known device of
    the caller's account."""
    await runtime.db.write(lambda c: end_all_logins(c, staff.account_id))
    return Response(status_code=204)
