"""The v1 API router: every resource module's routes under ``/api/v1``."""

from __future__ import annotations

from fastapi import APIRouter

from kiosk.core.wire import API_PREFIX
from kiosk.server.api.routes import (
    auth,
    counters,
    events,
    halls,
    health,
    heartbeat,
    kiosk_care,
    kiosk_content,
    leases,
    media,
    queues,
    ratings,
    request_board,
    request_photos,
    requests,
    staff_requests,
    tickets,
)

__all__ = ["api_router"]

api_router = APIRouter(prefix=API_PREFIX)
for module in (
    health,
    auth,
    halls,
    media,
    kiosk_content,
    leases,
    queues,
    tickets,
    events,
    heartbeat,
    kiosk_care,
    counters,
    requests,  # before staff_requests: /requests/lookup is not a request id
    request_board,
    staff_requests,
    request_photos,
    ratings,
):
    api_router.include_router(module.router)
