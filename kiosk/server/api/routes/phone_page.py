"""``GET /t/{public_id}``: the resident's phone page for one ticket (plain HTML, Chinese).

Once the ticket is 办结 the page offers the rating (好差评) for 3 days, once
(``POST /t/{public_id}/rating``, :mod:`kiosk.server.api.routes.phone_rating`)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from sqlalchemy.engine import Connection

from kiosk.core.content import CATEGORY_NAMES
from kiosk.core.wire import API_PREFIX, PUBLIC_ID_PATTERN, TicketPublic
from kiosk.server.api.deps import PUBLIC_ID, Runtime
from kiosk.server.api.routes.phone_rating import rating_context

router = APIRouter(tags=["phone page"])
#: The shape of an id a kiosk mints: one not known yet may still be on its way.
_MINTED = re.compile(PUBLIC_ID_PATTERN)
templates = Jinja2Templates(directory=str(Path(__file__).resolve().parents[2] / "templates"))

_STATE_TEXT = {
    "waiting": "等候中",
    "called": "请到窗口办理",
    "serving": "正在办理",
    "done": "已办结",
    "no_show": "已过号",
    "cancelled": "已取消",
}


def _queue_name(hall: Any, code: str) -> str:
    queue = hall.queue(code) if hall is not None and hall.content is not None else None
    if queue is None:
        return ""
    return str(queue.name or CATEGORY_NAMES.get(queue.category, ""))


@router.get("/t/{public_id}", response_class=HTMLResponse, include_in_schema=False)
async def phone_page(public_id: str, request: Request, runtime: Runtime) -> HTMLResponse:
    """The ticket's page; for an id that is well formed but not (yet) known, a page that
    says the ticket may still be on its way from the hall's kiosk, and looks again."""
    return await ticket_page(public_id, request, runtime)


async def ticket_page(
    public_id: str,
    request: Request,
    runtime: Runtime,
    *,
    rating_error: str = "",
    chosen: dict[str, Any] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    """The page itself (also the answer to a rating form, with its refusal if any)."""
    ticket = None
    move = None
    if PUBLIC_ID.match(public_id):

        def read(conn: Connection) -> tuple[TicketPublic | None, tuple[str, str] | None]:
            found = runtime.view.by_public_id(conn, public_id)
            return found, (runtime.view.last_move(conn, public_id) if found else None)

        ticket, move = await runtime.db.read(read)
    rating = None
    if ticket is not None:
        rating = await rating_context(request, runtime, public_id, rating_error, chosen)
    if ticket is None:
        return templates.TemplateResponse(
            request,
            "ticket_missing.html",
            {
                "public_id": public_id,
                "well_formed": bool(_MINTED.match(public_id)),
                "json_url": f"{API_PREFIX}/public/tickets/{public_id}",
            },
            status_code=404,
            headers={"Cache-Control": "no-store"},
        )
    hall = await runtime.halls.get(ticket.hall_id)
    service_name = ""
    hall_name = hall.name if hall is not None else ticket.hall_id
    if hall is not None and hall.content is not None and ticket.service_id:
        service = hall.content.service(ticket.service_id)
        service_name = service.name if service is not None else ""
    final = ticket.state.value in ("done", "no_show", "cancelled")
    moved = None
    if move is not None and not final:
        moved = {
            "from": move[0],
            "from_name": _queue_name(hall, move[0]),
            "to": move[1],
            "to_name": _queue_name(hall, move[1]),
        }
    return templates.TemplateResponse(
        request,
        "ticket.html",
        {
            "ticket": ticket,
            "hall_name": hall_name,
            "queue_name": _queue_name(hall, ticket.queue),
            "service_name": service_name,
            "state_text": _STATE_TEXT.get(ticket.state.value, ""),
            "final": final,
            "moved": moved,
            "json_url": f"{API_PREFIX}/public/tickets/{public_id}",
            "rating": rating,
        },
        status_code=status_code,
        headers={"Cache-Control": "no-store"},
    )
