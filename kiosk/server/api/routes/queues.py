"""``GET /kiosk/queues``: today's waiting count per queue, the server's clock, the kiosk's no.

For the kiosk's ticket screen (people ahead while offline starts from the last count it
saw), its numbering (the clock offset and the fallback series ``A{kiosk_no}-001``) and the
hall display's waiting counts.
"""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy.engine import Connection

from kiosk.core.queueing import estimate_wait_minutes
from kiosk.core.tickets import service_day
from kiosk.core.wire import KioskQueuesPublic, QueueWaitingPublic
from kiosk.server.api.deps import CurrentKiosk, Runtime
from kiosk.server.api.responses import error_responses
from kiosk.server.db import utcnow

router = APIRouter(tags=["kiosk"])


@router.get(
    "/kiosk/queues",
    response_model=KioskQueuesPublic,
    responses=error_responses(401, 403),
)
async def kiosk_queues(kiosk: CurrentKiosk, runtime: Runtime) -> KioskQueuesPublic:
    """Every queue of the kiosk's hall with its waiting count and wait for a new ticket."""
    hall = await runtime.halls.require(kiosk.hall_id)
    now = utcnow()
    day = service_day(now, hall.zone)
    codes = [q.code for q in hall.content.queues] if hall.content is not None else []

    def read(conn: Connection) -> list[QueueWaitingPublic]:
        counts = runtime.view.waiting_by_queue(conn, kiosk.hall_id, day)
        out = []
        for code in codes:
            waiting = counts.get(code, 0)
            recent = runtime.view.recent_service_seconds(conn, kiosk.hall_id, code, day)
            wait = estimate_wait_minutes(
                waiting, recent, runtime.view.default_minutes, hall.windows_for(code)
            )
            out.append(QueueWaitingPublic(queue=code, waiting=waiting, estimated_wait_minutes=wait))
        return out

    queues = await runtime.db.read(read)
    return KioskQueuesPublic(
        time=now,
        service_day=day,
        kiosk_no=kiosk.kiosk_no,
        queues=queues,
        public_base_url=runtime.view.base_url,
    )
