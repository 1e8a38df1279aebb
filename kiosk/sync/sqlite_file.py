"""One durable SQLite file of the kiosk (WAL, fsync on commit), shared by its threads.

The ticket outbox and the request outbox keep what a resident was shown in such a file
before the screen shows it; this is the one way they open it, write it and read it.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from kiosk.sync.errors import CacheError

__all__ = ["SqliteFile"]


class SqliteFile:
    """The file at ``path`` with ``schema`` made, named ``label`` in errors.

    Raises :class:`~kiosk.sync.errors.CacheError` when it cannot be opened or written.
    """

    def __init__(self, path: Path, schema: str, label: str) -> None:
        self.path = Path(path)
        self._label = label
        self._lock = threading.Lock()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(
                self.path, check_same_thread=False, isolation_level=None, timeout=30
            )
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.executescript(schema)
        except (OSError, sqlite3.Error) as exc:
            raise CacheError(f"{label} {self.path}: {exc}") from exc

    def close(self) -> None:
        with self._lock:
            self._db.close()

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction (BEGIN IMMEDIATE … COMMIT), rolled back on any error."""
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as exc:
                raise CacheError(f"{self._label} {self.path}: {exc}") from exc
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            try:
                self._db.execute("COMMIT")
            except sqlite3.Error as exc:
                self._db.execute("ROLLBACK")
                raise CacheError(f"{self._label} {self.path}: {exc}") from exc

    @contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            yield self._db
