"""Halls and their content, for staff: list, read, publish, change a staff member's status."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.engine import Connection

from kiosk.core.content import ContentError, Snapshot, StaffStatus, parse_content
from kiosk.core.wire import HallsPublic, StaffStatusUpdate
from kiosk.server.api.deps import CurrentStaff, HallId, Runtime, StaffId, require_hall_access
from kiosk.server.api.responses import error_responses
from kiosk.server.content_store import publish_content, publish_staff_status, visible_halls
from kiosk.server.errors import ApiError
from kiosk.server.runtime import Outbox

router = APIRouter(tags=["halls"])

_ERRORS = error_responses(401, 403, 404, 422)
_JSON = "application/json"


@router.get("/halls", response_model=HallsPublic, responses=_ERRORS)
async def list_halls(staff: CurrentStaff, runtime: Runtime) -> HallsPublic:
    only = None if staff.is_admin else staff.hall_id
    return HallsPublic(halls=await runtime.db.read(lambda c: visible_halls(c, only)))


@router.get("/halls/{hall_id}/content", response_model=Snapshot, responses=_ERRORS)
async def hall_content(hall_id: HallId, staff: CurrentStaff, runtime: Runtime) -> Response:
    require_hall_access(staff, hall_id)
    hall = await runtime.halls.require(hall_id)
    if hall.snapshot is None:
        raise ApiError(404, "no_content", f"大厅 {hall_id} 还没有发布内容")
    return Response(hall.snapshot, media_type=_JSON, headers={"ETag": hall.etag or ""})


@router.put(
    "/halls/{hall_id}/content",
    response_model=Snapshot,
    responses=_ERRORS,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {_JSON: {"schema": {"$ref": "#/components/schemas/HallContent"}}},
        }
    },
)
async def put_content(
    hall_id: HallId, request: Request, staff: CurrentStaff, runtime: Runtime
) -> Response:
    """Validate, store as a new version, publish (event ``content``).

    A district admin may create a hall this way; hall staff only update their own.
    """
    require_hall_access(staff, hall_id)
    raw = await request.body()
    try:
        content = parse_content(raw)
    except ContentError as exc:
        field = exc.problems[0][0] if exc.problems else None
        raise ApiError(422, "invalid_content", str(exc), field=field or None) from None
    if content.hall.id != hall_id:
        raise ApiError(
            422,
            "invalid_content",
            f"hall.id（{content.hall.id}）与地址中的大厅 {hall_id} 不一致",
            field="hall.id",
        )
    actor = staff.principal

    def publish(conn: Connection, outbox: Outbox) -> Snapshot:
        snapshot, seq = publish_content(conn, content, actor, create=staff.is_admin)
        outbox.publication(hall_id, seq)
        return snapshot

    snapshot = await runtime.write(publish)
    hall = await runtime.halls.require(hall_id)
    return Response(
        snapshot.model_dump_json().encode(), media_type=_JSON, headers={"ETag": hall.etag or ""}
    )


@router.post("/halls/{hall_id}/staff/{staff_id}/status", response_model=Snapshot, responses=_ERRORS)
async def staff_status(
    hall_id: HallId,
    staff_id: StaffId,
    body: StaffStatusUpdate,
    staff: CurrentStaff,
    runtime: Runtime,
) -> Response:
    require_hall_access(staff, hall_id)
    actor = staff.principal

    def change(conn: Connection, outbox: Outbox) -> Snapshot:
        snapshot, seq = publish_staff_status(
            conn,
            hall_id,
            staff_id,
            StaffStatus(body.status),
            body.status_until,
            body.status_note,
            actor,
        )
        outbox.publication(hall_id, seq)
        return snapshot

    snapshot = await runtime.write(change)
    return Response(snapshot.model_dump_json().encode(), media_type=_JSON)
