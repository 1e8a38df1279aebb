"""Fixtures for the ticket tests: a real demo server, its kiosks, and what it stored.

The server runs as a real ``kiosk-server demo`` subprocess on loopback (tests/utils);
the kiosk side is the real :class:`~kiosk.sync.outbox.TicketOutbox` on a SQLite file in
tmp and the real :class:`~kiosk.sync.courier.TicketCourier`. "Exactly once" is checked in
the server's own database file.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.utils.servers import RunningServer, start_server
from tests.utils.ticket_delivery import ServerBox


@pytest.fixture(scope="session")
def ticket_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    """A demo server for the tests that do not kill it."""
    server = start_server(tmp_path_factory.mktemp("tickets-server"))
    try:
        yield server
    finally:
        server.kill()


@pytest.fixture
def own_server(tmp_path: Path) -> Iterator[ServerBox]:
    box = ServerBox(tmp_path / "server")
    try:
        yield box
    finally:
        box.server.kill()
