"""Benchmark: what one group-commit batch of tickets costs, in statements and in time.

In-process, no HTTP: the demo halls on a fresh SQLite file (or a private PostgreSQL),
then 40 batches of 10 new tickets over 10 queues of the demo halls, each run through
``issue_many`` in one write transaction as ``IssueWriter`` does. Prints the statements a
batch sends (BEGIN and COMMIT not counted; SQLite: the calls on the driver's cursor;
PostgreSQL: SQLAlchemy's ``before_cursor_execute`` plus the steps of the pipelined rounds,
and the round trips they take) and the median wall and writer-thread CPU time per batch.
The statement count does not depend on the machine's load; the times do.

    .venv/bin/python bench/ticket_batch.py [--backend sqlite|postgres|both]
"""

from __future__ import annotations

import functools
import os
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from _server_under_test import backends_from_argv, conditions
from sqlalchemy import event
from sqlalchemy.engine import Connection

from devkit.postgres import PrivatePostgres
from kiosk.core.wire import TicketCreate
from kiosk.server import models as m
from kiosk.server import pg_driver, seeding, sqlite_driver
from kiosk.server.auth import KioskPrincipal
from kiosk.server.content_store import HallDirectory
from kiosk.server.db import Database, migrate
from kiosk.server.kiosk_quota import KioskQuota
from kiosk.server.tickets import IssueRequest, TicketView, issue_many

BATCHES = 40
BATCH = 10


def _requests(db: Database, halls: HallDirectory) -> list[IssueRequest]:
    """Two queues of each demo hall's kiosk, the first BATCH of them."""
    devices = db.read_sync(lambda c: c.execute(sa.select(m.kiosk_devices)).all())
    out = []
    for dev in devices:
        entry = db.read_sync(functools.partial(halls.get_sync, hall_id=dev.hall_id))
        if entry is None or entry.content is None:
            continue
        kiosk = KioskPrincipal(dev.id, dev.hall_id, dev.kiosk_no, dev.name)
        for queue in [q.code for q in entry.content.queues][:2]:
            out.append(IssueRequest(kiosk, dev.hall_id, "", TicketCreate(queue=queue)))
    return out[:BATCH]


def _issue(
    conn: Connection,
    *,
    requests: list[IssueRequest],
    halls: HallDirectory,
    view: TicketView,
    quota: KioskQuota,
) -> None:
    issue_many(conn, requests, halls, view, quota, savepoint=False)  # as IssueWriter does


def _count_driver_calls(count: Any) -> None:
    """Call ``count`` on every statement sent through ``sqlite_driver.Cursor`` (an
    ``executemany`` is one statement, as SQLAlchemy's event counts it)."""
    for name in ("execute", "executemany"):
        original = getattr(sqlite_driver.Cursor, name)

        def counted(self: Any, *args: Any, _original: Any = original) -> Any:
            count()
            return _original(self, *args)

        setattr(sqlite_driver.Cursor, name, counted)


def _count_rounds(steps: list[int], trips: list[int]) -> None:
    """PostgreSQL: the batch's pipelined steps (kiosk/server/pg_driver.py) go past
    SQLAlchemy's events; count the steps, and the rounds (one round trip each)."""
    original = pg_driver.Round.run

    def counted(self: Any) -> None:
        steps[0] += len(self)
        trips[0] += 1
        original(self)

    pg_driver.Round.run = counted  # type: ignore[method-assign]


def measure(url: str) -> str:
    migrate(url)
    db = Database(url)
    try:
        db.write_sync(seeding.load_demo)
        with tempfile.TemporaryDirectory() as tmp:
            seeding.ensure_demo_logins(db, Path(tmp), "http://bench")
        halls = HallDirectory(db)
        view = TicketView("http://bench", 5, halls)
        quota = KioskQuota(1_000_000, 1_000_000.0, 999)
        template = _requests(db, halls)

        def batch() -> list[IssueRequest]:
            return [
                IssueRequest(r.principal, r.hall_id, uuid.uuid4().hex, r.body) for r in template
            ]

        first = batch()
        db.write_sync(lambda c: issue_many(c, first, halls, view, quota))  # warm the caches
        statements = [0]

        def count(*_args: Any) -> None:
            statements[0] += 1

        steps, trips = [0], [0]
        if db.kind != "sqlite":
            event.listen(db.writer, "before_cursor_execute", count)
            _count_rounds(steps, trips)
        else:
            # The batch's SQLite steps go to the driver's cursor (kiosk/server/
            # sqlite_driver.py), past SQLAlchemy's events: count the calls made on it.
            _count_driver_calls(count)
        wall, cpu = [], []
        for _ in range(BATCHES):
            requests = batch()
            t0, c0 = time.perf_counter(), time.thread_time()
            db.write_sync(
                functools.partial(_issue, requests=requests, halls=halls, view=view, quota=quota)
            )
            wall.append(time.perf_counter() - t0)
            cpu.append(time.thread_time() - c0)
        queues = len({(r.hall_id, r.body.queue) for r in template})
        if db.kind == "sqlite":
            sent = f"{statements[0] / BATCHES:.0f} statements a batch"
        else:
            # Each SQLAlchemy statement is a round trip, so is each pipelined round (BEGIN
            # goes with the first); COMMIT is one more.
            trip_count = (statements[0] + trips[0]) / BATCHES + 1
            sent = (
                f"{(statements[0] + steps[0]) / BATCHES:.0f} statements in "
                f"{trip_count:.0f} round trips a batch (COMMIT included)"
            )
        return (
            f"{len(template)} tickets over {queues} queues: {sent}, median "
            f"{statistics.median(wall) * 1000:.1f} ms wall, "
            f"{statistics.median(cpu) * 1000:.1f} ms writer CPU"
        )
    finally:
        db.close()


def main(argv: list[str]) -> int:
    print("== one group-commit batch of tickets ==", conditions(), flush=True)
    for backend in backends_from_argv(argv):
        if backend == "sqlite":
            folder = tempfile.mkdtemp(prefix="ticket-batch-")
            try:
                line = measure(f"sqlite:///{os.path.join(folder, 'kiosk.sqlite3')}")
            finally:
                shutil.rmtree(folder, ignore_errors=True)
        else:
            pg = PrivatePostgres().start()
            try:
                line = measure(pg.create_database())
            finally:
                pg.stop()
        print(f"[{backend:8}] {line}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
