"""The request store (kiosk/server/requests) on a real database: SQLite here, the suite's
private PostgreSQL too (``postgres`` marker). Numbers, idempotency, transitions by the
core rules with their deadline, the timeline, the board, the figures."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from kiosk.core.request_deadlines import Light
from kiosk.core.service_requests import Action, Actor, Role, State
from kiosk.core.wire import EventType
from kiosk.server import models as m
from kiosk.server import personal
from kiosk.server import requests as store
from kiosk.server.db import Database, migrate
from kiosk.server.domain_errors import Conflict, Invalid, NotFound
from kiosk.server.settings import build_settings

ZONE = dt.timezone(dt.timedelta(hours=8))
T0 = dt.datetime(2026, 12, 2, 9, 0, tzinfo=ZONE)  # a Wednesday
HALL = "mingshi-haoting"
RESIDENT = Actor(Role.RESIDENT)
STAFF = Actor(Role.STAFF, "staff:1")
KIOSK = Actor(Role.RESIDENT, "kiosk:1")
SETTINGS = build_settings(secret_key="s" * 32, data_key=personal.new_data_key())


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    if request.param == "postgres":
        url = request.getfixturevalue("postgres_database_url")
    else:
        url = f"sqlite:///{tmp_path / 'requests.sqlite3'}"
    migrate(url)
    database = Database(url)
    with database.writer.begin() as conn:
        for hall in (HALL, "huayang"):
            conn.execute(sa.delete(m.request_events))
            conn.execute(sa.delete(m.service_requests))
            conn.execute(sa.delete(m.request_counters))
            if conn.execute(sa.select(m.halls.c.id).where(m.halls.c.id == hall)).first() is None:
                conn.execute(sa.insert(m.halls).values(id=hall, name=hall, created_at=T0))
    yield database
    database.close()


def _new(conn: Connection, **kw: Any) -> store.RequestRecord:
    args: dict[str, Any] = {
        "hall_id": HALL,
        "category": "repair",
        "description": "3 号楼楼道灯不亮",
        "channel": "kiosk",
        "actor": KIOSK,
        "at": T0,
        "settings": SETTINGS,
    }
    return store.register(conn, **{**args, **kw})


def test_register_numbers_per_hall_and_year_and_sets_the_acceptance_deadline(
    db: Database,
) -> None:
    with db.writer.begin() as conn:
        first = _new(conn, location="3-2-501", phone="13812341234", name="张阿姨")
        second = _new(conn)
        other = _new(conn, hall_id="huayang")
    assert first.number == "MH-2026-000001"
    assert second.number == "MH-2026-000002"
    assert other.number == "HU-2026-000001"
    assert first.state is State.REGISTERED
    assert first.core.named and not second.core.named
    assert first.phone == "13812341234" and first.name == "张阿姨"
    assert len(first.query_code) == 6 and first.query_code.isdigit()
    # 受理 within one working day: Wednesday 09:00 → Thursday 09:00 (Shanghai)
    assert first.due_at == dt.datetime(2026, 12, 3, 9, 0, tzinfo=ZONE)
    with db.writer.begin() as conn:
        raw = conn.execute(
            sa.select(m.service_requests).where(m.service_requests.c.id == first.id)
        ).one()
        events = conn.execute(
            sa.select(m.events).where(m.events.c.type == EventType.REQUEST.value)
        ).all()
    assert raw.phone_enc is not None and b"13812341234" not in raw.phone_enc
    assert raw.name_enc is not None and "张阿姨".encode() not in raw.name_enc
    assert personal.open_(SETTINGS, raw.phone_enc) == "13812341234"
    assert raw.phone_hash == personal.lookup_hash(SETTINGS, "13812341234")
    assert raw.phone_hash and "13812341234" not in raw.phone_hash
    assert len(events) == 3
    for event in events:
        assert set(event.data) == {"id", "number", "state", "action"}
        assert "13812341234" not in str(event.data) and "张阿姨" not in str(event.data)


def test_same_idempotency_key_and_device_gives_the_same_request(db: Database) -> None:
    with db.writer.begin() as conn:
        a = _new(conn, idempotency_key="key-00000001", device_id="kiosk:1")
        b = _new(conn, idempotency_key="key-00000001", device_id="kiosk:1", description="别的")
        c = _new(conn, idempotency_key="key-00000001", device_id="kiosk:2")
        count = conn.execute(sa.select(sa.func.count()).select_from(m.service_requests)).scalar()
    assert a.id == b.id and a.number == b.number and b.description == a.description
    assert c.id != a.id
    assert count == 2


def test_a_public_id_taken_by_another_key_is_a_conflict(db: Database) -> None:
    with db.writer.begin() as conn:
        a = _new(conn, public_id="p" * 22, idempotency_key="key-00000001", device_id="kiosk:1")
    with pytest.raises(Conflict) as caught, db.writer.begin() as conn:
        _new(conn, public_id=a.id, idempotency_key="key-00000002", device_id="kiosk:1")
    assert caught.value.code == "request_exists"


def test_refusals_are_domain_errors_in_chinese(db: Database) -> None:
    with pytest.raises(Invalid) as bad, db.writer.begin() as conn:
        _new(conn, category="no-such")
    assert bad.value.field == "category" and "类别" in bad.value.message
    with pytest.raises(Invalid) as empty, db.writer.begin() as conn:
        _new(conn, description="  ")
    assert empty.value.field == "description"
    with pytest.raises(Invalid) as long, db.writer.begin() as conn:
        _new(conn, description="长" * 501)
    assert "过长" in long.value.message
    with pytest.raises(NotFound), db.writer.begin() as conn:
        store.get(conn, "nope")
    with db.writer.begin() as conn:
        r = _new(conn)
    with pytest.raises(Conflict) as refused, db.writer.begin() as conn:
        store.act(conn, r.id, Action.RESOLVE, STAFF, T0, answer="已修好")
    assert "不能办结" in refused.value.message
    with pytest.raises(Invalid) as missing, db.writer.begin() as conn:
        store.act(conn, r.id, Action.REFUSE, STAFF, T0)
    assert missing.value.field == "redirect_to"
    with pytest.raises(Invalid), db.writer.begin() as conn:
        store.act(conn, r.id, "fly", STAFF, T0)
    with pytest.raises(Conflict) as resident, db.writer.begin() as conn:
        store.act(conn, r.id, Action.ACCEPT, RESIDENT, T0)
    assert "居民不能受理" in resident.value.message


def test_a_life_accept_pause_resolve_rate_with_deadlines_and_timeline(db: Database) -> None:
    with db.writer.begin() as conn:
        r = _new(conn, phone="13812341234")
        r = store.act(conn, r.id, Action.ACCEPT, STAFF, T0 + dt.timedelta(hours=1))
    # repair: 3 working days from 受理 (Wed 10:00) → Monday 10:00
    assert r.due_at == dt.datetime(2026, 12, 7, 10, 0, tzinfo=ZONE)
    with db.writer.begin() as conn:
        store.act(conn, r.id, Action.ASK_INFO, STAFF, T0 + dt.timedelta(hours=2), note="请补充照片")
        store.add_note(
            conn,
            r.id,
            text="内部：等物业",
            public=False,
            actor=STAFF,
            at=T0 + dt.timedelta(hours=3),
        )
        r = store.act(conn, r.id, Action.SUPPLY_INFO, RESIDENT, T0 + dt.timedelta(hours=26))
    # a day in 待补充 does not count: the deadline moved one working day later
    assert r.due_at == dt.datetime(2026, 12, 8, 10, 0, tzinfo=ZONE)
    assert r.core.pauses and r.core.paused_since is None
    with db.writer.begin() as conn:
        r = store.act(
            conn, r.id, Action.RESOLVE, STAFF, T0 + dt.timedelta(days=2), answer="灯已更换"
        )
        r = store.act(conn, r.id, Action.RATE, RESIDENT, T0 + dt.timedelta(days=3), level="fair")
    assert r.state is State.RESOLVED and r.core.closed_at is not None
    assert r.rating_level == "fair" and r.core.satisfaction is not None
    assert r.core.satisfaction.value == "fairly_satisfied"
    with pytest.raises(Conflict) as twice, db.writer.begin() as conn:
        store.act(conn, r.id, Action.RATE, RESIDENT, T0 + dt.timedelta(days=3), level="satisfied")
    assert "只能评价一次" in twice.value.message
    with db.writer.begin() as conn:
        public = store.timeline(conn, r.id, public_only=True)
        everything = store.timeline(conn, r.id, public_only=False)
    labels = [e.label for e in public]
    assert labels == ["已登记", "已受理", "待补充", "处理中", "已办结", "评价"]
    assert public[4].note == "灯已更换" and public[5].note == "基本满意"
    assert "内部备注" in [e.label for e in everything] and "内部备注" not in labels
    assert all((e.note or "") != "等物业" for e in public)


def test_by_query_code_returns_every_request_with_it(db: Database) -> None:
    with db.writer.begin() as conn:
        a = _new(conn, query_code="482913")
        b = _new(conn, query_code="482913", at=T0 + dt.timedelta(minutes=5))
        _new(conn, query_code="111112")
        found = store.by_query_code(conn, HALL, "482913")
        elsewhere = store.by_query_code(conn, "huayang", "482913")
    assert [r.id for r in found] == [b.id, a.id]
    assert all(r.phone is None and r.name is None for r in found)
    assert elsewhere == []


def test_board_orders_by_time_left_and_lights_the_page(db: Database) -> None:
    with db.writer.begin() as conn:
        old = _new(conn, at=T0 - dt.timedelta(days=2))  # acceptance overdue
        fresh = _new(conn, category="complaint", at=T0)
        worked = _new(conn, at=T0 - dt.timedelta(hours=1))
        store.act(conn, worked.id, Action.ACCEPT, STAFF, T0)
        done = _new(conn)
        store.act(conn, done.id, Action.WITHDRAW, RESIDENT, T0)
    now = T0 + dt.timedelta(hours=1)
    with db.writer.begin() as conn:
        page = store.board(conn, [HALL], now=now)
        late = store.board(conn, [HALL], now=now, overdue=True)
        repairs = store.board(conn, [HALL], now=now, category="complaint")
        everything = store.board(conn, [HALL], now=now, state="all", limit=2)
    assert [r.id for r in page.rows] == [old.id, fresh.id, worked.id]
    assert page.total == 3
    assert page.rows[0].light is Light.RED and page.rows[0].escalation.value == "leader"
    assert page.rows[1].light is Light.GREEN
    assert [r.id for r in late.rows] == [old.id]
    assert [r.id for r in repairs.rows] == [fresh.id]
    assert everything.total == 4 and len(everything.rows) == 2
    with pytest.raises(Invalid), db.writer.begin() as conn:
        store.board(conn, [HALL], now=now, state="nonsense")


def test_categories_have_labels_deadlines_and_phrases(db: Database) -> None:
    with db.writer.begin() as conn:
        conn.execute(
            sa.insert(m.request_categories).values(
                hall_id=HALL, category="repair", limit_workdays=2, phrases=["电梯停了"]
            )
        )
        conn.execute(
            sa.insert(m.request_categories).values(hall_id=HALL, category="party", enabled=False)
        )
        found = {c.id: c for c in store.categories(conn, HALL)}
        r = _new(conn)
        store.act(conn, r.id, Action.ACCEPT, STAFF, T0)
        accepted = store.get(conn, r.id)
    assert found["repair"].core.limit_workdays == 2 and found["repair"].phrases == ("电梯停了",)
    assert found["repair"].label == "报修"
    assert "party" not in found
    assert found["help"].phrases  # the defaults of kiosk.core.request_phrases
    assert accepted.due_at == dt.datetime(2026, 12, 4, 9, 0, tzinfo=ZONE)


def test_public_figures_and_stats(db: Database) -> None:
    with db.writer.begin() as conn:
        for i in range(3):
            r = _new(conn, at=T0 + dt.timedelta(minutes=i))
            store.act(conn, r.id, Action.ACCEPT, STAFF, T0 + dt.timedelta(hours=1))
            if i < 2:
                store.act(
                    conn, r.id, Action.RESOLVE, STAFF, T0 + dt.timedelta(hours=2), answer="好了"
                )
        conn.execute(
            sa.update(m.service_requests)
            .where(m.service_requests.c.id == r.id)
            .values(publishable=True)
        )
        closed = store.board(conn, [HALL], now=T0, state="closed").rows
        conn.execute(
            sa.update(m.service_requests)
            .where(m.service_requests.c.id == closed[0].id)
            .values(publishable=True, public_summary="更换了 3 号楼的楼道灯")
        )
        store.act(
            conn,
            closed[0].id,
            Action.RATE,
            RESIDENT,
            T0 + dt.timedelta(hours=3),
            level="very_satisfied",
        )
        figures = store.public_figures(conn, HALL, "2026-12")
        november = store.public_figures(conn, HALL, "2026-11")
        rows = store.stats(conn, [HALL, "huayang"], month_from="2026-11", month_to="2026-12")
    assert (figures.received, figures.closed, figures.closed_on_time) == (3, 2, 2)
    assert figures.satisfaction_pct == 100.0
    assert figures.by_category[0].category_label == "报修"
    assert [x.summary for x in figures.latest] == ["更换了 3 号楼的楼道灯"]
    assert november.received == 0 and november.satisfaction_pct is None
    assert len(rows) == 1 and rows[0].month == "2026-12" and rows[0].received == 3
    assert rows[0].closed_on_time == 2 and rows[0].rated == 1 and rows[0].satisfied == 1
    with pytest.raises(Invalid), db.writer.begin() as conn:
        store.public_figures(conn, HALL, "12/2026")
