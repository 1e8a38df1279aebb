"""``kiosk-server move-to-postgres``: a hall server's SQLite database into a district's
PostgreSQL, so that the kiosks notice nothing.

Every table is copied row for row with the same ids, so the kiosks' tokens (stored as
hashes), the staff's accounts, the tickets' public ids and numbers and the event sequence
(the kiosks' long-poll cursors) stay what they were; then PostgreSQL's id sequences are set
past the copied ids. Afterwards the copy is verified: row counts of every table, and every
ticket's (hall, queue, service day, number) and each queue's counter, compared between the
two. The copy is one PostgreSQL transaction: a failure leaves the target as it was.

Refused: a SQLite file a process still has open (stop the server first: tickets issued
during the copy would be lost), a damaged one, a target that already holds halls or
tickets, and a SQLite table this version does not know (nothing is ever left behind).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from kiosk.server.backup import BackupProblem, open_by_a_process
from kiosk.server.db import migrate
from kiosk.server.integrity import DatabaseProblem, check_database, sqlite_path

__all__ = ["MoveResult", "move_to_postgres"]

_BATCH = 1000
#: Tables of SQLite or Alembic themselves, not ours to copy.
_NOT_OURS = frozenset({"alembic_version", "sqlite_sequence"})


@dataclass(frozen=True)
class MoveResult:
    rows: dict[str, int]
    tickets: int


def _our_metadata() -> sa.MetaData:
    from kiosk.server import models  # every table lives there

    return models.metadata


def _utc(value: Any) -> Any:
    """SQLite hands back naive datetimes (stored as UTC); PostgreSQL must get them aware."""
    if isinstance(value, dt.datetime) and value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value


def _rows(conn: sa.Connection, table: sa.Table) -> Iterator[list[dict[str, Any]]]:
    order = list(table.primary_key.columns) or list(table.columns)
    result = conn.execution_options(stream_results=True).execute(sa.select(table).order_by(*order))
    while batch := result.mappings().fetchmany(_BATCH):
        yield [{k: _utc(v) for k, v in row.items()} for row in batch]


def _ticket_keys(conn: sa.Connection, tickets: sa.Table) -> list[tuple[Any, ...]]:
    c = tickets.c
    rows = conn.execute(
        sa.select(c.hall_id, c.queue, c.service_day, c.number, c.public_id).order_by(
            c.hall_id, c.queue, c.service_day, c.number, c.public_id
        )
    ).all()
    return [tuple(r) for r in rows]


def _counter_keys(conn: sa.Connection, counters: sa.Table) -> list[tuple[Any, ...]]:
    cols = list(counters.columns)
    return [tuple(r) for r in conn.execute(sa.select(*cols).order_by(*cols)).all()]


def move_to_postgres(
    sqlite_url: str, postgres_url: str, *, progress: Callable[[str], None] = lambda _m: None
) -> MoveResult:
    path = sqlite_path(sqlite_url)
    if path is None or not sa.engine.make_url(sqlite_url).drivername.startswith("sqlite"):
        raise BackupProblem("来源必须是 SQLite 数据库文件（当前设置的 database_url 不是）")
    if not postgres_url.startswith("postgresql"):
        raise BackupProblem("目标必须是 postgresql+psycopg://… 地址")
    try:
        check_database(sqlite_url, may_create=False)
    except DatabaseProblem as exc:
        raise BackupProblem(str(exc)) from exc
    holders = open_by_a_process(Path(path))
    if holders:
        raise BackupProblem(
            f"数据库正被进程 {', '.join(map(str, holders))} 使用：请先停止 kiosk-server"
            "（迁移期间新发的号会丢失）"
        )
    progress("bringing both schemas up to date")
    migrate(sqlite_url)
    try:
        check_database(postgres_url, may_create=True)
    except DatabaseProblem as exc:
        raise BackupProblem(str(exc)) from exc
    migrate(postgres_url)

    metadata = _our_metadata()
    source = sa.create_engine(sqlite_url)
    target = sa.create_engine(postgres_url)
    try:
        with source.connect() as src:
            present = set(sa.inspect(src).get_table_names()) - _NOT_OURS
            unknown = sorted(present - set(metadata.tables))
            if unknown:
                raise BackupProblem(
                    f"SQLite 里有本版本不认识的表 {'、'.join(unknown)}：请先升级 kiosk-server"
                )
            tables = [t for t in metadata.sorted_tables if t.name in present]
            rows: dict[str, int] = {}
            with target.begin() as dst:
                for name in ("halls", "tickets"):
                    if dst.execute(
                        sa.select(sa.func.count()).select_from(metadata.tables[name])
                    ).scalar():
                        raise BackupProblem(
                            f"目标数据库里已经有数据（{name}）：只能迁到一个新的空库"
                        )
                for table in tables:
                    copied = 0
                    for batch in _rows(src, table):
                        dst.execute(table.insert(), batch)
                        copied += len(batch)
                    rows[table.name] = copied
                    progress(f"copied {table.name}: {copied} rows")
                _advance_sequences(dst, tables)
                # Verify inside the same transaction: nothing is committed unless it matches.
                for table in tables:
                    there = dst.execute(sa.select(sa.func.count()).select_from(table)).scalar()
                    if there != rows[table.name]:
                        raise BackupProblem(
                            f"校验失败：{table.name} 复制了 {rows[table.name]} 行，"
                            f"目标有 {there} 行"
                        )
                tickets = metadata.tables["tickets"]
                if _ticket_keys(src, tickets) != _ticket_keys(dst, tickets):
                    raise BackupProblem("校验失败：两边的号（大厅、队列、日期、号码）不一致")
                counters = metadata.tables["queue_counters"]
                if _counter_keys(src, counters) != _counter_keys(dst, counters):
                    raise BackupProblem("校验失败：两边各队列的发号计数不一致")
                progress("verified: row counts, ticket numbers and queue counters match")
    finally:
        source.dispose()
        target.dispose()
    return MoveResult(rows=rows, tickets=rows.get("tickets", 0))


def _advance_sequences(conn: sa.Connection, tables: list[sa.Table]) -> None:
    """Set each id sequence past the copied ids, so the next row gets a new one."""
    for table in tables:
        if len(table.primary_key.columns) != 1:
            continue
        (col,) = table.primary_key.columns
        seq = conn.execute(
            sa.text("SELECT pg_get_serial_sequence(:t, :c)"), {"t": table.name, "c": col.name}
        ).scalar()
        if seq is None:
            continue
        top = conn.execute(sa.select(sa.func.max(col))).scalar()
        conn.execute(sa.text("SELECT setval(:s, :v, false)"), {"s": seq, "v": int(top or 0) + 1})
