"""Fixtures: one real server per backend for the session, one fresh hall per test module.

Backends: ``sqlite`` (a file in tmp) and ``postgres`` (the private server of
``tests/utils/postgres.py``; skipped loudly where PostgreSQL cannot run). To add a
backend, extend :data:`BACKENDS` and the branch in :func:`server`.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.utils.server_api import Hall, make_hall
from tests.utils.servers import RunningServer, start_server

BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture(scope="session", params=BACKENDS)
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningServer]:
    database_url = None
    if request.param == "postgres":
        database_url = request.getfixturevalue("postgres_url")
    running = start_server(
        tmp_path_factory.mktemp(f"server-{request.param}"),
        database_url=database_url,
        extra_env={
            "KIOSK_SERVER_AUTH_CACHE_SECONDS": "0.2",
            "KIOSK_SERVER_MAX_BODY_BYTES": "300000",
            "KIOSK_SERVER_DEFAULT_SERVICE_MINUTES": "4",
            # test_login_throttle.py speaks as many client addresses (X-Forwarded-For).
            "KIOSK_SERVER_TRUSTED_PROXIES": '["127.0.0.1"]',
        },
    )
    yield running
    running.stop()


@pytest.fixture(scope="module")
def hall(server: RunningServer, request: pytest.FixtureRequest) -> Hall:
    prefix = request.module.__name__.rsplit(".", 1)[-1].removeprefix("test_").replace("_", "-")
    return make_hall(server, prefix[:20])
