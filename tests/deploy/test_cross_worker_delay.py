"""A change made on one worker reaches a long-poll held by another worker within a bound,
while the first worker is busy issuing tickets (issue 16: the district simulation saw
p99 0.8–2.8 s for that path under load).

Two ``kiosk-server demo`` processes on one PostgreSQL. Four demo halls have three
long-polls each held on worker B; worker A issues a ticket for a hall while two clients
keep A's ticket path busy with the other halls; each ticket's ``ticket`` event must reach
B's long-polls of that hall within ``BOUND`` seconds of A's answer. On PostgreSQL the
NOTIFY carries the hall's seq (kiosk/server/events.py), so B wakes the hall's waiters
without a scan of the database.
"""

from __future__ import annotations

import statistics
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.proof.hall_access import TIMEOUT, DemoHall, demo_halls, issue, new_key
from tests.utils.servers import RunningServer, start_server

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

#: The issue's target for a call reaching its hall is 1 s at p99; this is the worst case
#: allowed here, on a shared two-core machine.
BOUND = 1.0
ROUNDS = 3


@pytest.fixture(scope="module")
def two_workers(postgres_database_url: str, tmp_path_factory: Any) -> Iterator[list[RunningServer]]:
    data = Path(tmp_path_factory.mktemp("two-workers"))
    servers: list[RunningServer] = []
    try:
        for _ in range(2):
            servers.append(start_server(data, database_url=postgres_database_url))
        yield servers
    finally:
        for s in servers:
            s.stop()


def _last_seq(server: RunningServer, hall: DemoHall) -> int:
    r = requests.get(
        f"{server.api}/kiosk/events", params={"after": 0}, headers=hall.auth, timeout=TIMEOUT
    )
    assert r.status_code == 200, r.text
    return int(r.json()["last_seq"])


class _Poller(threading.Thread):
    """A kiosk's long-poll loop on one worker: when each ticket number was first seen."""

    def __init__(self, server: RunningServer, hall: DemoHall, stop: threading.Event) -> None:
        super().__init__(daemon=True)
        self.server, self.hall, self.stop = server, hall, stop
        self.seen: dict[str, float] = {}
        self.ready = threading.Event()

    def run(self) -> None:
        cursor = _last_seq(self.server, self.hall)
        with requests.Session() as session:
            while not self.stop.is_set():
                self.ready.set()
                r = session.get(
                    f"{self.server.api}/kiosk/events",
                    params={"after": cursor, "wait": 5},
                    headers=self.hall.auth,
                    timeout=TIMEOUT,
                )
                now = time.monotonic()
                if r.status_code != 200:
                    continue
                for event in r.json()["events"]:
                    if event["type"] == "ticket":
                        self.seen.setdefault(event["data"]["number"], now)
                cursor = r.json()["last_seq"]


def _burst(server: RunningServer, halls: list[DemoHall], stop: threading.Event) -> None:
    """Keep the worker's ticket path busy (as kiosks of other halls would)."""
    i = 0
    with requests.Session() as session:
        while not stop.is_set():
            hall = halls[i % len(halls)]
            issue(session, server, hall, hall.queues[i % len(hall.queues)], new_key())
            i += 1


def test_a_ticket_on_worker_a_reaches_long_polls_on_worker_b_within_the_bound(
    two_workers: list[RunningServer],
) -> None:
    a, b = two_workers
    everyone = demo_halls(a)
    # The burst uses other halls' kiosks: each kiosk token has its own ticket rate.
    halls, others = everyone[:4], everyone[4:]
    stop = threading.Event()
    pollers = [_Poller(b, hall, stop) for hall in halls for _ in range(3)]
    for p in pollers:
        p.start()
    for p in pollers:
        assert p.ready.wait(TIMEOUT)
    busy = [threading.Thread(target=_burst, args=(a, others, stop)) for _ in range(2)]
    for t in busy:
        t.start()
    delays: list[float] = []
    try:
        time.sleep(1.0)  # the burst under way, the long-polls parked on B
        with requests.Session() as session:
            for _ in range(ROUNDS):
                for hall in halls:
                    r = issue(session, a, hall, hall.queues[0], new_key())
                    answered = time.monotonic()
                    assert r.status_code == 201, r.text
                    number = r.json()["number"]
                    mine = [p for p in pollers if p.hall is hall]
                    deadline = answered + 10
                    while time.monotonic() < deadline and not all(number in p.seen for p in mine):
                        time.sleep(0.005)
                    for p in mine:
                        assert number in p.seen, f"{hall.id} {number} never reached worker B"
                        delays.append(max(0.0, p.seen[number] - answered))
    finally:
        stop.set()
        for t in busy:
            t.join(TIMEOUT)
        for p in pollers:
            p.join(TIMEOUT)
    worst = max(delays)
    print(
        f"cross-worker delay over {len(delays)} long-polls: median "
        f"{statistics.median(delays) * 1000:.0f} ms, worst {worst * 1000:.0f} ms"
    )
    assert worst <= BOUND, f"a ticket took {worst:.2f} s to reach worker B (bound {BOUND} s)"
