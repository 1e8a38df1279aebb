"""Two server processes on one database (SQLite file or PostgreSQL) act as one server.

Numbers are never handed out twice, whatever the concurrency: 20 clients, tickets and
offline leases drawing from the same counter at once; one Idempotency-Key sent 10 times at
once is one ticket; and what happens through one process (a publication, a call) reaches
the kiosks and phones talking to the other.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests

from tests.proof.hall_access import (
    TIMEOUT,
    DemoHall,
    demo_halls,
    issue,
    new_key,
    seq_of,
)
from tests.utils.logins import staff_token
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


def _latest_seq(server: RunningServer, hall: DemoHall) -> int:
    r = requests.get(
        f"{server.api}/kiosk/events", params={"after": 0}, headers=hall.auth, timeout=TIMEOUT
    )
    assert r.status_code == 200, r.text
    return int(r.json()["last_seq"])


def _long_poll_in_background(
    server: RunningServer, hall: DemoHall, after: int, wanted: str
) -> tuple[threading.Thread, list[dict[str, Any]]]:
    """Poll ``server``'s events (as a kiosk does) until one of type ``wanted`` arrives."""
    seen: list[dict[str, Any]] = []

    def poll() -> None:
        cursor = after
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            r = requests.get(
                f"{server.api}/kiosk/events",
                params={"after": cursor, "wait": 10},
                headers=hall.auth,
                timeout=TIMEOUT,
            )
            assert r.status_code == 200, r.text
            seen.extend(r.json()["events"])
            cursor = r.json()["last_seq"]
            if any(e["type"] == wanted for e in seen):
                return

    thread = threading.Thread(target=poll)
    thread.start()
    return thread, seen


def test_a_staff_status_change_on_one_process_reaches_kiosks_of_the_other(
    two_servers: list[RunningServer],
) -> None:
    """Content is cached per process; a publication through B must reach A's kiosks."""
    a, b = two_servers
    hall = demo_halls(a)[3]
    first = requests.get(f"{a.api}/kiosk/content", headers=hall.auth, timeout=TIMEOUT)
    assert first.status_code == 200
    etag, old_version = first.headers["ETag"], first.json()["version"]
    staff_id = first.json()["content"]["staff"][0]["id"]
    poller, seen = _long_poll_in_background(a, hall, _latest_seq(a, hall), "staff_status")

    token = staff_token(b, hall.id)
    r = requests.post(
        f"{b.api}/halls/{hall.id}/staff/{staff_id}/status",
        json={"status": "visiting", "status_note": "入户走访"},
        headers={"Authorization": f"Bearer {token}"},
        timeout=TIMEOUT,
    )
    assert r.status_code == 200, r.text
    new_version = r.json()["version"]
    assert new_version > old_version

    poller.join(TIMEOUT + 5)
    assert any(e["type"] == "staff_status" and e["data"]["staff_id"] == staff_id for e in seen), (
        seen
    )
    # Process A's content poll stops answering 304 for the old version (poll until).
    deadline = time.monotonic() + TIMEOUT
    while True:
        r = requests.get(
            f"{a.api}/kiosk/content",
            headers={**hall.auth, "If-None-Match": etag},
            timeout=TIMEOUT,
        )
        if r.status_code == 200 or time.monotonic() > deadline:
            break
        assert r.status_code == 304, r.text
        time.sleep(0.05)
    assert r.status_code == 200, "process A kept serving the old content version"
    assert r.json()["version"] == new_version
    person = next(s for s in r.json()["content"]["staff"] if s["id"] == staff_id)
    assert person["status"] == "visiting"


def test_a_call_at_a_window_on_one_process_reaches_kiosks_polling_the_other(
    two_servers: list[RunningServer],
) -> None:
    a, b = two_servers
    hall = demo_halls(a)[4]
    token = staff_token(a, hall.id)
    staff = {"Authorization": f"Bearer {token}"}
    counters = requests.get(f"{a.api}/counters", headers=staff, timeout=TIMEOUT)
    assert counters.status_code == 200, counters.text
    counter = next(c for c in counters.json()["counters"] if c["queues"])
    queue = counter["queues"][0]
    with requests.Session() as session:
        ticket = issue(session, b, hall, queue, new_key())
    assert ticket.status_code == 201, ticket.text

    poller, seen = _long_poll_in_background(b, hall, _latest_seq(b, hall), "call")
    called = requests.post(
        f"{a.api}/counters/{counter['id']}/call-next",
        json={"queues": [queue]},
        headers=staff,
        timeout=TIMEOUT,
    )
    assert called.status_code == 200, called.text
    poller.join(TIMEOUT + 5)
    calls = [e for e in seen if e["type"] == "call"]
    assert calls, seen
    assert calls[-1]["data"]["number"] == called.json()["number"]
    assert calls[-1]["data"]["window"] == counter["window"]
    # The resident's phone, asking process B, sees the call too.
    phone = requests.get(f"{b.api}/public/tickets/{called.json()['id']}", timeout=TIMEOUT)
    assert phone.status_code == 200
    assert phone.json()["state"] == "called"
    assert phone.json()["window"] == counter["window"]
