"""A staff edit reaches every kiosk of a hall when the server runs several workers on
PostgreSQL (the kiosks' long-polls land on whichever worker accepted them)."""

from __future__ import annotations

import contextlib
import time
from pathlib import Path
from typing import Any

import pytest

from tests.utils.servers import start_server
from tests.utils.sync_halls import hall_of, staff_desk

from .harness import running_sync

pytestmark = [pytest.mark.postgres, pytest.mark.slow]


def test_edit_reaches_every_kiosk_across_workers(
    postgres_database_url: str, tmp_path: Path
) -> None:
    server = start_server(tmp_path / "server", database_url=postgres_database_url, workers=2)
    try:
        hall = hall_of(server)
        with contextlib.ExitStack() as stack:
            kiosks = [
                stack.enter_context(running_sync(hall.base_url, hall.token, tmp_path / f"k{i}"))
                for i in range(3)
            ]
            for sync, rec, _ in kiosks:
                rec.wait_for("first content", lambda rec=rec: rec.contents)
                rec.wait_for("online", lambda sync=sync: sync.status.online)
            time.sleep(0.5)  # let every long-poll settle into its wait
            marker = f"fleet {time.time_ns()}"

            def change(content: dict[str, Any]) -> None:
                content["hall"]["intro"] = marker

            desk = staff_desk(hall)
            started = time.monotonic()
            try:
                desk.edit(hall.hall_id, change)
            finally:
                desk.close()
            for i, (_, rec, store) in enumerate(kiosks):
                rec.wait_for(
                    f"kiosk {i} to show the edit",
                    lambda rec=rec: any(s.content.hall.intro == marker for s in rec.contents),
                )
                print(f"kiosk {i}: edit arrived by {(time.monotonic() - started) * 1000:.0f} ms")
                current = store.current()
                assert current is not None and current.content.hall.intro == marker
    finally:
        server.kill()
