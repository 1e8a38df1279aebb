"""Fixtures for the admin web: one real demo server (uvicorn, SQLite file) for the folder.

The logged-in client (CSRF handled) and the list of every admin route of the app (so a new
route cannot be left out of a test) are plain helpers: tests/utils/admin_web.py.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.utils.servers import RunningServer, start_server


@pytest.fixture(scope="session")
def admin_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    running = start_server(
        tmp_path_factory.mktemp("admin-server"),
        extra_env={"KIOSK_SERVER_AUTH_CACHE_SECONDS": "0.2"},
    )
    yield running
    running.stop()
