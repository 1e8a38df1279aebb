"""What the login, token and kiosk-quota tests share: a real server (two workers, SQLite
or PostgreSQL), accounts and kiosks made directly in its database, truly parallel requests.

The servers believe ``X-Forwarded-For`` from loopback (``trusted_proxies``), so a test can
speak as many client addresses; ``untrusted_server`` does not, as a default install.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import pytest
import requests
from sqlalchemy.engine import Connection

from kiosk.server.auth import create_kiosk, create_staff
from kiosk.server.db import Database
from tests.utils.servers import RunningServer, start_server

T = TypeVar("T")
TIMEOUT = 60
BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
PASSWORD = "right-password-1"
TRUST_LOOPBACK = {"KIOSK_SERVER_TRUSTED_PROXIES": '["127.0.0.1"]'}


def serve(
    request: pytest.FixtureRequest, where: Path, extra_env: dict[str, str] | None = None
) -> Iterator[RunningServer]:
    """A two-worker server on the backend of ``request.param``."""
    url = request.getfixturevalue("postgres_database_url") if request.param == "postgres" else None
    running = start_server(where, database_url=url, workers=2, extra_env=extra_env)
    yield running
    running.stop()


def database(server: RunningServer) -> Database:
    return Database(server.database_url or f"sqlite:///{server.data_dir / 'kiosk.sqlite3'}")


def in_db(server: RunningServer, fn: Callable[[Connection], T]) -> T:
    db = database(server)
    try:
        return db.write_sync(fn)
    finally:
        db.close()


def new_staff(server: RunningServer, hall_id: str = "huayang") -> str:
    """A fresh hall-staff account (password :data:`PASSWORD`); returns its username."""
    name = f"sec-{uuid.uuid4().hex[:10]}"
    in_db(server, lambda c: create_staff(c, name, PASSWORD, "hall_staff", hall_id, "测试员"))
    return name


def new_kiosk(server: RunningServer, hall_id: str, name: str = "") -> tuple[int, int, str]:
    """A fresh kiosk of ``hall_id``: (device id, kiosk_no, token)."""
    label = name or f"安全测试机{uuid.uuid4().hex[:4]}"
    return in_db(server, lambda c: create_kiosk(c, hall_id, label))


def token_login(
    server: RunningServer, username: str, password: str, ip: str, **extra: Any
) -> requests.Response:
    return requests.post(
        f"{server.api}/auth/token",
        json={"username": username, "password": password, **extra},
        headers={"X-Forwarded-For": ip},
        timeout=TIMEOUT,
    )


def all_at_once(calls: list[Callable[[], T]]) -> list[T]:
    """Run ``calls`` on as many threads, released together by a barrier."""
    barrier = threading.Barrier(len(calls))

    def run(call: Callable[[], T]) -> T:
        barrier.wait()
        return call()

    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(run, calls))


def assert_error(r: requests.Response, status: int, code: str) -> dict[str, Any]:
    assert r.status_code == status, (r.status_code, r.text)
    body = r.json()
    assert set(body) == {"error"} and body["error"]["code"] == code, body
    assert body["error"]["message"], body
    return dict(body["error"])
