"""The kiosk's HTTP client for its hall's server: one keep-alive session, bearer auth.

Every answer is turned into a value or a typed :mod:`kiosk.sync.errors` exception; no
``requests`` exception escapes. The client is safe to share between the sync threads
(each request takes its own pooled connection), and :meth:`HallClient.interrupt` cuts
off requests in flight — that is how a 25 s event long-poll ends at once on shutdown.
"""

from __future__ import annotations

import contextlib
import json as _json
import socket
import threading
import weakref
from dataclasses import dataclass
from typing import Any, TypeVar

import requests
from pydantic import BaseModel, ValidationError
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from kiosk import __version__
from kiosk.core.wire import (
    API_PREFIX,
    EventsPublic,
    Heartbeat,
    KioskQueuesPublic,
    LeaseCreate,
    LeasePublic,
    TicketBatchCreate,
    TicketBatchPublic,
    TicketCreate,
    TicketPublic,
)
from kiosk.sync.errors import BadResponse, RequestRejected, ServerFault, ServerUnreachable

__all__ = ["ContentResponse", "HallClient"]

_Model = TypeVar("_Model", bound=BaseModel)

#: Extra seconds on top of the server's long-poll wait before we call it a timeout.
_LONG_POLL_GRACE = 10.0


@dataclass(frozen=True, slots=True)
class ContentResponse:
    """The answer to a content check: the raw snapshot bytes, or None when unchanged (304)."""

    raw: bytes | None
    etag: str | None


class _OpenConnections:
    """The connections a client has open, so :meth:`HallClient.interrupt` can cut them."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._conns: weakref.WeakSet[HTTPConnection] = weakref.WeakSet()

    def add(self, conn: HTTPConnection) -> None:
        with self._lock:
            self._conns.add(conn)

    def shut_all(self) -> None:
        with self._lock:
            conns = list(self._conns)
        for conn in conns:
            sock = conn.sock
            if sock is None:
                continue
            # shutdown (not close) wakes a thread blocked in recv() on this socket at once;
            # urllib3 then sees a dropped connection and never reuses it.
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


def _interruptible_adapter(opened: _OpenConnections) -> HTTPAdapter:
    class _Conn(HTTPConnection):
        def connect(self) -> None:
            super().connect()
            opened.add(self)

    class _TlsConn(HTTPSConnection):
        def connect(self) -> None:
            super().connect()
            opened.add(self)

    class _Pool(HTTPConnectionPool):
        ConnectionCls = _Conn

    class _TlsPool(HTTPSConnectionPool):
        ConnectionCls = _TlsConn

    adapter = HTTPAdapter(pool_connections=2, pool_maxsize=4, max_retries=0)
    adapter.poolmanager.pool_classes_by_scheme = {"http": _Pool, "https": _TlsPool}
    return adapter


class HallClient:
    """Talks to the hall server as one kiosk (``token`` is the kiosk's bearer token).

    ``base_url`` is the server's root, e.g. ``http://192.168.1.10:8000`` (a trailing
    ``/api/v1`` is accepted too). ``timeout`` bounds connecting and each read, in seconds;
    ``max_body`` bounds a reply's size in bytes (a hostile peer cannot exhaust memory).
    """

    def __init__(
        self, base_url: str, token: str, *, timeout: float = 5.0, max_body: int = 32 << 20
    ) -> None:
        root = base_url.rstrip("/")
        if root.endswith(API_PREFIX):
            root = root[: -len(API_PREFIX)]
        self.base_url = root
        self.timeout = timeout
        self.max_body = max_body  # bytes; a longer reply is refused (BadResponse)
        self._api = root + API_PREFIX
        self._opened = _OpenConnections()
        self._session = requests.Session()
        self._session.trust_env = False  # a kiosk talks to its hall server directly
        adapter = _interruptible_adapter(self._opened)
        self._session.mount("http://", adapter)
        self._session.mount("https://", adapter)
        self._session.headers.update(
            {
                "Authorization": f"Bearer {token}",
                "Accept": "application/json",
                "User-Agent": f"residents-home-kiosk/{__version__}",
            }
        )

    # -- content ---------------------------------------------------------------------

    def get_content(self, etag: str | None) -> ContentResponse:
        """GET /kiosk/content; with ``etag``, an unchanged snapshot comes back as raw=None."""
        headers = {"If-None-Match": etag} if etag else {}
        reply = self._request("GET", "/kiosk/content", headers=headers)
        if reply.status == 304:
            return ContentResponse(raw=None, etag=reply.header("ETag") or etag)
        self._raise_for_status(reply)
        return ContentResponse(raw=reply.content, etag=reply.header("ETag"))

    def get_media(self, sha256: str) -> bytes:
        """GET /media/{sha256}: the bytes as sent (the caller verifies the hash)."""
        reply = self._request("GET", f"/media/{sha256}")
        self._raise_for_status(reply)
        return reply.content

    # -- events and heartbeat ------------------------------------------------------------

    def events(self, after: int, wait: float) -> EventsPublic:
        """GET /kiosk/events: events after ``after``, waiting up to ``wait`` s for one."""
        reply = self._request(
            "GET",
            "/kiosk/events",
            params={"after": after, "wait": wait},
            read_timeout=wait + max(self.timeout, _LONG_POLL_GRACE),
        )
        return self._parse(reply, EventsPublic)

    def heartbeat(self, hb: Heartbeat) -> None:
        """POST /kiosk/heartbeat (204)."""
        reply = self._request("POST", "/kiosk/heartbeat", json=hb.model_dump(mode="json"))
        self._raise_for_status(reply)

    # -- tickets (used by the ticket outbox) ---------------------------------------------

    def issue_ticket(self, body: TicketCreate, idempotency_key: str) -> TicketPublic:
        """POST /tickets with ``Idempotency-Key``: a retry with the same key is harmless."""
        reply = self._request(
            "POST",
            "/tickets",
            json=body.model_dump(mode="json"),
            headers={"Idempotency-Key": idempotency_key},
        )
        return self._parse(reply, TicketPublic)

    def issue_batch(self, body: TicketBatchCreate) -> TicketBatchPublic:
        """POST /tickets/batch: deliver offline tickets; each item succeeds or fails alone."""
        reply = self._request("POST", "/tickets/batch", json=body.model_dump(mode="json"))
        return self._parse(reply, TicketBatchPublic)

    def lease(self, body: LeaseCreate) -> LeasePublic:
        """POST /kiosk/leases: a block of numbers to issue from while offline."""
        reply = self._request("POST", "/kiosk/leases", json=body.model_dump(mode="json"))
        return self._parse(reply, LeasePublic)

    def queues(self) -> KioskQueuesPublic:
        """GET /kiosk/queues: waiting counts, the server's clock and this kiosk's number."""
        return self._parse(self._request("GET", "/kiosk/queues"), KioskQueuesPublic)

    # -- lifecycle -----------------------------------------------------------------------

    def interrupt(self) -> None:
        """Cut off every request in flight (they raise :class:`ServerUnreachable`).

        Callable from any thread; the client stays usable and reconnects on next use.
        """
        self._opened.shut_all()

    def close(self) -> None:
        """Interrupt requests in flight and close the session's pooled connections."""
        self.interrupt()
        self._session.close()

    def __enter__(self) -> HallClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- internals -----------------------------------------------------------------------

    def _request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        json: Any = None,
        data: bytes | None = None,
        headers: dict[str, str] | None = None,
        read_timeout: float | None = None,
    ) -> _Reply:
        url = self._api + path
        where = f"{method} {path}"
        timeout = (self.timeout, read_timeout if read_timeout is not None else self.timeout)
        try:
            with self._session.request(
                method,
                url,
                params=params,
                json=json,
                data=data,
                headers=headers,
                timeout=timeout,
                stream=True,
            ) as resp:
                # Read the body here, inside the try: a reply cut off mid-body fails as a
                # ConnectionError/ChunkedEncodingError, an endless one stops at max_body.
                body = bytearray()
                for chunk in resp.iter_content(64 * 1024):
                    body += chunk
                    if len(body) > self.max_body:
                        raise BadResponse(f"{where}: reply larger than {self.max_body} bytes")
                return _Reply(
                    status=resp.status_code,
                    reason=resp.reason or "",
                    headers=dict(resp.headers),
                    content=bytes(body),
                    where=where,
                )
        except requests.Timeout as exc:
            raise ServerUnreachable(f"{where}: timed out ({exc.__class__.__name__})") from exc
        except (requests.ConnectionError, requests.exceptions.ChunkedEncodingError) as exc:
            raise ServerUnreachable(f"{where}: {_reason(exc)}") from exc
        except requests.RequestException as exc:
            raise BadResponse(f"{where}: {_reason(exc)}") from exc

    def _raise_for_status(self, reply: _Reply) -> None:
        status = reply.status
        if status >= 500:
            raise ServerFault(status, f"{reply.where}: HTTP {status} from server")
        if status >= 400:
            code, message, field = "http_error", reply.reason, None
            try:
                err = _json.loads(reply.content)["error"]
                code, message = str(err["code"]), str(err["message"])
                field = err.get("field")
            except (ValueError, KeyError, TypeError):
                pass  # not our JSON error shape (a proxy's page); keep the status
            raise RequestRejected(status, code, f"{reply.where}: {message}", field)
        if status < 200 or status >= 300:
            raise BadResponse(f"{reply.where}: unexpected HTTP {status}")

    def _parse(self, reply: _Reply, model: type[_Model]) -> _Model:
        self._raise_for_status(reply)
        try:
            return model.model_validate_json(reply.content)
        except ValidationError as exc:
            first = exc.errors(include_url=False)[0]
            loc = ".".join(str(p) for p in first["loc"]) or "body"
            raise BadResponse(
                f"{reply.where}: not a {model.__name__} ({loc}: {first['msg']})"
            ) from None


@dataclass(frozen=True, slots=True)
class _Reply:
    """An HTTP answer read in full: what the methods above need of it."""

    status: int
    reason: str
    headers: dict[str, str]  # header names as the server sent them
    content: bytes
    where: str  # "GET /kiosk/content", for messages

    def header(self, name: str) -> str | None:
        wanted = name.lower()
        return next((v for k, v in self.headers.items() if k.lower() == wanted), None)


def _reason(exc: BaseException) -> str:
    """The innermost useful reason ("Connection refused"), not urllib3's nested repr."""
    text = str(exc)
    for marker in (
        "Connection refused",
        "Connection reset",
        "Connection aborted",
        "Name or service not known",
        "IncompleteRead",
        "Remote end closed",
    ):
        if marker in text:
            return marker.lower() if marker.startswith("Connection") else marker
    return text[:200] or exc.__class__.__name__
