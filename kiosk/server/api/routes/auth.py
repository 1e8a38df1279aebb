"""``POST /auth/token``: a staff member's username and password → a bearer token.

Failed tries are throttled exactly like the admin web's login form (one set of rules and
counts: :mod:`kiosk.server.login_throttle`): slowed, then locked, answered ``429
too_many_attempts`` with ``Retry-After``, even with the right password.
"""

from __future__ import annotations

import datetime as dt

import anyio.to_thread
import sqlalchemy as sa
from fastapi import APIRouter, Request
from sqlalchemy.engine import Connection

from kiosk.core.wire import ErrorPublic, TokenCreate, TokenPublic
from kiosk.server import models as m
from kiosk.server.api.deps import Runtime
from kiosk.server.auth import issue_staff_token, verify_password
from kiosk.server.errors import ApiError
from kiosk.server.login_throttle import (
    check_login_allowed,
    record_login_failure,
    record_login_success,
)

router = APIRouter(tags=["auth"])


@router.post(
    "/auth/token",
    response_model=TokenPublic,
    responses={401: {"model": ErrorPublic}, 429: {"model": ErrorPublic}},
)
async def create_token(body: TokenCreate, runtime: Runtime, request: Request) -> TokenPublic:
    if "\x00" in body.username:
        raise ApiError(401, "invalid_credentials", "用户名或密码不正确")
    username = body.username
    # uvicorn honours X-Forwarded-For only from its trusted proxies (127.0.0.1 by default).
    ip = request.client.host if request.client is not None else "unknown"
    refusal = await runtime.db.read(lambda c: check_login_allowed(c, username, ip))
    if refusal is not None:
        raise ApiError(
            429,
            "too_many_attempts",
            refusal.message,
            headers={"Retry-After": str(refusal.retry_after)},
        )

    def find(conn: Connection) -> tuple[int, str, bool] | None:
        row = conn.execute(
            sa.select(
                m.staff_accounts.c.id,
                m.staff_accounts.c.password_hash,
                m.staff_accounts.c.disabled,
            ).where(m.staff_accounts.c.username == username)
        ).first()
        return (row.id, row.password_hash, row.disabled) if row is not None else None

    found = await runtime.db.read(find)
    ok = await anyio.to_thread.run_sync(verify_password, found[1] if found else None, body.password)
    if found is None or not ok or found[2]:
        await runtime.db.write(lambda c: record_login_failure(c, username, ip))
        raise ApiError(401, "invalid_credentials", "用户名或密码不正确")
    account_id = found[0]
    hours = runtime.settings.staff_token_hours

    def issue(conn: Connection) -> tuple[str, dt.datetime]:
        record_login_success(conn, username)
        return issue_staff_token(conn, account_id, hours)

    token, expires = await runtime.db.write(issue)
    return TokenPublic(access_token=token, expires_at=expires)
