"""Where the kiosk got to in its hall's event stream, kept on disk across restarts.

Events are delivered at least once: the cursor is saved only after the events up to it
were handed on, so a crash replays a few (handlers tolerate repeats) and never skips one.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

from kiosk.sync.durable import write_atomic

__all__ = ["EventCursor"]

log = logging.getLogger(__name__)


class EventCursor:
    """The last event sequence number handled, for one server, in a small JSON file."""

    def __init__(self, path: Path, *, server: str) -> None:
        self.path = Path(path)
        self.server = server

    def load(self) -> int | None:
        """The saved sequence number, or None (never saved, other server, unreadable)."""
        try:
            data = json.loads(self.path.read_bytes())
            if data.get("server") != self.server:
                return None
            seq = data["seq"]
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            log.warning("event cursor %s unreadable (%s); starting afresh", self.path, exc)
            return None
        if not isinstance(seq, int) or isinstance(seq, bool) or seq < 0:
            return None
        return seq

    def save(self, seq: int) -> None:
        """Remember ``seq`` durably (atomic replace)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(self.path, json.dumps({"server": self.server, "seq": seq}).encode())
