"""Group commit for ticket issues: :class:`IssueWriter` runs whatever piled up in one
transaction on the writer thread, commits once, then answers every request."""

from __future__ import annotations

import asyncio
import collections
import functools
import logging
from dataclasses import dataclass, field

from sqlalchemy.engine import Connection

from kiosk.server.content_store import HallDirectory
from kiosk.server.db import Database
from kiosk.server.domain_errors import DomainError
from kiosk.server.events import EventHub, HallSeen
from kiosk.server.kiosk_quota import KioskQuota
from kiosk.server.tasks import cancelled
from kiosk.server.tickets.bulk import BatchRace, issue_many
from kiosk.server.tickets.issue import IssueRequest, IssueResult
from kiosk.server.tickets.reads import TicketView

__all__ = ["IssueWriter"]

log = logging.getLogger(__name__)


@dataclass(slots=True)
class _Job:
    request: IssueRequest
    future: asyncio.Future[IssueResult] = field(repr=False)


class IssueWriter:
    """Group commit for ticket issues: one transaction for everything that piled up."""

    MAX_BATCH = 200
    GATHER_PASSES = 4

    def __init__(
        self,
        db: Database,
        halls: HallDirectory,
        view: TicketView,
        hub: EventHub,
        quota: KioskQuota | None = None,
    ):
        self.db = db
        self.quota = quota
        self.halls = halls
        self.view = view
        self.hub = hub
        # A deque, not an asyncio.Queue: the writer thread takes from it too (append and
        # popleft are atomic), see _transaction.
        self._queue: collections.deque[_Job] = collections.deque()
        self._arrived = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="issue-writer")

    async def stop(self) -> None:
        await cancelled(self._task)

    async def submit(self, request: IssueRequest) -> IssueResult:
        future: asyncio.Future[IssueResult] = asyncio.get_running_loop().create_future()
        self._queue.append(_Job(request, future))
        self._arrived.set()
        return await future

    def _take(self, jobs: list[_Job]) -> None:
        while len(jobs) < self.MAX_BATCH and self._queue:
            jobs.append(self._queue.popleft())

    def _transaction(
        self, conn: Connection, *, jobs: list[_Job], savepoint: bool
    ) -> list[IssueResult | DomainError]:
        if not savepoint:
            # The write lock is ours now (SQLite: after other processes' commits; see
            # Database.write_sync): whatever arrived while we waited for it joins this
            # batch. With several processes on one file that keeps the batches — and so
            # the commits per ticket — what one process would have.
            self._take(jobs)
        requests = [job.request for job in jobs]
        return issue_many(conn, requests, self.halls, self.view, self.quota, savepoint=savepoint)

    async def _issue(self, jobs: list[_Job]) -> list[IssueResult | DomainError]:
        """The batch without a savepoint (two round trips fewer on PostgreSQL); after a
        race on a key (:class:`BatchRace`: all of it rolled back) once more with one."""
        try:
            return await self.db.write(
                functools.partial(self._transaction, jobs=jobs, savepoint=False)
            )
        except BatchRace:
            log.info("ticket batch of %d raced another writer; running it again", len(jobs))
            return await self.db.write(
                functools.partial(self._transaction, jobs=jobs, savepoint=True)
            )

    async def _run(self) -> None:
        while True:
            if not self._queue:
                self._arrived.clear()
                await self._arrived.wait()
                continue
            jobs: list[_Job] = []
            # Let requests whose bytes are already here join this batch: one pass of the
            # event loop costs microseconds, a commit (fsync) milliseconds.
            for _ in range(self.GATHER_PASSES):
                self._take(jobs)
                await asyncio.sleep(0)
            self._take(jobs)
            try:
                results = await self._issue(jobs)
            except asyncio.CancelledError:
                for job in jobs:
                    if not job.future.done():
                        job.future.cancel()
                raise
            except Exception as exc:
                log.exception("ticket batch of %d failed", len(jobs))
                for job in jobs:
                    if not job.future.done():
                        job.future.set_exception(exc)
                continue
            for job, result in zip(jobs, results, strict=True):
                if job.future.done():
                    continue
                if isinstance(result, DomainError):
                    job.future.set_exception(result)
                else:
                    self.announce(result)
                    job.future.set_result(result)

    def announce(self, result: IssueResult) -> None:
        """Wake this process's waiters for the event a committed ticket wrote."""
        if result.event is not None:
            hall_id, seq = result.event
            self.hub.notice([HallSeen(hall_id, seq=seq)])
