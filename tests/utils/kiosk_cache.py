"""A kiosk content cache seeded the way a sync would, and a loopback port nothing listens on:
how the app tests start the kiosk offline (fixtures: tests/app/conftest.py).
"""

from __future__ import annotations

import json
import socket
from pathlib import Path

from kiosk.core.content import HallContent


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def snapshot_bytes(hall: HallContent, version: int) -> bytes:
    doc = {
        "hall_id": hall.hall.id,
        "version": version,
        "published_at": "2026-11-26T08:00:00+08:00",
        "content": json.loads(hall.model_dump_json()),
    }
    return json.dumps(doc, ensure_ascii=False).encode("utf-8")


def seed_cache(root: Path, hall: HallContent, version: int = 1) -> None:
    """Put ``hall`` into a kiosk content cache at ``root`` the way a sync would."""
    from kiosk.core.demo import demo_media
    from kiosk.sync.store import ContentStore

    media = demo_media()
    ContentStore(root).apply(snapshot_bytes(hall, version), lambda sha: media[sha][1])
