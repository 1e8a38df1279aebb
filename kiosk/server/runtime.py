"""What one server process holds while it runs: engines, caches, the event hub, the
ticket writer and the runner of jobs that must run once. Built in the app's lifespan;
routes reach it through ``api/deps.py`` (the admin through ``admin/web.py``).

Every write that records events goes through :meth:`ServerRuntime.write`: it commits,
then wakes this process's waiters with the events the write put in its :class:`Outbox`,
so no write can forget to.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from kiosk.server.auth import PrincipalCache
from kiosk.server.content_store import HallDirectory, PublicationSignal
from kiosk.server.counters import CounterDesk
from kiosk.server.db import Database
from kiosk.server.events import EventHub, HallSeen
from kiosk.server.jobs import JOBS, JobRunner
from kiosk.server.kiosk_quota import KioskQuota
from kiosk.server.settings import ServerSettings
from kiosk.server.tickets import IssueRequest, IssueResult, IssueWriter, TicketView
from kiosk.server.tickets.handoff import TicketHandoff

__all__ = ["Outbox", "ServerRuntime"]

T = TypeVar("T")


class Outbox:
    """The events one write recorded, ``(hall_id, seq)``; told to waiters after the commit."""

    def __init__(self) -> None:
        self.events: list[tuple[str, int]] = []
        #: Content publications: caches of the hall are dropped, other processes told.
        self.publications: list[tuple[str, int]] = []

    def add(self, events: Iterable[tuple[str, int]]) -> None:
        self.events.extend(events)

    def publication(self, hall_id: str, seq: int) -> None:
        self.publications.append((hall_id, seq))

    def clear(self) -> None:
        self.events.clear()
        self.publications.clear()


class ServerRuntime:
    def __init__(self, settings: ServerSettings) -> None:
        self.settings = settings
        self.db = Database(settings.sqlalchemy_url)
        self.halls = HallDirectory(self.db)
        self.view = TicketView(settings.base_url, settings.default_service_minutes, self.halls)
        self.hub = EventHub(self.db, settings.event_poll_seconds)
        self.hub.on_publication.append(self.halls.forget)
        self.quota = KioskQuota(
            settings.kiosk_ticket_burst,
            settings.kiosk_tickets_per_minute,
            settings.kiosk_numbers_per_queue_day,
        )
        self.writer = IssueWriter(self.db, self.halls, self.view, self.hub, self.quota)
        self.desk = CounterDesk(self.halls, self.view)
        self.principals = PrincipalCache(self.db, settings.auth_cache_seconds)
        self.jobs = JobRunner(self.db, JOBS, settings.jobs_poll_seconds)
        self.signal: PublicationSignal | None = None
        #: SQLite: the processes of one file hand their tickets to one of them.
        self.handoff: TicketHandoff | None = None
        database = sa.engine.make_url(self.db.url).database
        if self.db.kind == "sqlite" and database and database != ":memory:":
            self.signal = PublicationSignal(Path(database + "-published"))
            self.handoff = TicketHandoff(database, self.writer)

    async def issue(self, request: IssueRequest) -> IssueResult:
        """Issue one ticket through the group commit (on SQLite, perhaps another
        process's: see kiosk/server/tickets/handoff.py)."""
        if self.handoff is not None:
            return await self.handoff.submit(request)
        return await self.writer.submit(request)

    async def catch_up(self) -> bool:
        """If another process announced a publication, scan for it now; True if it did.

        Cheap when nothing happened (one ``stat()``); used before answering content.
        """
        if self.signal is None:
            return False
        size = self.signal.pending()
        if size is None:
            return False
        await self.hub.scan_now()
        self.signal.seen(size)
        return True

    async def start(self) -> None:
        await self.hub.start()
        self.writer.start()
        if self.handoff is not None:
            await self.handoff.start()
        self.jobs.start()

    def closing(self) -> None:
        """The process was told to stop: answer waiting long-polls now (see EventHub)."""
        self.hub.close_waiters()

    async def stop(self) -> None:
        self.closing()
        await self.jobs.stop()
        if self.handoff is not None:
            await self.handoff.stop()
        await self.writer.stop()
        await self.hub.stop()
        self.db.close()

    async def write(self, op: Callable[[Connection, Outbox], T]) -> T:
        """Run ``op`` in one write transaction, then publish the events it put in the outbox.

        The database may run ``op`` again (a PostgreSQL serialisation conflict): the
        outbox starts empty each time, so only the committed attempt's events are told.
        """
        outbox = Outbox()

        def attempt(conn: Connection) -> T:
            outbox.clear()
            return op(conn, outbox)

        result = await self.db.write(attempt)
        self.published(outbox.events)
        self.published(outbox.publications, publication=True)
        return result

    def published(self, events: list[tuple[str, int]], *, publication: bool = False) -> None:
        """Tell this process's waiters at once about events it just committed
        (and, for a publication, the other processes first: see PublicationSignal)."""
        if publication and events and self.signal is not None:
            self.signal.announce()
        for hall_id, seq in events:
            if publication:
                self.halls.forget(hall_id)
            self.hub.notice([HallSeen(hall_id, seq=seq, published=seq if publication else 0)])
