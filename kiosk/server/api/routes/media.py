"""Media by SHA-256: staff upload raw image bytes; kiosks and staff fetch them (immutable)."""

from __future__ import annotations

import hashlib
import re

import sqlalchemy as sa
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from kiosk.core.wire import ErrorPublic
from kiosk.server import models as m
from kiosk.server.api.deps import CurrentKioskOrStaff, CurrentStaff, Runtime
from kiosk.server.db import utcnow
from kiosk.server.errors import ApiError

router = APIRouter(tags=["media"])

_SHA = re.compile(r"^[0-9a-f]{64}$")
_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
)
_ERRORS: dict[int | str, dict[str, object]] = {
    401: {"model": ErrorPublic},
    403: {"model": ErrorPublic},
    404: {"model": ErrorPublic},
}


def sniff_image(data: bytes) -> str | None:
    """The MIME type of a PNG, JPEG, GIF, WebP or SVG image; None for anything else."""
    for magic, mime in _SIGNATURES:
        if data.startswith(magic):
            return mime
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    head = data[:512].lstrip().lower()
    if head.startswith(b"<svg") or (head.startswith(b"<?xml") and b"<svg" in head):
        return "image/svg+xml"
    return None


def store_media(conn: Connection, data: bytes, mime: str) -> str:
    digest = hashlib.sha256(data).hexdigest()
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    conn.execute(
        dialect.insert(m.media)
        .values(sha256=digest, mime=mime, size=len(data), data=data, created_at=utcnow())
        .on_conflict_do_nothing(index_elements=[m.media.c.sha256])
    )
    return digest


@router.post(
    "/media",
    status_code=201,
    responses={**_ERRORS, 413: {"model": ErrorPublic}, 415: {"model": ErrorPublic}},
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
    """Raw image bytes (PNG, JPEG, GIF, WebP, SVG) → ``{"sha256": ...}``."""
    data = await request.body()
    mime = sniff_image(data)
    if mime is None:
        raise ApiError(
            415, "unsupported_media", "只能上传 PNG、JPEG、GIF、WebP 或 SVG 图片", field="body"
        )
    digest = await runtime.db.write(lambda c: store_media(c, data, mime))
    return JSONResponse({"sha256": digest, "mime": mime, "size": len(data)}, status_code=201)


@router.get(
    "/media/{sha256}",
    response_class=Response,
    responses={**_ERRORS, 200: {"content": {"image/*": {}}}},
)
async def get_media(sha256: str, _who: CurrentKioskOrStaff, runtime: Runtime) -> Response:
    if not _SHA.match(sha256):
        raise ApiError(404, "unknown_media", "没有这个图片", field="sha256")
    row = await runtime.db.read(
        lambda c: c.execute(
            sa.select(m.media.c.mime, m.media.c.data).where(m.media.c.sha256 == sha256)
        ).first()
    )
    if row is None:
        raise ApiError(404, "unknown_media", "没有这个图片", field="sha256")
    return Response(
        bytes(row.data),
        media_type=row.mime,
        headers={
            "ETag": f'"{sha256}"',
            "Cache-Control": "public, max-age=31536000, immutable",
        },
    )
