"""Several server processes on one SQLite database: what one publishes, the others serve."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.utils.server_api import bearer, hall_content, staff_login
from tests.utils.servers import RunningServer, start_server


@pytest.fixture(scope="module")
def two_workers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    server = start_server(tmp_path_factory.mktemp("two-workers"), workers=2)
    yield server
    server.stop()


def test_a_kiosk_never_gets_an_older_version_from_another_process(
    two_workers: RunningServer,
) -> None:
    server = two_workers
    hall_id, kiosk = next(iter(server.credentials["kiosks"].items()))
    admin = staff_login(
        server, server.credentials["admin"]["username"], server.credentials["admin"]["password"]
    )
    content = requests.get(
        f"{server.api}/kiosk/content", headers=bearer(kiosk["token"]), timeout=30
    ).json()["content"]
    for round_no in range(8):
        content["hall"]["intro"] = f"第 {round_no} 次修改"
        r = admin.put(f"/halls/{hall_id}/content", json=content)
        assert r.status_code == 200, r.text
        version, etag = r.json()["version"], r.headers["ETag"]
        for _ in range(6):
            # A fresh connection each time: the two processes share the listening socket.
            fresh = requests.get(
                f"{server.api}/kiosk/content",
                headers={**bearer(kiosk["token"]), "Connection": "close"},
                timeout=30,
            )
            assert fresh.status_code == 200
            assert fresh.json()["version"] == version, (round_no, fresh.json()["version"])
            assert fresh.headers["ETag"] == etag
            again = requests.get(
                f"{server.api}/kiosk/content",
                headers={**bearer(kiosk["token"]), "If-None-Match": etag, "Connection": "close"},
                timeout=30,
            )
            assert again.status_code == 304


def test_hall_content_example_is_valid(tmp_path: Path) -> None:
    # hall_content() is what the route tests publish; it must stay valid content.
    from kiosk.core.content import parse_content

    assert parse_content(hall_content("x-hall")).hall.id == "x-hall"
