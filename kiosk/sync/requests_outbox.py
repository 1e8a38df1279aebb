"""The kiosk's request outbox (诉求): requests residents made here, and what it caches.

One SQLite file (``synchronous=FULL``, WAL), like the ticket outbox, holds

- the **requests** made at this kiosk, each with its Idempotency-Key, the public id and
  查询码 the kiosk minted (:mod:`kiosk.core.request_numbers`), so the receipt (查询码, QR
  code of ``/r/<id>``) is shown at once, offline too; ``pending`` until the server
  answered, then ``delivered`` (with its number and deadline) or ``rejected``;
- a voice note's file and whether it was uploaded;
- the **caches** the screens read offline: the hall's categories with their phrases
  (``GET /api/v1/requests/categories``) and the 办理公开 figures, each with the time it was
  fetched.

:meth:`RequestOutbox.add` stores a request in **one durable transaction** before it
returns, with no network call. :class:`kiosk.sync.requests_courier.RequestCourier`
delivers in the background. A delivered request's phone number is wiped from the kiosk's
disk (the server keeps it sealed). Safe to share between threads (one lock). Imports no
kivy.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kiosk.core import clock as wall_clock
from kiosk.core.request_deadlines import DEFAULT_CATEGORIES
from kiosk.core.request_numbers import new_public_id, new_query_code
from kiosk.core.request_phrases import phrases_for
from kiosk.core.wire import RequestCreate
from kiosk.sync.errors import CacheError
from kiosk.sync.sqlite_file import SqliteFile

__all__ = [
    "CategoryChoice",
    "KioskRequest",
    "Lookup",
    "PublicBoard",
    "RequestOutbox",
    "default_categories",
    "request_url",
]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS requests (
    local_id INTEGER PRIMARY KEY AUTOINCREMENT,
    idem_key TEXT NOT NULL UNIQUE,
    public_id TEXT NOT NULL UNIQUE,
    query_code TEXT NOT NULL,
    category TEXT NOT NULL,
    category_label TEXT NOT NULL,
    phrases TEXT NOT NULL,
    location TEXT,
    phone TEXT,
    voice_path TEXT,
    voice_status TEXT NOT NULL DEFAULT 'none',
    created_at TEXT NOT NULL,
    deadline_text TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending',
    number TEXT,
    state_label TEXT,
    due_at TEXT,
    error TEXT
);
CREATE INDEX IF NOT EXISTS requests_pending ON requests (status, local_id);
"""

_COLUMNS = (
    "local_id, idem_key, public_id, query_code, category, category_label, phrases, location, "
    "phone, voice_path, voice_status, created_at, deadline_text, status, number, state_label, "
    "due_at, error"
)


@dataclass(frozen=True, slots=True)
class CategoryChoice:
    """A category as the kiosk offers it: a tile, its deadline in words and its phrases."""

    id: str
    label: str
    limit_workdays: int
    deadline_text: str
    phrases: tuple[str, ...] = ()


KIOSK_ORDER: tuple[str, ...] = ("repair", "help", "question", "complaint", "home-service")
"""The five request kinds the kiosk shows first; the ten 服务类别 follow in their order."""


def kiosk_order(categories: Sequence[CategoryChoice]) -> list[CategoryChoice]:
    """The five request kinds (:data:`KIOSK_ORDER`) first, then the rest in their order."""
    order = {cid: i for i, cid in enumerate(KIOSK_ORDER)}
    ranked = sorted(enumerate(categories), key=lambda p: (order.get(p[1].id, len(order)), p[0]))
    return [c for _i, c in ranked]


def default_categories() -> list[CategoryChoice]:
    """The first-run categories (no server reached yet): the core's defaults, the five
    request kinds first, with :mod:`kiosk.core.request_phrases`' phrases."""
    order = {cid: i for i, cid in enumerate(KIOSK_ORDER)}
    cats = sorted(
        DEFAULT_CATEGORIES, key=lambda c: (order.get(c.id, len(order)), DEFAULT_CATEGORIES.index(c))
    )
    return [
        CategoryChoice(c.id, c.name, c.limit_workdays, c.limit_in_words(), tuple(phrases_for(c.id)))
        for c in cats
    ]


@dataclass(frozen=True, slots=True)
class KioskRequest:
    """A request as the kiosk holds it; ``number`` is None until the server answered."""

    local_id: int
    idempotency_key: str
    public_id: str
    query_code: str
    category: str
    category_label: str
    phrases: tuple[str, ...]
    location: str | None
    phone: str | None
    voice_path: str | None
    voice_status: str  # none | pending | sent | rejected
    created_at: dt.datetime
    deadline_text: str
    status: str  # pending | delivered | rejected
    number: str | None = None
    state_label: str | None = None
    due_at: str | None = None
    error: str | None = None
    url: str | None = None

    @property
    def delivered(self) -> bool:
        return self.status == "delivered"

    def create(self) -> RequestCreate:
        """The ``POST /api/v1/requests`` body (contract §1)."""
        return RequestCreate(
            public_id=self.public_id,
            query_code=self.query_code,
            category=self.category,
            phrases=list(self.phrases),
            location=self.location,
            phone=self.phone,
            voice_note=self.voice_path is not None,
            created_at=self.created_at,
        )


@dataclass(frozen=True, slots=True)
class PublicBoard:
    """办理公开 as last fetched: the server's ``PublicFigures`` and when it was fetched."""

    figures: Mapping[str, Any]
    fetched_at: dt.datetime
    extra: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Lookup:
    """What a 查询码 look-up found: the server's public views, or why there are none.

    ``problem`` is one of ``not_found``, ``offline``, ``too_many``, ``bad_code``; with
    ``offline`` the requests made at this kiosk with that code are in ``local``.
    """

    found: tuple[Mapping[str, Any], ...] = ()
    problem: str | None = None
    local: tuple[KioskRequest, ...] = ()


def request_url(base: str | None, public_id: str) -> str | None:
    """The phone page of a request, ``<server>/r/<id>``; None without a server address."""
    if not base:
        return None
    return f"{base.rstrip('/')}/r/{public_id}"


class RequestOutbox(SqliteFile):
    """The durable request store of one kiosk at ``path`` (a SQLite file).

    ``public_base`` says where residents' phones reach the server (the QR code); it is
    asked each time, so the address the ticket courier learns is used once known.
    Raises :class:`~kiosk.sync.errors.CacheError` when the file cannot be used.
    """

    def __init__(
        self,
        path: Path,
        *,
        public_base: Callable[[], str | None] = lambda: None,
        clock: Callable[[], dt.datetime] = wall_clock.now,
    ) -> None:
        super().__init__(path, _SCHEMA, "request outbox")
        self._public_base = public_base
        self._clock = clock

    # -- the file ------------------------------------------------------------------

    @contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        with self.read() as db:
            try:
                yield db
            except sqlite3.Error as exc:
                raise CacheError(f"request outbox {self.path}: {exc}") from exc

    # -- making a request (the UI thread; no network) ---------------------------------

    def add(
        self,
        category: CategoryChoice,
        phrases: Sequence[str],
        *,
        location: str | None = None,
        phone: str | None = None,
        voice_path: str | None = None,
    ) -> KioskRequest:
        """Mint the public id and 查询码, store the request durably; returns it."""
        now = self._clock()
        key = f"req-{uuid.uuid4().hex}"
        public_id = new_public_id()
        with self.write() as db:
            taken = {
                str(r[0])
                for r in db.execute(
                    "SELECT query_code FROM requests WHERE created_at >= ?",
                    ((now - dt.timedelta(days=400)).isoformat(),),
                )
            }
            code = new_query_code(taken)
            cur = db.execute(
                "INSERT INTO requests (idem_key, public_id, query_code, category, "
                "category_label, phrases, location, phone, voice_path, voice_status, "
                "created_at, deadline_text) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    key,
                    public_id,
                    code,
                    category.id,
                    category.label,
                    json.dumps(list(phrases), ensure_ascii=False),
                    location,
                    phone,
                    voice_path,
                    "pending" if voice_path else "none",
                    now.isoformat(),
                    category.deadline_text,
                ),
            )
            local_id = int(cur.lastrowid or 0)
        made = self.request(local_id)
        assert made is not None
        return made

    # -- reading -----------------------------------------------------------------------

    def request(self, local_id: int) -> KioskRequest | None:
        with self._read() as db:
            row = db.execute(
                f"SELECT {_COLUMNS} FROM requests WHERE local_id=?", (local_id,)
            ).fetchone()
        return self._from_row(row) if row else None

    def requests(self) -> list[KioskRequest]:
        """Every request this kiosk holds, oldest first (tests, maintenance)."""
        with self._read() as db:
            rows = db.execute(f"SELECT {_COLUMNS} FROM requests ORDER BY local_id").fetchall()
        return [self._from_row(r) for r in rows]

    def by_query_code(self, code: str) -> list[KioskRequest]:
        """Requests made here with 查询码 ``code``, newest first (the offline look-up)."""
        with self._read() as db:
            rows = db.execute(
                f"SELECT {_COLUMNS} FROM requests WHERE query_code=? ORDER BY local_id DESC",
                (code,),
            ).fetchall()
        return [self._from_row(r) for r in rows]

    def pending(self, limit: int = 50) -> list[KioskRequest]:
        """The oldest undelivered requests, in the order they were made."""
        with self._read() as db:
            rows = db.execute(
                f"SELECT {_COLUMNS} FROM requests WHERE status='pending' ORDER BY local_id LIMIT ?",
                (limit,),
            ).fetchall()
        return [self._from_row(r) for r in rows]

    def voice_pending(self) -> list[KioskRequest]:
        """Delivered requests whose voice note still has to be uploaded."""
        with self._read() as db:
            rows = db.execute(
                f"SELECT {_COLUMNS} FROM requests WHERE status='delivered' "
                "AND voice_status='pending' ORDER BY local_id"
            ).fetchall()
        return [self._from_row(r) for r in rows]

    def backlog(self) -> int:
        """Requests (and voice notes) waiting for delivery."""
        with self._read() as db:
            row = db.execute(
                "SELECT COUNT(*) FROM requests WHERE status='pending' OR voice_status='pending'"
            ).fetchone()
        return int(row[0])

    # -- delivery results (the courier's thread) --------------------------------------

    def delivered(self, key: str, receipt: Mapping[str, Any]) -> KioskRequest | None:
        """The server stored the request (``RequestReceipt``): keep its number, deadline
        and state; forget the phone number (the server holds it, sealed)."""
        with self.write() as db:
            db.execute(
                "UPDATE requests SET status='delivered', number=?, state_label=?, "
                "deadline_text=COALESCE(?, deadline_text), due_at=?, phone=NULL, error=NULL "
                "WHERE idem_key=?",
                (
                    _text(receipt.get("number")),
                    _text(receipt.get("state_label")),
                    _text(receipt.get("deadline_text")),
                    _text(receipt.get("due_at")),
                    key,
                ),
            )
        return self._by_key(key)

    def rejected(self, key: str, reason: str) -> KioskRequest | None:
        """The server refused the request for a reason of its own (409 / 422)."""
        with self.write() as db:
            db.execute(
                "UPDATE requests SET status='rejected', error=?, phone=NULL, "
                "voice_status=CASE voice_status WHEN 'pending' THEN 'rejected' "
                "ELSE voice_status END WHERE idem_key=?",
                (reason[:500], key),
            )
        return self._by_key(key)

    def voice_done(self, key: str, *, sent: bool) -> None:
        with self.write() as db:
            db.execute(
                "UPDATE requests SET voice_status=? WHERE idem_key=?",
                ("sent" if sent else "rejected", key),
            )

    def _by_key(self, key: str) -> KioskRequest | None:
        with self._read() as db:
            row = db.execute(f"SELECT {_COLUMNS} FROM requests WHERE idem_key=?", (key,)).fetchone()
        return self._from_row(row) if row else None

    # -- caches ------------------------------------------------------------------------

    def categories(self) -> list[CategoryChoice]:
        """The hall's categories as last fetched, else :func:`default_categories`."""
        raw = self._meta("categories")
        if raw:
            try:
                found = [_category(c) for c in json.loads(raw)]
                if found:
                    return kiosk_order(found)
            except (ValueError, TypeError, KeyError):
                pass  # a damaged cache: the defaults rather than nothing
        return default_categories()

    def keep_categories(self, categories: Sequence[CategoryChoice]) -> None:
        data = [
            {
                "id": c.id,
                "label": c.label,
                "limit_workdays": c.limit_workdays,
                "deadline_text": c.deadline_text,
                "phrases": list(c.phrases),
            }
            for c in categories
        ]
        self._set_meta("categories", json.dumps(data, ensure_ascii=False))

    def board(self) -> PublicBoard | None:
        """办理公开 as last fetched, or None before the first fetch."""
        raw = self._meta("public_board")
        if not raw:
            return None
        try:
            data = json.loads(raw)
            return PublicBoard(data["figures"], dt.datetime.fromisoformat(data["fetched_at"]))
        except (ValueError, TypeError, KeyError):
            return None

    def keep_board(self, figures: Mapping[str, Any], fetched_at: dt.datetime) -> None:
        data = {"figures": dict(figures), "fetched_at": fetched_at.isoformat()}
        self._set_meta("public_board", json.dumps(data, ensure_ascii=False))

    def _meta(self, key: str) -> str | None:
        with self._read() as db:
            row = db.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return str(row[0]) if row else None

    def _set_meta(self, key: str, value: str) -> None:
        with self.write() as db:
            db.execute(
                "INSERT INTO meta (key, value) VALUES (?, ?) "
                "ON CONFLICT (key) DO UPDATE SET value=excluded.value",
                (key, value),
            )

    def _from_row(self, row: tuple[Any, ...]) -> KioskRequest:
        (
            local_id,
            key,
            public_id,
            code,
            category,
            label,
            phrases,
            location,
            phone,
            voice_path,
            voice_status,
            created_at,
            deadline_text,
            status,
            number,
            state_label,
            due_at,
            error,
        ) = row
        return KioskRequest(
            local_id=int(local_id),
            idempotency_key=str(key),
            public_id=str(public_id),
            query_code=str(code),
            category=str(category),
            category_label=str(label),
            phrases=tuple(str(p) for p in json.loads(phrases)),
            location=_text(location),
            phone=_text(phone),
            voice_path=_text(voice_path),
            voice_status=str(voice_status),
            created_at=dt.datetime.fromisoformat(str(created_at)),
            deadline_text=str(deadline_text),
            status=str(status),
            number=_text(number),
            state_label=_text(state_label),
            due_at=_text(due_at),
            error=_text(error),
            url=request_url(self._public_base(), str(public_id)),
        )


def _text(value: object) -> str | None:
    return None if value is None else str(value)


def _category(data: Mapping[str, Any]) -> CategoryChoice:
    limit = int(data["limit_workdays"])
    return CategoryChoice(
        id=str(data["id"]),
        label=str(data["label"]),
        limit_workdays=limit,
        deadline_text=str(data.get("deadline_text") or f"{limit} 个工作日内答复"),
        phrases=tuple(str(p) for p in data.get("phrases") or ()),
    )
