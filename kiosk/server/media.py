"""Media rows by SHA-256: the only way bytes get into the ``media`` table, the only way
they are read back, and the headers every media response carries.

Every path that stores media (the API upload, the admin photo form, the demo data) calls
:func:`store_media`, which runs :func:`kiosk.core.media.check_image` first and takes the
content type from it, never from the uploader. Reads go through :func:`accepted_media` /
:func:`read_media`, which run the same check on the stored bytes (once per process and
row: rows are immutable), so a row stored before the check existed (an SVG, a pixel bomb)
is never served and cannot be named by new content.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterable

import sqlalchemy as sa
from fastapi.responses import Response
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from kiosk.core.media import CheckedImage, MediaRefused, check_image
from kiosk.server import models as m
from kiosk.server.db import utcnow

__all__ = [
    "MEDIA_CSP",
    "accepted_media",
    "check_media",
    "media_response",
    "read_media",
    "store_media",
]

MEDIA_CSP = "default-src 'none'; sandbox"
"""Sent with every uploaded file: even opened as a page, it may run nothing, load nothing."""

_verdicts: dict[str, CheckedImage | None] = {}
_verdicts_lock = threading.Lock()
_MAX_VERDICTS = 10_000


def _remember(sha256: str, verdict: CheckedImage | None) -> None:
    with _verdicts_lock:
        if len(_verdicts) >= _MAX_VERDICTS:
            _verdicts.clear()
        _verdicts[sha256] = verdict


def _verdict(sha256: str, data: bytes) -> CheckedImage | None:
    with _verdicts_lock:
        if sha256 in _verdicts:
            return _verdicts[sha256]
    try:
        checked: CheckedImage | None = check_image(data)
    except MediaRefused:
        checked = None
    if hashlib.sha256(data).hexdigest() != sha256:
        checked = None  # a damaged row is no better than a hostile one
    _remember(sha256, checked)
    return checked


def check_media(data: bytes) -> CheckedImage:
    """:func:`kiosk.core.media.check_image`, remembered by SHA-256 (so a route can check
    outside the database writer and :func:`store_media` need not decode again)."""
    checked = check_image(data)
    _remember(hashlib.sha256(data).hexdigest(), checked)
    return checked


def store_media(conn: Connection, data: bytes) -> tuple[str, CheckedImage]:
    """Check ``data`` and store it (inside the caller's transaction); its SHA-256 and
    verdict. Raises :class:`kiosk.core.media.MediaRefused` and stores nothing."""
    digest = hashlib.sha256(data).hexdigest()
    with _verdicts_lock:
        known = _verdicts.get(digest)
    checked = known if known is not None else check_image(data)
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    conn.execute(
        dialect.insert(m.media)
        .values(sha256=digest, mime=checked.mime, size=len(data), data=data, created_at=utcnow())
        .on_conflict_do_nothing(index_elements=[m.media.c.sha256])
    )
    _remember(digest, checked)
    return digest, checked


def read_media(conn: Connection, sha256: str) -> tuple[bytes, CheckedImage] | None:
    """The stored bytes and their verdict, or None if there is no such row or the check
    refuses what is stored."""
    data = conn.execute(sa.select(m.media.c.data).where(m.media.c.sha256 == sha256)).scalar()
    if data is None:
        return None
    raw = bytes(data)
    checked = _verdict(sha256, raw)
    return (raw, checked) if checked is not None else None


def accepted_media(conn: Connection, wanted: Iterable[str]) -> set[str]:
    """Those of ``wanted`` that are stored and pass the check."""
    wanted = set(wanted)
    with _verdicts_lock:
        known = {sha: _verdicts[sha] for sha in wanted if sha in _verdicts}
    good = {sha for sha, verdict in known.items() if verdict is not None}
    unknown = wanted - set(known)
    if unknown:
        rows = conn.execute(
            sa.select(m.media.c.sha256, m.media.c.data).where(m.media.c.sha256.in_(unknown))
        )
        for sha, data in rows:
            if _verdict(sha, bytes(data)) is not None:
                good.add(sha)
    return good


def media_response(data: bytes, checked: CheckedImage, headers: dict[str, str]) -> Response:
    """Uploaded bytes as a response: the checked content type, never sniffed, never a page."""
    return Response(
        data,
        media_type=checked.mime,
        headers={
            **headers,
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": MEDIA_CSP,
            "Cross-Origin-Resource-Policy": "same-origin",
        },
    )
