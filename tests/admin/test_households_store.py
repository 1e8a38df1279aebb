"""The households store (kiosk/server/households/) on a real database — a SQLite file and
the suite's private PostgreSQL: sealed at rest, masked in lists, found by phone through
the keyed hash, other halls refused, district admins held to counts until the hall
opens its register, every view audited, moved-away households erased on time."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from kiosk.core.visits import Tier
from kiosk.server import households as hh
from kiosk.server import models as m
from kiosk.server import personal
from kiosk.server.auth import StaffPrincipal
from kiosk.server.db import Database, migrate
from kiosk.server.domain_errors import Forbidden, Invalid, NotFound
from kiosk.server.settings import build_settings

AT = dt.datetime(2026, 12, 3, 2, 0, tzinfo=dt.UTC)
SETTINGS = build_settings(secret_key="s" * 32, data_key=personal.new_data_key())
STAFF = StaffPrincipal(1, "wang", "hall_staff", "east")
OTHER = StaffPrincipal(2, "li", "hall_staff", "west")
ADMIN = StaffPrincipal(3, "district", "district_admin", None)
LEADER = StaffPrincipal(4, "zhao", "hall_leader", "east")
OUR_TABLES = {"households", "household_members", "household_audit", "household_access"}


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    if request.param == "postgres":
        url = request.getfixturevalue("postgres_database_url")
    else:
        url = f"sqlite:///{tmp_path / 'kiosk.sqlite3'}"
    migrate(url)
    database = Database(url)
    with database.writer.begin() as conn:
        conn.execute(sa.delete(m.household_audit))
        conn.execute(sa.delete(m.household_members))
        conn.execute(sa.delete(m.household_imports))
        conn.execute(sa.delete(m.households))
        conn.execute(sa.delete(m.household_access))
        for hall in ("east", "west"):
            if conn.execute(sa.select(m.halls.c.id).where(m.halls.c.id == hall)).first() is None:
                conn.execute(m.halls.insert().values(id=hall, name=hall, created_at=AT))
    yield database
    database.close()


def _family(address: str = "3-2-501", phone: str = "13812341234") -> hh.HouseholdInput:
    members = [
        hh.check_member(name="张秀英", birth_year="1941", phone=phone, this_year=2026),
        hh.check_member(name="李建国", birth_year="1939", relation="配偶", this_year=2026),
    ]
    return hh.check_household(
        address=address,
        tags="高龄独居、低保",
        emergency_contact="女儿 13900001111",
        notes="腿脚不便",
        members=members,
    )


def test_the_migration_creates_exactly_the_tables_of_the_models(db: Database) -> None:
    with db.reader.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), m.metadata)
    ours = [d for d in diff if any(t in repr(d) for t in OUR_TABLES | {"household_imports"})]
    assert ours == []


def test_create_list_get_masked_sealed_and_audited(db: Database) -> None:
    with db.writer.begin() as conn:
        household_id = hh.create(conn, SETTINGS, _family(), hall_id="east", viewer=STAFF, at=AT)
    with db.reader.connect() as conn:
        raw = conn.execute(sa.select(m.household_members)).all()
        stored = b"".join(bytes(r.name_enc or b"") + bytes(r.phone_enc or b"") for r in raw)
        assert b"13812341234" not in stored and "张秀英".encode() not in stored
        page = hh.list_households(conn, SETTINGS, "east", viewer=STAFF)
    assert page.total == 1
    row = page.rows[0]
    assert (row.address, row.head, row.phone, row.members) == ("3-2-501", "张**", "138****1234", 2)
    assert row.tier is Tier.HIGH_RISK  # suggested from 高龄独居
    with db.writer.begin() as conn:
        record = hh.get(conn, SETTINGS, household_id, viewer=STAFF, at=AT)
        log = hh.audit_log(conn, "east", household_id=household_id)
    assert record.members[0].phone == "13812341234" and record.members[0].name == "张秀英"
    assert record.emergency_contact == "女儿 13900001111" and record.notes == "腿脚不便"
    assert [(e.action, e.actor) for e in log] == [("view", "wang"), ("create", "wang")]


def test_search_by_phone_hash_by_address_tag_tier(db: Database) -> None:
    with db.writer.begin() as conn:
        hh.create(conn, SETTINGS, _family(), hall_id="east", viewer=STAFF, at=AT)
        hh.create(
            conn, SETTINGS, _family("5-1-302", "13700007777"), hall_id="east", viewer=STAFF, at=AT
        )
        plain = hh.check_household(address="5号楼1单元101室", tags="新住户", tier="key")
        hh.create(conn, SETTINGS, plain, hall_id="east", viewer=STAFF, at=AT)
    with db.reader.connect() as conn:

        def addresses(**kw: object) -> list[str]:
            page = hh.list_households(conn, SETTINGS, "east", viewer=STAFF, **kw)  # type: ignore[arg-type]
            return [r.address for r in page.rows]

        assert addresses(phone="137-0000-7777") == ["5-1-302"]
        assert addresses(phone="+86 138 1234 1234") == ["3-2-501"]
        assert addresses(phone="13600000000") == []
        assert addresses(address="5") == ["5-1-101", "5-1-302"]
        assert addresses(address="5-1-302") == ["5-1-302"]
        assert addresses(tag="新住户") == ["5-1-101"]
        assert addresses(tier=Tier.KEY) == ["5-1-101"]
        with pytest.raises(Invalid, match="手机号"):
            addresses(phone="1381234")


def test_other_halls_and_district_admins(db: Database) -> None:
    with db.writer.begin() as conn:
        household_id = hh.create(conn, SETTINGS, _family(), hall_id="east", viewer=STAFF, at=AT)
    with db.writer.begin() as conn:
        with pytest.raises(NotFound):
            hh.get(conn, SETTINGS, household_id, viewer=OTHER, at=AT)
        with pytest.raises(Forbidden):
            hh.list_households(conn, SETTINGS, "east", viewer=OTHER)
        with pytest.raises(Forbidden, match="户数统计"):
            hh.get(conn, SETTINGS, household_id, viewer=ADMIN, at=AT)
        with pytest.raises(Forbidden):
            hh.set_district_access(conn, "east", True, viewer=ADMIN, at=AT)
        counts = hh.counts(conn, ["east", "west"])
    assert [(c.hall_id, c.total, c.by_tier[Tier.HIGH_RISK]) for c in counts] == [
        ("east", 1, 1),
        ("west", 0, 0),
    ]
    with db.writer.begin() as conn:
        with pytest.raises(Forbidden, match="负责人"):  # the leader's switch, not any staff's
            hh.set_district_access(conn, "east", True, viewer=STAFF, at=AT)
        hh.set_district_access(conn, "east", True, viewer=LEADER, at=AT)
    with db.writer.begin() as conn:
        assert hh.get(conn, SETTINGS, household_id, viewer=ADMIN, at=AT).address == "3-2-501"
        actions = [(e.action, e.actor) for e in hh.audit_log(conn, "east")]
    assert actions[:2] == [("view", "district"), ("access", "zhao")]


def test_duplicate_address_and_bad_values_are_refused_in_chinese(db: Database) -> None:
    with db.writer.begin() as conn:
        hh.create(conn, SETTINGS, _family(), hall_id="east", viewer=STAFF, at=AT)
    with db.writer.begin() as conn, pytest.raises(Invalid, match="已经登记"):
        hh.create(conn, SETTINGS, _family("3号楼2单元501室"), hall_id="east", viewer=STAFF, at=AT)
    with pytest.raises(Invalid, match="住址") as exc:
        hh.check_household(address="三号楼")
    assert exc.value.field == "address"
    with pytest.raises(Invalid, match="出生年份"):
        hh.check_member(name="王", birth_year="2030", this_year=2026)
    with pytest.raises(Invalid, match="11 位"):
        hh.check_member(name="王", phone="1381234123", this_year=2026)


def test_moved_away_is_archived_then_erased_after_the_retention(db: Database) -> None:
    with db.writer.begin() as conn:
        household_id = hh.create(conn, SETTINGS, _family(), hall_id="east", viewer=STAFF, at=AT)
        erase_at = hh.mark_moved_away(conn, SETTINGS, household_id, viewer=STAFF, at=AT)
    assert erase_at == AT + dt.timedelta(days=180)
    with db.writer.begin() as conn:
        assert hh.list_households(conn, SETTINGS, "east", viewer=STAFF).total == 0
        assert hh.list_households(conn, SETTINGS, "east", viewer=STAFF, archived=True).total == 1
        assert hh.erase_due(conn, erase_at - dt.timedelta(minutes=1)) == 0
        assert hh.erase_due(conn, erase_at) == 1
        assert hh.erase_due(conn, erase_at + dt.timedelta(days=1)) == 0
    with db.writer.begin() as conn:
        record = hh.get(conn, SETTINGS, household_id, viewer=STAFF, at=erase_at)
        members = conn.execute(sa.select(m.household_members)).all()
    assert record.erased_at is not None and record.address == "3-2-501"
    assert record.emergency_contact is None and record.notes is None
    assert all(r.name_enc is None and r.phone_enc is None and r.phone_hash is None for r in members)
