"""The calendar of deadlines from the library and the district's entries, on a real SQLite
file and on the suite's private PostgreSQL: an unknown year is refused, entering it makes
it known, and an entry made through another process (another Database) is seen at once."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from kiosk.core.clock import HALL_TZ
from kiosk.core.workdays import UnknownCalendarYear
from kiosk.server import models as m
from kiosk.server import workday_calendar
from kiosk.server.db import Database, migrate

AT = dt.datetime(2026, 12, 3, 4, 0, tzinfo=dt.UTC)
NEW_YEAR = [dt.date(2027, 1, 1), dt.date(2027, 1, 2), dt.date(2027, 1, 3)]
WORKING_SUNDAY = dt.date(2027, 1, 10)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "postgres":
        found: str = request.getfixturevalue("postgres_database_url")
        return found
    return f"sqlite:///{tmp_path / 'kiosk.sqlite3'}"


@pytest.fixture
def two_processes(url: str) -> Iterator[tuple[Database, Database]]:
    """Two Database objects on one database: two server workers, as far as the cache goes."""
    migrate(url)
    first, second = Database(url), Database(url)
    # The PostgreSQL database lives for the module: start from no entries.
    first.write_sync(lambda c: (c.execute(sa.delete(m.calendar_days)), None)[1])
    first.write_sync(lambda c: (c.execute(sa.delete(m.calendar_years)), None)[1])
    yield first, second
    first.close()
    second.close()


def test_the_migration_creates_the_tables_of_the_models(
    two_processes: tuple[Database, Database],
) -> None:
    with two_processes[0].reader.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), m.metadata)
    assert [d for d in diff if "calendar_" in repr(d)] == []


def _enter_2027(db: Database) -> None:
    def write(conn: sa.Connection) -> None:
        rows = [
            {"day": d, "workday": False, "note": "元旦", "entered_by": "admin", "entered_at": AT}
            for d in NEW_YEAR
        ]
        rows.append(
            {
                "day": WORKING_SUNDAY,
                "workday": True,
                "note": "调休上班",
                "entered_by": "admin",
                "entered_at": AT,
            }
        )
        conn.execute(sa.insert(m.calendar_days), rows)
        conn.execute(
            sa.insert(m.calendar_years).values(year=2027, entered_by="admin", entered_at=AT)
        )

    db.write_sync(write)


def test_unknown_year_then_entered_then_edited(two_processes: tuple[Database, Database]) -> None:
    writer, reader = two_processes
    start = dt.datetime(2026, 12, 31, 10, 0, tzinfo=HALL_TZ)
    before = reader.read_sync(workday_calendar.calendar)
    assert before.is_workday(dt.date(2026, 12, 31))  # the library's year
    with pytest.raises(UnknownCalendarYear) as refused:
        before.add_workdays(start, 1)
    assert "2027" in str(refused.value) and "录入" in str(refused.value)
    assert reader.read_sync(workday_calendar.calendar) is before  # cached: nothing changed

    _enter_2027(writer)
    after = reader.read_sync(workday_calendar.calendar)
    assert after is not before
    # 元旦 skipped: Thursday 10:00 + one working day = Monday 4 January 10:00.
    assert after.add_workdays(start, 1) == dt.datetime(2027, 1, 4, 10, 0, tzinfo=HALL_TZ)
    assert not after.is_workday(dt.date(2027, 1, 1))
    assert after.is_workday(WORKING_SUNDAY) and not after.is_workday(dt.date(2027, 1, 9))
    saturday = dt.datetime(2027, 1, 9, 10, 0, tzinfo=HALL_TZ)
    assert after.add_workdays(saturday, 1) == dt.datetime(2027, 1, 11, 0, 0, tzinfo=HALL_TZ)
    assert reader.read_sync(workday_calendar.known_years)[2027] == "entered"
    assert reader.read_sync(workday_calendar.known_years)[2026] == "library"

    # A deleted day is seen too (the count changes), and so is undoing the whole year.
    writer.write_sync(
        lambda c: c.execute(sa.delete(m.calendar_days).where(m.calendar_days.c.day == NEW_YEAR[0]))
    )
    edited = reader.read_sync(workday_calendar.calendar)
    assert edited.is_workday(NEW_YEAR[0])  # a Friday of an entered year without an entry
    writer.write_sync(lambda c: c.execute(sa.delete(m.calendar_years)))
    undone = reader.read_sync(workday_calendar.calendar)
    assert not undone.knows(dt.date(2027, 3, 1))
    assert not undone.is_workday(NEW_YEAR[1])  # entered days still count on their own


def test_the_banner_year() -> None:
    assert workday_calendar.year_to_ask(dt.date(2026, 10, 31)) is None
    assert workday_calendar.year_to_ask(dt.date(2026, 11, 1)) == 2027
    assert workday_calendar.year_to_ask(dt.date(2025, 12, 1)) is None  # the library knows 2026
