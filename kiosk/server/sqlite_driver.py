"""The ticket batch's statements on SQLite, sent straight to the driver (``sqlite3``).

A batch of ten tickets is a dozen small statements. Through SQLAlchemy Core each costs
about ten times what SQLite itself spends on it (building the execution context, binding
and converting every parameter, wrapping every row); that was half of a ticket's CPU on
the server (docs/PERFORMANCE.md, "Tickets from outside"). The hot batch steps therefore
run their SQLite statements on the connection's own ``sqlite3`` cursor, inside the same
transaction SQLAlchemy began. Values are converted to and from SQLite's text with
SQLAlchemy's own type processors (:func:`to_db` and :func:`from_db`), so a row written
here is byte for byte the row SQLAlchemy would have written, and every other read of it
is unchanged. PostgreSQL keeps its own statements (``tickets/sql.py``).
"""

from __future__ import annotations

import functools
import sqlite3
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError

from kiosk.server.db import as_utc
from kiosk.server.models import Time

__all__ = ["Cursor", "bound_rows", "cursor", "flat", "from_db", "is_sqlite", "marks", "to_db"]

_Processor = Callable[[Any], Any]


def is_sqlite(conn: Connection) -> bool:
    return conn.dialect.name == "sqlite"


class Cursor:
    """The driver's cursor, raising SQLAlchemy's errors (``IntegrityError``,
    ``OperationalError``, …) as ``conn.execute`` would: the batch's race fallback, the
    writer's retries and the storage checks (``db.storage_problem``) see no difference."""

    __slots__ = ("_cursor",)

    def __init__(self, raw: sqlite3.Cursor) -> None:
        self._cursor = raw

    def execute(self, statement: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Run ``statement``; its rows (fetched: a RETURNING runs to its end)."""
        try:
            return self._cursor.execute(statement, params).fetchall()
        except sqlite3.Error as exc:
            raise _translated(statement, params, exc) from exc

    def executemany(self, statement: str, rows: Iterable[Sequence[Any]]) -> None:
        rows = list(rows)
        try:
            self._cursor.executemany(statement, rows)
        except sqlite3.Error as exc:
            raise _translated(statement, rows, exc) from exc


def _translated(statement: str, params: Any, exc: sqlite3.Error) -> BaseException:
    return DBAPIError.instance(statement, params, exc, sqlite3.Error)


def cursor(conn: Connection) -> Cursor:
    """A cursor of ``conn``'s own ``sqlite3`` connection: in the transaction it is in."""
    driver = conn.connection.driver_connection
    assert isinstance(driver, sqlite3.Connection)
    return Cursor(driver.cursor())


def marks(count: int, width: int = 1) -> str:
    """``?, ?, ?`` for an IN list (``width`` 1), ``(?, ?), (?, ?)`` for VALUES rows."""
    if width == 1:
        return ", ".join("?" * count)
    row = "(" + ", ".join("?" * width) + ")"
    return ", ".join([row] * count)


_DIALECT = sa.dialects.sqlite.dialect()  # type: ignore[attr-defined]
#: The column types :func:`to_db` and :func:`from_db` know by name.
_KINDS: dict[str, sa.types.TypeEngine[Any]] = {"time": Time, "date": sa.Date(), "json": sa.JSON()}


def _bind(type_: sa.types.TypeEngine[Any]) -> _Processor | None:
    """SQLAlchemy's own conversion of a value of ``type_`` for SQLite (None: as it is)."""
    impl = type_.dialect_impl(_DIALECT)
    return impl.bind_processor(_DIALECT)


@functools.cache
def _processors(kind: str) -> tuple[_Processor, _Processor]:
    bind = _bind(_KINDS[kind])
    result = _KINDS[kind].dialect_impl(_DIALECT).result_processor(_DIALECT, None)
    assert bind is not None and result is not None
    return bind, result


@functools.cache
def _column_binds(table: sa.Table, columns: tuple[str, ...]) -> tuple[_Processor | None, ...]:
    return tuple(_bind(table.c[name].type) for name in columns)


def bound_rows(
    table: sa.Table, columns: tuple[str, ...], rows: Iterable[Mapping[str, Any]]
) -> list[Any]:
    """The parameters of a multi-row VALUES of ``rows`` into ``table``'s ``columns``, row
    after row, each value converted as SQLAlchemy binds its column on SQLite."""
    binds = _column_binds(table, columns)
    out: list[Any] = []
    for row in rows:
        for name, bind in zip(columns, binds, strict=True):
            value = row[name]
            out.append(value if bind is None or value is None else bind(value))
    return out


def to_db(kind: str, value: Any) -> Any:
    """``value`` as SQLAlchemy stores a ``kind`` ("time", "date", "json") column on SQLite."""
    if value is None:
        return None
    return _processors(kind)[0](value)


def from_db(kind: str, value: Any) -> Any:
    """A stored ``kind`` column back as SQLAlchemy reads it (times: aware, in UTC)."""
    if value is None:
        return None
    out = _processors(kind)[1](value)
    return as_utc(out) if kind == "time" else out


def flat(rows: Sequence[Sequence[Any]]) -> list[Any]:
    """The parameters of a multi-row VALUES, row after row."""
    return [value for row in rows for value in row]
