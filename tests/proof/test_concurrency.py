"""Numbers are never handed out twice, whatever the concurrency: 20 clients, 2 server
processes on one database (SQLite file or PostgreSQL), tickets and offline leases drawing
from the same counter at once; and one Idempotency-Key sent 10 times at once is one ticket.
"""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests

from tests.proof.hall_access import TIMEOUT, demo_halls, issue, new_key, seq_of
from tests.utils.servers import RunningServer

pytestmark = pytest.mark.slow

CLIENTS = 20
TICKETS_PER_CLIENT = 10
LEASE_CLIENTS = 2
LEASES_PER_CLIENT = 5
LEASE_SIZE = 3


def test_200_concurrent_issues_on_two_processes_get_200_distinct_contiguous_numbers(
    two_servers: list[RunningServer],
) -> None:
    hall = demo_halls(two_servers[0])[0]
    queue = hall.queues[0]
    start = threading.Barrier(CLIENTS + LEASE_CLIENTS)

    def client(n: int) -> list[requests.Response]:
        server = two_servers[n % 2]  # half the clients on each process
        out = []
        with requests.Session() as session:
            start.wait(TIMEOUT)
            for _ in range(TICKETS_PER_CLIENT):
                out.append(issue(session, server, hall, queue, new_key()))
        return out

    def leaser(n: int) -> list[requests.Response]:
        server = two_servers[n % 2]
        out = []
        with requests.Session() as session:
            start.wait(TIMEOUT)
            for _ in range(LEASES_PER_CLIENT):
                out.append(
                    session.post(
                        f"{server.api}/kiosk/leases",
                        json={"queue": queue, "count": LEASE_SIZE},
                        headers=hall.auth,
                        timeout=TIMEOUT,
                    )
                )
        return out

    with ThreadPoolExecutor(CLIENTS + LEASE_CLIENTS) as pool:
        ticket_futures = [pool.submit(client, n) for n in range(CLIENTS)]
        lease_futures = [pool.submit(leaser, n) for n in range(LEASE_CLIENTS)]
        responses = [r for f in ticket_futures for r in f.result()]
        lease_responses = [r for f in lease_futures for r in f.result()]

    assert [r.status_code for r in responses] == [201] * CLIENTS * TICKETS_PER_CLIENT, {
        r.status_code: r.text for r in responses if r.status_code != 201
    }
    tickets = [r.json() for r in responses]
    assert all(t["queue"] == queue and t["hall_id"] == hall.id for t in tickets)
    numbers = [t["number"] for t in tickets]
    ids = [t["id"] for t in tickets]
    dupes = [n for n, c in Counter(numbers).items() if c > 1]
    assert not dupes, f"numbers handed out twice: {dupes}"
    assert len(set(ids)) == len(ids)

    assert all(r.status_code == 201 or r.status_code == 200 for r in lease_responses), [
        r.text for r in lease_responses
    ]
    leased: list[int] = []
    for r in lease_responses:
        lease = r.json()
        assert lease["end"] - lease["start"] + 1 == LEASE_SIZE, lease
        leased += range(lease["start"], lease["end"] + 1)
    seqs = [seq_of(t) for t in tickets]
    assert not set(seqs) & set(leased), "a leased number was also issued by the server"
    everything = sorted(seqs + leased)
    # The queue was empty today: tickets and leases together fill 1..230 without a gap.
    assert everything == list(range(1, len(everything) + 1))
    assert len(everything) == CLIENTS * TICKETS_PER_CLIENT + LEASE_CLIENTS * (
        LEASES_PER_CLIENT * LEASE_SIZE
    )


def test_same_idempotency_key_ten_times_at_once_is_one_ticket(
    two_servers: list[RunningServer],
) -> None:
    hall = demo_halls(two_servers[0])[1]
    queue = hall.queues[-1]
    key = new_key()
    start = threading.Barrier(10)

    def send(n: int) -> requests.Response:
        with requests.Session() as session:
            start.wait(TIMEOUT)
            return issue(session, two_servers[n % 2], hall, queue, key)

    with ThreadPoolExecutor(10) as pool:
        responses = list(pool.map(send, range(10)))

    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] * 9 + [201], [(r.status_code, r.text) for r in responses]
    bodies: list[dict[str, Any]] = [r.json() for r in responses]
    assert len({b["id"] for b in bodies}) == 1, bodies
    assert len({b["number"] for b in bodies}) == 1, bodies
    first = bodies[0]

    # Exactly one ticket exists: a later one has it (and only it) ahead, and the next number.
    with requests.Session() as session:
        later = issue(session, two_servers[1], hall, queue, new_key())
        assert later.status_code == 201, later.text
        assert later.json()["people_ahead"] == 1 + first["people_ahead"]
        assert seq_of(later.json()) == seq_of(first) + 1
        # And the key still names the same ticket, on either process.
        for server in two_servers:
            again = issue(session, server, hall, queue, key)
            assert again.status_code == 200, again.text
            assert again.json()["id"] == first["id"]
