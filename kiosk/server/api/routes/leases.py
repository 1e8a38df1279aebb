"""``POST /kiosk/leases``: a block of numbers a kiosk may hand out while offline."""

from __future__ import annotations

from fastapi import APIRouter

from kiosk.core.tickets import service_day
from kiosk.core.wire import LeaseCreate, LeasePublic
from kiosk.server.api.deps import CurrentKiosk, Runtime
from kiosk.server.api.responses import error_responses
from kiosk.server.db import utcnow
from kiosk.server.errors import ApiError
from kiosk.server.numbering import grant_lease

router = APIRouter(tags=["kiosk"])


@router.post(
    "/kiosk/leases",
    response_model=LeasePublic,
    status_code=201,
    responses=error_responses(401, 403, 409, 422, 429),
)
async def create_lease(body: LeaseCreate, kiosk: CurrentKiosk, runtime: Runtime) -> LeasePublic:
    """Reserve ``count`` numbers of today's counter of ``queue`` for this kiosk alone
    (fewer when its daily allowance runs out; ``429 kiosk_quota`` when it has)."""
    hall = await runtime.halls.require(kiosk.hall_id)
    if hall.queue(body.queue) is None:
        raise ApiError(422, "unknown_queue", f"本大厅没有 {body.queue} 队列", field="queue")
    day = service_day(utcnow(), hall.zone)
    granted = await runtime.db.write(
        lambda c: grant_lease(c, kiosk, body.queue, day, body.count, runtime.quota)
    )
    if granted is None:  # the refusal is counted (fleet page): raised after the commit
        raise runtime.quota.allowance_spent(body.queue)
    lease_id, first, last = granted
    return LeasePublic(lease_id=lease_id, queue=body.queue, service_day=day, start=first, end=last)
