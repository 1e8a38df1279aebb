"""Fixtures: one real demo server for the sync tests, a kiosk token for a hall, a staff desk."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

from .harness import StaffDesk


@dataclass(frozen=True)
class Hall:
    """One demo hall on the running server, seen from a kiosk."""

    base_url: str
    hall_id: str
    token: str  # the kiosk's bearer token
    staff_login: dict[str, str]  # username, password of a staff member of this hall


def _credentials(server: Any, data_dir: Path) -> dict[str, Any]:
    creds = getattr(server, "credentials", None)
    if isinstance(creds, dict) and creds.get("kiosks"):
        return creds
    data: dict[str, Any] = json.loads((data_dir / "demo-credentials.json").read_text("utf-8"))
    return data


@pytest.fixture(scope="session")
def sync_server_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("sync-server")


@pytest.fixture(scope="session")
def sync_server(sync_server_dir: Path) -> Iterator[Any]:
    try:
        from tests.utils.servers import start_server
    except ImportError:  # interim until the server's test utilities land
        from ._interim_server import start_server  # type: ignore[assignment]

    server = start_server(sync_server_dir)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def hall(sync_server: Any, sync_server_dir: Path) -> Hall:
    creds = _credentials(sync_server, sync_server_dir)
    hall_id = sorted(creds["kiosks"])[0]
    return Hall(
        base_url=sync_server.base_url.rstrip("/"),
        hall_id=hall_id,
        token=creds["kiosks"][hall_id]["token"],
        staff_login=creds["staff"][hall_id],
    )


@pytest.fixture(scope="session")
def desk(hall: Hall) -> Iterator[StaffDesk]:
    resp = requests.post(f"{hall.base_url}/api/v1/auth/token", json=hall.staff_login, timeout=30)
    assert resp.status_code == 200, resp.text
    desk = StaffDesk(hall.base_url, resp.json()["access_token"])
    try:
        yield desk
    finally:
        desk.close()
