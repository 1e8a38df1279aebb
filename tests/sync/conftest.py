"""Fixtures: one real demo server for the sync tests, a kiosk token for a hall, a staff desk."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.utils.servers import RunningServer, start_server
from tests.utils.sync_halls import Hall, hall_of, staff_desk

from .harness import StaffDesk


@pytest.fixture(scope="session")
def sync_server_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("sync-server")


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
