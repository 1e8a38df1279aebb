"""Halls' published content: immutable versioned snapshots, and a per-process cache.

Publishing validates with :mod:`kiosk.core.content`, checks every named media file
exists, serialises the :class:`~kiosk.core.content.Snapshot` once, stores it as a new
version, derives the hall's counters (one per window named by its queues) and records
the ``content`` (or ``staff_status``) event — all in one transaction.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from kiosk.core.clock import hall_zone
from kiosk.core.content import HallContent, Queue, Snapshot, StaffStatus
from kiosk.core.salvage import salvage_snapshot
from kiosk.core.wire import EventType, HallPublic
from kiosk.server import models as m
from kiosk.server.db import Database, utcnow
from kiosk.server.domain_errors import Invalid, NotFound
from kiosk.server.events import record_event
from kiosk.server.media import accepted_media

__all__ = [
    "HallDirectory",
    "HallEntry",
    "PublicationSignal",
    "newer_than_cached",
    "publish_content",
    "publish_staff_status",
    "visible_halls",
]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class HallEntry:
    """What the hot paths need to know about a hall, read once per published version."""

    hall_id: str
    name: str
    version: int | None
    etag: str | None
    snapshot: bytes | None
    content: HallContent | None
    zone: ZoneInfo

    def queue(self, code: str) -> Queue | None:
        return self.content.queue(code) if self.content is not None else None

    def has_service(self, service_id: str) -> bool:
        return self.content is not None and self.content.service(service_id) is not None

    def windows_for(self, code: str) -> int:
        queue = self.queue(code)
        return max(1, len(queue.windows)) if queue is not None else 1


def _load_entry(conn: Connection, hall_id: str) -> HallEntry | None:
    hall = conn.execute(sa.select(m.halls).where(m.halls.c.id == hall_id)).first()
    if hall is None:
        return None
    snapshot_bytes = None
    content = None
    if hall.current_version is not None:
        snapshot_bytes = conn.execute(
            sa.select(m.content_versions.c.snapshot).where(
                m.content_versions.c.hall_id == hall_id,
                m.content_versions.c.version == hall.current_version,
            )
        ).scalar_one()
        # Stored before a rule was added, a version may hold a bad item: left out here
        # (and logged), so the hall keeps working; an edit in the admin web fixes it.
        snapshot, left_out = salvage_snapshot(snapshot_bytes)
        for item in left_out:
            log.warning("hall %s v%s: left out %s", hall_id, hall.current_version, item)
        content = snapshot.content
        if left_out:
            snapshot_bytes = snapshot.model_dump_json().encode()  # kiosks get it whole
    return HallEntry(
        hall_id=hall.id,
        name=hall.name,
        version=hall.current_version,
        etag=f'"{hall.id}-v{hall.current_version}"' if hall.current_version else None,
        snapshot=snapshot_bytes,
        content=content,
        zone=hall_zone(hall.timezone),
    )


class HallDirectory:
    """hall id → :class:`HallEntry`, kept until a publication is seen (any process)."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._entries: dict[str, HallEntry] = {}

    async def get(self, hall_id: str) -> HallEntry | None:
        entry = self._entries.get(hall_id)
        if entry is None:
            entry = await self.db.read(lambda c: _load_entry(c, hall_id))
            if entry is not None:
                self._entries[hall_id] = entry
        return entry

    def peek(self, hall_id: str) -> HallEntry | None:
        """The cached entry, without touching the database (None: not cached)."""
        return self._entries.get(hall_id)

    def get_sync(self, conn: Connection, hall_id: str) -> HallEntry | None:
        entry = self._entries.get(hall_id)
        if entry is None:
            entry = _load_entry(conn, hall_id)
            if entry is not None:
                self._entries[hall_id] = entry
        return entry

    async def require(self, hall_id: str) -> HallEntry:
        entry = await self.get(hall_id)
        if entry is None:
            raise NotFound("unknown_hall", f"没有编号为 {hall_id} 的大厅", field="hall_id")
        return entry

    def forget(self, hall_id: str) -> None:
        self._entries.pop(hall_id, None)


class PublicationSignal:
    """SQLite, several processes: "someone just published", seen with one ``stat()``.

    A process that publishes appends a byte to a small file beside the database *before*
    it wakes any long-poll. A kiosk told of the new version may ask another process for
    the content before that process's event scan came round; that process notices the
    file grew, scans at once, and so never answers with the version before.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._seen = self._size()

    def _size(self) -> int:
        try:
            return os.stat(self.path).st_size
        except OSError:
            return 0

    def announce(self) -> None:
        try:
            if self._size() > 1_000_000:
                self.path.write_bytes(b"")  # a change too: shrinking counts
            with open(self.path, "ab") as f:
                f.write(b".")
        except OSError:
            pass  # the periodic event scan still catches it

    def pending(self) -> int | None:
        """The file's size when it changed since :meth:`seen`, else None."""
        size = self._size()
        return size if size != self._seen else None

    def seen(self, size: int) -> None:
        self._seen = size


def newer_than_cached(if_none_match: str, entry: HallEntry) -> bool:
    """True if the client names a version of this hall newer than the cached one.

    With several processes, one may have published a version that another's cache has
    not seen yet (it learns within one event scan). A kiosk that already holds the newer
    version must never be sent the older one back, so such a request re-reads the hall.
    """
    prefix = f'"{entry.hall_id}-v'
    for tag in if_none_match.split(","):
        tag = tag.strip()
        number = tag[len(prefix) : -1]
        if tag.startswith(prefix) and tag.endswith('"') and number.isdigit():
            return int(number) > (entry.version or 0)
    return False


def _check_media(conn: Connection, content: HallContent) -> None:
    wanted = content.media_hashes()
    if not wanted:
        return
    have = accepted_media(conn, wanted)
    for i, staff in enumerate(content.staff):
        if staff.photo and staff.photo not in have:
            raise Invalid(
                "unknown_media",
                f"staff[{i}].photo：没有这个图片（{staff.photo[:12]}…），"
                "或文件未通过图片检查，请重新上传",
                field=f"staff[{i}].photo",
            )


def _sync_counters(conn: Connection, hall_id: str, content: HallContent) -> None:
    serving: dict[int, list[str]] = {}
    for queue in content.queues:
        for window in queue.windows:
            serving.setdefault(window, []).append(queue.code)
    existing = {
        row.window: row.id
        for row in conn.execute(
            sa.select(m.counters.c.id, m.counters.c.window).where(m.counters.c.hall_id == hall_id)
        )
    }
    for window, codes in sorted(serving.items()):
        if window in existing:
            conn.execute(
                sa.update(m.counters)
                .where(m.counters.c.id == existing[window])
                .values(queues=sorted(codes))
            )
        else:
            conn.execute(
                sa.insert(m.counters).values(
                    hall_id=hall_id, window=window, name=f"{window}号窗口", queues=sorted(codes)
                )
            )
    for window, counter_id in existing.items():
        if window not in serving:
            conn.execute(
                sa.update(m.counters).where(m.counters.c.id == counter_id).values(queues=[])
            )


def _store_version(
    conn: Connection, content: HallContent, actor: str, *, create: bool
) -> tuple[Snapshot, bytes]:
    hall_id = content.hall.id
    hall = conn.execute(sa.select(m.halls.c.current_version).where(m.halls.c.id == hall_id)).first()
    now = utcnow()
    if hall is None:
        if not create:
            raise NotFound("unknown_hall", f"没有编号为 {hall_id} 的大厅", field="hall_id")
        conn.execute(
            sa.insert(m.halls).values(
                id=hall_id, name=content.hall.name, timezone=content.hall.timezone, created_at=now
            )
        )
    latest = conn.execute(
        sa.select(sa.func.max(m.content_versions.c.version)).where(
            m.content_versions.c.hall_id == hall_id
        )
    ).scalar()
    version = (latest or 0) + 1
    snapshot = Snapshot(hall_id=hall_id, version=version, published_at=now, content=content)
    body = snapshot.model_dump_json().encode()
    conn.execute(
        sa.insert(m.content_versions).values(
            hall_id=hall_id, version=version, published_at=now, published_by=actor, snapshot=body
        )
    )
    conn.execute(
        sa.update(m.halls)
        .where(m.halls.c.id == hall_id)
        .values(current_version=version, name=content.hall.name, timezone=content.hall.timezone)
    )
    _sync_counters(conn, hall_id, content)
    return snapshot, body


def visible_halls(conn: Connection, only: str | None = None) -> list[HallPublic]:
    """Every hall (or only the hall ``only``), by id, with its published version."""
    h = m.halls
    query = sa.select(h.c.id, h.c.name, h.c.current_version).order_by(h.c.id)
    if only is not None:
        query = query.where(h.c.id == only)
    return [
        HallPublic(id=r.id, name=r.name, content_version=r.current_version)
        for r in conn.execute(query)
    ]


def publish_content(
    conn: Connection, content: HallContent, actor: str, *, create: bool = False
) -> tuple[Snapshot, int]:
    """Store and publish a new version of ``content`` (inside the caller's transaction).

    Returns the snapshot and the seq of its ``content`` event.
    """
    _check_media(conn, content)
    snapshot, _ = _store_version(conn, content, actor, create=create)
    seq = record_event(conn, snapshot.hall_id, EventType.CONTENT, {"version": snapshot.version})
    return snapshot, seq


def publish_staff_status(
    conn: Connection,
    hall_id: str,
    staff_id: str,
    status: StaffStatus,
    status_until: dt.datetime | None,
    status_note: str,
    actor: str,
) -> tuple[Snapshot, int]:
    """A new version with one staff member's on-duty status changed, and its event."""
    current = _load_entry(conn, hall_id)
    if current is None:
        raise NotFound("unknown_hall", f"没有编号为 {hall_id} 的大厅", field="hall_id")
    if current.content is None:
        raise NotFound("unknown_staff", f"大厅 {hall_id} 还没有发布内容", field="staff_id")
    staff = list(current.content.staff)
    index = next((i for i, s in enumerate(staff) if s.id == staff_id), None)
    if index is None:
        raise NotFound("unknown_staff", f"没有编号为 {staff_id} 的工作人员", field="staff_id")
    staff[index] = staff[index].model_copy(
        update={"status": status, "status_until": status_until, "status_note": status_note}
    )
    # Re-validate the whole document, so the stored snapshot is always a valid one.
    content = HallContent.model_validate(
        {**current.content.model_dump(), "staff": [s.model_dump() for s in staff]}
    )
    snapshot, _ = _store_version(conn, content, actor, create=False)
    seq = record_event(
        conn,
        hall_id,
        EventType.STAFF_STATUS,
        {
            "staff_id": staff_id,
            "status": status.value,
            "status_until": status_until.isoformat() if status_until else None,
            "version": snapshot.version,
        },
    )
    return snapshot, seq
