"""The ticket batch's pipelined rounds on PostgreSQL (kiosk/server/pg_driver.py), on a real
server: the statements of a round reach the server in the order added, in the caller's
transaction; a failure comes back as SQLAlchemy's error with the driver's ``sqlstate``;
and a connection that died between batches is noticed, invalidated and the batch run
again on a fresh one by ``Database.write_sync`` (the writer engine does not pre-ping).
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from kiosk.core.wire import TicketCreate
from kiosk.server import models as m
from kiosk.server import seeding
from kiosk.server.auth import KioskPrincipal
from kiosk.server.content_store import HallDirectory
from kiosk.server.db import Database, migrate
from kiosk.server.kiosk_quota import KioskQuota
from kiosk.server.pg_driver import Round
from kiosk.server.tickets import IssueRequest, IssueResult, TicketView, issue_many

pytestmark = pytest.mark.postgres


@pytest.fixture(scope="module")
def db(postgres_database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    migrate(postgres_database_url)
    database = Database(postgres_database_url)
    database.write_sync(seeding.load_demo)
    seeding.ensure_demo_logins(database, Path(tmp_path_factory.mktemp("logins")), "http://t")
    yield database
    database.close()


def test_a_round_runs_in_order_in_the_callers_transaction(db: Database) -> None:
    def work(conn: Connection) -> tuple[Any, Any, Any]:
        conn.execute(sa.text("CREATE TEMP TABLE steps (n int) ON COMMIT DROP"))
        r = Round(conn)
        r.add("INSERT INTO steps VALUES (1)", {})
        first = r.add("SELECT count(*) FROM steps", {})
        r.add("INSERT INTO steps SELECT unnest(CAST(%(ns)s AS integer[]))", {"ns": [2, 3]})
        second = r.add("SELECT array_agg(n ORDER BY n) FROM steps", {})
        assert len(r) == 4
        r.run()
        assert len(r) == 0
        after = conn.execute(sa.text("SELECT count(*) FROM steps")).all()
        return first, second, after

    first, second, after = db.write_sync(work)
    assert first == [(1,)]
    assert second == [([1, 2, 3],)]
    assert after == [(3,)]  # SQLAlchemy's next statement sees the round's rows


def test_a_failing_step_is_sqlalchemys_error_and_nothing_is_kept(db: Database) -> None:
    device = db.read_sync(lambda c: c.execute(sa.select(m.kiosk_devices.c.id)).scalar())
    seen: list[int] = []

    def work(conn: Connection) -> None:
        r = Round(conn)
        r.add("INSERT INTO kiosk_rate VALUES (%(d)s, 1.0, now(), 0, NULL)", {"d": device})
        r.add("INSERT INTO kiosk_rate VALUES (%(d)s, 2.0, now(), 0, NULL)", {"d": device})
        seen.append(1)
        r.run()

    db.write_sync(lambda c: c.execute(sa.delete(m.kiosk_rate)))
    with pytest.raises(IntegrityError) as caught:
        db.write_sync(work)
    assert seen == [1]  # not run again: a unique violation is not a retryable failure
    assert getattr(caught.value.orig, "sqlstate", None) == "23505"
    rows = db.read_sync(lambda c: c.execute(sa.select(m.kiosk_rate)).all())
    assert rows == []  # the first step was rolled back with the transaction


def _batch(db: Database, halls: HallDirectory) -> list[IssueRequest]:
    dev = db.read_sync(lambda c: c.execute(sa.select(m.kiosk_devices)).first())
    assert dev is not None
    entry = db.read_sync(functools.partial(halls.get_sync, hall_id=dev.hall_id))
    assert entry is not None and entry.content is not None
    kiosk = KioskPrincipal(dev.id, dev.hall_id, dev.kiosk_no, dev.name)
    return [
        IssueRequest(kiosk, dev.hall_id, uuid.uuid4().hex, TicketCreate(queue=q.code))
        for q in entry.content.queues[:3]
    ]


def test_a_batch_on_a_connection_that_died_runs_again_on_a_fresh_one(db: Database) -> None:
    halls = HallDirectory(db)
    view = TicketView("http://t", 5, halls)
    quota = KioskQuota(1000, 1000.0, 999)

    def issue(conn: Connection, requests: list[IssueRequest]) -> list[object]:
        return list(issue_many(conn, requests, halls, view, quota, savepoint=False))

    db.write_sync(functools.partial(issue, requests=_batch(db, halls)))
    pid = db.write_sync(lambda c: c.exec_driver_sql("SELECT pg_backend_pid()").scalar())
    with db.reader.connect() as admin:
        killed = admin.execute(sa.text("SELECT pg_terminate_backend(:p)"), {"p": pid}).scalar()
    assert killed is True
    requests = _batch(db, halls)
    results = db.write_sync(functools.partial(issue, requests=requests))
    assert all(isinstance(r, IssueResult) and r.created for r in results)
    new_pid = db.write_sync(lambda c: c.exec_driver_sql("SELECT pg_backend_pid()").scalar())
    assert new_pid != pid
    keys = {r.key for r in requests}
    stored = db.read_sync(
        lambda c: c.execute(
            sa.select(sa.func.count()).where(m.tickets.c.idempotency_key.in_(keys))
        ).scalar()
    )
    assert stored == len(keys)  # each ticket once: nothing of the failed attempt was kept
