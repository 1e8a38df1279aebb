"""Media by SHA-256: staff upload raw image bytes; kiosks and staff fetch them (immutable).

What is accepted and how it is served is :mod:`kiosk.server.media`'s (one check for
every way media comes in); this module is only the two API routes.
"""

from __future__ import annotations

import asyncio
import re

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from kiosk.core.media import MediaRefused
from kiosk.server.api.deps import CurrentKioskOrStaff, CurrentStaff, Runtime
from kiosk.server.api.responses import error_responses
from kiosk.server.errors import ApiError
from kiosk.server.media import check_media, media_response, read_media, store_media

router = APIRouter(tags=["media"])

_SHA = re.compile(r"^[0-9a-f]{64}$")


@router.post(
    "/media",
    status_code=201,
    responses=error_responses(401, 403, 404, 413, 415),
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}
            },
        }
    },
)
async def upload_media(request: Request, staff: CurrentStaff, runtime: Runtime) -> JSONResponse:
    """Raw image bytes (PNG, JPEG or WebP, at most 4 megapixels) → ``{"sha256": ...}``.

    The format is read from the bytes; the declared ``Content-Type`` is ignored."""
    data = await request.body()
    try:
        # Decoded in a worker thread, before and outside the database writer.
        await asyncio.to_thread(check_media, data)
    except MediaRefused as exc:
        raise ApiError(415, "unsupported_media", str(exc), field="body") from None
    digest, checked = await runtime.db.write(lambda c: store_media(c, data))
    return JSONResponse(
        {"sha256": digest, "mime": checked.mime, "size": checked.size}, status_code=201
    )


@router.get(
    "/media/{sha256}",
    response_class=Response,
    responses={**error_responses(401, 403, 404), 200: {"content": {"image/*": {}}}},
)
async def get_media(sha256: str, _who: CurrentKioskOrStaff, runtime: Runtime) -> Response:
    if not _SHA.match(sha256):
        raise ApiError(404, "unknown_media", "没有这个图片", field="sha256")
    found = await runtime.db.read(lambda c: read_media(c, sha256))
    if found is None:
        raise ApiError(404, "unknown_media", "没有这个图片（或文件未通过图片检查）", field="sha256")
    data, checked = found
    return media_response(
        data,
        checked,
        {"ETag": f'"{sha256}"', "Cache-Control": "public, max-age=31536000, immutable"},
    )
