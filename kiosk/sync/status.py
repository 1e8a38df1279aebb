"""The sync state a kiosk shows: one frozen :class:`SyncStatus`, replaced whole on change.

Made by :class:`kiosk.sync.service.ContentSync` (and by the demo feed, with ``demo``),
read by the status bar, the maintenance screen and the heartbeat.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

__all__ = ["SyncStatus"]


@dataclass(frozen=True)
class SyncStatus:
    """What the maintenance screen, the status bar and the offline banner show."""

    online: bool
    """True while the server answers both the content check and the event long-poll."""
    last_sync: dt.datetime | None
    """When content was last confirmed current with the server (UTC), or None."""
    last_error: str | None
    """The most recent unresolved failure, a one-line diagnostic, or None."""
    content_version: int | None
    """Version of the snapshot on screen (the store's current one), or None."""
    server_url: str
    """The hall server's address; empty for the demo content."""
    outbox_backlog: int = 0
    """Tickets waiting in the outbox to reach the server."""
    demo: bool = False
    """True when the content is the built-in demo hall (no server)."""
    left_out: tuple[str, ...] = ()
    """Items of the content on show that were bad and are left out, one line each."""
