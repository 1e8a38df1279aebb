"""办理公开: a hall's month of requests for the kiosk's public board (no personal data),
with the hall's 好差评 of the month (好评率, 差评 called back on time / all): the request
store's figures and :func:`kiosk.server.ratings.public_summary`, read together here."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy.engine import Connection

from kiosk.core import clock
from kiosk.core.clock import HALL_TZ
from kiosk.core.wire import PublicFigures, RatingFigures
from kiosk.server import ratings
from kiosk.server import requests as store
from kiosk.server.api.deps import CurrentKioskOrStaff, Runtime
from kiosk.server.api.responses import error_responses
from kiosk.server.requests.actors import hall_of
from kiosk.server.settings import ServerSettings

__all__ = ["board_figures", "router"]

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
    chosen = month

    def read(conn: Connection) -> PublicFigures:
        return board_figures(conn, hall_id, chosen, runtime.settings)

    return await runtime.db.read(read)


def board_figures(
    conn: Connection, hall_id: str, month: str, settings: ServerSettings | None = None
) -> PublicFigures:
    """The request store's month with ``ratings`` filled from the 好差评 figures (the
    store does not import the ratings package)."""
    figures = store.public_figures(conn, hall_id, month)
    policy = ratings.policy_of(settings) if settings is not None else None
    summary = ratings.public_summary(conn, hall_id, month, policy=policy)
    return figures.model_copy(update={"ratings": RatingFigures.model_validate(summary)})
