"""Stopping the server (SIGTERM) while kiosks' long-polls are waiting.

Every waiting ``GET /kiosk/events`` is answered with an ordinary empty page (200,
``events: []``, ``last_seq`` = ``after``) — never a 5xx, never a cut connection — and the
process exits without sitting out uvicorn's graceful-shutdown limit.
"""

from __future__ import annotations

import signal
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.utils.server_api import bearer
from tests.utils.servers import start_server

WAITERS = 12


@pytest.mark.parametrize("workers", [1, 2])
def test_sigterm_answers_every_waiting_long_poll_and_exits(tmp_path: Path, workers: int) -> None:
    server = start_server(tmp_path / "server", workers=workers)
    try:
        tokens = [k["token"] for k in server.credentials["kiosks"].values()]
        afters: list[int] = []
        for token in tokens:
            r = requests.get(
                f"{server.api}/kiosk/events", params={"after": 0}, headers=bearer(token), timeout=30
            )
            assert r.status_code == 200, r.text
            afters.append(r.json()["last_seq"])

        answers: list[Any] = [None] * WAITERS
        connected = threading.Semaphore(0)

        def wait(i: int) -> None:
            token, after = tokens[i % len(tokens)], afters[i % len(tokens)]
            url = f"{server.api}/kiosk/events"
            try:
                with requests.Session() as http:
                    http.headers.update(bearer(token))
                    # First a quick answer on this keep-alive connection: the server has
                    # then accepted it, so the long-poll below cannot be left in the
                    # listen queue (refused) when the signal comes.
                    first = http.get(url, params={"after": after}, timeout=30)
                    assert first.status_code == 200, first.text
                    connected.release()
                    r = http.get(url, params={"after": after, "wait": 30}, timeout=60)
                answers[i] = (r.status_code, r.json() if r.status_code == 200 else r.text, after)
            except (requests.RequestException, AssertionError) as exc:
                answers[i] = exc
                connected.release()

        threads = [threading.Thread(target=wait, args=(i,)) for i in range(WAITERS)]
        for t in threads:
            t.start()
        for _ in range(WAITERS):
            assert connected.acquire(timeout=30), "a kiosk could not reach the server"
        # Let the long-polls reach the server and start waiting (they wait 30 s).
        time.sleep(1.0)
        assert all(a is None for a in answers), answers

        server.process.send_signal(signal.SIGTERM)
        sent = time.monotonic()
        for t in threads:
            t.join(20)
        assert not any(t.is_alive() for t in threads), "a long-poll was left hanging"
        # Well under the 30 s the polls asked for, and under uvicorn's 5 s graceful limit
        # (past which it cancels the requests, and they were 500s).
        try:
            server.process.wait(max(0.5, sent + 4.5 - time.monotonic()))
        except subprocess.TimeoutExpired:
            pytest.fail("the server did not exit promptly after SIGTERM\n" + server.log()[-3000:])

        for answer in answers:
            assert isinstance(answer, tuple), answer
            status, body, after = answer
            assert status == 200, (status, body)
            assert body == {"events": [], "last_seq": after}
        assert "timeout graceful shutdown exceeded" not in server.log()
    finally:
        server.kill()
