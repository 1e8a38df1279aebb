"""办理公开: a hall's month of requests for the kiosk's public board (no personal data)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from kiosk.core import clock
from kiosk.core.clock import HALL_TZ
from kiosk.core.wire import PublicFigures
from kiosk.server import requests as store
from kiosk.server.api.deps import CurrentKioskOrStaff, Runtime
from kiosk.server.api.responses import error_responses
from kiosk.server.requests.actors import hall_of

__all__ = ["router"]

router = APIRouter(tags=["requests"])


@router.get(
    "/requests/public-board",
    response_model=PublicFigures,
    responses=error_responses(401, 403, 422),
)
async def public_board(
    who: CurrentKioskOrStaff,
    runtime: Runtime,
    month: Annotated[str | None, Query(pattern=r"^[0-9]{4}-[0-9]{2}$")] = None,
) -> PublicFigures:
    """办理公开: this month's figures of the hall (or ``month=2026-11``)."""
    hall_id = hall_of(who)
    month = month or clock.now().astimezone(HALL_TZ).strftime("%Y-%m")
    return await runtime.db.read(lambda c: store.public_figures(c, hall_id, month))
