"""``GET /kiosk/content``: the kiosk's hall snapshot, served as stored bytes, with ETag/304."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from kiosk.core.content import Snapshot
from kiosk.server.api.deps import CurrentKiosk, Runtime
from kiosk.server.api.responses import error_responses
from kiosk.server.content_store import newer_than_cached
from kiosk.server.errors import ApiError

router = APIRouter(tags=["kiosk"])


@router.get(
    "/kiosk/content",
    response_model=Snapshot,
    responses={
        304: {"description": "Not modified: the kiosk already has this version"},
        **error_responses(401, 403, 404),
    },
)
async def kiosk_content(request: Request, kiosk: CurrentKiosk, runtime: Runtime) -> Response:
    await runtime.catch_up()
    hall = await runtime.halls.require(kiosk.hall_id)
    wanted = request.headers.get("if-none-match")
    if wanted is not None and newer_than_cached(wanted, hall):
        runtime.halls.forget(kiosk.hall_id)
        hall = await runtime.halls.require(kiosk.hall_id)
    if hall.snapshot is None or hall.etag is None:
        raise ApiError(404, "no_content", "本大厅还没有发布内容")
    headers = {"ETag": hall.etag, "Cache-Control": "no-cache"}
    if wanted is not None and hall.etag in (t.strip() for t in wanted.split(",")):
        return Response(status_code=304, headers=headers)
    return Response(hall.snapshot, media_type="application/json", headers=headers)
