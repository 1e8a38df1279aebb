"""ContentSync against the real server on loopback: first sync, offline restart, live edits."""

from __future__ import annotations

import contextlib
import json
import sqlite3
import time
from pathlib import Path
from typing import Any

from kiosk.core.wire import EventType
from kiosk.sync.store import ContentStore
from tests.utils.servers import RunningServer
from tests.utils.sync_halls import Hall

from .harness import StaffDesk, free_port, running_sync
from .snapshots import photo


def test_first_sync_stores_content_and_media_then_offline_restart_shows_it(
    hall: Hall, tmp_path: Path
) -> None:
    cache = tmp_path / "cache"
    with running_sync(hall.base_url, hall.token, cache) as (sync, rec, store):
        snap = rec.wait_for("first content", lambda: rec.contents and rec.contents[-1])
        assert snap.hall_id == hall.hall_id
        rec.wait_for("online", lambda: sync.status.online)
        status = sync.status
        assert status.content_version == snap.version
        assert status.last_sync is not None and status.last_error is None
        assert status.server_url == hall.base_url
        assert store.current() == snap
        for digest in snap.content.media_hashes():
            assert store.media_path(digest) is not None
        # callbacks ran on the sync threads, never on the caller's
        assert rec.threads <= {"sync-content", "sync-events"}

    # Restart with the server unreachable: the cache alone shows the last good content.
    down = f"http://127.0.0.1:{free_port()}"
    assert ContentStore(cache).current() == snap
    with running_sync(down, hall.token, cache, timeout=1.0) as (sync, rec, store):
        assert store.current() == snap
        status = rec.wait_for(
            "an offline status with the error",
            lambda: [s for s in rec.statuses if s.last_error and not s.online],
        )[-1]
        assert "connection refused" in (status.last_error or "")
        assert status.content_version == snap.version
        assert status.last_sync is not None  # when the cached content was stored
        assert rec.contents == []  # nothing new: the app shows store.current() itself
        assert store.current() == snap


def test_content_edit_reaches_a_running_kiosk(hall: Hall, desk: StaffDesk, tmp_path: Path) -> None:
    with running_sync(hall.base_url, hall.token, tmp_path) as (sync, rec, _store):
        first = rec.wait_for("first content", lambda: rec.contents and rec.contents[-1])
        rec.wait_for("online", lambda: sync.status.online)
        time.sleep(0.3)  # let the long-poll settle into its wait

        intro = f"测试更新 {time.time_ns()}"

        def change(content: dict[str, Any]) -> None:
            content["hall"]["intro"] = intro

        started = time.monotonic()
        published = desk.edit(hall.hall_id, change)
        got = rec.wait_for(
            "the edited content",
            lambda: next((s for s in rec.contents if s.content.hall.intro == intro), None),
        )
        elapsed = time.monotonic() - started
        print(f"staff edit reached the kiosk in {elapsed * 1000:.0f} ms")
        assert got.version == published["version"] > first.version
        assert sync.status.content_version == got.version
        assert any(e.type is EventType.CONTENT for e in rec.events)


def test_staff_status_change_reaches_a_running_kiosk(
    hall: Hall, desk: StaffDesk, tmp_path: Path
) -> None:
    with running_sync(hall.base_url, hall.token, tmp_path) as (sync, rec, _store):
        first = rec.wait_for("first content", lambda: rec.contents and rec.contents[-1])
        rec.wait_for("online", lambda: sync.status.online)
        member = first.content.staff[0]
        new_status = "meeting" if member.status != "meeting" else "visiting"

        started = time.monotonic()
        desk.set_status(hall.hall_id, member.id, new_status)
        event = rec.wait_for(
            "the staff_status event",
            lambda: next((e for e in rec.events if e.type is EventType.STAFF_STATUS), None),
        )
        assert event.data["staff_id"] == member.id
        updated = rec.wait_for(
            "content with the new status",
            lambda: next(
                (
                    s
                    for s in rec.contents
                    if (m := s.content.staff_member(member.id)) is not None
                    and m.status == new_status
                ),
                None,
            ),
        )
        print(f"status change reached the kiosk in {(time.monotonic() - started) * 1000:.0f} ms")
        assert updated.version > first.version


def test_event_cursor_survives_a_restart(hall: Hall, desk: StaffDesk, tmp_path: Path) -> None:
    def bump(content: dict[str, Any]) -> None:
        content["hall"]["intro"] = f"cursor {time.time_ns()}"

    with running_sync(hall.base_url, hall.token, tmp_path) as (sync, rec, _store):
        rec.wait_for("online", lambda: sync.status.online)
        time.sleep(0.3)
        desk.edit(hall.hall_id, bump)
        seen = rec.wait_for("a content event", lambda: [e.seq for e in rec.events])

    with running_sync(hall.base_url, hall.token, tmp_path) as (sync, rec, _store):
        rec.wait_for("online", lambda: sync.status.online)
        time.sleep(0.3)
        published = desk.edit(hall.hall_id, bump)
        rec.wait_for(
            "the new content event",
            lambda: any(e.data.get("version") == published["version"] for e in rec.events),
        )
        assert not set(seen) & {e.seq for e in rec.events}, "handled events were replayed"


def test_media_of_a_new_photo_is_fetched(hall: Hall, desk: StaffDesk, tmp_path: Path) -> None:
    image = photo(f"new photo {time.time_ns()}")
    digest = desk.upload(image)

    def give_photo(content: dict[str, Any]) -> None:
        content["staff"][0]["photo"] = digest

    with running_sync(hall.base_url, hall.token, tmp_path) as (sync, rec, store):
        rec.wait_for("online", lambda: sync.status.online)
        desk.edit(hall.hall_id, give_photo)
        rec.wait_for(
            "content with the new photo",
            lambda: any(s.content.staff[0].photo == digest for s in rec.contents),
        )
        path = store.media_path(digest)
        assert path is not None and path.read_bytes() == image


def test_kiosk_follows_a_server_rebuilt_with_a_fresh_database(
    hall: Hall, desk: StaffDesk, tmp_path: Path
) -> None:
    # A cursor from the server's previous life, far beyond anything it has now.
    (tmp_path / "events.json").write_text(json.dumps({"server": hall.base_url, "seq": 10**9}))
    with running_sync(hall.base_url, hall.token, tmp_path) as (sync, rec, _store):
        rec.wait_for("online", lambda: sync.status.online)
        time.sleep(0.3)
        published = desk.edit(hall.hall_id, lambda c: c["hall"].update(intro=f"r {time.time_ns()}"))
        rec.wait_for(
            "the content event of the rebuilt server",
            lambda: any(e.data.get("version") == published["version"] for e in rec.events),
        )
    saved = json.loads((tmp_path / "events.json").read_text())["seq"]
    assert saved < 10**9


def test_heartbeat_reaches_the_server(
    hall: Hall, sync_server: RunningServer, tmp_path: Path
) -> None:
    database = sync_server.data_dir / "kiosk.sqlite3"

    def reported() -> dict[str, Any] | None:
        with contextlib.closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True)) as db:
            row = db.execute(
                "SELECT last_heartbeat FROM kiosk_devices WHERE id = ?", (hall.device_id,)
            ).fetchone()
        report: dict[str, Any] | None = json.loads(row[0]) if row and row[0] else None
        return report if report and report.get("outbox_backlog") == 3 else None

    with running_sync(
        hall.base_url, hall.token, tmp_path, heartbeat_interval=0.5, outbox_backlog=lambda: 3
    ) as (sync, rec, _store):
        snap = rec.wait_for("first content", lambda: rec.contents and rec.contents[-1])
        report = rec.wait_for(
            "a heartbeat with content",
            lambda: (r := reported()) and r.get("content_version") == snap.version and r,
        )
        assert report["app_version"] == "test"
        assert report["last_sync"] is not None
        assert report["uptime_s"] >= 0
        assert sync.status.outbox_backlog == 3


def test_unwritable_event_cursor_does_not_stop_live_updates(
    hall: Hall, desk: StaffDesk, tmp_path: Path
) -> None:
    (tmp_path / "events.json").mkdir()  # every cursor save fails with an OSError
    with running_sync(hall.base_url, hall.token, tmp_path) as (sync, rec, _store):
        rec.wait_for("online", lambda: sync.status.online)
        time.sleep(0.3)
        marker = f"cursor-less {time.time_ns()}"
        desk.edit(hall.hall_id, lambda c: c["hall"].update(intro=marker))
        rec.wait_for("the edit", lambda: any(s.content.hall.intro == marker for s in rec.contents))
        assert sync.status.online
