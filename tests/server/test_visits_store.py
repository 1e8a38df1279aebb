"""The visit store (kiosk/server/visits/) on a real migrated database, SQLite and PostgreSQL:
due states by tier, new residents, retries after a miss, the alert after two misses in a
row, district events, idempotent recording, the lists and the leader's view."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from kiosk.core.visits import Light, Tier
from kiosk.server import models as m
from kiosk.server import visits
from kiosk.server.auth import create_staff
from kiosk.server.db import Database, migrate
from kiosk.server.domain_errors import Conflict, Invalid, NotFound
from kiosk.server.visits import register
from kiosk.server.visits.records import VisitForm

SH = dt.timezone(dt.timedelta(hours=8))
NOW = dt.datetime(2026, 12, 2, 9, 0, tzinfo=SH)
HALL = "visits-hall"


def _seal(text: str) -> bytes:
    return text[::-1].encode()  # the store only carries the sealed bytes


def _open(blob: bytes) -> str:
    return blob.decode()[::-1]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    pg = None
    if request.param == "postgres":
        pg = request.getfixturevalue("private_postgres")
        url = pg.create_database()  # one fresh database per test
    else:
        url = f"sqlite:///{tmp_path / 'kiosk.sqlite3'}"
    migrate(url)
    database = Database(url)

    def seed(conn: sa.Connection) -> None:
        for hall in (HALL, "other-hall"):
            conn.execute(sa.insert(m.halls).values(id=hall, name=hall, created_at=NOW))
        create_staff(conn, "wang", "pw-123456789", "hall_staff", HALL, "王网格员")
        create_staff(conn, "li", "pw-123456789", "hall_staff", HALL, "李网格员")
        create_staff(conn, "admin", "pw-123456789", "district_admin", None, "街道")

    database.write_sync(seed)
    yield database
    database.close()
    if pg is not None:
        pg.drop_database(url)


def _staff(db: Database, name: str) -> int:
    return int(
        db.read_sync(
            lambda c: c.execute(
                sa.select(m.staff_accounts.c.id).where(m.staff_accounts.c.username == name)
            ).scalar_one()
        )
    )


def _household(
    hid: str, tier: Tier, address: str, *, staff: str = "", new: bool = False
) -> visits.PlanHousehold:
    return visits.PlanHousehold(
        id=hid,
        hall_id=HALL,
        address=address,
        tier=tier,
        registered_at=NOW - dt.timedelta(days=60 if not new else 1),
        tags=frozenset({"新住户"} if new else ()),
        staff_id=staff,
    )


def _register(db: Database, household: visits.PlanHousehold, **extra: Any) -> None:
    """The household's row in the register (households' table; no personal field)."""

    def insert(c: sa.Connection) -> None:
        if c.execute(sa.select(m.households.c.id).where(m.households.c.id == household.id)).first():
            return
        c.execute(
            sa.insert(m.households).values(
                id=household.id,
                hall_id=household.hall_id,
                address=household.address,
                building=household.address.split("-")[0],
                tags=sorted(household.tags),
                tier=household.tier.value,
                staff_id=household.staff_id,
                registered_at=household.registered_at.astimezone(dt.UTC),
                updated_at=NOW.astimezone(dt.UTC),
                **extra,
            )
        )

    db.write_sync(insert)


def _visit(
    db: Database,
    household: visits.PlanHousehold,
    at: dt.datetime,
    *,
    seen: bool,
    staff: int,
    key: str,
    needs: str = "",
    now: dt.datetime | None = None,
) -> tuple[visits.VisitEntry, bool]:
    _register(db, household)
    form = VisitForm(household.id, at, "home", seen, ("gas", "power"), needs, key)
    return db.write_sync(
        lambda c: visits.record_visit(
            c,
            household=household,
            form=form,
            staff_id=staff,
            now=now or at,
            seal=_seal,
            open_=_open,
        )
    )


def _row(db: Database, household: visits.PlanHousehold, now: dt.datetime) -> visits.DueRow:
    return db.read_sync(lambda c: visits.due_rows(c, HALL, [household], now))[0]


def test_due_by_tier_new_resident_and_a_seen_visit(db: Database) -> None:
    wang = _staff(db, "wang")
    high = _household("h-high", Tier.HIGH_RISK, "3-1-101", staff="wang-li")
    new = _household("h-new", Tier.GENERAL, "5-2-202", staff="wang-li", new=True)
    general = _household("h-gen", Tier.GENERAL, "1-1-101", staff="wang-li")
    rows = {
        r.household.id: r
        for r in db.read_sync(lambda c: visits.due_rows(c, HALL, [high, new, general], NOW))
    }
    assert rows["h-high"].due == high.registered_at + dt.timedelta(days=7)
    assert rows["h-high"].light is Light.RED
    assert rows["h-new"].due == new.registered_at + dt.timedelta(days=7)
    assert rows["h-new"].light is Light.HIDDEN  # due in 6 days: not shown yet
    assert rows["h-gen"].light is Light.HIDDEN
    _visit(db, high, NOW - dt.timedelta(hours=1), seen=True, staff=wang, key="k" * 20)
    after = _row(db, high, NOW)
    assert after.due == NOW - dt.timedelta(hours=1) + dt.timedelta(days=7)
    assert after.light is Light.HIDDEN
    # Five days later it shows (2 days before), amber on the day, red the day after.
    assert _row(db, high, NOW + dt.timedelta(days=5)).light is Light.UPCOMING
    assert _row(db, high, NOW + dt.timedelta(days=7)).light is Light.AMBER
    assert _row(db, high, NOW + dt.timedelta(days=8)).light is Light.RED


def test_a_miss_retries_in_48_hours_and_two_misses_alert_the_leader(db: Database) -> None:
    wang = _staff(db, "wang")
    key = _household("h-key", Tier.KEY, "2-1-301", staff="wang-li")
    _visit(db, key, NOW - dt.timedelta(days=3), seen=True, staff=wang, key="seen-" + "a" * 16)
    first, _ = _visit(db, key, NOW, seen=False, staff=wang, key="miss-1-" + "b" * 16)
    assert not first.seen
    assert _row(db, key, NOW).due == NOW + dt.timedelta(hours=48)
    assert db.read_sync(lambda c: visits.alerts_of(c, HALL)) == []
    _visit(db, key, NOW + dt.timedelta(hours=48), seen=False, staff=wang, key="miss-2-" + "c" * 16)
    alerts = db.read_sync(lambda c: visits.alerts_of(c, HALL))
    assert [(a.household_id, a.misses) for a in alerts] == [("h-key", 2)]
    assert "连续 2 次走访未见到本人" in alerts[0].message
    assert _row(db, key, NOW + dt.timedelta(hours=48)).due == NOW + dt.timedelta(hours=96)


def test_the_same_key_is_one_visit_and_another_household_cannot_reuse_it(db: Database) -> None:
    wang = _staff(db, "wang")
    one = _household("h-1", Tier.HIGH_RISK, "1-1-101", staff="wang-li")
    two = _household("h-2", Tier.HIGH_RISK, "1-1-102", staff="wang-li")
    key = "phone-minted-key-0001"
    stored, created = _visit(db, one, NOW, seen=True, staff=wang, key=key, needs="想申请助浴")
    again, created_again = _visit(db, one, NOW, seen=True, staff=wang, key=key, needs="想申请助浴")
    assert created and not created_again and stored == again
    assert again.needs == "想申请助浴" and again.staff_name == "王网格员"
    with pytest.raises(Conflict):
        _visit(db, two, NOW, seen=True, staff=wang, key=key)
    assert (
        db.read_sync(
            lambda c: c.execute(sa.select(sa.func.count()).select_from(m.visits)).scalar_one()
        )
        == 1
    )
    sealed = db.read_sync(lambda c: c.execute(sa.select(m.visits.c.needs_enc)).scalar_one())
    assert "助浴".encode() not in sealed


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"way": "letter"}, "走访方式"),
        ({"at": NOW + dt.timedelta(hours=1)}, "晚于现在"),
        ({"at": NOW - dt.timedelta(days=8)}, "7 天前"),
        ({"checklist": ("gas", "bogus")}, "检查项目"),
        ({"needs": "x" * 501}, "最多 500 字"),
        ({"needs": "bad\x00char"}, "需求说明"),
        ({"idempotency_key": "short"}, "表单编号"),
    ],
)
def test_bad_visit_forms_are_refused_in_chinese(
    db: Database, change: dict[str, object], message: str
) -> None:
    wang = _staff(db, "wang")
    household = _household("h-bad", Tier.GENERAL, "9-9-909", staff="wang-li")
    fields: dict[str, object] = {
        "household_id": household.id,
        "at": NOW,
        "way": "home",
        "seen": True,
        "checklist": ("gas",),
        "needs": "",
        "idempotency_key": "valid-key-0000000001",
        **change,
    }
    form = VisitForm(**fields)  # type: ignore[arg-type]
    _register(db, household)
    with pytest.raises(Invalid) as refused:
        db.write_sync(
            lambda c: visits.record_visit(
                c,
                household=household,
                form=form,
                staff_id=wang,
                now=NOW,
                seal=_seal,
                open_=_open,
            )
        )
    assert message in refused.value.message


def test_a_visit_time_within_the_window_is_kept(db: Database) -> None:
    """Just inside the limits: 6 days 23 h back (uploaded late) and 5 min ahead (a fast clock)."""
    wang = _staff(db, "wang")
    old = _household("h-old", Tier.GENERAL, "1-1-101")
    ahead = _household("h-ahead", Tier.GENERAL, "1-1-102")
    at = NOW - dt.timedelta(days=6, hours=23)
    entry, created = _visit(db, old, at, seen=True, staff=wang, key="k-window-old-00001", now=NOW)
    assert created and entry.at == at
    soon = NOW + dt.timedelta(minutes=5)
    entry, created = _visit(
        db, ahead, soon, seen=True, staff=wang, key="k-window-ahead-001", now=NOW
    )
    assert created and entry.at == soon


def test_a_district_event_makes_high_risk_households_due_within_24_hours(db: Database) -> None:
    wang, admin = _staff(db, "wang"), _staff(db, "admin")
    high = _household("h-high", Tier.HIGH_RISK, "3-1-101", staff="wang-li")
    general = _household("h-gen", Tier.GENERAL, "1-1-101", staff="wang-li")
    _visit(db, high, NOW - dt.timedelta(days=1), seen=True, staff=wang, key="k-high-" + "x" * 16)
    assert _row(db, high, NOW).light is Light.HIDDEN
    db.write_sync(lambda c: visits.declare_event(c, name="寒潮预警", declared_by=admin, at=NOW))
    assert _row(db, high, NOW).due == NOW + dt.timedelta(hours=24)
    assert _row(db, high, NOW).light is Light.UPCOMING
    assert _row(db, high, NOW + dt.timedelta(hours=24)).light is Light.AMBER
    assert _row(db, general, NOW).light is Light.HIDDEN
    # An event for another hall only changes nothing here; bad events are refused.
    db.write_sync(
        lambda c: visits.declare_event(
            c,
            name="高温预警",
            declared_by=admin,
            at=NOW,
            hall_ids=["other-hall"],
            tiers=[Tier.GENERAL],
        )
    )
    assert _row(db, general, NOW).light is Light.HIDDEN
    bad_events: list[dict[str, Any]] = [
        {"name": "寒"},
        {"hall_ids": ["no-such-hall"]},
        {"within_hours": 0},
    ]
    for bad in bad_events:
        fields: dict[str, Any] = {"name": "寒潮预警", "declared_by": admin, "at": NOW, **bad}

        def declare(c: sa.Connection, fields: dict[str, Any] = fields) -> int:
            return visits.declare_event(c, **fields)

        with pytest.raises(Invalid):
            db.write_sync(declare)


def test_todays_list_nearest_building_first_and_the_leaders_view(db: Database) -> None:
    li = _staff(db, "li")
    homes = [
        _household("h-10", Tier.HIGH_RISK, "10-1-101", staff="wang-li"),
        _household("h-2", Tier.HIGH_RISK, "2-1-301", staff="wang-li"),
        _household("h-2b", Tier.HIGH_RISK, "2-1-1201"),
        _household("h-li", Tier.HIGH_RISK, "1-1-101", staff="li-ming"),
        _household("h-later", Tier.GENERAL, "1-1-102", staff="wang-li"),
    ]
    today, upcoming = db.read_sync(lambda c: visits.todays_visits(c, HALL, homes, "wang-li", NOW))
    assert [r.household.id for r in today] == ["h-2", "h-2b", "h-10"]
    assert upcoming == []
    _visit(db, homes[3], NOW - dt.timedelta(hours=2), seen=True, staff=li, key="li-" + "z" * 16)
    view = db.read_sync(
        lambda c: visits.leader_view(
            c, HALL, homes, NOW, {"wang-li": "王网格员", "li-ming": "李网格员"}
        )
    )
    by_name = {s.name: s for s in view.staff}
    assert (by_name["王网格员"].households, by_name["王网格员"].overdue) == (3, 2)
    assert by_name["王网格员"].percent == 33
    assert (by_name["李网格员"].overdue, by_name["李网格员"].visits_7d) == (0, 1)
    assert by_name["李网格员"].percent == 100
    assert by_name["未分配"].overdue == 1
    assert {r.household.id for r in view.overdue} == {"h-10", "h-2", "h-2b"}


def test_a_hall_policy_changes_the_interval_and_bad_policies_are_refused(db: Database) -> None:
    wang = _staff(db, "wang")
    policy = dict(
        high_risk_days=3,
        key_days=14,
        general_days=60,
        new_resident_days=5,
        retry_hours=24,
        shown_before=1,
        misses_alert=3,
    )
    db.write_sync(lambda c: visits.set_policy(c, HALL, **policy, by=wang, at=NOW))
    high = _household("h-high", Tier.HIGH_RISK, "3-1-101", staff="wang-li")
    _visit(db, high, NOW, seen=True, staff=wang, key="policy-" + "p" * 16)
    assert _row(db, high, NOW).due == NOW + dt.timedelta(days=3)
    with pytest.raises(Invalid) as refused:
        db.write_sync(
            lambda c: visits.set_policy(
                c, HALL, **{**policy, "high_risk_days": 40}, by=wang, at=NOW
            )
        )
    assert "走访周期" in refused.value.message


def test_the_register_gives_the_plan_its_households_but_not_those_who_moved_away(
    db: Database,
) -> None:
    here = _household("h-here", Tier.KEY, "4-1-401", staff="wang-li", new=True)
    gone = _household("h-gone", Tier.HIGH_RISK, "4-1-402")
    _register(db, here)
    _register(db, gone, moved_away_at=NOW.astimezone(dt.UTC))
    assert db.read_sync(lambda c: register.plan_households(c, HALL)) == [here]
    assert db.read_sync(lambda c: register.plan_household(c, HALL, "h-here")) == here
    for hall, hid in ((HALL, "h-gone"), ("other-hall", "h-here"), (HALL, "no-such")):

        def one(c: sa.Connection, hall: str = hall, hid: str = hid) -> visits.PlanHousehold:
            return register.plan_household(c, hall, hid)

        with pytest.raises(NotFound):
            db.read_sync(one)
