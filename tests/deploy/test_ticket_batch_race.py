"""The group commit's batch runs without a savepoint (two round trips fewer on PostgreSQL);
when another process commits the same idempotency key between the batch's key look-up and
its INSERT, the whole batch is rolled back and run again with one (``BatchRace``): the
resident gets the other process's ticket back, no number is lost or given twice.

The other process is played by a second real connection that commits the clashing ticket
at the one moment that matters: right before the batch's ticket INSERT.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import event

from kiosk.core.tickets import format_number, new_public_id, service_day
from kiosk.core.wire import TicketCreate
from kiosk.server import models as m
from kiosk.server import seeding
from kiosk.server.auth import KioskPrincipal
from kiosk.server.content_store import HallDirectory
from kiosk.server.db import Database, migrate, utcnow
from kiosk.server.events import EventHub
from kiosk.server.kiosk_quota import KioskQuota
from kiosk.server.tickets import IssueRequest, IssueWriter, TicketView, new_ticket_row, request_hash

pytestmark = pytest.mark.postgres


def _a_kiosk(db: Database, halls: HallDirectory) -> tuple[KioskPrincipal, str, str]:
    dev = db.read_sync(lambda c: c.execute(sa.select(m.kiosk_devices)).first())
    assert dev is not None
    entry = db.read_sync(functools.partial(halls.get_sync, hall_id=dev.hall_id))
    assert entry is not None and entry.content is not None
    kiosk = KioskPrincipal(dev.id, dev.hall_id, dev.kiosk_no, dev.name)
    return kiosk, dev.hall_id, entry.content.queues[0].code


def test_a_key_committed_by_another_process_mid_batch_comes_back_as_that_ticket(
    postgres_database_url: str, tmp_path: Path
) -> None:
    url = postgres_database_url
    migrate(url)
    db, other = Database(url), Database(url)
    try:
        db.write_sync(seeding.load_demo)
        seeding.ensure_demo_logins(db, tmp_path, "http://test")
        halls = HallDirectory(db)
        view = TicketView("http://test", 5, halls)
        kiosk, hall_id, queue = _a_kiosk(db, halls)
        body = TicketCreate(queue=queue)
        zone = db.read_sync(functools.partial(halls.get_sync, hall_id=hall_id))
        assert zone is not None
        day: dt.date = service_day(utcnow(), zone.zone)
        clashing = new_ticket_row(
            public_id=new_public_id(),
            hall_id=hall_id,
            queue=queue,
            service_id=None,
            service_day=day,
            seq=990,
            number=format_number(queue, 990),
            origin="server",
            lease_id=None,
            priority=False,
            now=utcnow(),
            kiosk_issued_at=None,
            principal=kiosk.principal,
            idempotency_key="raced-key",
            request_hash=request_hash(body),
        )
        raced: list[str] = []

        def other_process_commits_first(_c: Any, _cur: Any, statement: str, *_a: Any) -> None:
            if "INSERT INTO tickets" in statement and not raced:
                raced.append(statement)
                other.write_sync(lambda c: c.execute(sa.insert(m.tickets), clashing.values()))

        event.listen(db.writer, "before_cursor_execute", other_process_commits_first)

        async def issue() -> list[Any]:
            writer = IssueWriter(db, halls, view, EventHub(db, 1.0), KioskQuota(1000, 1000.0, 999))
            writer.start()
            try:
                same = IssueRequest(kiosk, hall_id, "raced-key", body)
                fresh = IssueRequest(kiosk, hall_id, "fresh-key", body)
                return list(await asyncio.gather(writer.submit(same), writer.submit(fresh)))
            finally:
                await writer.stop()

        same, fresh = asyncio.run(issue())
        assert raced, "the batch never reached its ticket INSERT"
        assert "WITH t AS" in raced[0]  # the one-statement PostgreSQL path raced
        assert same.created is False and same.ticket.number == clashing.number
        assert fresh.created is True
        counts = db.read_sync(
            lambda c: c.execute(
                sa.select(m.tickets.c.idempotency_key, sa.func.count())
                .where(m.tickets.c.hall_id == hall_id)
                .group_by(m.tickets.c.idempotency_key)
            ).all()
        )
        assert dict(counts) == {"raced-key": 1, "fresh-key": 1}
        # The rolled-back first attempt left no number used: the fresh ticket is the first.
        assert fresh.ticket.number == format_number(queue, 1)
    finally:
        db.close()
        other.close()
