"""``POST /auth/token``: a staff member's username and password → a bearer token."""

from __future__ import annotations

import anyio.to_thread
import sqlalchemy as sa
from fastapi import APIRouter
from sqlalchemy.engine import Connection

from kiosk.core.wire import ErrorPublic, TokenCreate, TokenPublic
from kiosk.server import models as m
from kiosk.server.api.deps import Runtime
from kiosk.server.auth import issue_staff_token, verify_password
from kiosk.server.errors import ApiError

router = APIRouter(tags=["auth"])


@router.post("/auth/token", response_model=TokenPublic, responses={401: {"model": ErrorPublic}})
async def create_token(body: TokenCreate, runtime: Runtime) -> TokenPublic:
    if "\x00" in body.username:
        raise ApiError(401, "invalid_credentials", "用户名或密码不正确")

    def find(conn: Connection) -> tuple[int, str, bool] | None:
        row = conn.execute(
            sa.select(
                m.staff_accounts.c.id,
                m.staff_accounts.c.password_hash,
                m.staff_accounts.c.disabled,
            ).where(m.staff_accounts.c.username == body.username)
        ).first()
        return (row.id, row.password_hash, row.disabled) if row is not None else None

    found = await runtime.db.read(find)
    ok = await anyio.to_thread.run_sync(verify_password, found[1] if found else None, body.password)
    if found is None or not ok or found[2]:
        raise ApiError(401, "invalid_credentials", "用户名或密码不正确")
    account_id = found[0]
    hours = runtime.settings.staff_token_hours
    token, expires = await runtime.db.write(lambda c: issue_staff_token(c, account_id, hours))
    return TokenPublic(access_token=token, expires_at=expires)
