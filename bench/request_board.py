"""Benchmark: the staff request board over HTTP with 10,000 requests in one hall.

The real server (``kiosk-server demo`` on a fresh SQLite file), 10,000 requests of
名士豪庭 registered through the store (``kiosk.server.requests``) over the last three
months — a third waiting for 受理, a third being handled, a third closed — then
``GET /api/v1/requests`` (the board: 50 rows by time left, each row's light computed) as
the hall's staff, and its filtered variants. Prints the median and 95th percentile of
the wall time per page load (target: ≤ 300 ms).

    .venv/bin/python bench/request_board.py [--quick]
"""

from __future__ import annotations

import datetime as dt
import json
import random
import statistics
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

from sqlalchemy.engine import Connection

from devkit.servers import start_server
from kiosk.core import clock
from kiosk.core.service_requests import Action, Actor, Role
from kiosk.server import requests as store
from kiosk.server.db import Database
from kiosk.server.settings import build_settings

HALL = "mingshi-haoting"
TARGET_MS = 300
STAFF = Actor(Role.STAFF, "bench")
CATEGORIES = ["repair", "help", "question", "complaint", "home-service", "elderly", "safety"]


def _fill(url: str, count: int) -> float:
    """Register ``count`` requests (in transactions of 500); the seconds it took."""
    settings = build_settings(demo_mode=True)
    now = clock.now()
    rng = random.Random(13)
    db = Database(url)
    started = time.perf_counter()
    try:
        for start in range(0, count, 500):

            def batch(conn: Connection, start: int = start) -> None:
                for i in range(start, min(start + 500, count)):
                    at = now - dt.timedelta(minutes=rng.randrange(90 * 24 * 60))
                    record = store.register(
                        conn,
                        hall_id=HALL,
                        category=rng.choice(CATEGORIES),
                        description=f"第 {i} 条：楼道灯不亮，请尽快处理",
                        channel="window",
                        actor=STAFF,
                        at=at,
                        phone=f"138{i:08d}" if i % 2 else None,
                        settings=settings,
                    )
                    kind = i % 3
                    if kind >= 1:
                        at += dt.timedelta(hours=2)
                        store.act(conn, record.id, Action.ACCEPT, STAFF, at)
                    if kind == 2:
                        at += dt.timedelta(hours=3)
                        store.act(conn, record.id, Action.RESOLVE, STAFF, at, answer="已处理")

            db.write_sync(batch)
    finally:
        db.close()
    return time.perf_counter() - started


def _token(base: str, username: str, password: str) -> str:
    body = json.dumps({"username": username, "password": password}).encode()
    req = urllib.request.Request(
        f"{base}/api/v1/auth/token", body, {"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(req, timeout=30) as r:
        return str(json.load(r)["access_token"])


def _time(base: str, token: str, params: dict[str, str], runs: int) -> tuple[float, float, int]:
    url = f"{base}/api/v1/requests?{urllib.parse.urlencode(params)}"
    req = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
    took: list[float] = []
    total = 0
    for _ in range(runs + 2):
        t = time.perf_counter()
        with urllib.request.urlopen(req, timeout=60) as r:
            total = json.load(r)["total"]
        took.append((time.perf_counter() - t) * 1000)
    took = sorted(took[2:])  # the first two warm caches and connections
    p95 = took[min(len(took) - 1, int(len(took) * 0.95))]
    return statistics.median(took), p95, total


def main(argv: list[str]) -> int:
    quick = "--quick" in argv
    count = 2_000 if quick else 10_000
    runs = 10 if quick else 30
    with tempfile.TemporaryDirectory(prefix="bench-requests-") as tmp:
        data = Path(tmp) / "data"
        server = start_server(data)
        try:
            url = f"sqlite:///{data / 'kiosk.sqlite3'}"
            seconds = _fill(url, count)
            print(f"request_board: registered {count} requests via the store in {seconds:.1f} s")
            login = server.credentials["staff"][HALL]
            token = _token(server.base_url, login["username"], login["password"])
            worst = 0.0
            for name, params in [
                ("open, by time left", {}),
                ("overdue only", {"overdue": "true"}),
                ("one category", {"category": "repair"}),
                ("all states, newest", {"state": "all", "order": "newest"}),
                ("open, page 20", {"offset": "1000"}),
            ]:
                median, p95, total = _time(server.base_url, token, params, runs)
                worst = max(worst, median)
                print(
                    f"request_board: {name:<20} {total:>6} rows  "
                    f"median {median:6.1f} ms  p95 {p95:6.1f} ms"
                )
            verdict = "ok" if worst <= TARGET_MS else "OVER"
            print(f"request_board: target ≤ {TARGET_MS} ms median: {verdict}")
        finally:
            server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
