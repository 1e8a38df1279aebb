"""The ratings store (kiosk/server/ratings/) on a real database — a SQLite file and the
suite's private PostgreSQL: one rating per ticket, the device's 未评价 answered later on
the phone page, bursts flagged, every 差评's 整改 with its due times, escalation with a
moved clock, the one 追评, the one appeal and its decision, and the figures."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.engine import Connection

from kiosk.core.ratings import Step
from kiosk.server import models as m
from kiosk.server import ratings
from kiosk.server.auth import create_staff
from kiosk.server.db import Database, as_utc, migrate
from kiosk.server.domain_errors import Conflict, Forbidden, Invalid, NotFound
from kiosk.server.settings import build_settings

CST = dt.timezone(dt.timedelta(hours=8))
#: Wednesday 2026-12-02 09:00 in the hall: 回访 due Thursday 09:00, 核实 Monday 09:00.
AT = dt.datetime(2026, 12, 2, 9, 0, tzinfo=CST)
SETTINGS = build_settings(secret_key="s" * 32)
OUR_TABLES = {"ratings", "rating_followups", "rating_appeals", "rating_window_staff"}
_seq = itertools.count(1)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    if request.param == "postgres":
        url = request.getfixturevalue("postgres_database_url")
    else:
        url = f"sqlite:///{tmp_path / 'kiosk.sqlite3'}"
    migrate(url)
    database = Database(url)
    with database.writer.begin() as conn:
        for table in (m.rating_appeals, m.rating_followups, m.ratings, m.rating_window_staff):
            conn.execute(sa.delete(table))
        conn.execute(sa.delete(m.admin_audit))
        conn.execute(sa.delete(m.ticket_audit))
        conn.execute(sa.delete(m.tickets))
        for hall in ("east", "west"):
            if conn.execute(sa.select(m.halls.c.id).where(m.halls.c.id == hall)).first() is None:
                conn.execute(m.halls.insert().values(id=hall, name=f"{hall}大厅", created_at=AT))
    yield database
    database.close()


def _account(conn: Connection, name: str, hall: str | None = "east") -> int:
    found = conn.execute(
        sa.select(m.staff_accounts.c.id).where(m.staff_accounts.c.username == name)
    ).scalar()
    if found is not None:
        return int(found)
    if hall is None:
        return create_staff(conn, name, "password-123456", "district_admin", None)
    return create_staff(conn, name, "password-123456", "hall_staff", hall)


def _counter(conn: Connection, hall: str = "east", window: int = 3) -> int:
    c = m.counters
    found = conn.execute(
        sa.select(c.c.id).where(c.c.hall_id == hall, c.c.window == window)
    ).scalar()
    if found is not None:
        return int(found)
    return int(
        conn.execute(
            c.insert()
            .values(hall_id=hall, window=window, name=f"{window}号窗口", queues=["C"])
            .returning(c.c.id)
        ).scalar_one()
    )


def _done_ticket(
    conn: Connection,
    *,
    by: str = "wang",
    hall: str = "east",
    at: dt.datetime = AT,
    state: str = "done",
) -> str:
    """A ticket as the counter desk leaves it once 办结 (the row and its audit trail)."""
    n = next(_seq)
    counter = _counter(conn, hall)
    at = at.astimezone(dt.UTC)  # stored as the desk stores it
    public_id = f"ticket{n:016d}"
    t = m.tickets
    ticket_id = conn.execute(
        t.insert()
        .values(
            public_id=public_id,
            hall_id=hall,
            queue="C",
            number_queue="C",
            service_id="dibao",
            service_day=at.astimezone(CST).date(),
            seq=n,
            number=f"C{n:03d}",
            origin="server",
            priority=False,
            state=state,
            issued_at=at - dt.timedelta(minutes=20),
            queued_at=at - dt.timedelta(minutes=20),
            called_at=at - dt.timedelta(minutes=10),
            started_at=at - dt.timedelta(minutes=9),
            finished_at=at,
            window=3,
            counter_id=counter,
            principal="kiosk:1",
            idempotency_key=f"key-{n:08d}",
            request_hash="0" * 64,
        )
        .returning(t.c.id)
    ).scalar_one()
    conn.execute(
        m.ticket_audit.insert().values(
            ticket_id=ticket_id,
            at=at,
            actor=f"staff:{_account(conn, by)}",
            action="complete",
            from_state="serving",
            to_state=state,
            data={"counter_id": counter, "window": 3},
        )
    )
    return public_id


def _rate(
    conn: Connection,
    ticket: str,
    level: str | None,
    *,
    reasons: tuple[str, ...] = (),
    at: dt.datetime = AT,
    device: str = "kiosk:9",
    key: str | None = None,
) -> ratings.Recorded:
    return ratings.record(
        conn,
        hall_id="east",
        subject="ticket",
        subject_id=ticket,
        level=level,
        reasons=reasons,
        phone=None,
        channel="device",
        device_id=device,
        at=at + dt.timedelta(seconds=5),
        asked_at=at,
        idempotency_key=key,
        settings=SETTINGS,
    )


def test_migration_matches_the_models(db: Database) -> None:
    with db.reader.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), m.metadata)
    ours = [d for d in diff if any(t in repr(d) for t in OUR_TABLES)]
    assert ours == []


def test_one_rating_per_ticket_and_staff_from_the_ticket(db: Database) -> None:
    def run(conn: Connection) -> None:
        ticket = _done_ticket(conn, by="wang")
        conn.execute(
            m.rating_window_staff.insert().values(
                counter_id=_counter(conn), staff_id="wang-content", set_by="t", set_at=AT
            )
        )
        first = _rate(conn, ticket, "satisfied", key="k-00000001")
        assert first.created and first.rating.level_label == "满意"
        assert first.rating.staff_account_id == _account(conn, "wang")
        assert first.rating.staff_id == "wang-content"
        assert first.rating.window == 3 and first.rating.service_id == "dibao"
        again = _rate(conn, ticket, "satisfied", key="k-00000001")
        assert not again.created and again.rating == first.rating
        with pytest.raises(Conflict, match="只能评价一次"):
            _rate(conn, ticket, "fair", key="k-00000002")
        waiting = _done_ticket(conn, state="serving")
        with pytest.raises(Conflict, match="尚未办结"):
            _rate(conn, waiting, "fair")

    db.write_sync(run)


def test_unrated_on_the_device_may_be_answered_once_on_the_phone(db: Database) -> None:
    def run(conn: Connection) -> None:
        ticket = _done_ticket(conn)
        unrated = ratings.record(
            conn,
            hall_id="east",
            subject="ticket",
            subject_id=ticket,
            level=None,
            phone=None,
            channel="device",
            device_id="kiosk:9",
            at=AT + dt.timedelta(seconds=60),
            asked_at=AT,
            settings=SETTINGS,
        ).rating
        assert unrated.level is None and unrated.level_label == "未评价"
        with pytest.raises(Invalid, match="工作人员"):
            ratings.record(
                conn,
                hall_id="east",
                subject="ticket",
                subject_id=ticket,
                level="very_satisfied",
                phone=None,
                channel="phone_page",
                device_id="phone",
                at=AT + dt.timedelta(hours=2),
                rater_is_staff=True,
                settings=SETTINGS,
            )
        with pytest.raises(Invalid, match="过期"):
            ratings.record(
                conn,
                hall_id="east",
                subject="ticket",
                subject_id=ticket,
                level="very_satisfied",
                phone=None,
                channel="phone_page",
                device_id="phone",
                at=AT + dt.timedelta(days=3, minutes=1),
                settings=SETTINGS,
            )
        phone = ratings.record(
            conn,
            hall_id="east",
            subject="ticket",
            subject_id=ticket,
            level="very_satisfied",
            phone=None,
            channel="phone_page",
            device_id="phone",
            at=AT + dt.timedelta(days=2),
            settings=SETTINGS,
        ).rating
        assert phone.id == unrated.id and phone.level_label == "非常满意"
        with pytest.raises(Conflict):
            ratings.record(
                conn,
                hall_id="east",
                subject="ticket",
                subject_id=ticket,
                level="fair",
                phone=None,
                channel="phone_page",
                device_id="phone",
                at=AT + dt.timedelta(days=2),
                settings=SETTINGS,
            )

    db.write_sync(run)


def test_a_burst_from_one_device_is_flagged_not_dropped(db: Database) -> None:
    def run(conn: Connection) -> None:
        quick = [_done_ticket(conn) for _ in range(5)]
        calm = _done_ticket(conn)
        _rate(conn, calm, "fair", device="kiosk:8", at=AT - dt.timedelta(minutes=30))
        for i, ticket in enumerate(quick):
            _rate(conn, ticket, "very_satisfied", at=AT + dt.timedelta(seconds=20 * i))
        flagged = conn.execute(sa.select(m.ratings.c.flagged_burst, m.ratings.c.device_id)).all()
        assert sorted(flagged) == [(False, "kiosk:8")] + [(True, "kiosk:9")] * 5

    db.write_sync(run)


def test_bad_rating_followup_due_times_steps_escalation_and_second_rating(db: Database) -> None:
    def run(conn: Connection) -> None:
        ticket = _done_ticket(conn)
        with pytest.raises(Invalid, match="原因"):
            _rate(conn, ticket, "unsatisfied")
        bad = _rate(conn, ticket, "very_unsatisfied", reasons=("attitude",)).rating
        (row,) = ratings.followups(conn, ["east"])
        assert row.rating.id == bad.id
        opened = AT + dt.timedelta(seconds=5)
        assert row.due[Step.CALL_BACK] == opened + dt.timedelta(days=1)  # Thursday
        assert row.due[Step.VERIFY] == opened + dt.timedelta(days=5)  # Monday (weekend off)
        assert row.due[Step.FIX].astimezone(CST).date() == dt.date(2026, 12, 23)
        assert row.overdue(AT + dt.timedelta(hours=23)) is None
        assert ratings.followups(conn, ["west"]) == []
        with pytest.raises(Conflict, match="请先完成回访"):
            ratings.record_step(conn, bad.id, "verify", note="核实", by="lead", at=AT)
        with pytest.raises(Invalid, match="写明"):
            ratings.record_step(conn, bad.id, "call_back", note=" ", by="lead", at=AT)
        # The clock moves two days on: 回访 is overdue, told to the district once.
        later = AT + dt.timedelta(days=2)
        (escalated,) = ratings.escalate_overdue(conn, later)
        assert escalated.escalated_step is Step.CALL_BACK
        assert ratings.escalate_overdue(conn, later + dt.timedelta(hours=1)) == []
        audit = conn.execute(sa.select(m.admin_audit.c.action, m.admin_audit.c.detail)).all()
        assert [a.action for a in audit] == ["rating_escalated"] and "回访超期" in audit[0].detail
        with pytest.raises(Conflict, match="整改答复后"):
            ratings.record_second_rating(conn, bad.id, "satisfied", later)
        for step in Step:
            ratings.record_step(conn, bad.id, step, note=f"{step.label}完成", by="lead", at=later)
        done = ratings.followups(conn, ["east"])[0]
        assert done.on_time(Step.CALL_BACK) is False and done.on_time(Step.FIX) is True
        assert [n["step"] for n in done.notes] == ["call_back", "verify", "fix"]
        with pytest.raises(Conflict, match="已记录过"):
            ratings.record_step(conn, bad.id, "fix", note="again", by="lead", at=later)
        second = ratings.record_second_rating(conn, bad.id, "satisfied", later)
        assert second.second_level is not None and second.second_level.label == "满意"
        with pytest.raises(Conflict, match="只能追评一次"):
            ratings.record_second_rating(conn, bad.id, "fair", later)

    db.write_sync(run)


def test_appeal_once_by_the_rated_staff_member_decided_by_the_district(db: Database) -> None:
    def run(conn: Connection) -> None:
        ticket = _done_ticket(conn, by="wang")
        bad = _rate(conn, ticket, "unsatisfied", reasons=("efficiency",)).rating
        wang, li = _account(conn, "wang"), _account(conn, "li")
        with pytest.raises(Forbidden, match="本人"):
            ratings.file_appeal(conn, bad.id, account_id=li, username="li", reason="x", at=AT)
        with pytest.raises(Conflict, match="理由"):
            ratings.file_appeal(conn, bad.id, account_id=wang, username="wang", reason=" ", at=AT)
        ratings.file_appeal(
            conn, bad.id, account_id=wang, username="wang", reason="居民误评了窗口", at=AT
        )
        with pytest.raises(Conflict, match="只能申诉一次"):
            ratings.file_appeal(conn, bad.id, account_id=wang, username="wang", reason="再", at=AT)
        with pytest.raises(Forbidden, match="街道"):
            ratings.decide_appeal(
                conn, bad.id, upheld=True, username="lead", is_district=False, note="", at=AT
            )
        served = AT.astimezone(CST).date()
        before = ratings.figures_by(conn, ["east"], served, served, "hall")[0].figures
        assert (before.rated, before.bad) == (1, 1)
        decided = ratings.decide_appeal(
            conn,
            bad.id,
            upheld=True,
            username="district",
            is_district=True,
            note="核实属实",
            at=AT + dt.timedelta(hours=1),
        )
        assert decided.excluded and decided.level is not None  # kept, out of the figures
        after = ratings.figures_by(conn, ["east"], served, served, "hall")[0].figures
        assert (after.served, after.rated, after.bad) == (1, 0, 0)
        with pytest.raises(Conflict, match="已有结论"):
            ratings.decide_appeal(
                conn,
                bad.id,
                upheld=False,
                username="district",
                is_district=True,
                note="",
                at=AT + dt.timedelta(hours=2),
            )
        actions = conn.execute(
            sa.select(m.admin_audit.c.action, m.admin_audit.c.username).order_by(m.admin_audit.c.id)
        ).all()
        assert [tuple(a) for a in actions] == [
            ("rating_appeal", "wang"),
            ("rating_appeal_decided", "district"),
        ]

    db.write_sync(run)


def test_figures_per_staff_ranked_and_the_public_summary(db: Database) -> None:
    def run(conn: Connection) -> None:
        # wang: 3 served, 2 rated (1 good, 1 bad called back on time), 1 未评价.
        # li: 2 served, both good.
        w = [_done_ticket(conn, by="wang") for _ in range(3)]
        li = [_done_ticket(conn, by="li") for _ in range(2)]
        _rate(conn, w[0], "very_satisfied", device="kiosk:1")
        bad = _rate(conn, w[1], "unsatisfied", reasons=("waiting",), device="kiosk:2").rating
        _rate(conn, w[2], None, device="kiosk:3")
        for i, ticket in enumerate(li):
            _rate(conn, ticket, "satisfied", device=f"kiosk:{4 + i}")
        ratings.record_step(
            conn, bad.id, "call_back", note="已电话回访", by="lead", at=AT + dt.timedelta(hours=3)
        )
        day = AT.astimezone(CST).date()
        rows = ratings.figures_by(conn, ["east"], day, day, "staff")
        assert [r.label for r in rows] == ["li", "wang"]  # ranked by 好评率
        wang = rows[1].figures
        assert (wang.served, wang.rated, wang.good, wang.bad) == (3, 2, 1, 1)
        assert wang.rated_rate == pytest.approx(2 / 3) and wang.good_rate == 0.5
        assert (wang.called_back, wang.called_back_on_time, wang.fixed) == (1, 1, 0)
        assert rows[1].unrated == 1
        (month,) = ratings.figures_by(conn, ["east"], day, day, "month")
        assert month.label == "2026-12" and month.figures.served == 5
        assert ratings.public_summary(conn, "east", "2026-12") == {
            "good_pct": 75.0,
            "bad_followed_on_time": 1,
            "bad_total": 1,
        }
        assert ratings.public_summary(conn, "west", "2026-12")["good_pct"] is None

    db.write_sync(run)


def test_times_come_back_aware(db: Database) -> None:
    def run(conn: Connection) -> None:
        rating = _rate(conn, _done_ticket(conn), "fair").rating
        assert rating.answered_at == as_utc(AT + dt.timedelta(seconds=5))

    db.write_sync(run)


def _closed_request(conn: Connection, staff: int | None = None, days_ago: int = 12) -> str:
    """A real request of the east hall, accepted and resolved ``days_ago`` before AT."""
    from kiosk.core.service_requests import Action, Actor, Role
    from kiosk.server import requests

    opened = AT - dt.timedelta(days=days_ago + 1)
    actor = Actor(Role.STAFF, f"staff:{staff or 1}")
    record = requests.register(
        conn,
        hall_id="east",
        category="repair",
        description="3 号楼楼道灯不亮",
        channel="window",
        actor=actor,
        at=opened,
        settings=SETTINGS,
    )
    if staff is not None:
        conn.execute(
            sa.update(m.service_requests)
            .where(m.service_requests.c.id == record.id)
            .values(staff_id=staff)
        )
    requests.act(conn, record.id, Action.ACCEPT, actor, opened)
    closed = AT - dt.timedelta(days=days_ago)
    requests.act(conn, record.id, Action.RESOLVE, actor, closed, answer="已更换灯泡")
    return record.id


def test_a_request_is_rated_once_through_the_same_function(db: Database) -> None:
    """The request phone page (/r/{id}) rates through record(): staff = the request's
    handling account, service = its category, 14 days from closing (not 3), once."""

    def run(conn: Connection) -> None:
        conn.execute(sa.delete(m.request_events))
        conn.execute(sa.delete(m.service_requests))
        wang = _account(conn, "wang")
        rid = _closed_request(conn, staff=wang)
        first = ratings.record(
            conn,
            hall_id="east",
            subject="request",
            subject_id=rid,
            level="unsatisfied",
            reasons=["efficiency"],
            phone=None,
            channel="phone_page",
            device_id="phone",
            at=AT,  # 12 days after closing: inside the 14
            settings=SETTINGS,
        )
        assert first.created and first.rating.request_id == rid
        assert first.rating.ticket_id is None and first.rating.level_label == "不满意"
        row = conn.execute(sa.select(m.ratings).where(m.ratings.c.request_id == rid)).one()
        assert row.staff_account_id == wang and row.service_id == "repair"
        assert as_utc(row.asked_at) == as_utc(AT - dt.timedelta(days=12))
        opened = conn.execute(
            sa.select(m.rating_followups.c.rating_id).where(
                m.rating_followups.c.rating_id == row.id
            )
        ).scalar()
        assert opened == row.id  # the 差评 opened its 整改
        with pytest.raises(Conflict, match="只能评价一次"):
            ratings.record(
                conn,
                hall_id="east",
                subject="request",
                subject_id=rid,
                level="satisfied",
                phone=None,
                channel="phone_page",
                device_id="phone",
                at=AT,
                settings=SETTINGS,
            )
        late = _closed_request(conn, days_ago=15)
        with pytest.raises(Invalid, match="14 天内可评"):
            ratings.record(
                conn,
                hall_id="east",
                subject="request",
                subject_id=late,
                level="satisfied",
                phone=None,
                channel="phone_page",
                device_id="phone",
                at=AT,
                settings=SETTINGS,
            )
        with pytest.raises(NotFound, match="找不到这条诉求"):
            ratings.record(
                conn,
                hall_id="west",
                subject="request",
                subject_id=rid,
                level="satisfied",
                phone=None,
                channel="phone_page",
                device_id="phone",
                at=AT,
                settings=SETTINGS,
            )

    db.write_sync(run)


def test_a_phone_is_never_stored_in_clear(db: Database) -> None:
    def run(conn: Connection) -> None:
        ticket = _done_ticket(conn)
        named = ratings.record(
            conn,
            hall_id="east",
            subject="ticket",
            subject_id=ticket,
            level="unsatisfied",
            reasons=("attitude",),
            phone="13812341234",
            channel="device",
            device_id="kiosk:9",
            at=AT + dt.timedelta(seconds=5),
            asked_at=AT,
            settings=SETTINGS,
        ).rating
        assert named.named
        row = conn.execute(sa.select(m.ratings).where(m.ratings.c.id == named.id)).one()
        assert all("13812341234" not in str(value) for value in row)

    db.write_sync(run)


def test_a_bad_rating_when_the_calendar_does_not_know_the_year_is_kept(db: Database) -> None:
    """21 December: the 15 working days of the 整改 reach into 2027, not entered yet. The
    resident's 差评 is kept all the same; its 整改 opens, with true due times, once the
    district has entered 2027 (never a guessed date)."""
    late = dt.datetime(2026, 12, 21, 10, 0, tzinfo=CST)

    def give(conn: Connection) -> int:
        ticket = _done_ticket(conn, at=late)
        bad = _rate(conn, ticket, "very_unsatisfied", reasons=("attitude",), at=late).rating
        assert ratings.followups(conn, ["east"]) == []
        assert ratings.missing_followups(conn) == [bad.id]
        assert ratings.open_missing_followups(conn, ratings.policy_of(SETTINGS)) == 0
        return bad.id

    bad_id = db.write_sync(give)

    def enter_2027(conn: Connection) -> None:
        by = {"entered_by": "admin", "entered_at": late.astimezone(dt.UTC)}
        conn.execute(
            sa.insert(m.calendar_days),
            [{"day": dt.date(2027, 1, d), "workday": False, "note": "元旦", **by} for d in (1, 2)],
        )
        conn.execute(sa.insert(m.calendar_years).values(year=2027, **by))
        assert ratings.open_missing_followups(conn, ratings.policy_of(SETTINGS)) == 1

    db.write_sync(enter_2027)
    (row,) = db.read_sync(lambda c: ratings.followups(c, ["east"]))
    assert row.rating.id == bad_id
    # 15 working days from Monday 21 December, 1 January off: Tuesday 12 January (not 11).
    assert row.due[Step.FIX].astimezone(CST).date() == dt.date(2027, 1, 12)
    db.write_sync(lambda c: (c.execute(sa.delete(m.calendar_days)), None)[1])
    db.write_sync(lambda c: (c.execute(sa.delete(m.calendar_years)), None)[1])
