"""The rating device's durable store: every rating before 谢谢 shows, and the staff card.

One SQLite file (``synchronous=FULL``, WAL, like the ticket outbox) holds each finished
prompt as the body it is delivered with (:class:`RatingCreate`), its Idempotency-Key
(minted once, when stored) and its state: ``pending`` until the server has it,
``delivered``, or ``rejected`` with the server's reason (a ticket rated elsewhere). A
ticket is stored once: a replayed event can never make a second rating. The body is
:class:`kiosk.core.wire.RatingCreate` (contract §2). The window's
staff card (name, post, photo) is kept beside it as JSON (written atomically), so the
device shows who serves here when it starts offline. Safe to share between threads.
Imports no kivy.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from kiosk.core.wire import RatingCardPublic, RatingCreate
from kiosk.rating.session import Finished
from kiosk.sync.durable import write_atomic
from kiosk.sync.errors import CacheError

__all__ = ["RatingStore", "StoredRating", "body_of"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS ratings (
    local_id INTEGER PRIMARY KEY AUTOINCREMENT,
    idem_key TEXT NOT NULL UNIQUE,
    ticket_id TEXT NOT NULL UNIQUE,
    body TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending',
    error TEXT
);
CREATE INDEX IF NOT EXISTS ratings_pending ON ratings (status, local_id);
"""


@dataclass(frozen=True, slots=True)
class StoredRating:
    local_id: int
    idempotency_key: str
    body: RatingCreate
    status: str
    error: str | None = None


def body_of(finished: Finished) -> RatingCreate:
    rating = finished.rating
    return RatingCreate.model_validate(
        {
            "ticket_id": finished.ticket_id,
            "counter_id": finished.counter_id,
            "level": rating.level.value if rating.level is not None else None,
            "reasons": sorted(r.value for r in rating.reasons),
            "phone": finished.phone,
            "asked_at": rating.prompt.asked_at,
            "answered_at": rating.at,
        }
    )


class RatingStore:
    """The store in ``folder`` (``ratings.sqlite``, ``card.json``, ``photo``)."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self._lock = threading.Lock()
        path = self.folder / "ratings.sqlite"
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(
                path, check_same_thread=False, isolation_level=None, timeout=30
            )
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.executescript(_SCHEMA)
        except (OSError, sqlite3.Error) as exc:
            raise CacheError(f"rating store {path}: {exc}") from exc

    def close(self) -> None:
        with self._lock:
            self._db.close()

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
                yield self._db
                self._db.execute("COMMIT")
            except BaseException:
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                raise

    # -- ratings ------------------------------------------------------------------------------
    def add(self, finished: Finished) -> StoredRating:
        """Keep ``finished`` durably (one transaction, fsynced); the same ticket again
        returns the first one unchanged."""
        body = body_of(finished)
        key = f"rating-{uuid.uuid4().hex}"
        try:
            with self._write() as db:
                db.execute(
                    "INSERT INTO ratings (idem_key, ticket_id, body) VALUES (?, ?, ?) "
                    "ON CONFLICT (ticket_id) DO NOTHING",
                    (key, body.ticket_id, body.model_dump_json()),
                )
        except sqlite3.Error as exc:
            raise CacheError(f"rating store: {exc}") from exc
        stored = self._by_ticket(body.ticket_id)
        assert stored is not None
        return stored

    def _by_ticket(self, ticket_id: str) -> StoredRating | None:
        with self._lock:
            row = self._db.execute(
                "SELECT local_id, idem_key, body, status, error FROM ratings WHERE ticket_id=?",
                (ticket_id,),
            ).fetchone()
        return _stored(row) if row else None

    def pending(self, limit: int = 50) -> list[StoredRating]:
        with self._lock:
            rows = self._db.execute(
                "SELECT local_id, idem_key, body, status, error FROM ratings "
                "WHERE status='pending' ORDER BY local_id LIMIT ?",
                (limit,),
            ).fetchall()
        return [_stored(r) for r in rows]

    def all(self) -> list[StoredRating]:
        with self._lock:
            rows = self._db.execute(
                "SELECT local_id, idem_key, body, status, error FROM ratings ORDER BY local_id"
            ).fetchall()
        return [_stored(r) for r in rows]

    def backlog(self) -> int:
        with self._lock:
            row = self._db.execute("SELECT count(*) FROM ratings WHERE status='pending'").fetchone()
        return int(row[0])

    def ticket_ids(self) -> set[str]:
        with self._lock:
            rows = self._db.execute("SELECT ticket_id FROM ratings").fetchall()
        return {str(r[0]) for r in rows}

    def mark(self, local_id: int, status: str, error: str | None = None) -> None:
        with self._write() as db:
            db.execute(
                "UPDATE ratings SET status=?, error=? WHERE local_id=?", (status, error, local_id)
            )

    # -- the staff card -----------------------------------------------------------------------
    def save_card(self, card: RatingCardPublic, photo: bytes | None) -> None:
        if photo is not None:
            write_atomic(self.folder / "photo", photo)
        elif card.staff is None or not card.staff.photo:
            (self.folder / "photo").unlink(missing_ok=True)
        write_atomic(self.folder / "card.json", card.model_dump_json().encode())

    def card(self) -> RatingCardPublic | None:
        try:
            return RatingCardPublic.model_validate_json((self.folder / "card.json").read_bytes())
        except (OSError, ValueError):
            return None

    def photo_path(self) -> Path | None:
        path = self.folder / "photo"
        return path if path.is_file() and path.stat().st_size > 0 else None


def _stored(row: tuple[object, ...]) -> StoredRating:
    local_id, key, body, status, error = row
    return StoredRating(
        local_id=int(str(local_id)),
        idempotency_key=str(key),
        body=RatingCreate.model_validate(json.loads(str(body))),
        status=str(status),
        error=str(error) if error is not None else None,
    )
