"""``/kiosk/care/*``: a kiosk takes the fleet page's remote-care commands and answers them
(its screenshot, its recent log lines, "restarting now"). The rules are in
:mod:`kiosk.server.kiosk_care`; images are checked by :mod:`kiosk.server.media`'s one check.
"""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request
from fastapi.responses import Response

from kiosk.core.media import MediaRefused
from kiosk.core.wire import CareCommandsPublic, CareLogCreate
from kiosk.server.api.deps import CurrentKiosk, Runtime
from kiosk.server.api.responses import error_responses
from kiosk.server.errors import ApiError
from kiosk.server.kiosk_care import (
    MAX_SCREENSHOT_BYTES,
    has_commands,
    note_restart,
    store_logs,
    store_screenshot,
    take_commands,
)
from kiosk.server.media import check_media

router = APIRouter(tags=["kiosk"])

_ERRORS = error_responses(401, 403)


@router.get("/kiosk/care/commands", response_model=CareCommandsPublic, responses=_ERRORS)
async def care_commands(kiosk: CurrentKiosk, runtime: Runtime) -> CareCommandsPublic:
    """The commands waiting for this kiosk; each is handed out once (then gone)."""
    if not await runtime.db.read(lambda c: has_commands(c, kiosk.device_id)):
        return CareCommandsPublic(commands=[])
    commands = await runtime.db.write(lambda c: take_commands(c, kiosk.device_id))
    return CareCommandsPublic(commands=commands)


@router.post(
    "/kiosk/care/screenshot",
    status_code=204,
    response_class=Response,
    responses=error_responses(401, 403, 413, 415),
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"image/jpeg": {"schema": {"type": "string", "format": "binary"}}},
        }
    },
)
async def care_screenshot(request: Request, kiosk: CurrentKiosk, runtime: Runtime) -> Response:
    """What the kiosk shows now: raw PNG or JPEG bytes, at most 400 KB (the latest kept)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_SCREENSHOT_BYTES:
        raise ApiError(413, "too_large", _too_large(int(declared)), field="body")
    data = await request.body()
    if len(data) > MAX_SCREENSHOT_BYTES:
        raise ApiError(413, "too_large", _too_large(len(data)), field="body")
    try:
        checked = await asyncio.to_thread(check_media, data)
    except MediaRefused as exc:
        message = f"截图不是可用的图片：{exc}"
        raise ApiError(415, "unsupported_media", message, field="body") from None
    await runtime.db.write(lambda c: store_screenshot(c, kiosk.device_id, data, checked.mime))
    return Response(status_code=204)


def _too_large(size: int) -> str:
    return f"截图太大（{size // 1000} KB），最大 {MAX_SCREENSHOT_BYTES // 1000} KB"


@router.post("/kiosk/care/logs", status_code=204, response_class=Response, responses=_ERRORS)
async def care_logs(body: CareLogCreate, kiosk: CurrentKiosk, runtime: Runtime) -> Response:
    """The kiosk's recent log lines, oldest first (the latest set kept)."""
    await runtime.db.write(lambda c: store_logs(c, kiosk.device_id, body.lines))
    return Response(status_code=204)


@router.post("/kiosk/care/restart", status_code=204, response_class=Response, responses=_ERRORS)
async def care_restart(kiosk: CurrentKiosk, runtime: Runtime) -> Response:
    """The kiosk acknowledges a restart command and exits next (systemd starts it again)."""
    await runtime.db.write(lambda c: note_restart(c, kiosk.device_id))
    return Response(status_code=204)
