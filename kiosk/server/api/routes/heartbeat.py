"""``POST /kiosk/heartbeat``: a kiosk reports its versions, backlog and last error."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from kiosk.core.wire import Heartbeat
from kiosk.server.api.deps import CurrentKiosk, Runtime
from kiosk.server.api.responses import error_responses
from kiosk.server.heartbeats import record_heartbeat

router = APIRouter(tags=["kiosk"])


@router.post(
    "/kiosk/heartbeat",
    status_code=204,
    response_class=Response,
    responses=error_responses(401, 403),
)
async def heartbeat(body: Heartbeat, kiosk: CurrentKiosk, runtime: Runtime) -> Response:
    report = body.model_dump(mode="json")
    await runtime.db.write(lambda c: record_heartbeat(c, kiosk.device_id, report))
    return Response(status_code=204)
