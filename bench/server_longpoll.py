"""Benchmark: how many idle event long-polls one server process holds.

Opens N keep-alive connections, each waiting in ``GET /api/v1/kiosk/events?after=<latest>
&wait=30`` (re-polling at once when a wait ends, as a kiosk does), then checks that the
same process still answers ``GET /api/v1/health`` quickly, and reads its memory, threads
and open files from /proc. Steps N = 1,000, 2,000, 4,000 on one ``kiosk-server demo``
process (SQLite and a private PostgreSQL). Finally one staff status change is published
and we time how long until every waiting poll of that hall has its event (fan-out).

    .venv/bin/python bench/server_longpoll.py [--backend sqlite|postgres|both] [--quick]

Target (2 cores): ≥ 2,000 idle long-polls held by one process.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
import time
import urllib.request
from typing import Any

from _http_load import http_request, install_uvloop, read_response
from _server_under_test import (
    ServerUnderTest,
    backends_from_argv,
    conditions,
    process_stats,
    raise_fd_limit,
    server_under_test,
)

from devkit import logins

STEPS = (1000, 2000, 4000)
QUICK_STEPS = (500, 2000)
WAIT_S = 30


def _json(url: str, token: str, body: dict[str, Any] | None = None) -> Any:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(
        url,
        data=data,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        method="POST" if data is not None else "GET",
    )
    with urllib.request.urlopen(req, timeout=30) as resp:
        return json.loads(resp.read())


def staff_token(server: ServerUnderTest) -> str:
    """A bearer token of the demo district admin (may act on every hall)."""
    return logins.staff_token(f"{server.base_url}/api/v1", server.credentials)


class Pollers:
    def __init__(self, server: ServerUnderTest, after: dict[str, int]) -> None:
        self.server = server
        self.after = after
        self.tasks: list[asyncio.Task[None]] = []
        self.in_flight = 0
        self.answers = 0
        self.premature = 0  # answered with no event well before the wait ran out
        self.errors: dict[str, int] = {}
        self.event_seen_at: dict[int, float] = {}  # poller → monotonic time of its event
        self.hall_of: dict[int, str] = {}
        self.stop = asyncio.Event()

    async def one(self, idx: int) -> None:
        hall = self.server.halls[idx % len(self.server.halls)]
        self.hall_of[idx] = hall.hall_id
        after = self.after[hall.hall_id]
        host = f"{self.server.host}:{self.server.port}"
        writer = None
        try:
            reader, writer = await asyncio.open_connection(self.server.host, self.server.port)
            while not self.stop.is_set():
                req = http_request(
                    "GET",
                    f"/api/v1/kiosk/events?after={after}&wait={WAIT_S}",
                    host,
                    {"Authorization": f"Bearer {hall.kiosk_token}"},
                )
                t0 = time.perf_counter()
                writer.write(req)
                self.in_flight += 1
                try:
                    status, _headers, body = await read_response(reader)
                finally:
                    self.in_flight -= 1
                self.answers += 1
                if status != 200:
                    self.errors[f"http {status}"] = self.errors.get(f"http {status}", 0) + 1
                    await asyncio.sleep(1)
                    continue
                payload = json.loads(body)
                if payload["events"]:
                    self.event_seen_at.setdefault(idx, time.perf_counter())
                elif time.perf_counter() - t0 < WAIT_S - 5:
                    self.premature += 1
                after = max(after, int(payload["last_seq"]))
        except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
            if not self.stop.is_set():
                name = type(exc).__name__
                self.errors[name] = self.errors.get(name, 0) + 1
        finally:
            if writer is not None:
                writer.close()

    async def open(self, n: int, batch: int = 200) -> None:
        for start in range(0, n, batch):
            for i in range(start, min(n, start + batch)):
                self.tasks.append(asyncio.create_task(self.one(i)))
            await asyncio.sleep(0.05)

    async def close(self) -> None:
        self.stop.set()
        for t in self.tasks:
            t.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)


class HealthProbe:
    """Asks ``GET /api/v1/health`` every 20 ms on its own connection, noting each latency."""

    def __init__(self, server: ServerUnderTest) -> None:
        self.server = server
        self.samples: list[tuple[float, float]] = []  # (perf_counter at send, ms)
        self._task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        host = f"{self.server.host}:{self.server.port}"
        reader, writer = await asyncio.open_connection(self.server.host, self.server.port)
        try:
            while True:
                t0 = time.perf_counter()
                writer.write(http_request("GET", "/api/v1/health", host))
                status, _h, _b = await asyncio.wait_for(read_response(reader), 60)
                if status != 200:
                    raise RuntimeError(f"/health answered {status}")
                self.samples.append((t0, (time.perf_counter() - t0) * 1000))
                await asyncio.sleep(0.02)
        finally:
            writer.close()

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    def between(self, t_from: float, t_to: float) -> list[float]:
        return sorted(ms for t, ms in self.samples if t_from <= t < t_to)


def _pct(data: list[float], p: float) -> float:
    return data[min(len(data) - 1, round(p / 100 * (len(data) - 1)))] if data else float("nan")


async def fan_out(server: ServerUnderTest, pollers: Pollers, token: str) -> str:
    """Publish one staff status change; time until every poller of that hall has an event."""
    hall = server.halls[0]
    snap = _json(f"{server.base_url}/api/v1/halls/{hall.hall_id}/content", token)
    staff_id = snap["content"]["staff"][0]["id"]
    targets = [i for i, h in pollers.hall_of.items() if h == hall.hall_id]
    t0 = time.perf_counter()
    await asyncio.to_thread(
        _json,
        f"{server.base_url}/api/v1/halls/{hall.hall_id}/staff/{staff_id}/status",
        token,
        {"status": "meeting", "status_note": "bench"},
    )
    post_ms = (time.perf_counter() - t0) * 1000
    deadline = t0 + 20
    while time.perf_counter() < deadline:
        if all(i in pollers.event_seen_at for i in targets):
            break
        await asyncio.sleep(0.005)
    got = [pollers.event_seen_at[i] - t0 for i in targets if i in pollers.event_seen_at]
    got.sort()
    if not got:
        return f"fan-out: none of {len(targets)} polls of {hall.hall_id} got the event in 20 s"
    return (
        f"one staff-status change (POST answered in {post_ms:.0f} ms) reached "
        f"{len(got)}/{len(targets)} waiting polls of {hall.hall_id}: "
        f"first {got[0] * 1000:.0f} ms, median {got[len(got) // 2] * 1000:.0f} ms, "
        f"last {got[-1] * 1000:.0f} ms"
    )


def latest_seqs(server: ServerUnderTest) -> dict[str, int]:
    url = f"{server.base_url}/api/v1/kiosk/events?after=0&wait=0"
    return {h.hall_id: int(_json(url, h.kiosk_token)["last_seq"]) for h in server.halls}


def run(server: ServerUnderTest, n: int) -> list[str]:
    """Hold ``n`` long-polls on a fresh server; what it costs, and one event's fan-out."""
    after = latest_seqs(server)
    token = None
    with contextlib.suppress(Exception):
        token = staff_token(server)
    tag = f"[{server.backend:8}] {n:>5} polls:"

    async def go() -> list[str]:
        base = process_stats(server.pid)
        probe = HealthProbe(server)
        probe.start()
        await asyncio.sleep(0.5)
        pollers = Pollers(server, after)
        t0 = time.perf_counter()
        await pollers.open(n)
        # Until the server has accepted them all (its open fds) and they are all waiting.
        for _ in range(600):  # at most 60 s
            if pollers.in_flight >= n and process_stats(server.pid)["fds"] >= base["fds"] + n:
                break
            await asyncio.sleep(0.1)
        t_held = time.perf_counter()
        await asyncio.sleep(1.0)
        t_steady = time.perf_counter()
        await asyncio.sleep(4.0)
        t_end = time.perf_counter()
        st = process_stats(server.pid)
        burst = probe.between(t0, t_steady)
        steady = probe.between(t_steady, t_end)
        lines = [
            f"{tag} held {st['fds'] - base['fds']:>5} connections (server fds) "
            f"{t_held - t0:.1f} s after the first; "
            f"rss {base['rss_kib'] / 1024:.0f} → {st['rss_kib'] / 1024:.0f} MiB "
            f"(+{(st['rss_kib'] - base['rss_kib']) / max(n, 1):.0f} KiB each), "
            f"{st['threads']} threads",
            f"{tag} /health while they connect: max {max(burst, default=float('nan')):.0f} ms; "
            f"while they wait: p50 {_pct(steady, 50):.1f} ms, p99 {_pct(steady, 99):.1f} ms, "
            f"max {max(steady, default=float('nan')):.1f} ms ({len(steady)} samples)",
        ]
        if pollers.premature or pollers.errors:
            lines.append(
                f"{tag} !!! premature answers {pollers.premature}, errors {pollers.errors}"
            )
        if token:
            try:
                lines.append(f"{tag} " + await fan_out(server, pollers, token))
            except Exception as exc:  # a benchmark reports, it does not crash
                lines.append(f"{tag} fan-out not measured: {exc!r}")
        await probe.stop()
        await pollers.close()
        return lines

    return asyncio.run(go())


def main(argv: list[str]) -> int:
    loop_name = install_uvloop()
    limit = raise_fd_limit()
    steps = QUICK_STEPS if "--quick" in argv else STEPS
    print(
        f"== idle event long-polls (asyncio/{loop_name}, fd limit {limit}, wait={WAIT_S}) ==",
        conditions(),
        flush=True,
    )
    for backend in backends_from_argv(argv):
        for n in steps:
            with server_under_test(backend) as server:  # fresh: no waiters left from before
                for line in run(server, n):
                    print(line, flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
