"""The real server goes away under a running kiosk and comes back on the same address."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from tests.utils.servers import start_server
from tests.utils.sync_halls import Hall, hall_of, staff_desk

from .harness import free_port, running_sync


def test_server_down_keeps_content_then_recovers(tmp_path: Path) -> None:
    data_dir = tmp_path / "server"
    data_dir.mkdir()
    port = free_port()
    server = start_server(data_dir, port=port)
    try:
        hall = hall_of(server)
        with running_sync(
            hall.base_url, hall.token, tmp_path / "cache", timeout=2.0, poll_interval=1.0
        ) as (sync, rec, store):
            good = rec.wait_for("first content", lambda: rec.contents and rec.contents[-1])
            rec.wait_for("online", lambda: sync.status.online)

            server.kill()  # the server PC loses power
            status = rec.wait_for(
                "the offline status",
                lambda: next((s for s in rec.statuses if not s.online and s.last_error), None),
            )
            assert status.content_version == good.version
            assert store.current() == good

            server = start_server(data_dir, port=port)
            rec.wait_for(
                "online again, error cleared",
                lambda: sync.status.online and sync.status.last_error is None,
                timeout=60,
            )
            marker = f"back {time.time_ns()}"

            def change(content: dict[str, Any]) -> None:
                content["hall"]["intro"] = marker

            desk = staff_desk(hall)
            try:
                desk.edit(hall.hall_id, change)
            finally:
                desk.close()
            rec.wait_for(
                "the edit after the restart",
                lambda: any(s.content.hall.intro == marker for s in rec.contents),
            )
    finally:
        server.kill()


def test_stop_ends_promptly_during_a_long_poll(hall: Hall, tmp_path: Path) -> None:
    with running_sync(hall.base_url, hall.token, tmp_path) as (sync, rec, _):
        rec.wait_for("online", lambda: sync.status.online)
        time.sleep(1.0)  # now the events thread sits in a 25 s long-poll
        started = time.monotonic()
        sync.stop(timeout=10)
        print(f"stop() took {(time.monotonic() - started) * 1000:.0f} ms")
        statuses = len(rec.statuses)
        time.sleep(0.3)
        assert len(rec.statuses) == statuses  # no callbacks after stop()
    # running_sync asserts the sync threads are gone (they would linger 25 s otherwise)
