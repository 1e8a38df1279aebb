"""One kiosk token cannot exhaust a queue: it takes at most its daily share of a queue's
numbers, delivers at a sane rate (429 beyond, JSON error shape, Retry-After), delivers only
its own leased or fallback numbers, and the refusals show on the fleet page. Real
two-worker server with the default limits, SQLite and PostgreSQL, parallel requests; the
real kiosk courier keeps what was refused for later."""

from __future__ import annotations

import math
import re
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from kiosk.server.settings import ServerSettings
from kiosk.sync.client import HallClient
from kiosk.sync.courier import TicketCourier
from kiosk.sync.outbox import TicketOutbox
from tests.security.auth_support import (
    BACKENDS,
    TIMEOUT,
    all_at_once,
    assert_error,
    new_kiosk,
    serve,
)
from tests.utils.servers import RunningServer

DEFAULTS = ServerSettings(demo_mode=True)
BURST = DEFAULTS.kiosk_ticket_burst
PER_MINUTE = DEFAULTS.kiosk_tickets_per_minute
SHARE = DEFAULTS.kiosk_numbers_per_queue_day
_CSRF = re.compile(r'name="csrf" value="([^"]+)"')


@pytest.fixture(scope="module", params=BACKENDS)
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningServer]:
    # The defaults themselves (tests/utils/servers.py lifts them for other tests).
    limits = {
        "KIOSK_SERVER_KIOSK_TICKET_BURST": str(BURST),
        "KIOSK_SERVER_KIOSK_TICKETS_PER_MINUTE": str(PER_MINUTE),
        "KIOSK_SERVER_KIOSK_NUMBERS_PER_QUEUE_DAY": str(SHARE),
    }
    yield from serve(request, tmp_path_factory.mktemp("kiosk-quota"), limits)


class Kiosk:
    def __init__(self, server: RunningServer, hall_id: str) -> None:
        self.server = server
        self.hall_id = hall_id
        self.name = f"限流测试{uuid.uuid4().hex[:6]}"
        self.device_id, self.kiosk_no, self.token = new_kiosk(server, hall_id, self.name)
        self.http = requests.Session()
        self.http.headers["Authorization"] = f"Bearer {self.token}"
        info = self.get("/kiosk/queues").json()
        self.day = info["service_day"]
        self.queue = info["queues"][0]["queue"]
        self._seq = 0

    def get(self, path: str) -> requests.Response:
        return self.http.get(f"{self.server.api}{path}", timeout=TIMEOUT)

    def post(self, path: str, body: Any, **headers: str) -> requests.Response:
        return self.http.post(
            f"{self.server.api}{path}", json=body, headers=headers, timeout=TIMEOUT
        )

    def fallback(self) -> dict[str, Any]:
        """The next number of this kiosk's own fallback series."""
        self._seq += 1
        text = f"{self.queue}{self.kiosk_no}-{self._seq:03d}"
        return {"service_day": self.day, "seq": self._seq, "text": text, "lease_id": None}

    def batch_item(self) -> dict[str, Any]:
        key = f"sec-{uuid.uuid4().hex}"
        return {"queue": self.queue, "idempotency_key": key, "number": self.fallback()}

    def ticket(self, number: dict[str, Any] | None = None) -> requests.Response:
        body: dict[str, Any] = {"queue": self.queue}
        if number is not None:
            body["number"] = number
        return self.post("/tickets", body, **{"Idempotency-Key": f"sec-{uuid.uuid4().hex}"})

    def lease(self, count: int) -> requests.Response:
        return self.post("/kiosk/leases", {"queue": self.queue, "count": count})


def _staff_ticket(server: RunningServer, hall_id: str, queue: str) -> requests.Response:
    login = server.credentials["staff"][hall_id]
    token = requests.post(
        f"{server.api}/auth/token",
        json={"username": login["username"], "password": login["password"]},
        timeout=TIMEOUT,
    ).json()["access_token"]
    return requests.post(
        f"{server.api}/tickets",
        json={"queue": queue},
        headers={"Authorization": f"Bearer {token}", "Idempotency-Key": uuid.uuid4().hex},
        timeout=TIMEOUT,
    )


def _assert_rate_limited(r: requests.Response) -> None:
    error = assert_error(r, 429, "rate_limited")
    assert "过于频繁" in error["message"]
    assert int(r.headers["Retry-After"]) >= 1


def test_one_kiosk_token_cannot_use_up_a_queue(server: RunningServer) -> None:
    hall = "huayang"
    attacker = Kiosk(server, hall)
    # The attack that emptied queue A: 500-item batches of tickets without a number, four
    # at once (both workers answer some).
    batch = {
        "tickets": [
            {"queue": attacker.queue, "idempotency_key": f"atk-{uuid.uuid4().hex}"}
            for _ in range(500)
        ]
    }
    started = time.monotonic()
    answers = all_at_once([lambda: attacker.post("/tickets/batch", batch) for _ in range(4)])
    elapsed = time.monotonic() - started
    for r in answers:  # each batch had more than the rate allows
        _assert_rate_limited(r)
    # What went through: one burst (plus what the bucket refilled meanwhile), no more.
    replay = attacker.post("/tickets/batch", {"tickets": batch["tickets"][:BURST]})
    assert replay.status_code == 200, replay.text
    got = [x for x in replay.json()["results"] if x["ticket"] is not None]
    assert len(got) == BURST
    # Leases count against the same daily share: shortened, then refused.
    leased = 0
    while True:
        r = attacker.lease(100)
        if r.status_code != 201:
            break
        leased += r.json()["end"] - r.json()["start"] + 1
    error = assert_error(r, 429, "kiosk_quota")
    assert str(SHARE) in error["message"] and r.headers["Retry-After"]
    taken = BURST + leased
    slack = math.ceil(elapsed * PER_MINUTE / 60) + 2
    assert SHARE - slack <= taken <= SHARE, (taken, leased)
    # Nor can it ask for single numbers any more (its rate has room again for one).
    time.sleep(60 / PER_MINUTE + 0.2)
    assert_error(attacker.ticket(), 429, "kiosk_quota")

    # Everyone else still gets numbers of that queue today.
    other = Kiosk(server, hall)
    r = other.lease(20)
    assert r.status_code == 201, r.text
    assert r.json()["start"] > SHARE - slack
    staff = _staff_ticket(server, hall, attacker.queue)
    assert staff.status_code == 201, staff.text
    # And the attacker's own fallback series still works (its tickets are not lost).
    time.sleep(60 / PER_MINUTE + 0.2)
    assert attacker.ticket(attacker.fallback()).status_code == 201


def test_the_rate_holds_across_workers_under_parallel_requests(server: RunningServer) -> None:
    kiosk = Kiosk(server, "youyi-yuan")
    sent = [(f"sec-{uuid.uuid4().hex}", kiosk.fallback()) for _ in range(BURST + 80)]

    def deliver(key: str, number: dict[str, Any]) -> requests.Response:
        body = {"queue": kiosk.queue, "number": number}
        return kiosk.post("/tickets", body, **{"Idempotency-Key": key})

    started = time.monotonic()
    answers = all_at_once([lambda k=k, n=n: deliver(k, n) for k, n in sent])
    elapsed = time.monotonic() - started
    created = [i for i, r in enumerate(answers) if r.status_code == 201]
    assert BURST <= len(created) <= BURST + math.ceil(elapsed * PER_MINUTE / 60) + 1
    for r in answers:
        if r.status_code != 201:
            _assert_rate_limited(r)
    # The bucket is empty now, yet a delivered ticket sent again is its replay (free).
    key, number = sent[created[0]]
    again = deliver(key, number)
    assert again.status_code == 200 and again.json()["number"] == number["text"], again.text


def test_a_batch_beyond_the_rate_is_refused_and_safe_to_send_again(server: RunningServer) -> None:
    kiosk = Kiosk(server, "mingshi-haoting")
    items = [kiosk.batch_item() for _ in range(BURST + 10)]
    r = kiosk.post("/tickets/batch", {"tickets": items})
    _assert_rate_limited(r)
    # The first BURST went in; sending them again is a replay and is never refused.
    again = kiosk.post("/tickets/batch", {"tickets": items[:BURST]})
    assert again.status_code == 200, again.text
    results = again.json()["results"]
    assert all(x["ticket"] is not None for x in results)
    numbers = {x["ticket"]["number"] for x in results}
    assert numbers == {i["number"]["text"] for i in items[:BURST]}


def test_a_kiosk_delivers_only_its_own_numbers(server: RunningServer) -> None:
    mine, theirs = Kiosk(server, "huayang"), Kiosk(server, "huayang")
    lease = theirs.lease(5)
    assert lease.status_code == 201, lease.text
    block = lease.json()
    stolen = {
        "service_day": block["service_day"],
        "seq": block["start"],
        "text": f"{block['queue']}{block['start']:03d}",
        "lease_id": block["lease_id"],
    }
    assert_error(mine.ticket(stolen), 422, "unknown_lease")
    their_fallback = theirs.fallback()
    assert_error(mine.ticket(their_fallback), 422, "invalid_number")
    assert theirs.ticket(stolen).status_code == 201


def test_the_fleet_page_shows_the_refusals(server: RunningServer) -> None:
    kiosk = Kiosk(server, "youyi-yuan")
    items = [kiosk.batch_item() for _ in range(BURST + 7)]
    _assert_rate_limited(kiosk.post("/tickets/batch", {"tickets": items}))
    admin = requests.Session()
    page = admin.get(f"{server.base_url}/admin/login", timeout=TIMEOUT).text
    login = server.credentials["admin"]
    found = _CSRF.search(page)
    assert found
    r = admin.post(
        f"{server.base_url}/admin/login",
        data={"username": login["username"], "password": login["password"], "csrf": found.group(1)},
        timeout=TIMEOUT,
        allow_redirects=False,
    )
    assert r.status_code == 303
    fleet = admin.get(f"{server.base_url}/admin/fleet", timeout=TIMEOUT).text
    row = next(part for part in fleet.split("<tr") if kiosk.name in part)
    assert "拒绝 7 次" in row, row
    assert f"每分钟最多提交 {int(PER_MINUTE)} 张" in fleet and f"最多占用 {SHARE} 个号码" in fleet


def test_the_kiosk_courier_keeps_what_was_refused(server: RunningServer, tmp_path: Path) -> None:
    _, kiosk_no, token = new_kiosk(server, "mingshi-haoting")
    outbox = TicketOutbox(tmp_path / "outbox.sqlite3", kiosk_no=kiosk_no)
    client = HallClient(server.base_url, token, timeout=30)
    courier = TicketCourier(outbox, client, batch_size=50)
    courier.refresh()
    queue = client.queues().queues[0].queue
    for _ in range(BURST + 30):  # taken offline: the kiosk's own fallback series
        outbox.take(queue)
    # Two batches of 50 go through; the third meets the rate (429) and the round stops.
    assert courier.run_once() is False
    assert "429" in (courier.status.last_error or ""), courier.status
    tickets = outbox.tickets()
    assert sum(t.status == "delivered" for t in tickets) == 100
    assert not any(t.status == "rejected" for t in tickets)
    assert outbox.backlog() == BURST + 30 - 100  # kept for the next round, not lost
