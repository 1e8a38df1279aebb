"""A request's photos (诉求照片): what staff attach, checked and cleaned before it is kept.

Every photo goes through the content editor's path: :func:`kiosk.core.media.shrink_photo`
(type by content, size and pixel limits, turned upright, scaled, re-encoded with no EXIF,
GPS or other metadata — a photo of a resident's home must not tell where it is) and then
:func:`kiosk.server.media.store_media` (the ``media`` row by SHA-256). A ``request_media``
row (kind ``photo``) ties it to the request; a photo is internal unless marked public.

Routes decode in a worker thread with :func:`clean_photo` and hand the result to
:func:`add_photo`, so the database writer never decodes an image.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from kiosk.core.media import CheckedImage, MediaRefused, shrink_photo
from kiosk.core.service_requests import Action, Actor, RequestEvent
from kiosk.core.wire import EventType
from kiosk.server import models as m
from kiosk.server.db import as_utc
from kiosk.server.domain_errors import Invalid, NotFound
from kiosk.server.events import record_event
from kiosk.server.media import read_media, store_media
from kiosk.server.requests.store import PHOTO, EventSink, event_data, get, insert_event

__all__ = [
    "MAX_PHOTOS",
    "PHOTO_UPLOAD_BYTES",
    "CleanPhoto",
    "PhotoRefused",
    "RequestPhoto",
    "add_photo",
    "clean_photo",
    "photo",
    "photo_bytes",
    "photos",
    "set_public",
]

MAX_PHOTOS = 9
"""Photos one request may carry."""

PHOTO_UPLOAD_BYTES = 5_000_000
"""Largest camera photo taken (the server's body limit); kept only shrunk and cleaned."""


class PhotoRefused(Invalid):
    """Not a photo we keep: ``too_large`` says whether it was the size (413) or not (415)."""

    def __init__(self, message: str, *, too_large: bool) -> None:
        super().__init__("photo_too_large" if too_large else "unsupported_photo", message)
        self.too_large = too_large


@dataclass(frozen=True, slots=True)
class CleanPhoto:
    """A photo after :func:`clean_photo`: new bytes with no metadata, and their verdict."""

    data: bytes
    checked: CheckedImage


@dataclass(frozen=True, slots=True)
class RequestPhoto:
    """One photo of a request (its bytes are read with :func:`photo_bytes`)."""

    id: int
    request_id: str
    mime: str
    public: bool
    created_at: dt.datetime


def clean_photo(data: bytes) -> CleanPhoto:
    """The content editor's check and clean-up (:func:`shrink_photo`), or
    :class:`PhotoRefused` in Chinese. Decodes the image: call it outside the writer."""
    if len(data) > PHOTO_UPLOAD_BYTES:
        raise PhotoRefused(
            f"照片太大（{len(data) / 1e6:.1f} MB），最大 {PHOTO_UPLOAD_BYTES / 1e6:.0f} MB",
            too_large=True,
        )
    try:
        cleaned, checked = shrink_photo(data, max_bytes=PHOTO_UPLOAD_BYTES)
    except MediaRefused as exc:
        raise PhotoRefused(str(exc), too_large=False) from None
    return CleanPhoto(cleaned, checked)


def _count(conn: Connection, request_id: str) -> int:
    t = m.request_media
    return int(
        conn.execute(
            sa.select(sa.func.count())
            .select_from(t)
            .where(t.c.request_id == request_id, t.c.kind == "photo")
        ).scalar_one()
    )


def add_photo(
    conn: Connection,
    request_id: str,
    *,
    data: bytes | CleanPhoto,
    actor: Actor,
    at: dt.datetime,
    public: bool = False,
    outbox: EventSink | None = None,
) -> RequestPhoto:
    """Attach a photo (raw bytes are cleaned here; a :class:`CleanPhoto` is taken as it
    is). Records 添加照片 on the timeline. :class:`PhotoRefused` for a file that is no
    photo, :class:`Invalid` past :data:`MAX_PHOTOS`, :class:`NotFound` for no request."""
    record = get(conn, request_id)
    if _count(conn, request_id) >= MAX_PHOTOS:
        raise Invalid("too_many_photos", f"每件诉求最多 {MAX_PHOTOS} 张照片，已满", field="photos")
    clean = data if isinstance(data, CleanPhoto) else clean_photo(data)
    digest, checked = store_media(conn, clean.data)
    stored_at = at.astimezone(dt.UTC)
    photo_id = conn.execute(
        sa.insert(m.request_media)
        .values(
            request_id=request_id,
            kind="photo",
            mime=checked.mime,
            data=None,
            sha256=digest,
            public=public,
            created_at=stored_at,
        )
        .returning(m.request_media.c.id)
    ).scalar_one()
    core = record.core
    # The event's action is stored as PHOTO; REGISTER only fills the core type (as notes do).
    event = RequestEvent(Action.REGISTER, actor, at, core.state, core.state, {})
    insert_event(conn, request_id, event, action=PHOTO, public=public, note=None)
    seq = record_event(conn, record.hall_id, EventType.REQUEST, event_data(core, PHOTO))
    if outbox is not None:
        outbox.add([(record.hall_id, seq)])
    return RequestPhoto(int(photo_id), request_id, checked.mime, public, stored_at)


def photos(conn: Connection, request_id: str, *, public_only: bool = False) -> list[RequestPhoto]:
    """The request's photos, oldest first; ``public_only`` for the resident's eyes."""
    t = m.request_media
    query = (
        sa.select(t.c.id, t.c.request_id, t.c.mime, t.c.public, t.c.created_at)
        .where(t.c.request_id == request_id, t.c.kind == "photo")
        .order_by(t.c.id)
    )
    if public_only:
        query = query.where(t.c.public.is_(True))
    return [
        RequestPhoto(
            int(r.id), r.request_id, r.mime, bool(r.public), as_utc(r.created_at) or r.created_at
        )
        for r in conn.execute(query)
    ]


def photo(conn: Connection, request_id: str, photo_id: int) -> RequestPhoto:
    """One photo of this request, or :class:`NotFound`."""
    for found in photos(conn, request_id):
        if found.id == photo_id:
            return found
    raise NotFound("unknown_photo", "没有这张照片", field="photo_id")


def photo_bytes(conn: Connection, request_id: str, photo_id: int) -> tuple[bytes, CheckedImage]:
    """The photo's bytes and verdict (checked again on the way out), or :class:`NotFound`."""
    t = m.request_media
    digest = conn.execute(
        sa.select(t.c.sha256).where(
            t.c.id == photo_id, t.c.request_id == request_id, t.c.kind == "photo"
        )
    ).scalar()
    found = read_media(conn, digest) if digest else None
    if found is None:
        raise NotFound("unknown_photo", "没有这张照片", field="photo_id")
    return found


def set_public(conn: Connection, request_id: str, photo_id: int, *, public: bool) -> RequestPhoto:
    """Show the photo to the resident (phone page, kiosk) or hide it again."""
    photo(conn, request_id, photo_id)
    t = m.request_media
    conn.execute(sa.update(t).where(t.c.id == photo_id).values(public=public))
    return photo(conn, request_id, photo_id)
