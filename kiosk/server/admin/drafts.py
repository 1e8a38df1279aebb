"""Each hall's draft (edits not yet published), publishing it, restoring a version, and
the audit log of who changed what.

The draft is the hall's content as JSON; it starts as a copy of the published version
and every edit is validated as a whole document with :func:`kiosk.core.content.parse_content`
before it is saved, so a draft is always publishable. Publishing and restoring go through
:func:`kiosk.server.content_store.publish_content` (a new version and its ``content``
event, which the kiosks' long-poll delivers).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from kiosk.core.content import ContentError, HallContent, Snapshot, parse_content
from kiosk.core.salvage import salvage_snapshot
from kiosk.server import models as m
from kiosk.server.admin.sessions import StaffSession
from kiosk.server.admin.web import AdminPageError
from kiosk.server.content_store import publish_content
from kiosk.server.db import as_utc, utcnow
from kiosk.server.media import accepted_media
from kiosk.server.models import admin_audit, admin_drafts

__all__ = [
    "Draft",
    "EditRefused",
    "audit",
    "discard_draft",
    "edit_draft",
    "load_draft",
    "load_version",
    "publish_draft",
    "restore_version",
]

Edit = Callable[[dict[str, Any]], str | None]


class EditRefused(Exception):
    """An edit that made the content invalid: the problems, (field path, message)."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        super().__init__("；".join(f"{p}：{msg}" for p, msg in problems))
        self.problems = problems


@dataclass(frozen=True, slots=True)
class Draft:
    hall_id: str
    content: dict[str, Any]  # HallContent as plain JSON data
    published_version: int | None
    base_version: int | None
    changed: bool  # differs from the published version
    updated_at: dt.datetime | None
    updated_by: str

    @property
    def stale(self) -> bool:
        """Someone published another version after this draft was started."""
        return (
            self.changed
            and self.base_version is not None
            and self.published_version is not None
            and self.base_version < self.published_version
        )

    def model(self) -> HallContent:
        return parse_content(self.content)


def audit(
    conn: Connection,
    session: StaffSession,
    action: str,
    hall_id: str | None = None,
    target: str = "",
    detail: str = "",
) -> None:
    conn.execute(
        sa.insert(admin_audit).values(
            at=utcnow(),
            username=session.username,
            hall_id=hall_id,
            action=action,
            target=target[:200],
            detail=detail[:2000],
        )
    )


def _published(conn: Connection, hall_id: str) -> tuple[int | None, dict[str, Any] | None]:
    version = conn.execute(
        sa.select(m.halls.c.current_version).where(m.halls.c.id == hall_id)
    ).scalar()
    if version is None:
        return None, None
    body = conn.execute(
        sa.select(m.content_versions.c.snapshot).where(
            m.content_versions.c.hall_id == hall_id, m.content_versions.c.version == version
        )
    ).scalar_one()
    return version, json.loads(body)["content"]


def load_draft(conn: Connection, hall_id: str) -> Draft:
    version, published = _published(conn, hall_id)
    row = conn.execute(sa.select(admin_drafts).where(admin_drafts.c.hall_id == hall_id)).first()
    if row is None:
        if published is None:
            raise AdminPageError(404, "这个大厅还没有任何内容，请先由街道管理员导入")
        return Draft(hall_id, published, version, version, False, None, "")
    content = json.loads(row.content)
    return Draft(
        hall_id,
        content,
        version,
        row.base_version,
        content != published,
        as_utc(row.updated_at),
        row.updated_by,
    )


def _canonical(content: HallContent) -> dict[str, Any]:
    data: dict[str, Any] = content.model_dump(mode="json")
    return data


def changed_paths(old: Any, new: Any, path: str = "", limit: int = 12) -> list[str]:
    """Where two content documents differ (``notices[2].title``), at most ``limit``."""
    out: list[str] = []

    def walk(a: Any, b: Any, where: str) -> None:
        if len(out) >= limit or a == b:
            return
        if isinstance(a, dict) and isinstance(b, dict):
            for key in sorted(set(a) | set(b), key=str):
                walk(a.get(key), b.get(key), f"{where}.{key}" if where else str(key))
        elif isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
            for i, (x, y) in enumerate(zip(a, b, strict=True)):
                walk(x, y, f"{where}[{i}]")
        else:
            out.append(where or "(全部)")

    walk(old, new, path)
    return out


def edit_draft(conn: Connection, session: StaffSession, hall_id: str, edit: Edit) -> str:
    """Apply ``edit`` to the hall's draft in this transaction; validate; save; audit.

    ``edit`` changes the content dict in place and returns a short description of what it
    did (for the audit log). Raises :class:`EditRefused` when the result is invalid.
    """
    draft = load_draft(conn, hall_id)
    data = json.loads(json.dumps(draft.content))
    what = edit(data) or "修改内容"
    try:
        content = parse_content(data)
    except ContentError as exc:
        raise EditRefused(exc.problems) from None
    if content.hall.id != hall_id:
        raise EditRefused([("hall.id", "不能修改大厅编号")])
    media = content.media_hashes()
    if media:
        have = accepted_media(conn, media)
        for i, person in enumerate(content.staff):
            if person.photo and person.photo not in have:
                raise EditRefused(
                    [(f"staff[{i}].photo", "照片文件不存在或未通过图片检查，请重新上传")]
                )
    canonical = _canonical(content)
    text = json.dumps(canonical, ensure_ascii=False)
    values = {
        "content": text,
        "updated_at": utcnow(),
        "updated_by": session.username,
    }
    exists = conn.execute(
        sa.select(admin_drafts.c.hall_id).where(admin_drafts.c.hall_id == hall_id)
    ).first()
    if exists is None:
        conn.execute(
            sa.insert(admin_drafts).values(
                hall_id=hall_id, base_version=draft.published_version, **values
            )
        )
    else:
        conn.execute(
            sa.update(admin_drafts).where(admin_drafts.c.hall_id == hall_id).values(values)
        )
    audit(conn, session, "edit", hall_id, what, "、".join(changed_paths(draft.content, canonical)))
    return what


def discard_draft(conn: Connection, session: StaffSession, hall_id: str) -> None:
    conn.execute(sa.delete(admin_drafts).where(admin_drafts.c.hall_id == hall_id))
    audit(conn, session, "discard", hall_id, "放弃未发布的修改")


def publish_draft(conn: Connection, session: StaffSession, hall_id: str) -> tuple[Snapshot, int]:
    """Publish the draft as a new version (the server's publish function); the draft ends."""
    draft = load_draft(conn, hall_id)
    try:
        content = parse_content(draft.content)
    except ContentError as exc:
        raise EditRefused(exc.problems) from None
    snapshot, seq = publish_content(conn, content, session.staff.principal)
    conn.execute(sa.delete(admin_drafts).where(admin_drafts.c.hall_id == hall_id))
    audit(conn, session, "publish", hall_id, f"第 {snapshot.version} 版")
    return snapshot, seq


def load_version(conn: Connection, hall_id: str, version: int) -> tuple[Snapshot, str]:
    row = conn.execute(
        sa.select(m.content_versions.c.snapshot, m.content_versions.c.published_by).where(
            m.content_versions.c.hall_id == hall_id, m.content_versions.c.version == version
        )
    ).first()
    if row is None:
        raise AdminPageError(404, f"没有第 {version} 版")
    snapshot, _left_out = salvage_snapshot(row.snapshot)  # a bad item of an old version
    return snapshot, row.published_by


def restore_version(
    conn: Connection, session: StaffSession, hall_id: str, version: int
) -> tuple[Snapshot, int]:
    """Publish a copy of an earlier version as the newest one (the draft is dropped)."""
    old, _ = load_version(conn, hall_id, version)
    snapshot, seq = publish_content(conn, old.content, session.staff.principal)
    conn.execute(sa.delete(admin_drafts).where(admin_drafts.c.hall_id == hall_id))
    audit(conn, session, "restore", hall_id, f"恢复第 {version} 版为第 {snapshot.version} 版")
    return snapshot, seq


def keep_status_in_draft(
    conn: Connection, hall_id: str, staff_id: str, status: dict[str, Any], version: int
) -> None:
    """A published status change also lands in the draft, so publishing cannot undo it."""
    row = conn.execute(sa.select(admin_drafts).where(admin_drafts.c.hall_id == hall_id)).first()
    if row is None:
        return
    content = json.loads(row.content)
    for person in content.get("staff", []):
        if person.get("id") == staff_id:
            person.update(status)
    conn.execute(
        sa.update(admin_drafts)
        .where(admin_drafts.c.hall_id == hall_id)
        .values(content=json.dumps(content, ensure_ascii=False), base_version=version)
    )
