"""The ticket outbox's SQLite file: its schema, one connection shared under a lock, and
the durable transactions (``synchronous=FULL``, WAL) every write goes through.

:class:`OutboxFile` knows tables and rows, not tickets' rules: those are
:class:`kiosk.sync.outbox.TicketOutbox`'s. :func:`ticket_from_row` reads a ``tickets`` row
selected as :data:`TICKET_COLUMNS`. Imports no kivy.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

from kiosk.sync.sqlite_file import SqliteFile
from kiosk.sync.ticket import KioskTicket

__all__ = ["TICKET_COLUMNS", "OutboxFile", "ticket_from_row"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS leases (
    lease_id INTEGER PRIMARY KEY,
    queue TEXT NOT NULL,
    service_day TEXT NOT NULL,
    first_seq INTEGER NOT NULL,
    last_seq INTEGER NOT NULL,
    next_seq INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS fallback (
    queue TEXT NOT NULL,
    service_day TEXT NOT NULL,
    last_seq INTEGER NOT NULL,
    PRIMARY KEY (queue, service_day)
);
CREATE TABLE IF NOT EXISTS waiting (
    queue TEXT PRIMARY KEY,
    service_day TEXT NOT NULL,
    waiting INTEGER NOT NULL,
    minutes_per_person REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS tickets (
    local_id INTEGER PRIMARY KEY AUTOINCREMENT,
    idem_key TEXT NOT NULL UNIQUE,
    queue TEXT NOT NULL,
    service_id TEXT,
    priority INTEGER NOT NULL,
    number TEXT NOT NULL,
    seq INTEGER NOT NULL,
    service_day TEXT NOT NULL,
    lease_id INTEGER,
    issued_at TEXT NOT NULL,
    people_ahead INTEGER NOT NULL,
    wait_minutes INTEGER NOT NULL,
    estimate INTEGER NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending',
    public_id TEXT,
    url TEXT,
    server_state TEXT,
    window INTEGER,
    error TEXT,
    UNIQUE (queue, service_day, number)
);
CREATE INDEX IF NOT EXISTS tickets_pending ON tickets (status, local_id);
"""

TICKET_COLUMNS = (
    "local_id, idem_key, queue, service_id, priority, number, seq, service_day, lease_id, "
    "issued_at, people_ahead, wait_minutes, estimate, status, public_id, url, server_state, "
    "window, error"
)


class OutboxFile(SqliteFile):
    """The SQLite file at ``path``, opened (and its tables made) on construction.

    Raises :class:`~kiosk.sync.errors.CacheError` when it cannot be opened or written.
    """

    def __init__(self, path: Path) -> None:
        super().__init__(path, _SCHEMA, "ticket outbox")

    def meta(self, key: str) -> str | None:
        with self.read() as db:
            row = db.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return str(row[0]) if row else None

    @staticmethod
    def set_meta(db: sqlite3.Connection, key: str, value: str) -> None:
        db.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?) "
            "ON CONFLICT (key) DO UPDATE SET value=excluded.value",
            (key, value),
        )


def ticket_from_row(row: tuple[object, ...]) -> KioskTicket:
    (
        local_id,
        key,
        queue,
        service_id,
        priority,
        number,
        seq,
        day,
        lease_id,
        issued_at,
        ahead,
        wait,
        estimate,
        status,
        public_id,
        url,
        server_state,
        window,
        error,
    ) = row
    return KioskTicket(
        local_id=int(str(local_id)),
        idempotency_key=str(key),
        queue=str(queue),
        service_id=str(service_id) if service_id is not None else None,
        priority=bool(priority),
        number=str(number),
        seq=int(str(seq)),
        service_day=dt.date.fromisoformat(str(day)),
        lease_id=int(str(lease_id)) if lease_id is not None else None,
        issued_at=dt.datetime.fromisoformat(str(issued_at)),
        people_ahead=int(str(ahead)),
        wait_minutes=int(str(wait)),
        estimate=bool(estimate),
        status=str(status),
        public_id=str(public_id) if public_id is not None else None,
        url=str(url) if url is not None else None,
        server_state=str(server_state) if server_state is not None else None,
        window=int(str(window)) if window is not None else None,
        error=str(error) if error is not None else None,
    )
