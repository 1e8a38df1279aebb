"""Bearer tokens of the demo logins a test server writes to ``demo-credentials.json``."""

from __future__ import annotations

import requests

from devkit.servers import RunningServer

__all__ = ["staff_token"]

TIMEOUT = 60  # generous: a loaded 2-core machine


def staff_token(server: RunningServer, hall_id: str | None = None) -> str:
    """Bearer token of the demo hall staff of ``hall_id`` (None: the district admin)."""
    login = server.credentials["admin"] if hall_id is None else server.credentials["staff"][hall_id]
    r = requests.post(
        f"{server.api}/auth/token",
        json={"username": login["username"], "password": login["password"]},
        timeout=TIMEOUT,
    )
    assert r.status_code == 200, r.text
    return str(r.json()["access_token"])
