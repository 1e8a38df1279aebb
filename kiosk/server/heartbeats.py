"""What kiosks report about themselves: the last heartbeat of each device (versions,
backlog, last error), stored for the fleet page."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from kiosk.server import models as m
from kiosk.server.db import utcnow

__all__ = ["record_heartbeat"]


def record_heartbeat(conn: Connection, device_id: int, report: dict[str, Any]) -> None:
    """Remember ``report`` as the device's last heartbeat, seen now."""
    conn.execute(
        sa.update(m.kiosk_devices)
        .where(m.kiosk_devices.c.id == device_id)
        .values(last_seen_at=utcnow(), last_heartbeat=report)
    )
