"""A demo hall seen from a kiosk, and a staff desk on it, for the sync tests (fixtures:
tests/sync/conftest.py).
"""

from __future__ import annotations

from dataclasses import dataclass

import requests

from tests.sync.harness import StaffDesk
from tests.utils.servers import RunningServer


@dataclass(frozen=True)
class Hall:
    """One demo hall on the running server, seen from a kiosk."""

    base_url: str
    hall_id: str
    token: str  # the kiosk's bearer token
    device_id: int  # the kiosk's row on the server
    staff_login: dict[str, str]  # username, password of a staff member of this hall


def hall_of(server: RunningServer) -> Hall:
    creds = server.credentials
    hall_id = sorted(creds["kiosks"])[0]
    return Hall(
        base_url=server.base_url.rstrip("/"),
        hall_id=hall_id,
        token=creds["kiosks"][hall_id]["token"],
        device_id=creds["kiosks"][hall_id]["device_id"],
        staff_login=creds["staff"][hall_id],
    )


def staff_desk(hall: Hall) -> StaffDesk:
    resp = requests.post(f"{hall.base_url}/api/v1/auth/token", json=hall.staff_login, timeout=30)
    assert resp.status_code == 200, resp.text
    return StaffDesk(hall.base_url, resp.json()["access_token"])
