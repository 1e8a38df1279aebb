"""What a route needs, as ``Annotated`` aliases: ``Runtime``, ``CurrentKiosk``,
``CurrentStaff``, ``CurrentKioskOrStaff``, ``IdempotencyKey``.

A bearer token may belong to a kiosk or to a staff member; each alias accepts only its
kind (the other kind gets 403, no or a bad token 401). A session-cookie login for the
admin web can be added to :func:`_principal` without touching the routes.
"""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import Depends, Header, Path, Request

from kiosk.core.values import SLUG_PATTERN, RowId
from kiosk.server.api.headers import IDEMPOTENCY_KEY_PATTERN, bearer_token
from kiosk.server.auth import KioskPrincipal, Principal, StaffPrincipal
from kiosk.server.errors import ApiError
from kiosk.server.runtime import ServerRuntime

__all__ = [
    "CounterId",
    "CurrentKiosk",
    "CurrentKioskOrStaff",
    "CurrentStaff",
    "HallId",
    "IdempotencyKey",
    "Runtime",
    "StaffId",
    "require_hall_access",
]


def _runtime(request: Request) -> ServerRuntime:
    runtime: ServerRuntime = request.app.state.runtime
    return runtime


Runtime = Annotated[ServerRuntime, Depends(_runtime)]

_UNAUTHORIZED = {"WWW-Authenticate": "Bearer"}


async def _principal(request: Request, runtime: Runtime) -> Principal:
    header = request.headers.get("authorization")
    if not header:
        raise ApiError(
            401, "unauthorized", "需要令牌（Authorization: Bearer …）", headers=_UNAUTHORIZED
        )
    token = bearer_token(header)
    if token is None:
        raise ApiError(401, "unauthorized", "令牌格式不对，应为 Bearer 令牌", headers=_UNAUTHORIZED)
    found = await runtime.principals.resolve(token)
    if found is None:
        raise ApiError(401, "invalid_token", "令牌无效、已过期或已注销", headers=_UNAUTHORIZED)
    return found


async def _kiosk(principal: Annotated[Principal, Depends(_principal)]) -> KioskPrincipal:
    if not isinstance(principal, KioskPrincipal):
        raise ApiError(403, "forbidden", "此接口只供自助机使用")
    return principal


async def _staff(principal: Annotated[Principal, Depends(_principal)]) -> StaffPrincipal:
    if not isinstance(principal, StaffPrincipal):
        raise ApiError(403, "forbidden", "自助机不能使用此接口")
    return principal


CurrentKiosk = Annotated[KioskPrincipal, Depends(_kiosk)]
CurrentStaff = Annotated[StaffPrincipal, Depends(_staff)]
CurrentKioskOrStaff = Annotated[Principal, Depends(_principal)]

IdempotencyKey = Annotated[
    str,
    Header(
        alias="Idempotency-Key",
        pattern=IDEMPOTENCY_KEY_PATTERN,
        description="Client-chosen key: the same key always yields the same ticket.",
    ),
]


HallId = Annotated[str, Path(pattern=SLUG_PATTERN, description="the hall's id (a slug)")]
StaffId = Annotated[
    str, Path(pattern=SLUG_PATTERN, description="the staff member's id in the content")
]
CounterId = Annotated[RowId, Path(description="the counter's id")]
#: Ticket public ids are ``kiosk.core.tickets.new_public_id()``; anything else cannot be one.
PUBLIC_ID = re.compile(r"^[A-Za-z0-9_-]{8,40}$")


def require_hall_access(staff: StaffPrincipal, hall_id: str) -> None:
    if not staff.may_manage(hall_id):
        raise ApiError(403, "forbidden", f"没有管理大厅 {hall_id} 的权限")
