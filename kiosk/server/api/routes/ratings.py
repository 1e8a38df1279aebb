"""好差评 from a counter's rating device: the window's card, and the rating itself
(``Idempotency-Key``); staff, service and window are taken from the ticket."""

from __future__ import annotations

import sqlalchemy as sa
from fastapi import APIRouter
from fastapi.responses import Response
from sqlalchemy.engine import Connection

from kiosk.core.wire import (
    RatingCardPublic,
    RatingCreate,
    RatingPublic,
    RatingStaffPublic,
    WindowStaffUpdate,
)
from kiosk.server import models as m
from kiosk.server import ratings
from kiosk.server.api.deps import CounterId, CurrentKiosk, CurrentStaff, IdempotencyKey, Runtime
from kiosk.server.api.responses import error_responses
from kiosk.server.db import utcnow
from kiosk.server.domain_errors import NotFound
from kiosk.server.runtime import Outbox

router = APIRouter(tags=["ratings"])

_ERRORS = error_responses(401, 403, 404, 409, 422)


@router.get(
    "/counters/{counter_id}/rating-card", response_model=RatingCardPublic, responses=_ERRORS
)
async def rating_card(
    counter_id: CounterId, kiosk: CurrentKiosk, runtime: Runtime
) -> RatingCardPublic:
    """What the window's rating device shows while idle: the window and who serves there."""
    card = await runtime.db.read(lambda c: ratings.rating_card(c, kiosk.hall_id, counter_id))
    hall = await runtime.halls.get(kiosk.hall_id)
    staff = None
    if card.staff_id is not None and hall is not None and hall.content is not None:
        member = next((s for s in hall.content.staff if s.id == card.staff_id), None)
        if member is not None:
            staff = RatingStaffPublic(
                id=member.id,
                name=member.name,
                post=member.post,
                photo=f"/api/v1/media/{member.photo}" if member.photo else None,
            )
    return RatingCardPublic(counter_id=card.counter_id, window=f"{card.window}号窗口", staff=staff)


@router.put("/counters/{counter_id}/rating-card", status_code=204, responses=_ERRORS)
async def assign_staff(
    counter_id: CounterId, body: WindowStaffUpdate, staff: CurrentStaff, runtime: Runtime
) -> Response:
    """Who sits at the window (``{"staff_id": "wang"}``; ``null``: nobody): the card's face."""

    def assign(conn: Connection, _outbox: Outbox) -> None:
        row = conn.execute(sa.select(m.counters).where(m.counters.c.id == counter_id)).first()
        if row is None:
            raise NotFound("unknown_counter", f"没有编号为 {counter_id} 的窗口", field="counter_id")
        hall = runtime.halls.get_sync(conn, row.hall_id)
        known = {s.id for s in hall.content.staff} if hall and hall.content else set()
        ratings.assign_window_staff(
            conn,
            counter_id=counter_id,
            staff_id=body.staff_id,
            known_staff=known,
            by=staff.username,
            may_manage=staff.may_manage(row.hall_id),
            at=utcnow(),
        )

    await runtime.write(assign)
    return Response(status_code=204)


@router.post(
    "/ratings",
    response_model=RatingPublic,
    status_code=201,
    responses={**_ERRORS, 200: {"model": RatingPublic, "description": "a replay: same key"}},
)
async def rate(
    body: RatingCreate, key: IdempotencyKey, kiosk: CurrentKiosk, runtime: Runtime
) -> Response:
    """A rating from the counter's device (201), or the same one again for a repeated key
    (200). ``level: null`` is 未评价 (nobody answered in 60 s); a 差评 needs a reason; a
    ticket rated already → 409."""

    def store(conn: Connection, _outbox: Outbox) -> ratings.Recorded:
        return ratings.record_from_device(
            conn,
            hall_id=kiosk.hall_id,
            device_id=kiosk.principal,
            idempotency_key=key,
            ticket_id=body.ticket_id,
            counter_id=body.counter_id,
            level=body.level,
            reasons=list(body.reasons),
            phone=body.phone,
            asked_at=body.asked_at,
            answered_at=body.answered_at,
            settings=runtime.settings,
        )

    recorded = await runtime.write(store)
    return Response(
        recorded.rating.public().model_dump_json().encode(),
        status_code=201 if recorded.created else 200,
        media_type="application/json",
    )
