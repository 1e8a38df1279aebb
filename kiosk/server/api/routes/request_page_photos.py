"""``/r/{id}/photos/{photo_id}``: a request's photo on the resident's phone page — only a
photo staff marked public (公开); every other photo is 404 here, as if it did not exist."""

from __future__ import annotations

import re

from fastapi import APIRouter
from fastapi.responses import PlainTextResponse, Response
from sqlalchemy.engine import Connection

from kiosk.core.values import INT64_MAX
from kiosk.server.api.deps import Runtime
from kiosk.server.domain_errors import NotFound
from kiosk.server.media import media_response
from kiosk.server.requests import photos as photo_store

__all__ = ["router"]

router = APIRouter(tags=["phone page"])
_ID = re.compile(r"^[A-Za-z0-9_-]{8,32}$")


@router.get("/r/{request_id}/photos/{photo_id}", include_in_schema=False)
async def public_photo(request_id: str, photo_id: str, runtime: Runtime) -> Response:
    def read(conn: Connection) -> Response | None:
        if not _ID.match(request_id) or not (photo_id.isascii() and photo_id.isdigit()):
            return None
        number = int(photo_id)
        if not 1 <= number <= INT64_MAX:
            return None
        try:
            if not photo_store.photo(conn, request_id, number).public:
                return None
            data, checked = photo_store.photo_bytes(conn, request_id, number)
        except NotFound:
            return None
        return media_response(data, checked, {"Cache-Control": "no-store"})

    found = await runtime.db.read(read)
    if found is None:
        return PlainTextResponse("没有这张照片", status_code=404)
    return found
