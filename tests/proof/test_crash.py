"""The server is killed (SIGKILL) in the middle of a burst of ticket issues and restarted
on the same data: every ticket it acknowledged is still there, every Idempotency-Key still
names its ticket, and no number is handed out twice afterwards."""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.proof.hall_access import TIMEOUT, demo_halls, issue, new_key, seq_of
from tests.utils.servers import RunningServer, start_server

pytestmark = pytest.mark.slow

WRITERS = 8
ACKS_BEFORE_KILL = 80


def test_sigkill_mid_burst_loses_no_acknowledged_ticket_and_reuses_no_number(
    data_dir: Path, database_url: str | None
) -> None:
    server = start_server(data_dir, database_url=database_url)
    restarted: RunningServer | None = None
    try:
        hall = demo_halls(server)[2]
        queues = hall.queues[:2]
        lock = threading.Lock()
        sent: list[tuple[str, str]] = []  # (key, queue) of every request sent
        acked: dict[str, dict[str, Any]] = {}  # key → ticket the server acknowledged
        unexpected: list[str] = []
        killing = threading.Event()

        def writer(n: int) -> None:
            with requests.Session() as session:
                i = 0
                while True:  # until the dead server refuses the connection
                    key, queue = new_key(), queues[(n + i) % len(queues)]
                    i += 1
                    with lock:
                        sent.append((key, queue))
                    try:
                        r = issue(session, server, hall, queue, key, timeout=TIMEOUT)
                    except requests.RequestException as exc:
                        if not killing.is_set():
                            with lock:
                                unexpected.append(f"before the kill: {exc!r}")
                        return
                    with lock:
                        if r.status_code == 201:
                            acked[key] = r.json()
                        else:
                            unexpected.append(f"{r.status_code} {r.text}")

        threads = [threading.Thread(target=writer, args=(n,)) for n in range(WRITERS)]
        for t in threads:
            t.start()
        deadline = time.monotonic() + 120
        while len(acked) < ACKS_BEFORE_KILL and time.monotonic() < deadline and not unexpected:
            time.sleep(0.005)
        killing.set()
        server.kill()  # SIGKILL the process group while the writers keep sending
        for t in threads:
            t.join(TIMEOUT)
        assert not unexpected, unexpected[:5]
        assert len(acked) >= ACKS_BEFORE_KILL
        assert len(sent) > len(acked), "the kill should have caught requests in flight"

        restarted = start_server(data_dir, database_url=database_url)
        with requests.Session() as session:
            # 1. Every acknowledged ticket survived, unchanged.
            for key, ticket in acked.items():
                r = session.get(f"{restarted.api}/public/tickets/{ticket['id']}", timeout=TIMEOUT)
                assert r.status_code == 200, (key, r.text)
                assert r.json()["number"] == ticket["number"]
                assert r.json()["queue"] == ticket["queue"]

            # 2. Every key sent still names at most one ticket: acknowledged ones replay (200),
            #    the ones lost in flight either were committed (200) or are issued now (201).
            by_number: dict[str, set[str]] = defaultdict(set)
            last_seq_before: dict[str, int] = defaultdict(int)
            for ticket in acked.values():
                by_number[ticket["number"]].add(ticket["id"])
                last_seq_before[ticket["queue"]] = max(
                    last_seq_before[ticket["queue"]], seq_of(ticket)
                )
            for key, queue in sent:
                r = issue(session, restarted, hall, queue, key)
                if key in acked:
                    assert r.status_code == 200, r.text
                    assert r.json()["id"] == acked[key]["id"]
                else:
                    assert r.status_code in (200, 201), r.text
                by_number[r.json()["number"]].add(r.json()["id"])

            # 3. New tickets after the restart continue the series: no number reused.
            for queue in queues:
                for _ in range(10):
                    r = issue(session, restarted, hall, queue, new_key())
                    assert r.status_code == 201, r.text
                    fresh = r.json()
                    assert seq_of(fresh) > last_seq_before[queue], fresh["number"]
                    by_number[fresh["number"]].add(fresh["id"])

        reused = {n: ids for n, ids in by_number.items() if len(ids) > 1}
        assert not reused, f"numbers held by more than one ticket: {reused}"
    finally:
        if restarted is not None:
            restarted.stop()
        server.stop()
