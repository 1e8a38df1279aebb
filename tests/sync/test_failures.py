"""Every way an update can go wrong keeps the last good content, says why, and recovers.

The kiosk talks to the real server through a hostile proxy that breaks one thing at a
time; after the fault is lifted, the pending edit must arrive on its own.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from kiosk.sync.store import ContentStore
from tests.utils.sync_halls import Hall

from .harness import StaffDesk, running_sync
from .hostile import Fault, HostileProxy
from .snapshots import photo


def _drop_hall(body: bytes) -> bytes:
    doc = json.loads(body)
    del doc["content"]["hall"]
    return json.dumps(doc).encode()


# name: (faults, expected text in last_error, does the kiosk still count as online,
#        does the edit need a new photo)
CASES: dict[str, tuple[Callable[[], list[Fault]], str, bool, bool]] = {
    "bad json": (
        lambda: [Fault("/kiosk/content", "body", body=b'{"hall_id": "x", "version": ')],
        "snapshot rejected",
        True,
        False,
    ),
    "missing fields": (
        lambda: [Fault("/kiosk/content", "transform", transform=_drop_hall)],
        "content.hall",
        True,
        False,
    ),
    "wrong media hash": (
        lambda: [Fault("/media/", "transform", transform=lambda b: b + b"tampered")],
        "wrong SHA-256",
        True,
        True,
    ),
    "5xx": (
        lambda: [Fault("/kiosk/content", "status", status=500, body=b'{"detail":"boom"}')],
        "HTTP 500",
        False,
        False,
    ),
    "timeout": (
        lambda: [Fault("/kiosk/content", "delay", seconds=6.0)],
        "timed out",
        False,
        False,
    ),
    "truncated body": (
        lambda: [Fault("/kiosk/content", "truncate")],
        "GET /kiosk/content",
        False,
        False,
    ),
    "connection dropped": (
        lambda: [Fault("/kiosk/content", "hang_up")],
        "GET /kiosk/content",
        False,
        False,
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_failure_keeps_last_good_content_and_recovers(
    case: str, hall: Hall, desk: StaffDesk, tmp_path: Path
) -> None:
    make_faults, expected, still_online, needs_photo = CASES[case]
    with (
        HostileProxy(hall.base_url) as proxy,
        running_sync(proxy.base_url, hall.token, tmp_path, timeout=2.0, poll_interval=1.0) as (
            sync,
            rec,
            store,
        ),
    ):
        good = rec.wait_for("first content", lambda: rec.contents and rec.contents[-1])
        rec.wait_for("online", lambda: sync.status.online)

        seen = len(rec.statuses)
        faults = [proxy.fault(f) for f in make_faults()]
        marker = f"{case} {time.time_ns()}"
        digest = desk.upload(photo(marker)) if needs_photo else None

        def change(content: dict[str, Any]) -> None:
            content["hall"]["intro"] = marker
            if digest:
                content["staff"][0]["photo"] = digest

        published = desk.edit(hall.hall_id, change)
        rec.wait_for(
            f"{expected!r} in the status",
            lambda: any(expected in (s.last_error or "") for s in rec.statuses[seen:]),
        )
        assert sum(f.hits for f in faults) >= 1
        rec.wait_for(
            f"online={still_online}", lambda: sync.status.online is still_online, timeout=10
        )
        # The last good content stays, in memory and on disk.
        assert store.current() == good
        assert ContentStore(tmp_path).current() == good
        assert all(s.version == good.version for s in rec.contents)
        if digest:
            assert store.media_path(digest) is None

        proxy.clear()
        fresh = rec.wait_for(
            "the edit after recovery",
            lambda: next((s for s in rec.contents if s.content.hall.intro == marker), None),
        )
        assert fresh.version == published["version"]
        rec.wait_for(
            "a clean status",
            lambda: sync.status.online and sync.status.last_error is None,
        )
        assert store.current() == fresh
        assert ContentStore(tmp_path).current() == fresh
