"""Fixtures: one real demo server for the sync tests, a kiosk token for a hall, a staff desk."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from tests.utils.servers import RunningServer, start_server

from .harness import StaffDesk


@dataclass(frozen=True)
class Hall:
    """One demo hall on the running server, seen from a kiosk."""

    base_url: str
    hall_id: str
    token: str  # the kiosk's bearer token
    device_id: int  # the kiosk's row on the server
    staff_login: dict[str, str]  # username, password of a staff member of this hall


@pytest.fixture(scope="session")
def sync_server_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("sync-server")


def hall_of(server: RunningServer) -> Hall:
    creds = server.credentials
    hall_id = sorted(creds["kiosks"])[0]
    return Hall(
        base_url=server.base_url.rstrip("/"),
        hall_id=hall_id,
        token=creds["kiosks"][hall_id]["token"],
        device_id=creds["kiosks"][hall_id]["device_id"],
        staff_login=creds["staff"][hall_id],
    )


def staff_desk(hall: Hall) -> StaffDesk:
    resp = requests.post(f"{hall.base_url}/api/v1/auth/token", json=hall.staff_login, timeout=30)
    assert resp.status_code == 200, resp.text
    return StaffDesk(hall.base_url, resp.json()["access_token"])


@pytest.fixture(scope="session")
def sync_server(sync_server_dir: Path) -> Iterator[RunningServer]:
    server = start_server(sync_server_dir)
    try:
        yield server
    finally:
        # kill, not stop: a graceful stop waits for kiosks' long-polls still held open.
        server.kill()


@pytest.fixture(scope="session")
def hall(sync_server: RunningServer) -> Hall:
    return hall_of(sync_server)


@pytest.fixture(scope="session")
def desk(hall: Hall) -> Iterator[StaffDesk]:
    desk = staff_desk(hall)
    try:
        yield desk
    finally:
        desk.close()
