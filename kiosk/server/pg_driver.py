"""The ticket batch's first steps on PostgreSQL, sent together on the driver (psycopg 3).

A batch's look-ups and locks do not depend on each other: the used keys, the kiosks'
rate and allowance rows and the halls' event locks. Neither do its quota updates and its
counter bumps. Sent one by one through SQLAlchemy each costs a round trip to the server
and SQLAlchemy's own work per statement; that was most of a PostgreSQL ticket's time
(docs/PERFORMANCE.md, "Round four of issue 16"). A :class:`Round` sends its statements in
psycopg's pipeline mode on the connection's own driver connection, inside the transaction
SQLAlchemy began (psycopg queues the ``BEGIN`` with them): one round trip for all. The
statements run in the order they were added, so the one lock order holds.

Errors come back as SQLAlchemy's (``IntegrityError``, ``OperationalError``, …, with the
driver's ``sqlstate``), and a connection found dead is invalidated as SQLAlchemy would
(``connection_invalidated``): the batch's race fallback and the writer's retries
(``Database.write_sync``) see no difference.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, LiteralString, cast

from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError

__all__ = ["Round"]


class Round:
    """Statements sent in one round trip; each one's rows are there after :meth:`run`."""

    __slots__ = ("_conn", "_steps")

    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self._steps: list[tuple[LiteralString, Mapping[str, Any], list[tuple[Any, ...]]]] = []

    def add(self, statement: LiteralString, params: Mapping[str, Any]) -> list[tuple[Any, ...]]:
        """Queue ``statement`` (psycopg's ``%(name)s`` parameters); returns the list its
        rows are put in by :meth:`run` (empty for a statement that returns none)."""
        rows: list[tuple[Any, ...]] = []
        self._steps.append((statement, params, rows))
        return rows

    def __len__(self) -> int:
        return len(self._steps)

    def run(self) -> None:
        """Send every queued statement at once and collect their rows."""
        steps, self._steps = self._steps, []
        if not steps:
            return
        import psycopg  # the ``postgres`` extra: only a PostgreSQL server has it

        driver = self._conn.connection.driver_connection
        assert isinstance(driver, psycopg.Connection)
        try:
            with driver.pipeline():
                cursors = [driver.cursor().execute(text, params) for text, params, _ in steps]
            for (_text, _params, rows), cur in zip(steps, cursors, strict=True):
                if cur.description is not None:
                    rows.extend(cur.fetchall())
        except psycopg.Error as exc:
            # The round failed as a whole (the statements after a failing one are aborted).
            lost = self._conn.dialect.is_disconnect(
                cast(Any, exc), self._conn.connection.dbapi_connection, None
            )
            if lost:
                self._conn.invalidate(exc)
            raise DBAPIError.instance(
                "; ".join(text for text, _, _ in steps),
                [dict(params) for _, params, _ in steps],
                exc,
                psycopg.Error,
                connection_invalidated=lost,
            ) from exc
