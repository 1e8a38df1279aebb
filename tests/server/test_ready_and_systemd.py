"""``/ready`` says whether this process can serve (database and event fan-out), and the
server tells systemd it is ready and alive over ``NOTIFY_SOCKET`` (issue 16). A real
server, a real unix datagram socket in the place of systemd, a real PostgreSQL that stops
taking connections."""

from __future__ import annotations

import os
import signal
import socket
import time
from pathlib import Path

import pytest
import requests
import sqlalchemy as sa

from tests.utils.servers import start_server


class FakeSystemd:
    """The listening end of ``NOTIFY_SOCKET``: what systemd would receive."""

    def __init__(self, folder: Path) -> None:
        self.path = folder / "notify.sock"
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(str(self.path))
        self.sock.settimeout(0.2)
        self.messages: list[tuple[float, str]] = []

    def receive(self, seconds: float) -> list[str]:
        deadline = time.monotonic() + seconds
        got: list[str] = []
        while time.monotonic() < deadline:
            try:
                data = self.sock.recv(4096).decode()
            except TimeoutError:
                continue
            self.messages.append((time.monotonic(), data))
            got.append(data)
        return got

    def close(self) -> None:
        self.sock.close()


def test_ready_then_watchdog_pings_that_stop_when_the_process_freezes(tmp_path: Path) -> None:
    systemd = FakeSystemd(tmp_path)
    env = {"NOTIFY_SOCKET": str(systemd.path), "WATCHDOG_USEC": "1000000"}  # ping every 0.5 s
    server = start_server(tmp_path / "data", extra_env=env)
    try:
        got = systemd.receive(2.5)
        assert any("READY=1" in m for m in got), got
        assert any(m.startswith("READY=1") and "STATUS=serving" in m for m in got), got
        pings = [m for m in got if m == "WATCHDOG=1"]
        assert len(pings) >= 3, got

        r = requests.get(f"{server.base_url}/api/v1/ready", timeout=10)
        assert r.status_code == 200, r.text
        assert r.json()["status"] == "ready"
        assert r.json()["checks"] == {"database": "ok", "events": "ok"}

        os.kill(server.process.pid, signal.SIGSTOP)  # a hung process: the pings stop
        try:
            systemd.receive(0.3)  # what was on its way
            assert systemd.receive(2.0) == []
        finally:
            os.kill(server.process.pid, signal.SIGCONT)
        assert "WATCHDOG=1" in systemd.receive(2.0)
    finally:
        server.stop()
    assert any("STOPPING=1" in m for m in systemd.receive(1.0) + [m for _, m in systemd.messages])
    systemd.close()


def test_without_notify_socket_nothing_is_sent_and_it_serves(tmp_path: Path) -> None:
    server = start_server(tmp_path / "data")
    try:
        assert requests.get(f"{server.base_url}/api/v1/ready", timeout=10).status_code == 200
    finally:
        server.stop()


@pytest.mark.postgres
def test_ready_is_503_while_the_database_refuses_connections(
    postgres_database_url: str, tmp_path: Path
) -> None:
    server = start_server(tmp_path / "data", database_url=postgres_database_url)
    name = sa.engine.make_url(postgres_database_url).database
    admin = sa.create_engine(
        sa.engine.make_url(postgres_database_url).set(database="postgres"),
        isolation_level="AUTOCOMMIT",
    )
    try:
        assert requests.get(f"{server.base_url}/api/v1/ready", timeout=10).status_code == 200
        with admin.connect() as c:
            c.execute(sa.text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false'))
            c.execute(
                sa.text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname=:d"),
                {"d": name},
            )
        deadline = time.monotonic() + 20
        while True:
            r = requests.get(f"{server.base_url}/api/v1/ready", timeout=15)
            if r.status_code == 503 or time.monotonic() > deadline:
                break
            time.sleep(0.3)
        assert r.status_code == 503, r.text
        body = r.json()
        assert body["error"]["code"] == "not_ready"
        assert body["checks"]["database"] != "ok"
        assert r.headers["Retry-After"]
        # /health still answers, as JSON, and says what is wrong.
        health = requests.get(f"{server.base_url}/api/v1/health", timeout=10)
        assert health.status_code in (200, 503) and health.json()["status"] in ("ok", "degraded")
    finally:
        with admin.connect() as c:
            c.execute(sa.text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true'))
        admin.dispose()
    try:
        deadline = time.monotonic() + 30
        while requests.get(f"{server.base_url}/api/v1/ready", timeout=15).status_code != 200:
            assert time.monotonic() < deadline, "ready again once the database is back"
            time.sleep(0.3)
    finally:
        server.stop()
