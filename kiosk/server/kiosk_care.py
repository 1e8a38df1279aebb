"""Remote care of a kiosk from the fleet page: its screen, its log lines, a restart, and
the stuck-screen warning.

A command (:data:`~kiosk.core.wire.CareCommandName`) is queued on the kiosk's
``kiosk_care`` row and announced with a ``care`` event in its hall; that kiosk then takes
its commands (``GET /kiosk/care/commands``: each is handed out once) and answers by
uploading a screenshot or its log lines, or by saying it restarts. Commands older than
:data:`COMMAND_TTL` are dropped unanswered: a kiosk that comes back hours later must not
restart because someone asked in the morning.

The stuck-screen rule is :func:`screen_stuck`: the kiosk's heartbeat says when what it
draws last changed; if that is long ago while the hall was open and something happened
that should have changed it (a new service day, a publication, a ticket issued in the
hall), the fleet page warns 屏幕可能卡住.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from kiosk.core.clock import HALL_TZ
from kiosk.core.schedule import is_open
from kiosk.core.wire import CareCommandName, CareCommandPublic, EventType
from kiosk.server import models as m
from kiosk.server.content_store import HallEntry
from kiosk.server.db import as_utc, utcnow
from kiosk.server.events import record_event
from kiosk.server.models import kiosk_care

__all__ = [
    "COMMAND_NAMES",
    "COMMAND_TTL",
    "MAX_SCREENSHOT_BYTES",
    "CareRefused",
    "CareState",
    "care_states",
    "has_commands",
    "kiosk_care",
    "note_restart",
    "queue_command",
    "read_screenshot",
    "screen_stuck",
    "store_logs",
    "store_screenshot",
    "stuck_reason",
    "take_commands",
]

#: A command not taken within this time is dropped (the kiosk was away).
COMMAND_TTL = dt.timedelta(minutes=2)
#: The largest screenshot a kiosk may upload (it sends a downsized JPEG, ~100 KB).
MAX_SCREENSHOT_BYTES = 400_000
#: Commands kept waiting per kiosk at most (older ones are dropped first).
MAX_PENDING = 10


COMMAND_NAMES: dict[str, str] = {"screenshot": "查看屏幕", "logs": "查看日志", "restart": "重启"}


class CareRefused(ValueError):
    """Why a command was not sent (Chinese, shown on the fleet page)."""


@dataclass(frozen=True, slots=True)
class CareState:
    """What the fleet page shows of one kiosk's remote care."""

    screenshot_at: dt.datetime | None
    screenshot_mime: str
    log_lines: list[str]
    log_at: dt.datetime | None
    restart_at: dt.datetime | None
    pending: list[str]


def _row(conn: Connection, kiosk_id: int) -> sa.Row[Any]:
    """The kiosk's care row (made if missing), locked until commit on PostgreSQL."""
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    conn.execute(
        dialect.insert(kiosk_care).values(kiosk_id=kiosk_id, pending=[]).on_conflict_do_nothing()
    )
    query = sa.select(kiosk_care).where(kiosk_care.c.kiosk_id == kiosk_id)
    if conn.dialect.name == "postgresql":
        query = query.with_for_update()
    return conn.execute(query).one()


def _fresh(pending: Sequence[dict[str, Any]], now: dt.datetime) -> list[dict[str, Any]]:
    out = []
    for item in pending:
        try:
            at = dt.datetime.fromisoformat(str(item["at"]))
        except (KeyError, ValueError):
            continue
        if now - at <= COMMAND_TTL:
            out.append(dict(item))
    return out


def queue_command(
    conn: Connection,
    kiosk_id: int,
    hall_id: str,
    command: CareCommandName,
    *,
    min_gap: dt.timedelta,
) -> tuple[str, int]:
    """Queue ``command`` for the kiosk and announce it; (command id, event seq).

    Raises :class:`CareRefused` when the kiosk was sent a command less than ``min_gap``
    ago (one person's double click, or a script hammering a kiosk).
    """
    now = utcnow()
    row = _row(conn, kiosk_id)
    last = as_utc(row.last_command_at)
    if last is not None and now - last < min_gap:
        wait = max(1, int((min_gap - (now - last)).total_seconds() + 0.999))
        raise CareRefused(f"操作太频繁：这台自助机刚收到一条指令，请 {wait} 秒后再试")
    command_id = secrets.token_hex(8)
    pending = _fresh(row.pending or [], now)
    pending.append({"id": command_id, "command": command, "at": now.isoformat()})
    conn.execute(
        sa.update(kiosk_care)
        .where(kiosk_care.c.kiosk_id == kiosk_id)
        .values(pending=pending[-MAX_PENDING:], last_command_at=now)
    )
    seq = record_event(conn, hall_id, EventType.CARE, {"kiosk": kiosk_id, "command": command})
    return command_id, seq


def has_commands(conn: Connection, kiosk_id: int) -> bool:
    """Whether anything waits for the kiosk (a read: every kiosk of the hall asks on each
    ``care`` event, and only the one it was meant for needs the writer)."""
    pending = conn.execute(
        sa.select(kiosk_care.c.pending).where(kiosk_care.c.kiosk_id == kiosk_id)
    ).scalar()
    return bool(pending)


def take_commands(conn: Connection, kiosk_id: int) -> list[CareCommandPublic]:
    """The kiosk's waiting commands, oldest first; each is handed out once."""
    row = conn.execute(
        sa.select(kiosk_care.c.pending).where(kiosk_care.c.kiosk_id == kiosk_id)
    ).first()
    if row is None or not row.pending:
        return []
    pending = _fresh(row.pending, utcnow())
    conn.execute(sa.update(kiosk_care).where(kiosk_care.c.kiosk_id == kiosk_id).values(pending=[]))
    return [
        CareCommandPublic(id=str(p["id"]), command=p["command"])
        for p in pending
        if p.get("command") in COMMAND_NAMES
    ]


def store_screenshot(conn: Connection, kiosk_id: int, data: bytes, mime: str) -> None:
    """Keep the kiosk's latest screenshot (checked by the caller), replacing the last."""
    _row(conn, kiosk_id)
    conn.execute(
        sa.update(kiosk_care)
        .where(kiosk_care.c.kiosk_id == kiosk_id)
        .values(screenshot=data, screenshot_mime=mime, screenshot_at=utcnow())
    )


def store_logs(conn: Connection, kiosk_id: int, lines: list[str]) -> None:
    _row(conn, kiosk_id)
    conn.execute(
        sa.update(kiosk_care)
        .where(kiosk_care.c.kiosk_id == kiosk_id)
        .values(log_lines=lines, log_at=utcnow())
    )


def note_restart(conn: Connection, kiosk_id: int) -> None:
    """The kiosk acknowledged a restart command and is about to exit."""
    _row(conn, kiosk_id)
    conn.execute(
        sa.update(kiosk_care).where(kiosk_care.c.kiosk_id == kiosk_id).values(restart_at=utcnow())
    )


def read_screenshot(conn: Connection, kiosk_id: int) -> tuple[bytes, str] | None:
    row = conn.execute(
        sa.select(kiosk_care.c.screenshot, kiosk_care.c.screenshot_mime).where(
            kiosk_care.c.kiosk_id == kiosk_id
        )
    ).first()
    if row is None or row.screenshot is None:
        return None
    return bytes(row.screenshot), str(row.screenshot_mime)


def care_states(conn: Connection) -> dict[int, CareState]:
    """Every kiosk's care state, by device id (kiosks never cared for are absent)."""
    c = kiosk_care.c
    now = utcnow()
    rows = conn.execute(
        sa.select(
            c.kiosk_id,
            c.screenshot_at,
            c.screenshot_mime,
            c.log_lines,
            c.log_at,
            c.restart_at,
            c.pending,
        )
    )
    return {
        int(r.kiosk_id): CareState(
            screenshot_at=as_utc(r.screenshot_at),
            screenshot_mime=r.screenshot_mime or "",
            log_lines=[str(line) for line in (r.log_lines or [])],
            log_at=as_utc(r.log_at),
            restart_at=as_utc(r.restart_at),
            pending=[str(p["command"]) for p in _fresh(r.pending or [], now)],
        )
        for r in rows
    }


# -- the stuck-screen rule ------------------------------------------------------------


def screen_stuck(
    *,
    now: dt.datetime,
    changed_at: dt.datetime | None,
    threshold: dt.timedelta,
    open_now: bool,
    new_day: bool,
    published: bool,
    tickets: bool,
) -> str | None:
    """Why the screen may be stuck (shown after 屏幕可能卡住), or None.

    Stuck: unchanged for ``threshold`` while the hall is open, and since the last change
    something happened that would have changed it: the service day moved on (the date
    on screen), content was published, or tickets were issued in its hall.
    """
    if changed_at is None or not open_now or now - changed_at < threshold:
        return None
    hours = (now - changed_at).total_seconds() / 3600
    why = [
        text
        for flag, text in (
            (new_day, "已过了一天"),
            (published, "期间发布了新内容"),
            (tickets, "期间大厅发出了号码"),
        )
        if flag
    ]
    if not why:
        return None
    return f"画面已 {hours:.0f} 小时没有变化，但{'、'.join(why)}"


def stuck_reason(
    conn: Connection,
    hall_id: str,
    changed_at: dt.datetime | None,
    *,
    threshold: dt.timedelta,
    hall: HallEntry | None,
) -> str | None:
    """:func:`screen_stuck` for one kiosk of ``hall_id``: its opening hours and zone from
    the server's hall directory (``hall``), the rest read from the database."""
    now = utcnow()
    if changed_at is None or now - changed_at < threshold:
        return None  # the cheap check first: most kiosks are fine
    zone = hall.zone if hall is not None else HALL_TZ
    content = hall.content if hall is not None else None
    # Nothing published: no opinion on the hours.
    open_now = content is None or is_open(content.hall.opening_hours, now, zone)
    new_day = changed_at.astimezone(zone).date() != now.astimezone(zone).date()
    published = (
        conn.execute(
            sa.select(sa.func.count())
            .select_from(m.content_versions)
            .where(
                m.content_versions.c.hall_id == hall_id,
                m.content_versions.c.published_at > changed_at,
            )
        ).scalar_one()
        > 0
    )
    tickets = (
        conn.execute(
            sa.select(m.tickets.c.id)
            .where(m.tickets.c.hall_id == hall_id, m.tickets.c.issued_at > changed_at)
            .limit(1)
        ).first()
        is not None
    )
    return screen_stuck(
        now=now,
        changed_at=changed_at,
        threshold=threshold,
        open_now=open_now,
        new_day=new_day,
        published=published,
        tickets=tickets,
    )
