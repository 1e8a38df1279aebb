"""Benchmark: ticket issues per second and p50/p99 latency at 1, 10 and 50 clients.

Each level runs against a fresh ``kiosk-server demo`` (one uvicorn process) on SQLite and on
a private PostgreSQL. Clients are keep-alive connections in a closed loop (bench/_http_load),
each request a ``POST /api/v1/tickets`` with a new ``Idempotency-Key``, spread round-robin
over every open queue of every demo hall (a queue holds at most 999 numbers a day).

    .venv/bin/python bench/server_tickets.py [--backend sqlite|postgres|both]
        [--queues all|first] [--workers N] [--quick]

``--queues all`` (default: both, one after the other) spreads the tickets over every open
queue of the seven halls (≈ 70 queues: many small groups per write batch); ``first`` uses
one queue per hall (7 busy queues, as on a Monday morning). ``--workers 2`` runs the
server as ``--workers 2`` (two uvicorn processes on one port and one database).

Target (2 cores): ≥ 1,000 tickets/s with p99 < 50 ms at 10 clients on SQLite.
"""

from __future__ import annotations

import asyncio
import json
import sys
import uuid

from _http_load import closed_loop, http_request, install_uvloop
from _server_under_test import (
    ServerUnderTest,
    backends_from_argv,
    conditions,
    server_under_test,
)

LEVELS = (1, 10, 50)
WARMUP = 200


def requests_for(clients: int, quick: bool) -> int:
    if quick:
        return 300 if clients == 1 else 1000
    return 1500 if clients == 1 else 5000


def ticket_requests(server: ServerUnderTest, spread: str) -> list[tuple[str, str]]:
    """(token, queue) pairs to rotate through: every open queue of every hall ("all"), or
    the first queue of each hall ("first": fewer, busier queues)."""
    if spread == "first":
        return [(h.kiosk_token, h.queues[0]) for h in server.halls]
    return [(h.kiosk_token, q) for h in server.halls for q in h.queues]


def run_level(server: ServerUnderTest, clients: int, total: int, spread: str) -> str:
    targets = ticket_requests(server, spread)
    capacity = 999 * len(targets)
    if total + WARMUP > capacity:
        raise SystemExit(f"only {capacity} numbers available today; lower the request count")
    run_id = uuid.uuid4().hex[:8]
    host = f"{server.host}:{server.port}"

    def build(i: int) -> bytes:
        token, queue = targets[i % len(targets)]
        body = json.dumps({"queue": queue}).encode()
        return http_request(
            "POST",
            "/api/v1/tickets",
            host,
            {
                "Authorization": f"Bearer {token}",
                "Content-Type": "application/json",
                "Idempotency-Key": f"bench-{run_id}-{i:07d}",
            },
            body,
        )

    async def go() -> str:
        warm = await closed_loop(server.host, server.port, build, clients=clients, requests=WARMUP)
        if warm.statuses.get(201, 0) == 0:
            sample = warm.bodies[:1]
            raise SystemExit(f"warm-up issued no ticket: {dict(warm.statuses)} {sample}")

        def build_after_warmup(i: int) -> bytes:
            return build(i + WARMUP)

        res = await closed_loop(
            server.host, server.port, build_after_warmup, clients=clients, requests=total
        )
        bad = {s: n for s, n in res.statuses.items() if s != 201}
        note = f"  !!! non-201 answers {bad} e.g. {res.bodies[:1]}" if bad or res.errors else ""
        where = f"{len(targets)} queues"
        return f"[{server.backend:8}] tickets ({where:>9}) {res.summary()}{note}"

    return asyncio.run(go())


def main(argv: list[str]) -> int:
    loop_name = install_uvloop()
    quick = "--quick" in argv
    workers = int(argv[argv.index("--workers") + 1]) if "--workers" in argv else 1
    spreads = ["all", "first"]
    if "--queues" in argv:
        spreads = [argv[argv.index("--queues") + 1]]
    print(
        f"== ticket issues (load generator: asyncio/{loop_name}, keep-alive) ==",
        conditions(),
        flush=True,
    )
    for backend in backends_from_argv(argv):
        for spread in spreads:
            for clients in LEVELS:
                # A fresh server (and database) per level: each starts from empty queues.
                with server_under_test(backend, workers=workers) as server:
                    line = run_level(server, clients, requests_for(clients, quick), spread)
                    print(line, flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
