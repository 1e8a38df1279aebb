"""Benchmark: content polls answered ``304 Not Modified`` per second.

A kiosk checks its hall's snapshot with ``GET /api/v1/kiosk/content`` and
``If-None-Match: <etag>``; nothing changed, so the server answers 304 with no body. Runs
against one ``kiosk-server demo`` process on SQLite and on a private PostgreSQL, at 1, 10
and 50 keep-alive clients spread over the seven demo halls' kiosk tokens.

    .venv/bin/python bench/server_polls.py [--backend sqlite|postgres|both] [--quick]

Target (2 cores): ≥ 3,000 304-polls/s.
"""

from __future__ import annotations

import asyncio
import sys

from _http_load import closed_loop, http_request, install_uvloop
from _server_under_test import (
    ServerUnderTest,
    backends_from_argv,
    conditions,
    server_under_test,
)

LEVELS = (1, 10, 50)


def run(server: ServerUnderTest, quick: bool) -> list[str]:
    host = f"{server.host}:{server.port}"
    requests = [
        http_request(
            "GET",
            "/api/v1/kiosk/content",
            host,
            {"Authorization": f"Bearer {h.kiosk_token}", "If-None-Match": h.etag},
        )
        for h in server.halls
    ]

    def build(i: int) -> bytes:
        return requests[i % len(requests)]

    async def go() -> list[str]:
        await closed_loop(server.host, server.port, build, clients=10, requests=500)  # warm-up
        lines = []
        for clients in LEVELS:
            total = (2000 if clients == 1 else 5000) if quick else (5000 if clients == 1 else 20000)
            res = await closed_loop(
                server.host, server.port, build, clients=clients, requests=total
            )
            bad = {s: n for s, n in res.statuses.items() if s != 304}
            note = f"  !!! non-304 answers {bad} e.g. {res.bodies[:1]}" if bad or res.errors else ""
            lines.append(f"[{server.backend:8}] 304-polls {res.summary()}{note}")
        return lines

    return asyncio.run(go())


def main(argv: list[str]) -> int:
    loop_name = install_uvloop()
    print(
        f"== content polls → 304 (load generator: asyncio/{loop_name}) ==", conditions(), flush=True
    )
    for backend in backends_from_argv(argv):
        with server_under_test(backend) as server:
            for line in run(server, "--quick" in argv):
                print(line, flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
