"""Fixtures of the proof tests: a database per test on each backend, and demo servers on it.

``database_url`` is parametrized: ``sqlite`` (None: the server's own file in its data
folder) and ``postgres`` (a fresh database on the session's private PostgreSQL, which skips
loudly where PostgreSQL cannot run).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.utils.postgres import PrivatePostgres
from tests.utils.servers import RunningServer, start_server

BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture(scope="module", params=BACKENDS)
def database_url(request: pytest.FixtureRequest) -> Iterator[str | None]:
    if request.param == "sqlite":
        yield None
        return
    pg: PrivatePostgres = request.getfixturevalue("private_postgres")
    url = pg.create_database()
    try:
        yield url
    finally:
        with contextlib.suppress(Exception):
            pg.drop_database(url)


@pytest.fixture(scope="module")
def data_dir(database_url: str | None, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("data")


@pytest.fixture(scope="module")
def two_servers(data_dir: Path, database_url: str | None) -> Iterator[list[RunningServer]]:
    """Two ``kiosk-server demo`` processes on two ports sharing one database (per module:
    tests sharing them use different demo halls)."""
    servers: list[RunningServer] = []
    try:
        # One after the other: the second finds the demo data and logins already there.
        for _ in range(2):
            servers.append(start_server(data_dir, database_url=database_url))
        yield servers
    finally:
        for s in servers:
            s.stop()
