"""Is the configured database there, and whole, before the server uses it?

Run once at start by every ``kiosk-server`` command, before migrations touch the file:

- a damaged SQLite file (its header is not SQLite's, or ``PRAGMA quick_check`` finds a broken
  page) is refused with what was found and how to restore; the file is left as it is;
- a missing database, an empty (0-byte) SQLite file, or a PostgreSQL database without our
  schema is created only when the caller allows it (demo mode, or ``kiosk-server migrate``,
  which says it did). Outside those a server never silently starts on a fresh, empty
  database where the settings say one exists: that is how a hall loses its day's tickets.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

__all__ = [
    "SQLITE_HEADER",
    "DatabaseProblem",
    "DatabaseState",
    "check_database",
    "sqlite_path",
    "sqlite_problems",
]

SQLITE_HEADER = b"SQLite format 3\x00"
#: How many problems ``quick_check`` reports at most (it can list thousands).
_MAX_PROBLEMS = 5

RESTORE_STEPS = (
    "恢复方法：停止 kiosk-server，把最近一份备份复制为此文件（或用 kiosk-server restore），再启动。"
    "原文件未被改动；确认不再需要时再删除它。"
)


class DatabaseProblem(RuntimeError):
    """The database cannot be used as it is; the message says what and what to do."""


@dataclass(frozen=True)
class DatabaseState:
    #: "sqlite" or "postgresql"
    kind: str
    #: False: nothing there yet (no file, or no schema); the caller was allowed to create it.
    existed: bool


def sqlite_path(url: str) -> Path | None:
    """The file of a ``sqlite:///`` URL, or None for PostgreSQL and in-memory SQLite."""
    parsed = sa.engine.make_url(url)
    if not parsed.drivername.startswith("sqlite"):
        return None
    if not parsed.database or parsed.database == ":memory:":
        return None
    return Path(parsed.database)


def sqlite_problems(path: Path) -> list[str]:
    """What is wrong with an existing, non-empty SQLite file (empty list: it is whole).

    Reads the header, then runs ``PRAGMA quick_check`` (every page and b-tree, without
    the slower index cross-checks) on a read-only connection, so a damaged file is never
    written to.
    """
    with path.open("rb") as fh:
        header = fh.read(len(SQLITE_HEADER))
    if header != SQLITE_HEADER:
        return [f"文件头不是 SQLite 数据库（读到 {header[:16]!r}）"]
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=30)
    except sqlite3.Error as exc:
        return [f"无法打开：{exc}"]
    try:
        rows = conn.execute(f"PRAGMA quick_check({_MAX_PROBLEMS})").fetchall()
    except sqlite3.DatabaseError as exc:
        return [f"检查时出错：{exc}"]
    finally:
        conn.close()
    found = [str(row[0]) for row in rows]
    return [] if found == ["ok"] else found


def check_database(url: str, *, may_create: bool) -> DatabaseState:
    """Refuse a damaged database; refuse a missing or empty one unless ``may_create``."""
    path = sqlite_path(url)
    parsed = sa.engine.make_url(url)
    if parsed.drivername.startswith("sqlite"):
        if path is None:  # in memory: nothing to check
            return DatabaseState("sqlite", existed=False)
        if not path.exists() or path.stat().st_size == 0:
            what = "不存在" if not path.exists() else "是空文件（0 字节）"
            if may_create and not path.exists():
                return DatabaseState("sqlite", existed=False)
            if may_create and path.stat().st_size == 0 and not _has_wal(path):
                return DatabaseState("sqlite", existed=False)
            raise DatabaseProblem(
                f"数据库文件{what}：{path}\n"
                "设置里配置的数据库应当已经存在，服务器不会悄悄新建一个空库。\n"
                "如果这是新安装：先运行 `kiosk-server migrate` 建库；"
                "如果原来有数据：" + RESTORE_STEPS
            )
        problems = sqlite_problems(path)
        if problems:
            raise DatabaseProblem(
                f"数据库文件已损坏：{path}\n"
                + "".join(f"  - {p}\n" for p in problems)
                + "服务器没有启动，以免在损坏的库上继续写入。\n"
                + RESTORE_STEPS
            )
        return DatabaseState("sqlite", existed=True)
    engine = sa.create_engine(url, pool_pre_ping=True)
    try:
        with engine.connect() as conn:
            has_schema = sa.inspect(conn).has_table("alembic_version")
    except sa.exc.SQLAlchemyError as exc:
        raise DatabaseProblem(f"无法连接数据库 {parsed.render_as_string()}：{exc}") from exc
    finally:
        engine.dispose()
    if not has_schema and not may_create:
        raise DatabaseProblem(
            f"数据库 {parsed.render_as_string()} 里还没有本系统的表。\n"
            "服务器不会悄悄在一个空库上开始。新安装请先运行 `kiosk-server migrate`；"
            "如果这里原来有数据，请检查 database_url 是否指错了库，或从备份恢复（pg_restore）。"
        )
    return DatabaseState("postgresql", existed=has_schema)


def _has_wal(path: Path) -> bool:
    """A 0-byte main file beside a non-empty WAL still holds data (the WAL has the pages)."""
    wal = path.with_name(path.name + "-wal")
    return wal.exists() and wal.stat().st_size > 0
