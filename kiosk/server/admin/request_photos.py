"""A request's photos on its staff page (诉求照片): attach several at once (a phone's
camera too), open one (recorded in the audit log, like a view of the request), and mark
one 公开 so the resident's phone page shows it (e.g. the mended lamp) — or internal again.

The check and clean-up are the content editor's (:mod:`kiosk.server.requests.photos`).
"""

from __future__ import annotations

import asyncio

from fastapi import APIRouter
from fastapi.responses import Response
from sqlalchemy.engine import Connection
from starlette.datastructures import UploadFile

from kiosk.core import clock
from kiosk.core.values import RowId
from kiosk.server.admin.drafts import audit
from kiosk.server.admin.request_detail import _mine, actor_of
from kiosk.server.admin.web import (
    AdminPageError,
    BackWithMessage,
    CurrentSession,
    PostedForm,
    Runtime,
    redirect,
    write_or_back,
)
from kiosk.server.domain_errors import NotFound
from kiosk.server.media import media_response
from kiosk.server.requests import photos as photo_store
from kiosk.server.runtime import Outbox

__all__ = ["router"]

router = APIRouter()


def _clean_all(sent: list[bytes]) -> list[photo_store.CleanPhoto] | str:
    """The photos cleaned, or why not (naming which one when several were sent)."""
    out = []
    for n, data in enumerate(sent, 1):
        try:
            out.append(photo_store.clean_photo(data))
        except photo_store.PhotoRefused as exc:
            which = f"第 {n} 张：" if len(sent) > 1 else ""
            return f"照片未上传：{which}{exc.message}"
    return out


@router.post("/requests/{request_id}/photos", name="request_photos_add")
async def add_photos(runtime: Runtime, request_id: str, post: PostedForm) -> Response:
    back = f"/admin/requests/{request_id}#photos"
    # Whose request, before anything sent is looked at (another hall's staff: 403).
    await runtime.db.read(lambda c: _mine(c, request_id, post.session))
    files = [f for f in post.form.getlist("photos") if isinstance(f, UploadFile)]
    sent = [await f.read(photo_store.PHOTO_UPLOAD_BYTES + 1) for f in files]
    sent = [data for data in sent if data]  # an empty file input sends one empty part
    if not sent:
        return redirect(back, "没有收到照片，请选择或拍摄照片")
    cleaned = await asyncio.to_thread(_clean_all, sent)  # decoded outside the writer
    if isinstance(cleaned, str):
        return redirect(back, cleaned)
    actor = actor_of(post.session)
    public = post.text("public") == "1"
    now = clock.now()

    def run(conn: Connection, outbox: Outbox) -> int:
        _mine(conn, request_id, post.session)
        for clean in cleaned:
            photo_store.add_photo(
                conn, request_id, data=clean, actor=actor, at=now, public=public, outbox=outbox
            )
        return len(photo_store.photos(conn, request_id))

    total = await write_or_back(runtime, run, back=back, refused="照片未上传：")
    seen = "（居民可见）" if public else "（仅工作人员可见）"
    return redirect(back, f"已添加 {len(cleaned)} 张照片{seen}，共 {total} 张")


@router.get("/requests/{request_id}/photos/{photo_id}", name="request_photo")
async def photo(
    runtime: Runtime, request_id: str, photo_id: RowId, session: CurrentSession
) -> Response:
    """One photo, for this hall's staff and district admins only (each look is audited)."""

    def read(conn: Connection, _outbox: Outbox) -> Response:
        record = _mine(conn, request_id, session)
        try:
            data, checked = photo_store.photo_bytes(conn, request_id, photo_id)
        except NotFound:
            raise AdminPageError(404, "没有这张照片") from None
        audit(
            conn,
            session,
            "request_photo",
            record.hall_id,
            target=record.id,
            detail=f"{record.number} #{photo_id}",
        )
        return media_response(data, checked, {"Cache-Control": "private, max-age=600"})

    return await runtime.write(read)


@router.post("/requests/{request_id}/photos/{photo_id}/public", name="request_photo_public")
async def photo_public(
    runtime: Runtime, request_id: str, photo_id: RowId, post: PostedForm
) -> Response:
    back = f"/admin/requests/{request_id}#photos"
    public = post.text("public") == "1"

    def run(conn: Connection, _outbox: Outbox) -> None:
        record = _mine(conn, request_id, post.session)
        try:
            photo_store.set_public(conn, request_id, photo_id, public=public)
        except NotFound:
            raise BackWithMessage(back, "没有这张照片") from None
        word = "photo_public" if public else "photo_internal"
        audit(conn, post.session, f"request_{word}", record.hall_id, target=record.id)

    await write_or_back(runtime, run, back=back, refused="未能更改：")
    return redirect(back, "照片已公开（居民手机页可见）" if public else "照片已改为仅内部可见")
