"""``GET /kiosk/events``: the long-poll for calls, ticket changes, content and staff status."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response

from kiosk.core.values import Position
from kiosk.core.wire import EventsPublic
from kiosk.server.api.deps import CurrentKiosk, Runtime
from kiosk.server.api.responses import error_responses
from kiosk.server.events import newest_event_seq

router = APIRouter(tags=["kiosk"])


@router.get(
    "/kiosk/events",
    response_model=EventsPublic,
    responses=error_responses(401, 403),
)
async def kiosk_events(
    kiosk: CurrentKiosk,
    runtime: Runtime,
    after: Annotated[Position, Query(description="the last seq the kiosk has seen")] = 0,
    wait: float = Query(0, ge=0, le=30, description="seconds to wait when there is nothing"),
) -> Response:
    """Events of the kiosk's hall with seq > ``after``, in seq order (at-least-once).

    Answers at once when there are some, else after the first one arrives or ``wait``
    seconds. If ``after`` lies beyond the newest event (the server's database was
    replaced), ``last_seq`` comes back lower than ``after``: start again from it.
    """
    hall_id = kiosk.hall_id
    found = await runtime.hub.shared_read(hall_id, after)
    if found is None and wait > 0:
        wait = min(wait, runtime.settings.long_poll_max_seconds)
        if await runtime.hub.wait_for(hall_id, after, wait):
            found = await runtime.hub.shared_read(hall_id, after)
    if found is not None:
        return Response(found, media_type="application/json")
    last = after
    if after > runtime.hub.last_seq:
        newest = await runtime.db.read(newest_event_seq)
        last = min(after, newest)
    return Response(
        EventsPublic(events=[], last_seq=last).model_dump_json().encode(),
        media_type="application/json",
    )
