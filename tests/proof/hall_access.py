"""What a proof test needs to act as a demo kiosk or staff member of a running server."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import requests

from tests.utils.servers import RunningServer

TIMEOUT = 60  # generous: a loaded 2-core machine


@dataclass(frozen=True)
class DemoHall:
    id: str
    kiosk_token: str
    queues: list[str]  # open queue codes

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.kiosk_token}"}


def demo_halls(server: RunningServer) -> list[DemoHall]:
    """Every demo hall with its demo kiosk token and open queues, sorted by hall id."""
    halls = []
    for hall_id, kiosk in sorted(server.credentials["kiosks"].items()):
        r = requests.get(
            f"{server.api}/kiosk/content",
            headers={"Authorization": f"Bearer {kiosk['token']}"},
            timeout=TIMEOUT,
        )
        assert r.status_code == 200, r.text
        queues = [q["code"] for q in r.json()["content"]["queues"] if q.get("open", True)]
        assert queues, f"demo hall {hall_id} has no open queue"
        halls.append(DemoHall(hall_id, kiosk["token"], queues))
    assert len(halls) >= 3, "the demo data should have the seven halls of 姚家街道"
    return halls


def new_key() -> str:
    return f"proof-{uuid.uuid4().hex}"


def issue(
    session: requests.Session,
    server: RunningServer,
    hall: DemoHall,
    queue: str,
    key: str,
    *,
    timeout: float = TIMEOUT,
) -> requests.Response:
    return session.post(
        f"{server.api}/tickets",
        json={"queue": queue},
        headers={**hall.auth, "Idempotency-Key": key},
        timeout=timeout,
    )


def seq_of(ticket: dict[str, Any]) -> int:
    """The sequence number of a server-numbered ticket ("A012" → 12)."""
    number = str(ticket["number"])
    assert number[0] == ticket["queue"] and number[1:].isdigit(), number
    return int(number[1:])
