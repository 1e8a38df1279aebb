"""Connections to the database: SQLite (WAL, durable commits) or PostgreSQL (psycopg 3).

Writes go through one thread per process (:meth:`Database.write`), so on SQLite a process
never fights itself for the write lock and every write transaction starts with
``BEGIN IMMEDIATE`` (no lock upgrades, no surprise ``database is locked``). Several
server processes on one SQLite file take turns through an ``flock`` on
``<database>.write-lock`` first: the kernel hands the lock to the next writer the moment
one commits, where SQLite's ``busy_timeout`` would sleep and poll (a lock convoy that
made two workers slower than one). ``busy_timeout`` stays for every other writer (the
CLI, migrations). Reads run on the shared thread pool.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import datetime as dt
import errno
import fcntl
import functools
import os
import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Literal, TypeVar

import anyio.to_thread
import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError, OperationalError

from kiosk.core import clock

__all__ = ["Database", "as_utc", "migrate", "ping", "storage_problem", "utcnow"]

T = TypeVar("T")
#: PostgreSQL's "deadlock detected" and "could not serialize": safe to run again.
_RETRYABLE = frozenset({"40P01", "40001"})
MIGRATIONS_DIR = Path(__file__).parent / "migrations"
#: Below this much free space on the SQLite file's disk, ``/health`` warns.
LOW_DISK_BYTES = 1_000_000


#: SQLite's result codes for "no room to write" and its families of I/O failure.
_SQLITE_FULL = 13
_SQLITE_IOERR = 10
_SQLITE_CANTOPEN = 14


def storage_problem(exc: BaseException) -> Literal["storage_full", "database_unavailable"] | None:
    """What is wrong with the storage, if ``exc`` says so (else None: not a storage failure).

    ``storage_full``: the disk (or a size limit of the database) has no room — SQLite's
    SQLITE_FULL, PostgreSQL's class 53 (disk full, out of memory, too many connections)
    or a plain ``ENOSPC``/``EDQUOT``. ``database_unavailable``: any other operational
    failure of the database (I/O error, connection lost, locked for too long).
    """
    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return "storage_full"
    if not isinstance(exc, OperationalError):
        return None
    orig = exc.orig
    code = getattr(orig, "sqlite_errorcode", None)
    if isinstance(code, int) and code & 0xFF == _SQLITE_FULL:
        return "storage_full"
    sqlstate = getattr(orig, "sqlstate", None)
    if isinstance(sqlstate, str) and sqlstate.startswith("53"):
        return "storage_full"
    if "database or disk is full" in str(orig):
        return "storage_full"
    return "database_unavailable"


def utcnow() -> dt.datetime:
    """The wall time in UTC, from the one clock (:func:`kiosk.core.clock.now`)."""
    return clock.now()


def as_utc(value: dt.datetime | None) -> dt.datetime | None:
    """SQLite hands back naive datetimes; everything we store is UTC."""
    if value is None:
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC)


def _sqlite_engine(url: str, *, immediate: bool) -> Engine:
    path = sa.engine.make_url(url).database
    if path and path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    engine = sa.create_engine(
        url,
        connect_args={"check_same_thread": False, "timeout": 30},
        pool_size=8,
        max_overflow=32,
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Let SQLAlchemy (not pysqlite) decide when transactions begin, so that
        # BEGIN IMMEDIATE and SAVEPOINT work as documented.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=FULL")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def _open_write_lock(url: str) -> int | None:
    """The fd of ``<database>.write-lock`` (None: in memory, or the folder is read-only —
    then ``busy_timeout`` alone orders the writers, as before)."""
    path = sa.engine.make_url(url).database
    if not path or path == ":memory:":
        return None
    try:
        return os.open(f"{path}.write-lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    except OSError:
        return None


class Database:
    """The engines of one process, and the single writer thread."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.kind: Literal["sqlite", "postgresql"]
        self._lock_fd: int | None = None
        if url.startswith("sqlite"):
            self.kind = "sqlite"
            self.reader = _sqlite_engine(url, immediate=False)
            self.writer = _sqlite_engine(url, immediate=True)
            self._lock_fd = _open_write_lock(url)
        elif url.startswith("postgresql"):
            self.kind = "postgresql"
            self.reader = sa.create_engine(url, pool_size=10, max_overflow=30, pool_pre_ping=True)
            # No pre-ping on the writer: it would cost a round trip per write transaction
            # (the ticket hot path's biggest cost is round trips). A connection that died
            # meanwhile fails the transaction's first statement instead; write_sync runs
            # it again on a fresh connection (nothing of it was committed).
            self.writer = sa.create_engine(url, pool_size=4, max_overflow=16)
        else:
            raise ValueError(
                f"unsupported database url: {url!r} (sqlite:/// or postgresql+psycopg://)"
            )
        self._write_thread = concurrent.futures.ThreadPoolExecutor(
            max_workers=1, thread_name_prefix="db-writer"
        )
        #: Set when a write failed for lack of room, cleared by the next write that
        #: commits: what ``/health`` reports (monotonic seconds of the failure).
        self.full_since: float | None = None

    def write_sync(self, fn: Callable[[Connection], T]) -> T:
        """Run ``fn`` in one write transaction (on the calling thread).

        PostgreSQL may abort a transaction to break a deadlock or a serialisation
        conflict between processes; nothing of it was written, so it is run again. So is
        a transaction whose pooled connection turned out dead before ``fn`` returned (the
        writer engine does not pre-ping); one lost while committing is not run again —
        whether it committed is unknown.
        """
        for attempt in range(4):
            committing = False
            try:
                with self._writers_take_turns(), self.writer.begin() as conn:
                    result = fn(conn)
                    committing = True
                self.full_since = None
                return result
            except DBAPIError as exc:
                if storage_problem(exc) == "storage_full":
                    self.full_since = self.full_since or time.monotonic()
                    raise
                if attempt == 3:
                    raise
                lost = exc.connection_invalidated and not committing
                if not lost and getattr(exc.orig, "sqlstate", None) not in _RETRYABLE:
                    raise
                if not lost and not isinstance(exc, OperationalError):
                    raise
        raise AssertionError("unreachable")

    @contextlib.contextmanager
    def _writers_take_turns(self) -> Iterator[None]:
        """SQLite: hold the processes' write lock file for one transaction (module doc)."""
        if self._lock_fd is None:
            yield
            return
        fcntl.flock(self._lock_fd, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(self._lock_fd, fcntl.LOCK_UN)

    def storage_check(self) -> list[tuple[str, str]]:
        """``(code, message)`` of what is wrong with the storage now (empty: nothing).

        A write that failed for lack of room (until a write commits again), little free
        space where the SQLite file lives, or a database that cannot even be read.
        """
        problems: list[tuple[str, str]] = []
        if self.full_since is not None:
            ago = int(time.monotonic() - self.full_since)
            problems.append(
                ("storage_full", f"存储空间已满：{ago} 秒前起写入失败，新的数据无法保存")
            )
        if self.kind == "sqlite":
            path = sa.engine.make_url(self.url).database
            if path and path != ":memory:":
                try:
                    free = shutil.disk_usage(Path(path).parent).free
                except OSError:
                    free = None
                if free is not None and free < LOW_DISK_BYTES and self.full_since is None:
                    problems.append(
                        (
                            "storage_full",
                            f"数据库所在磁盘只剩 {free // 1024} KB，新的数据可能无法保存",
                        )
                    )
        try:
            self.read_sync(lambda c: c.exec_driver_sql("SELECT 1").scalar())
        except Exception as exc:  # any failure here is the answer, not a crash
            problems.append(("database_unavailable", f"数据库无法读取：{type(exc).__name__}"))
        return problems

    def read_sync(self, fn: Callable[[Connection], T]) -> T:
        with self.reader.begin() as conn:
            return fn(conn)

    async def write(self, fn: Callable[[Connection], T]) -> T:
        """Run ``fn`` in one write transaction on this process's writer thread."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(
            self._write_thread, functools.partial(self.write_sync, fn)
        )

    async def read(self, fn: Callable[[Connection], T]) -> T:
        return await anyio.to_thread.run_sync(self.read_sync, fn)

    def close(self) -> None:
        self._write_thread.shutdown(wait=True)
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None
        self.reader.dispose()
        if self.writer is not self.reader:
            self.writer.dispose()


def migrate(url: str) -> None:
    """Bring the database at ``url`` to the newest schema (idempotent)."""
    db = Database(url)
    try:
        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
        # SQLite: BEGIN IMMEDIATE makes concurrent migrators queue instead of racing.
        with db.writer.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
    finally:
        db.close()


def ping(conn: Connection) -> int:
    """One round trip to the database (``/ready``): 1 when it answers."""
    return int(conn.execute(sa.text("SELECT 1")).scalar() or 0)
