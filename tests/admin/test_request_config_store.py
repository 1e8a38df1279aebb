"""A hall's request categories and 办理公开's summaries in the store
(kiosk/server/requests/settings_store.py) on a real database: SQLite, and the suite's
PostgreSQL (``postgres`` marker)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from kiosk.core.service_requests import Action, Actor, Role, State
from kiosk.server import models as m
from kiosk.server import personal
from kiosk.server import requests as store
from kiosk.server.db import Database, migrate
from kiosk.server.domain_errors import Invalid, NotFound
from kiosk.server.requests.settings_store import set_category, set_public_summary
from kiosk.server.settings import build_settings

ZONE = dt.timezone(dt.timedelta(hours=8))
T0 = dt.datetime(2026, 12, 2, 9, 0, tzinfo=ZONE)  # a Wednesday
HALL = "mingshi-haoting"
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
        for table in (m.request_events, m.service_requests, m.request_counters):
            conn.execute(sa.delete(table))
        conn.execute(sa.delete(m.request_categories))
        conn.execute(sa.delete(m.admin_audit))
        if conn.execute(sa.select(m.halls.c.id).where(m.halls.c.id == HALL)).first() is None:
            conn.execute(sa.insert(m.halls).values(id=HALL, name=HALL, created_at=T0))
    yield database
    database.close()


def _set(conn: Connection, **kw: Any) -> store.HallRequestCategory:
    args: dict[str, Any] = {
        "enabled": True,
        "label": "报修",
        "limit_workdays": 5,
        "phrases": ["水管漏水"],
        "actor": "staff1",
        "at": T0,
    }
    return set_category(conn, HALL, kw.pop("category_id", "repair"), **{**args, **kw})


def _closed(conn: Connection, **kw: Any) -> store.RequestRecord:
    r = store.register(
        conn,
        hall_id=HALL,
        category="repair",
        description="楼道灯不亮",
        channel="kiosk",
        actor=KIOSK,
        at=T0,
        settings=SETTINGS,
        **kw,
    )
    store.act(conn, r.id, Action.ACCEPT, STAFF, T0 + dt.timedelta(hours=1))
    return store.act(conn, r.id, Action.RESOLVE, STAFF, T0 + dt.timedelta(hours=2), answer="已修好")


def test_a_category_change_shows_in_the_catalog_and_counts_for_new_requests_only(
    db: Database,
) -> None:
    with db.writer.begin() as conn:
        before = store.register(
            conn,
            hall_id=HALL,
            category="repair",
            description="灯",
            channel="kiosk",
            actor=KIOSK,
            at=T0,
            settings=SETTINGS,
        )
        saved = _set(conn, label="维修报修", limit_workdays=8, phrases=["门禁坏了", "路灯不亮"])
        after = store.register(
            conn,
            hall_id=HALL,
            category="repair",
            description="灯",
            channel="kiosk",
            actor=KIOSK,
            at=T0,
            settings=SETTINGS,
        )
        audit = conn.execute(sa.select(m.admin_audit)).all()
    assert saved.label == "维修报修" and saved.core.limit_workdays == 8
    assert saved.phrases == ("门禁坏了", "路灯不亮")
    assert before.core.limit_workdays == 3 and after.core.limit_workdays == 8
    with db.writer.begin() as conn:
        assert store.get(conn, before.id).core.limit_workdays == 3  # fixed at registration
    assert [(a.action, a.hall_id, a.target, a.username) for a in audit] == [
        ("request_category", HALL, "repair", "staff1")
    ]
    with db.writer.begin() as conn:
        _set(conn, limit_workdays=7)  # a second save updates the same row
        assert (
            next(c for c in store.categories(conn, HALL) if c.id == "repair").core.limit_workdays
            == 7
        )
        assert (
            conn.execute(sa.select(sa.func.count()).select_from(m.request_categories)).scalar() == 1
        )


def test_a_disabled_category_cannot_take_new_requests(db: Database) -> None:
    with db.writer.begin() as conn:
        _set(conn, enabled=False)
        assert "repair" not in {c.id for c in store.categories(conn, HALL)}
        assert "repair" in {c.id for c in store.categories(conn, HALL, include_disabled=True)}
    with pytest.raises(Invalid) as refused, db.writer.begin() as conn:
        store.register(
            conn,
            hall_id=HALL,
            category="repair",
            description="灯",
            channel="kiosk",
            actor=KIOSK,
            at=T0,
            settings=SETTINGS,
        )
    assert refused.value.field == "category"


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"limit_workdays": 0}, "limit_workdays", "1–60"),
        ({"limit_workdays": 61}, "limit_workdays", "1–60"),
        ({"label": ""}, "label", "名称"),
        ({"label": "长" * 21}, "label", "20 个字"),
        ({"phrases": ["一"] * 2}, "phrases", "重复"),
        ({"phrases": [f"问题{i}" for i in range(21)]}, "phrases", "20 条"),
        ({"phrases": ["长" * 21]}, "phrases", "太长"),
        ({"category_id": "no-such"}, "category", "没有这个诉求类别"),
    ],
)
def test_category_refusals_name_the_field_in_chinese(
    db: Database, change: dict[str, Any], field: str, words: str
) -> None:
    with pytest.raises(Invalid) as refused, db.writer.begin() as conn:
        _set(conn, **change)
    assert refused.value.field == field and words in refused.value.message
    with db.writer.begin() as conn:
        assert conn.execute(sa.select(m.request_categories)).first() is None


def test_an_unknown_hall_is_not_found(db: Database) -> None:
    with pytest.raises(NotFound), db.writer.begin() as conn:
        set_category(
            conn,
            "no-hall",
            "repair",
            enabled=True,
            label="报修",
            limit_workdays=5,
            phrases=[],
            actor="x",
            at=T0,
        )


def test_a_publishable_summary_reaches_the_public_board(db: Database) -> None:
    with db.writer.begin() as conn:
        r = _closed(conn)
        assert store.public_figures(conn, HALL, "2026-12").latest == []
        done = set_public_summary(
            conn,
            r.id,
            publishable=True,
            summary=" 楼道灯已更换 ",
            actor="staff1",
            at=T0,
            settings=SETTINGS,
        )
        latest = store.public_figures(conn, HALL, "2026-12").latest
    assert done.publishable and done.public_summary == "楼道灯已更换"
    assert [x.summary for x in latest] == ["楼道灯已更换"]
    with db.writer.begin() as conn:
        set_public_summary(
            conn,
            r.id,
            publishable=False,
            summary="楼道灯已更换",
            actor="staff1",
            at=T0,
            settings=SETTINGS,
        )
        assert store.public_figures(conn, HALL, "2026-12").latest == []
        actions = [a.action for a in conn.execute(sa.select(m.admin_audit))]
    assert actions == ["request_publish", "request_publish"]


@pytest.mark.parametrize(
    ("summary", "words"),
    [
        ("回电 138 1234 1234 已处理", "电话号码"),
        ("3-2-501 漏水已修", "门牌号"),
        ("3号楼2单元501 漏水已修", "门牌号"),
        ("501室漏水已修", "门牌号"),
        ("张秀英反映的路灯已修", "姓名或位置"),
        ("东门岗亭路灯已修", "姓名或位置"),
        ("修" * 41, "40 个字"),
        ("", "一句话摘要"),
    ],
)
def test_personal_or_bad_summaries_are_refused_saying_why(
    db: Database, summary: str, words: str
) -> None:
    with db.writer.begin() as conn:
        r = _closed(conn, name="张秀英", location="东门岗亭")
    with pytest.raises(Invalid) as refused, db.writer.begin() as conn:
        set_public_summary(
            conn, r.id, publishable=True, summary=summary, actor="s", at=T0, settings=SETTINGS
        )
    assert words in refused.value.message and refused.value.field == "public_summary"
    with db.writer.begin() as conn:
        assert store.get(conn, r.id).publishable is False


def test_only_a_closed_request_may_be_published(db: Database) -> None:
    with db.writer.begin() as conn:
        r = store.register(
            conn,
            hall_id=HALL,
            category="repair",
            description="灯",
            channel="kiosk",
            actor=KIOSK,
            at=T0,
            settings=SETTINGS,
        )
    assert r.state is State.REGISTERED
    with pytest.raises(Invalid) as refused, db.writer.begin() as conn:
        set_public_summary(
            conn, r.id, publishable=True, summary="灯已修", actor="s", at=T0, settings=SETTINGS
        )
    assert "已办结" in refused.value.message and refused.value.code == "request_not_closed"
