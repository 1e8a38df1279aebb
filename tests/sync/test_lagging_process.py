"""Several server processes: the process that answers the content check after an event
may still hold the snapshot before it (its cache drops it within one event scan). The
event said which version was published, so the kiosk checks again, shortly and a few
times, until it has that version — it never stays on the older snapshot until the next
30-s poll.

The server is a real 2-worker ``kiosk-server`` (PostgreSQL and SQLite); between kiosk and
server sits the hostile proxy, which for the first few content checks after the edit
answers as a lagging process does (``Fault(kind="stale")``: 304 to the old ETag), so the
lag is certain rather than a race of a few milliseconds.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.utils.servers import start_server
from tests.utils.sync_halls import hall_of, staff_desk

from .harness import running_sync
from .hostile import Fault, HostileProxy

BACKENDS = ["sqlite", pytest.param("postgres", marks=[pytest.mark.postgres, pytest.mark.slow])]


@pytest.mark.parametrize("backend", BACKENDS)
def test_kiosk_checks_again_until_it_has_the_announced_version(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    database_url = (
        request.getfixturevalue("postgres_database_url") if backend == "postgres" else None
    )
    server = start_server(tmp_path / "server", database_url=database_url, workers=2)
    try:
        hall = hall_of(server)
        desk = staff_desk(hall)
        with (
            HostileProxy(hall.base_url) as proxy,
            # No fallback poll within the test: only the event can bring the edit.
            running_sync(proxy.base_url, hall.token, tmp_path / "kiosk", poll_interval=600) as (
                sync,
                rec,
                store,
            ),
        ):
            rec.wait_for("first content", lambda: rec.contents)
            rec.wait_for("online", lambda: sync.status.online)

            def shown_version() -> int | None:
                snap = store.current()
                return snap.version if snap is not None else None

            old = requests.get(
                f"{hall.base_url}/api/v1/kiosk/content",
                headers={"Authorization": f"Bearer {hall.token}"},
                timeout=30,
            )
            assert old.status_code == 200
            assert old.json()["version"] == shown_version()

            for round_no, times in enumerate((3, 1)):
                lagging = proxy.fault(
                    Fault(
                        "/kiosk/content",
                        "stale",
                        body=old.content,
                        etag=old.headers["ETag"],
                        times=times,
                    )
                )
                marker = f"lag {round_no} {time.time_ns()}"

                def change(content: dict[str, Any], marker: str = marker) -> None:
                    content["hall"]["intro"] = marker

                if round_no == 0:
                    published = desk.edit(hall.hall_id, change)["version"]
                else:
                    staff_id = desk.snapshot(hall.hall_id)["content"]["staff"][0]["id"]
                    published = desk.set_status(hall.hall_id, staff_id, "meeting")["version"]
                rec.wait_for(
                    f"the kiosk to reach the announced version {published}",
                    lambda published=published: shown_version() == published,
                )
                # It was told "unchanged" by the lagging process first, and asked again.
                assert lagging.hits > times, lagging.hits
                assert sync.status.content_version == published
                proxy.clear()
                old = requests.get(
                    f"{hall.base_url}/api/v1/kiosk/content",
                    headers={"Authorization": f"Bearer {hall.token}"},
                    timeout=30,
                )
        desk.close()
    finally:
        server.kill()
