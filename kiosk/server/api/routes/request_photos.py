"""A request's photos for staff: attach (multipart or raw image bytes), list, fetch (audited),
mark public. The check is the content editor's (:func:`kiosk.server.requests.photos.clean_photo`).
Hall staff reach their hall's requests; the district admin every hall."""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict
from sqlalchemy.engine import Connection
from starlette.datastructures import UploadFile

from kiosk.core import clock
from kiosk.core.values import Flag, RowId
from kiosk.core.wire import API_PREFIX, Timestamp
from kiosk.server import models as m
from kiosk.server import requests as store
from kiosk.server.api.deps import CurrentStaff, Runtime
from kiosk.server.api.responses import error_responses
from kiosk.server.auth import StaffPrincipal
from kiosk.server.db import utcnow
from kiosk.server.domain_errors import Forbidden
from kiosk.server.errors import ApiError
from kiosk.server.media import media_response
from kiosk.server.requests import photos as photo_store
from kiosk.server.requests.actors import staff_actor
from kiosk.server.runtime import Outbox

__all__ = ["router"]

router = APIRouter(tags=["requests (staff)"])

RequestId = Annotated[str, Path(pattern=r"^[A-Za-z0-9_-]{8,32}$")]


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RequestPhotoPublic(_Out):
    id: int
    mime: str
    public: bool
    created_at: Timestamp
    url: str


class RequestPhotosPublic(_Out):
    photos: list[RequestPhotoPublic]
    max_photos: int


class PhotoVisibility(_Out):
    public: Flag


def _mine(conn: Connection, staff: StaffPrincipal, request_id: str) -> store.RequestRecord:
    record = store.get(conn, request_id)
    if not staff.may_manage(record.hall_id):
        raise Forbidden("forbidden", "没有处理其他大厅诉求的权限")
    return record


def _listing(conn: Connection, request_id: str) -> RequestPhotosPublic:
    return RequestPhotosPublic(
        photos=[
            RequestPhotoPublic(
                id=p.id,
                mime=p.mime,
                public=p.public,
                created_at=p.created_at,
                url=f"{API_PREFIX}/requests/{request_id}/photos/{p.id}",
            )
            for p in photo_store.photos(conn, request_id)
        ],
        max_photos=photo_store.MAX_PHOTOS,
    )


async def _uploads(request: Request) -> list[bytes]:
    """The photos sent: every file of a multipart form, or the raw body as one image."""
    kind = request.headers.get("content-type", "")
    if not kind.lower().startswith("multipart/form-data"):
        return [await request.body()]
    try:
        form = await request.form(max_files=photo_store.MAX_PHOTOS, max_fields=20)
    except Exception:  # malformed multipart, too many files
        raise ApiError(
            422,
            "invalid_upload",
            f"上传的表单无法识别（一次最多 {photo_store.MAX_PHOTOS} 张照片）",
            field="body",
        ) from None
    files = [v for _k, v in form.multi_items() if isinstance(v, UploadFile)]
    return [await f.read(photo_store.PHOTO_UPLOAD_BYTES + 1) for f in files]


def _cleaned(sent: list[bytes]) -> list[photo_store.CleanPhoto]:
    if not sent or not any(sent):
        raise ApiError(422, "no_photo", "没有收到照片，请选择一张图片", field="body")
    out = []
    for n, data in enumerate(sent, 1):
        which = f"第 {n} 张照片：" if len(sent) > 1 else ""
        try:
            out.append(photo_store.clean_photo(data))
        except photo_store.PhotoRefused as exc:
            status = 413 if exc.too_large else 415
            raise ApiError(status, exc.code, which + exc.message, field="body") from None
    return out


@router.post(
    "/requests/{request_id}/photos",
    response_model=RequestPhotosPublic,
    status_code=201,
    responses=error_responses(401, 403, 404, 413, 415, 422),
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "properties": {
                            "photo": {
                                "type": "array",
                                "items": {"type": "string", "format": "binary"},
                            }
                        },
                    }
                },
            },
        }
    },
)
async def add_photos(
    request: Request,
    request_id: RequestId,
    staff: CurrentStaff,
    runtime: Runtime,
    public: Annotated[bool, Query()] = False,
) -> RequestPhotosPublic:
    """Attach photos (PNG, JPEG or WebP; the type is read from the bytes): re-encoded
    without EXIF/GPS, at most 9 a request. Internal unless ``public=true``."""
    # Whose request first: another hall's staff get 403 without making us decode anything.
    await runtime.db.read(lambda c: _mine(c, staff, request_id))
    sent = await _uploads(request)
    cleaned = await asyncio.to_thread(_cleaned, sent)  # decoded outside the writer
    now = clock.now()

    def write(conn: Connection, outbox: Outbox) -> RequestPhotosPublic:
        _mine(conn, staff, request_id)
        for clean in cleaned:
            photo_store.add_photo(
                conn,
                request_id,
                data=clean,
                actor=staff_actor(staff),
                at=now,
                public=public,
                outbox=outbox,
            )
        return _listing(conn, request_id)

    return await runtime.write(write)


@router.get(
    "/requests/{request_id}/photos",
    response_model=RequestPhotosPublic,
    responses=error_responses(401, 403, 404),
)
async def list_photos(
    request_id: RequestId, staff: CurrentStaff, runtime: Runtime
) -> RequestPhotosPublic:
    def read(conn: Connection) -> RequestPhotosPublic:
        _mine(conn, staff, request_id)
        return _listing(conn, request_id)

    return await runtime.db.read(read)


@router.get(
    "/requests/{request_id}/photos/{photo_id}",
    response_class=Response,
    responses={**error_responses(401, 403, 404), 200: {"content": {"image/*": {}}}},
)
async def get_photo(
    request_id: RequestId, photo_id: RowId, staff: CurrentStaff, runtime: Runtime
) -> Response:
    """The photo itself (recorded in the audit log, as a view of the request is)."""

    def write(conn: Connection, _outbox: Outbox) -> Response:
        record = _mine(conn, staff, request_id)
        data, checked = photo_store.photo_bytes(conn, request_id, photo_id)
        _audit(conn, staff, record, photo_id)
        return media_response(data, checked, {"Cache-Control": "private, no-store"})

    return await runtime.write(write)


@router.put(
    "/requests/{request_id}/photos/{photo_id}/public",
    response_model=RequestPhotosPublic,
    responses=error_responses(401, 403, 404, 422),
)
async def set_photo_public(
    request_id: RequestId,
    photo_id: RowId,
    body: PhotoVisibility,
    staff: CurrentStaff,
    runtime: Runtime,
) -> RequestPhotosPublic:
    """Show the photo on the resident's phone page (``true``) or keep it internal."""

    def write(conn: Connection, _outbox: Outbox) -> RequestPhotosPublic:
        _mine(conn, staff, request_id)
        photo_store.set_public(conn, request_id, photo_id, public=body.public)
        return _listing(conn, request_id)

    return await runtime.write(write)


def _audit(
    conn: Connection, staff: StaffPrincipal, record: store.RequestRecord, photo_id: int
) -> None:
    conn.execute(
        m.admin_audit.insert().values(
            at=utcnow(),
            username=staff.username,
            hall_id=record.hall_id,
            action="request_photo",
            target=f"{record.number} {record.id} #{photo_id}",
        )
    )
