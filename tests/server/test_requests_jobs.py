"""The requests' jobs: overdue requests go to the leader, later to the district, each step
once (store level with moved times, and in a server whose clock is moved with
KIOSK_CLOCK_AT); finished requests are archived when the rules allow."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import sqlalchemy as sa

from kiosk.core import clock
from kiosk.core.service_requests import Action, Actor, Role
from kiosk.server import models as m
from kiosk.server import requests as store
from kiosk.server.db import Database, as_utc, migrate
from kiosk.server.requests.jobs import archive_finished, escalate_overdue
from kiosk.server.settings import build_settings
from tests.utils.servers import start_server

ZONE = dt.timezone(dt.timedelta(hours=8))
HALL = "mingshi-haoting"
STAFF = Actor(Role.STAFF, "staff:1")
RESIDENT = Actor(Role.RESIDENT)


def _db(tmp_path: Path) -> Database:
    url = f"sqlite:///{tmp_path / 'jobs.sqlite3'}"
    migrate(url)
    db = Database(url)
    with db.writer.begin() as conn:
        conn.execute(sa.insert(m.halls).values(id=HALL, name="名士豪庭", created_at=clock.now()))
    return db


def _new(conn: sa.Connection, at: dt.datetime, **kw: object) -> store.RequestRecord:
    return store.register(
        conn,
        hall_id=HALL,
        category="repair",
        description="电梯故障",
        channel="window",
        actor=STAFF,
        at=at,
        **kw,  # type: ignore[arg-type]
    )


def _escalations(conn: sa.Connection, request_id: str) -> list[str]:
    e = m.request_events
    rows = conn.execute(
        sa.select(e.c.fields, e.c.public)
        .where(e.c.request_id == request_id, e.c.action == "escalate")
        .order_by(e.c.id)
    ).all()
    assert not any(r.public for r in rows)
    return [r.fields["to"] for r in rows]


def test_escalation_leader_then_district_each_once(tmp_path: Path) -> None:
    db = _db(tmp_path)
    monday = dt.datetime(2026, 11, 30, 9, 0, tzinfo=ZONE)
    with db.writer.begin() as conn:
        r = _new(conn, monday)  # 受理 due Tuesday 09:00
        on_time = _new(conn, monday + dt.timedelta(days=2))
        assert escalate_overdue(conn, monday + dt.timedelta(hours=23)) == "leader 0, district 0"
        assert escalate_overdue(conn, monday + dt.timedelta(days=1, hours=1)).startswith("leader 1")
        assert escalate_overdue(conn, monday + dt.timedelta(days=1, hours=2)).startswith("leader 0")
        assert _escalations(conn, r.id) == ["leader"]
        # two working days overdue (Thursday 09:00): the district
        assert escalate_overdue(conn, monday + dt.timedelta(days=3, hours=1)).endswith("district 1")
        assert escalate_overdue(conn, monday + dt.timedelta(days=4)).endswith("district 0")
        assert _escalations(conn, r.id) == ["leader", "district"]
        assert _escalations(conn, on_time.id) == ["leader"]  # due Thu 09:00, seen Fri 09:00
        # accepting restarts the clock: a new deadline, a new escalation when it passes
        store.act(conn, r.id, Action.ACCEPT, STAFF, monday + dt.timedelta(days=4, hours=1))
        row = conn.execute(
            sa.select(m.service_requests).where(m.service_requests.c.id == r.id)
        ).one()
        assert row.escalated == "none"
        labels = [e.label for e in store.timeline(conn, r.id, public_only=False)]
    assert labels.count("超期督办") == 2
    db.close()


def test_archive_waits_for_follow_up_and_the_rating_window(tmp_path: Path) -> None:
    db = _db(tmp_path)
    t0 = dt.datetime(2026, 11, 2, 9, 0, tzinfo=ZONE)
    settings = build_settings(secret_key="s" * 32, demo_mode=True)
    with db.writer.begin() as conn:
        anonymous = _new(conn, t0)
        named = _new(conn, t0, phone="13812341234", settings=settings)
        withdrawn = _new(conn, t0)
        fresh = _new(conn, t0 + dt.timedelta(days=20))
        for r in (anonymous, named):
            store.act(conn, r.id, Action.ACCEPT, STAFF, t0 + dt.timedelta(hours=1))
            store.act(
                conn, r.id, Action.RESOLVE, STAFF, t0 + dt.timedelta(hours=2), answer="修好了"
            )
        store.act(conn, withdrawn.id, Action.WITHDRAW, RESIDENT, t0 + dt.timedelta(hours=1))
        store.act(conn, fresh.id, Action.WITHDRAW, RESIDENT, t0 + dt.timedelta(days=20, hours=1))
        assert archive_finished(conn, t0 + dt.timedelta(days=10)) == "archived 0, kept 0"
        assert archive_finished(conn, t0 + dt.timedelta(days=21)) == "archived 2, kept 1"
        states = {
            r.id: store.get(conn, r.id).state.value for r in (anonymous, named, withdrawn, fresh)
        }
    assert states == {
        anonymous.id: "archived",
        named.id: "resolved",  # not called back yet
        withdrawn.id: "archived",
        fresh.id: "withdrawn",
    }
    db.close()


def test_the_server_escalates_on_its_moved_clock(tmp_path: Path) -> None:
    data = tmp_path / "data"
    url = f"sqlite:///{data / 'kiosk.sqlite3'}"
    data.mkdir()
    migrate(url)
    db = Database(url)
    with db.writer.begin() as conn:
        conn.execute(sa.insert(m.halls).values(id=HALL, name="名士豪庭", created_at=clock.now()))
        late = _new(conn, dt.datetime(2026, 12, 3, 8, 0, tzinfo=ZONE)).id  # due Fri 08:00
        later = _new(conn, dt.datetime(2026, 11, 30, 9, 0, tzinfo=ZONE)).id  # due Tue 09:00
    db.close()
    env = {
        clock.ENV_VAR: "2026-12-04T10:00:00+08:00",
        clock.ENV_SET_VAR: repr(time.time()),
        "KIOSK_SERVER_JOBS_POLL_SECONDS": "0.2",
    }
    server = start_server(data, extra_env=env)
    try:
        db = Database(url)
        deadline = time.monotonic() + 30
        while True:
            with db.reader.connect() as conn:
                found = (_escalations(conn, late), _escalations(conn, later))
            if found == (["leader"], ["district"]) or time.monotonic() > deadline:
                break
            time.sleep(0.3)
        db.close()
        assert found == (["leader"], ["district"])
    finally:
        server.stop()


def test_a_year_the_calendar_does_not_know_never_refuses_a_request(tmp_path: Path) -> None:
    """31 December, 2027 not entered: the request is stored without a deadline (none is
    guessed); once the district has entered 2027 the hourly job fills it in."""
    db = _db(tmp_path)
    eve = dt.datetime(2026, 12, 31, 10, 0, tzinfo=ZONE)
    with db.writer.begin() as conn:
        record = _new(conn, eve)
        assert record.due_at is None
        assert "need the calendar year entered" in escalate_overdue(conn, eve)
        row = conn.execute(sa.select(m.service_requests.c.due_at)).one()
        assert row.due_at is None
        conn.execute(
            sa.insert(m.calendar_days),
            [
                {"day": dt.date(2027, 1, d), "workday": False, "note": "元旦", **_BY}
                for d in (1, 2, 3)
            ],
        )
        conn.execute(sa.insert(m.calendar_years).values(year=2027, **_BY))
    with db.writer.begin() as conn:
        assert "1 deadlines filled in" in escalate_overdue(conn, eve + dt.timedelta(hours=1))
        due = conn.execute(sa.select(m.service_requests.c.due_at)).scalar_one()
    # Thursday 10:00 + one working day, 1–3 January off: Monday 4 January, 10:00.
    assert as_utc(due) == dt.datetime(2027, 1, 4, 10, 0, tzinfo=ZONE)


_BY = {"entered_by": "admin", "entered_at": dt.datetime(2026, 12, 31, 2, 0, tzinfo=dt.UTC)}
