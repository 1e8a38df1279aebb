"""The server tests' plain helpers: a small valid hall's content, a fresh hall with its own
staff login and kiosk, a ``requests`` client on the API, the error shape (fixtures:
tests/server/conftest.py).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

import requests
from sqlalchemy.engine import Connection

from kiosk.server.auth import create_kiosk, create_staff
from kiosk.server.db import Database
from tests.utils.servers import RunningServer

TIMEOUT = 30


def hall_content(
    hall_id: str, *, photo: str | None = None, name: str = "测试居委会"
) -> dict[str, Any]:
    """A small valid hall: queues A (windows 1, 2), B (window 2), C (window 3)."""
    return {
        "hall": {
            "id": hall_id,
            "name": name,
            "short_name": "测试",
            "street": "姚家街道",
            "address": "测试路 1 号",
            "phone": "0531-0000000",
            "brand": {"title": "测试品牌"},
            "opening_hours": [{"weekdays": [1, 2, 3, 4, 5], "open": "08:30", "close": "17:30"}],
        },
        "queues": [
            {"code": "A", "category": "assistance", "name": "帮扶救助", "windows": [1, 2]},
            {"code": "B", "category": "elderly", "name": "居家养老", "windows": [2]},
            {"code": "C", "category": "health", "name": "卫生计生", "windows": [3]},
        ],
        "services": [
            {
                "id": "dibao",
                "category": "assistance",
                "name": "低保申请",
                "steps": [{"title": "提交材料", "actor": "居民"}],
                "where": "1 号窗口",
                "queue": "A",
            }
        ],
        "staff": [
            {
                "id": "wang",
                "name": "王小明",
                "post": "主任",
                **({"photo": photo} if photo else {}),
            }
        ],
    }


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


class Client:
    """requests with the server's API base, a default timeout and an optional token."""

    def __init__(self, api: str, token: str | None = None) -> None:
        self.api = api
        self.session = requests.Session()
        if token:
            self.session.headers.update(bearer(token))

    def __call__(self, method: str, path: str, **kw: Any) -> requests.Response:
        kw.setdefault("timeout", TIMEOUT)
        return self.session.request(method, f"{self.api}{path}", **kw)

    def get(self, path: str, **kw: Any) -> requests.Response:
        return self("GET", path, **kw)

    def post(self, path: str, **kw: Any) -> requests.Response:
        return self("POST", path, **kw)

    def put(self, path: str, **kw: Any) -> requests.Response:
        return self("PUT", path, **kw)


def staff_login(server: RunningServer, username: str, password: str) -> Client:
    r = requests.post(
        f"{server.api}/auth/token",
        json={"username": username, "password": password},
        timeout=TIMEOUT,
    )
    assert r.status_code == 200, r.text
    return Client(server.api, r.json()["access_token"])


@dataclass
class Hall:
    """A fresh hall of the running server with its own staff login and kiosk."""

    id: str
    server: RunningServer
    admin: Client
    staff: Client
    kiosk: Client
    kiosk_token: str
    kiosk_no: int
    anon: Client
    counters: dict[int, int] = field(default_factory=dict)  # window → counter id

    def key(self) -> str:
        return f"test-{uuid.uuid4().hex}"

    def issue(
        self, queue: str = "A", *, client: Client | None = None, **body: Any
    ) -> requests.Response:
        return (client or self.kiosk).post(
            "/tickets", json={"queue": queue, **body}, headers={"Idempotency-Key": self.key()}
        )


def make_hall(server: RunningServer, prefix: str) -> Hall:
    hall_id = f"{prefix}-{uuid.uuid4().hex[:8]}"
    admin_login = server.credentials["admin"]
    admin = staff_login(server, admin_login["username"], admin_login["password"])
    r = admin.put(f"/halls/{hall_id}/content", json=hall_content(hall_id))
    assert r.status_code == 200, r.text
    user = f"staff-{hall_id}"
    # The CLI commands are tested in test_settings_and_cli.py; here the same functions
    # are called in-process, which is much faster than two more Python processes.
    db = Database(server.database_url or f"sqlite:///{server.data_dir / 'kiosk.sqlite3'}")
    try:

        def register(conn: Connection) -> tuple[int, int, str]:
            create_staff(conn, user, "staff-password-1", "hall_staff", hall_id)
            return create_kiosk(conn, hall_id, "测试机")

        _device_id, kiosk_no, token = db.write_sync(register)
    finally:
        db.close()
    staff = staff_login(server, user, "staff-password-1")
    counters = staff.get("/counters").json()["counters"]
    return Hall(
        id=hall_id,
        server=server,
        admin=admin,
        staff=staff,
        kiosk=Client(server.api, token),
        kiosk_token=token,
        kiosk_no=kiosk_no,
        anon=Client(server.api),
        counters={c["window"]: c["id"] for c in counters},
    )


def assert_error(r: requests.Response, status: int, code: str | None = None) -> dict[str, Any]:
    """The response is a 4xx with the JSON error shape (and ``code``, when given)."""
    assert r.status_code == status, (r.status_code, r.text)
    body = r.json()
    assert set(body) == {"error"}, body
    assert isinstance(body["error"]["code"], str) and body["error"]["message"], body
    if code is not None:
        assert body["error"]["code"] == code, body
    return dict(body["error"])
