"""``GET /t/{public_id}``: the resident's phone page for one ticket (plain HTML, Chinese)."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from kiosk.core.content import CATEGORY_NAMES
from kiosk.server.api.deps import PUBLIC_ID, Runtime

router = APIRouter(tags=["phone page"])
templates = Jinja2Templates(directory=str(Path(__file__).resolve().parents[2] / "templates"))

_STATE_TEXT = {
    "waiting": "等候中",
    "called": "请到窗口办理",
    "serving": "正在办理",
    "done": "已办结",
    "no_show": "已过号",
    "cancelled": "已取消",
}


@router.get("/t/{public_id}", response_class=HTMLResponse, include_in_schema=False)
async def phone_page(public_id: str, request: Request, runtime: Runtime) -> HTMLResponse:
    ticket = None
    if PUBLIC_ID.match(public_id):
        ticket = await runtime.db.read(lambda c: runtime.view.by_public_id(c, public_id))
    if ticket is None:
        return templates.TemplateResponse(
            request, "ticket_missing.html", {"public_id": public_id}, status_code=404
        )
    hall = await runtime.halls.get(ticket.hall_id)
    queue_name = ""
    service_name = ""
    hall_name = hall.name if hall is not None else ticket.hall_id
    if hall is not None and hall.content is not None:
        queue = hall.queue(ticket.queue)
        if queue is not None:
            queue_name = queue.name or CATEGORY_NAMES.get(queue.category, "")
        if ticket.service_id:
            service = next((s for s in hall.content.services if s.id == ticket.service_id), None)
            service_name = service.name if service is not None else ""
    return templates.TemplateResponse(
        request,
        "ticket.html",
        {
            "ticket": ticket,
            "hall_name": hall_name,
            "queue_name": queue_name,
            "service_name": service_name,
            "state_text": _STATE_TEXT.get(ticket.state.value, ""),
            "final": ticket.state.value in ("done", "no_show", "cancelled"),
        },
        headers={"Cache-Control": "no-store"},
    )
