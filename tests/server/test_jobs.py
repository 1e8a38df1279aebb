"""Jobs run exactly once per period however many server processes run them: four workers
on one SQLite file and on PostgreSQL, across the hall's midnight on the injected clock. A
job that fails gives its period back; the real housekeeping job removes what expired
(issue 16)."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from kiosk.core import clock
from kiosk.server import models as m
from kiosk.server.db import Database, migrate
from kiosk.server.jobs import Job, JobRunner, daily, purge_expired_logins
from tests.utils.servers import start_server

BEFORE_MIDNIGHT = "2026-12-02T23:59:50+08:00"


def _runs(url: str) -> list[tuple[str, str, str]]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as c:
            rows = c.execute(
                sa.select(m.job_runs.c.job, m.job_runs.c.period, m.job_runs.c.worker).order_by(
                    m.job_runs.c.job, m.job_runs.c.period
                )
            ).all()
    finally:
        engine.dispose()
    return [tuple(r) for r in rows]


@pytest.mark.slow
@pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def test_four_workers_run_each_period_once(
    tmp_path: Path, backend: str, request: pytest.FixtureRequest
) -> None:
    pg = request.getfixturevalue("postgres_database_url") if backend == "postgres" else None
    url = pg or f"sqlite:///{tmp_path / 'data' / 'kiosk.sqlite3'}"
    env = {
        clock.ENV_VAR: BEFORE_MIDNIGHT,
        clock.ENV_SET_VAR: repr(time.time()),  # the server's clock reads BEFORE_MIDNIGHT now
        "KIOSK_SERVER_JOBS_POLL_SECONDS": "0.2",
    }
    server = start_server(tmp_path / "data", database_url=pg, workers=4, extra_env=env)
    try:
        # The hall's midnight comes a few seconds after the clock was set: wait until one of
        # the four workers has run the new day's job, then a little longer (all four look).
        deadline = time.monotonic() + 60
        while not any(period == "2026-12-03" for _j, period, _w in _runs(url)):
            assert time.monotonic() < deadline, _runs(url)
            time.sleep(0.3)
        time.sleep(2)
    finally:
        server.stop()
    periods = [period for job, period, _w in _runs(url) if job == "purge-expired-logins"]
    # Each period once; the evening's run is there unless the start took past midnight.
    assert periods in (["2026-12-02", "2026-12-03"], ["2026-12-03"]), periods


def test_a_failed_job_gives_its_period_back_and_a_done_one_never_runs_again(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'jobs.sqlite3'}"
    migrate(url)
    db = Database(url)
    calls: list[str] = []

    def flaky(conn: sa.Connection, now: dt.datetime) -> str:
        calls.append(daily(now))
        if len(calls) == 1:
            raise RuntimeError("the first try fails")
        return "ok"

    job = Job("flaky", daily, flaky)
    runner = JobRunner(db, [job], poll_seconds=1)
    try:
        with pytest.raises(RuntimeError):
            db.write_sync(lambda c: runner.run_if_due(c, job))
        assert _runs(url) == []  # the claim was rolled back with the failure
        assert db.write_sync(lambda c: runner.run_if_due(c, job)) == "ok"
        assert db.write_sync(lambda c: runner.run_if_due(c, job)) is None
        assert len(calls) == 2
        assert [r[:2] for r in _runs(url)] == [("flaky", daily(clock.now()))]
    finally:
        db.close()


def test_housekeeping_removes_what_expired_and_keeps_the_rest(tmp_path: Path) -> None:
    from kiosk.server.auth import create_staff
    from kiosk.server.models import admin_sessions

    url = f"sqlite:///{tmp_path / 'jobs.sqlite3'}"
    migrate(url)
    db = Database(url)
    now = clock.now()
    try:

        def seed(conn: sa.Connection) -> None:
            account = create_staff(conn, "someone", "long-password-1", "district_admin", None)
            for name, ends in (
                ("old", now - dt.timedelta(days=2)),
                ("live", now + dt.timedelta(hours=1)),
            ):
                conn.execute(
                    admin_sessions.insert().values(
                        id_hash=name.ljust(64, "0"),
                        account_id=account,
                        csrf_token="x" * 32,
                        created_at=now - dt.timedelta(days=3),
                        last_seen_at=now,
                        expires_at=ends,
                    )
                )
            for name, ends in (
                ("a", now - dt.timedelta(days=31)),
                ("b", now - dt.timedelta(days=1)),
            ):
                conn.execute(
                    m.staff_tokens.insert().values(
                        account_id=account,
                        token_hash=name.ljust(64, "0"),
                        created_at=now - dt.timedelta(days=40),
                        expires_at=ends,
                    )
                )

        db.write_sync(seed)
        result = db.write_sync(lambda c: purge_expired_logins(c, now))
        assert result == "removed 1 sessions, 1 tokens"
        left = db.read_sync(
            lambda c: (
                sorted(r[0][:4] for r in c.execute(sa.select(admin_sessions.c.id_hash))),
                sorted(r[0][:1] for r in c.execute(sa.select(m.staff_tokens.c.token_hash))),
            )
        )
        assert left == (["live"], ["b"])
    finally:
        db.close()
