"""Jobs that must run exactly once per period, however many server processes there are.

Each process runs a :class:`JobRunner` (started with the runtime). Every ``jobs_poll_seconds``
it asks, for each job, which period "now" falls in (``Job.period_of``: a day in the hall
zone, an hour, …) and tries to claim that period: one write transaction that inserts the
row ``(job, period)`` into ``job_runs`` (primary key: a second insert conflicts) and, if the
insert won, runs the job in the same transaction. A job that fails rolls its claim back, so
the next tick (of any process) tries again; a job that ran is never run again for that period.

- SQLite: every write transaction is ``BEGIN IMMEDIATE`` (one writer at a time across all
  processes): claim and run are one step nobody can interleave.
- PostgreSQL: ``pg_try_advisory_xact_lock`` on the job's key first, so the losers do not
  queue behind a running job; the primary key settles any race the lock leaves.

No external cron is involved, so nothing outside the server can silently stop the jobs or
run them twice. The requests, ratings and visits features add their jobs (deadline
escalations, reminders, archiving) to :data:`JOBS`.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import hashlib
import logging
import os
import socket
from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from kiosk.core import clock
from kiosk.core.clock import HALL_TZ
from kiosk.server import models as m
from kiosk.server.db import Database
from kiosk.server.requests.jobs import archive_finished, escalate_overdue
from kiosk.server.tasks import cancelled

__all__ = [
    "JOBS",
    "Job",
    "JobRunner",
    "daily",
    "hourly",
    "household_retention",
    "purge_expired_logins",
    "rating_followup_escalation",
]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    name: str
    #: The period an instant falls in, as text ("2026-12-02"); one run per distinct value.
    period_of: Callable[[dt.datetime], str]
    #: The work, inside the claiming transaction; returns a short result for the log.
    run: Callable[[Connection, dt.datetime], str]

    @property
    def lock_key(self) -> int:
        """A stable signed 64-bit key for PostgreSQL's advisory lock."""
        digest = hashlib.sha256(f"kiosk-job:{self.name}".encode()).digest()
        return int.from_bytes(digest[:8], "big", signed=True)


def daily(at: dt.datetime) -> str:
    """The calendar day of ``at`` in the halls' default zone (their service day)."""
    return at.astimezone(HALL_TZ).date().isoformat()


def purge_expired_logins(conn: Connection, now: dt.datetime) -> str:
    """Admin sessions a day past their end and staff tokens 30 days past theirs."""
    from kiosk.server.models import admin_sessions

    sessions = conn.execute(
        sa.delete(admin_sessions).where(admin_sessions.c.expires_at < now - dt.timedelta(days=1))
    ).rowcount
    tokens = conn.execute(
        sa.delete(m.staff_tokens).where(m.staff_tokens.c.expires_at < now - dt.timedelta(days=30))
    ).rowcount
    return f"removed {sessions} sessions, {tokens} tokens"


def household_retention(conn: Connection, now: dt.datetime) -> str:
    """Erase the personal fields of households moved away longer than the retention period
    (``household_retention_days``, fixed on each household when it is marked moved away)."""
    from kiosk.server.households import erase_due
    from kiosk.server.households.importing import purge_stale_imports

    erased = erase_due(conn, now)
    return f"erased {erased} households, dropped {purge_stale_imports(conn, now)} stale imports"


def hourly(at: dt.datetime) -> str:
    """The hour of ``at`` (UTC): one run per hour."""
    return at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H")


def rating_followup_escalation(conn: Connection, now: dt.datetime) -> str:
    """好差评: every 整改 step overdue is reported to the district, once per step."""
    from kiosk.server.ratings import escalate_overdue

    return f"escalated {len(escalate_overdue(conn, now))} rating follow-ups"


JOBS: list[Job] = [
    Job("purge-expired-logins", daily, purge_expired_logins),
    Job("household_retention", daily, household_retention),
    Job("request_escalation", hourly, escalate_overdue),
    Job("request_archive", daily, archive_finished),
    Job("rating_followup_escalation", hourly, rating_followup_escalation),
]


class JobRunner:
    def __init__(self, db: Database, jobs: list[Job], poll_seconds: float) -> None:
        self.db = db
        self.jobs = list(jobs)
        self.poll_seconds = poll_seconds
        self.worker = f"{socket.gethostname()}:{os.getpid()}"
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._loop(), name="jobs")

    async def stop(self) -> None:
        await cancelled(self._task)
        self._task = None

    async def _loop(self) -> None:
        while True:
            for job in self.jobs:
                try:
                    await self.db.write(functools.partial(self.run_if_due, job=job))
                except asyncio.CancelledError:
                    raise
                except Exception:  # logged; the claim was rolled back, the next tick retries
                    log.exception("job %s failed; it will be tried again", job.name)
            await asyncio.sleep(self.poll_seconds)

    def run_if_due(self, conn: Connection, job: Job) -> str | None:
        """Claim this period of ``job`` and run it; None when another process has it."""
        now = clock.now()
        period = job.period_of(now)
        if conn.dialect.name == "postgresql":
            got = conn.execute(sa.select(sa.func.pg_try_advisory_xact_lock(job.lock_key))).scalar()
            if not got:
                return None
        done = conn.execute(
            sa.select(m.job_runs.c.job).where(
                m.job_runs.c.job == job.name, m.job_runs.c.period == period
            )
        ).first()
        if done is not None:
            return None
        conn.execute(
            m.job_runs.insert().values(
                job=job.name, period=period, started_at=now, worker=self.worker, result=""
            )
        )
        result = job.run(conn, now)[:500]
        conn.execute(
            sa.update(m.job_runs)
            .where(m.job_runs.c.job == job.name, m.job_runs.c.period == period)
            .values(result=result)
        )
        log.info("job %s ran for %s: %s", job.name, period, result)
        return result
