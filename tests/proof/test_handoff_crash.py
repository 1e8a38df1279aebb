"""Two server processes on one SQLite file: one writes the tickets of both
(kiosk/server/tickets/handoff.py). The owner is killed (SIGKILL) in the middle of a burst
sent to the other one: every request the other one was asked still gets its ticket (the
answers the owner never sent are written again there, with the same Idempotency-Key), no
acknowledged ticket is lost, no key names two tickets, no number is given twice, and the
survivor becomes the owner."""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.proof.hall_access import TIMEOUT, demo_halls, issue, new_key
from tests.utils.servers import RunningServer, start_server

pytestmark = pytest.mark.slow

WRITERS = 8
ACKS_BEFORE_KILL = 80


def _role(server: RunningServer) -> str | None:
    r = requests.get(f"{server.api}/health", timeout=TIMEOUT)
    tickets: str | None = r.json().get("tickets")
    return tickets


def _until_roles(servers: list[RunningServer], wanted: set[str], seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while {_role(s) for s in servers} != wanted:
        assert time.monotonic() < deadline, [_role(s) for s in servers]
        time.sleep(0.1)


def test_the_owner_killed_mid_burst_loses_nothing_the_other_was_asked(tmp_path: Path) -> None:
    data_dir = tmp_path / "hall"
    servers = [start_server(data_dir), start_server(data_dir)]  # one SQLite file
    try:
        _until_roles(servers, {"owner", "handed"})
        owner = next(s for s in servers if _role(s) == "owner")
        other = next(s for s in servers if s is not owner)
        hall = demo_halls(other)[1]
        queues = hall.queues[:3]
        lock = threading.Lock()
        sent: list[tuple[str, str]] = []
        answered: dict[str, tuple[int, dict[str, Any]]] = {}
        failures: list[str] = []
        stop = threading.Event()

        def writer(n: int) -> None:
            with requests.Session() as session:
                i = 0
                while not stop.is_set():
                    key, queue = new_key(), queues[(n + i) % len(queues)]
                    i += 1
                    with lock:
                        sent.append((key, queue))
                    try:
                        r = issue(session, other, hall, queue, key)
                    except requests.RequestException as exc:
                        with lock:
                            failures.append(repr(exc))
                        return
                    with lock:
                        if r.status_code in (200, 201):
                            answered[key] = (r.status_code, r.json())
                        else:
                            failures.append(f"{r.status_code} {r.text[:200]}")

        threads = [threading.Thread(target=writer, args=(n,)) for n in range(WRITERS)]
        for t in threads:
            t.start()
        deadline = time.monotonic() + 120
        while len(answered) < ACKS_BEFORE_KILL and time.monotonic() < deadline:
            time.sleep(0.005)
        owner.kill()  # SIGKILL: its answers in flight are never sent
        at_kill = len(answered)
        time.sleep(1.5)  # the burst goes on against the survivor
        stop.set()
        for t in threads:
            t.join(TIMEOUT)
        assert not failures, failures[:5]
        assert at_kill >= ACKS_BEFORE_KILL
        assert len(answered) > at_kill, "the survivor stopped issuing after the kill"
        assert len(answered) == len(sent)  # every request the survivor was asked: a ticket
        _until_roles([other], {"owner"})

        by_number: dict[tuple[str, str], set[str]] = defaultdict(set)
        with requests.Session() as session:
            for key, queue in sent:
                _status, ticket = answered[key]
                assert ticket["queue"] == queue
                again = issue(session, other, hall, queue, key)
                assert again.status_code == 200, again.text  # a replay: the same ticket
                assert again.json()["id"] == ticket["id"]
                by_number[(ticket["queue"], ticket["number"])].add(ticket["id"])
            fresh = issue(session, other, hall, queues[0], new_key())
            assert fresh.status_code == 201, fresh.text
            by_number[(queues[0], fresh.json()["number"])].add(fresh.json()["id"])
        reused = {n: ids for n, ids in by_number.items() if len(ids) > 1}
        assert not reused, f"numbers held by more than one ticket: {reused}"
    finally:
        for s in servers:
            s.stop()
