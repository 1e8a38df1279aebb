"""Requests (诉求) from the kiosk: categories, registering one (``Idempotency-Key``), its
voice note, the look-up by 查询码 and the public board (办理公开). Staff register window
and phone requests on the same ``POST /requests``; their other routes are in
``staff_requests.py``."""

from __future__ import annotations

import datetime as dt
import json
from typing import Annotated, Any, TypeVar

import sqlalchemy as sa
from fastapi import APIRouter, Header, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from pydantic import BaseModel, ValidationError
from sqlalchemy.engine import Connection

from kiosk.core import clock
from kiosk.core.request_numbers import parse_query_code
from kiosk.core.wire import (
    IDEMPOTENCY_KEY_PATTERN,
    RequestCategoriesPublic,
    RequestCreate,
    RequestReceipt,
    RequestsLookupPublic,
    RequestStaffCreate,
)
from kiosk.server import models as m
from kiosk.server import requests as store
from kiosk.server.api.deps import CurrentKiosk, CurrentKioskOrStaff, Runtime
from kiosk.server.api.responses import error_responses
from kiosk.server.auth import KioskPrincipal
from kiosk.server.domain_errors import Invalid, NotFound
from kiosk.server.errors import ApiError
from kiosk.server.requests.actors import hall_of, kiosk_actor, staff_actor
from kiosk.server.requests.lookups import take_lookup
from kiosk.server.requests.views import categories_public, public_view, receipt
from kiosk.server.requests.voice import MAX_BYTES, store_voice_note
from kiosk.server.runtime import Outbox

__all__ = ["router"]

router = APIRouter(tags=["requests"])

M = TypeVar("M", bound=BaseModel)
#: How far back a kiosk's own time of registration is believed (it may have been offline).
_OFFLINE_MAX = dt.timedelta(days=7)
_NO_KEY = "缺少 Idempotency-Key 请求头"
_TOO_OLD = "登记时间太早（超过 7 天），请核对自助机时间"
_NO_MATCH = "没有找到这个查询码的诉求，请核对回执上的 6 位数字"


async def _body(request: Request, model: type[M]) -> M:
    """The JSON body as ``model``, refused the way FastAPI refuses a bad body (422)."""
    raw = await request.body()
    try:
        data: Any = json.loads(raw)
    except ValueError:
        raise RequestValidationError(
            [{"type": "json_invalid", "loc": ("body",), "msg": "invalid JSON", "input": None}]
        ) from None
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        errors = [{**e, "loc": ("body", *e["loc"])} for e in exc.errors()]
        raise RequestValidationError(errors) from None


@router.get(
    "/requests/categories",
    response_model=RequestCategoriesPublic,
    responses=error_responses(401, 403),
)
async def request_categories(who: CurrentKioskOrStaff, runtime: Runtime) -> RequestCategoriesPublic:
    """The hall's categories with their deadline and phrases (the kiosk caches them)."""
    hall_id = hall_of(who)
    return await runtime.db.read(lambda c: categories_public(c, hall_id))


@router.post(
    "/requests",
    response_model=RequestReceipt,
    status_code=201,
    responses={
        **error_responses(401, 403, 409, 422),
        200: {"model": RequestReceipt, "description": "a replay: same key"},
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {
                        "oneOf": [
                            {"$ref": "#/components/schemas/RequestCreate"},
                            {"$ref": "#/components/schemas/RequestStaffCreate"},
                        ]
                    }
                }
            },
        }
    },
)
async def register_request(
    request: Request,
    who: CurrentKioskOrStaff,
    runtime: Runtime,
    key: Annotated[
        str | None, Header(alias="Idempotency-Key", pattern=IDEMPOTENCY_KEY_PATTERN)
    ] = None,
) -> Response:
    """Register a request (201), or answer a repeated ``Idempotency-Key`` with it (200).

    A kiosk sends ``RequestCreate`` (the key is required); staff ``RequestStaffCreate``
    (channel window / phone / …; the key is optional)."""
    hall_id = hall_of(who)
    now = clock.now()
    if isinstance(who, KioskPrincipal):
        if key is None:
            raise ApiError(422, "invalid_request", _NO_KEY, field="Idempotency-Key")
        body = await _body(request, RequestCreate)
        at = min(body.created_at, now)
        if at < now - _OFFLINE_MAX:
            raise Invalid(
                "invalid_request", "登记时间太早（超过 7 天），请核对自助机时间", field="created_at"
            )
        text = "；".join([*body.phrases, *([body.description] if body.description else [])])
        args: dict[str, Any] = {
            "category": body.category,
            "description": text,
            "channel": "kiosk",
            "actor": kiosk_actor(who),
            "at": at,
            "location": body.location,
            "phone": body.phone,
            "query_code": body.query_code,
            "public_id": body.public_id,
            "voice_note": body.voice_note,
        }
        device = who.principal
    else:
        staff_body = await _body(request, RequestStaffCreate)
        args = {
            "category": staff_body.category,
            "description": staff_body.description,
            "channel": staff_body.channel,
            "actor": staff_actor(who),
            "at": now,
            "location": staff_body.location,
            "name": staff_body.name,
            "phone": staff_body.phone,
            "public_id": staff_body.public_id,
            "staff_id": who.account_id,
        }
        device = who.principal
    if not (args["description"] or "").strip() and args.get("voice_note"):
        args["description"] = "（语音留言）"

    def write(conn: Connection, outbox: Outbox) -> tuple[RequestReceipt, bool]:
        before = None
        if key is not None:
            before = conn.execute(_EXISTS, {"device": device, "key": key}).first()
        record = store.register(
            conn,
            hall_id=hall_id,
            idempotency_key=key,
            device_id=device if key is not None else None,
            settings=runtime.settings,
            outbox=outbox,
            **args,
        )
        return receipt(conn, record), before is None

    answer, created = await runtime.write(write)
    return Response(
        answer.model_dump_json().encode(),
        status_code=201 if created else 200,
        media_type="application/json",
    )


_EXISTS = sa.select(m.service_requests.c.id).where(
    m.service_requests.c.device_id == sa.bindparam("device"),
    m.service_requests.c.idempotency_key == sa.bindparam("key"),
)


@router.put(
    "/requests/{request_id}/voice-note",
    status_code=204,
    responses=error_responses(401, 403, 404, 413, 415, 422),
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"audio/wav": {"schema": {"type": "string", "format": "binary"}}},
        }
    },
)
async def put_voice_note(
    request_id: str, request: Request, kiosk: CurrentKiosk, runtime: Runtime
) -> Response:
    """The resident's voice note (mono PCM WAV, ≤ 60 s, ≤ 2 MB); staff read it back."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind not in ("audio/wav", "audio/x-wav", "audio/wave"):
        raise ApiError(415, "unsupported_media", "录音应为 audio/wav", field="Content-Type")
    data = await request.body()
    if len(data) > MAX_BYTES:
        raise ApiError(413, "too_large", "录音太大（最多 2 MB）", field="body")
    now = clock.now()

    def write(conn: Connection, outbox: Outbox) -> None:
        record = store.get(conn, request_id)
        if record.hall_id != kiosk.hall_id:
            raise NotFound("unknown_request", "找不到这条诉求", field="id")
        store_voice_note(conn, request_id, data, now)

    await runtime.write(write)
    return Response(status_code=204)


@router.get(
    "/requests/lookup",
    response_model=RequestsLookupPublic,
    responses=error_responses(401, 403, 404, 422, 429),
)
async def lookup(
    kiosk: CurrentKiosk, runtime: Runtime, code: Annotated[str, Query(max_length=20)]
) -> RequestsLookupPublic:
    """The hall's requests with this 查询码 (their public story only); 404 when none.
    At most 10 look-ups per kiosk and minute (429 with ``Retry-After``)."""
    try:
        digits = parse_query_code(code)
    except ValueError as exc:
        raise Invalid("invalid_query_code", str(exc), field="code") from None
    now = clock.now()

    def write(conn: Connection, _outbox: Outbox) -> RequestsLookupPublic:
        take_lookup(conn, kiosk.principal, now)
        found = store.by_query_code(conn, kiosk.hall_id, digits)
        return RequestsLookupPublic(requests=[public_view(conn, r) for r in found])

    answer = await runtime.write(write)
    if not answer.requests:
        raise NotFound(
            "unknown_query_code", "没有找到这个查询码的诉求，请核对回执上的 6 位数字", field="code"
        )
    return answer
