"""The two requests every kiosk makes all day, answered without the framework's routing.

``GET /api/v1/kiosk/content`` (mostly a 304) and ``POST /api/v1/tickets`` are served
here, in plain ASGI, when everything they need is already in this process's memory (a
cached kiosk token, a cached hall). Anything unusual — an unknown token, a body that does
not validate, a missing header, a body that is not declared ``application/json`` — is
handed, untouched (the body replayed), to the FastAPI routes, which remain the documented
implementation and give the full error answers. The rule: this lane only ever answers a
request the route would answer the same way (tests/security/test_one_wire.py sends every
kind of request to both; ``fast_paths = false`` turns the lane off).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI
from pydantic import ValidationError
from starlette.types import Message, Receive, Scope, Send

from kiosk.core.wire import API_PREFIX, TicketCreate
from kiosk.server.api.headers import IDEMPOTENCY_KEY, bearer_token
from kiosk.server.auth import KioskPrincipal, StaffPrincipal
from kiosk.server.content_store import newer_than_cached
from kiosk.server.domain_errors import DomainError
from kiosk.server.errors import api_error, storage_error
from kiosk.server.tickets import IssueRequest

if TYPE_CHECKING:
    from kiosk.server.runtime import ServerRuntime

__all__ = ["HotPaths"]

_CONTENT = f"{API_PREFIX}/kiosk/content".encode()
_TICKETS = f"{API_PREFIX}/tickets".encode()
_JSON = (b"content-type", b"application/json")
_MAX_TICKET_BODY = 16_384


def _is_json(content_type: bytes | None) -> bool:
    """Declared ``application/json`` (any parameters): the one type kiosks send. Anything
    else (none, text/plain, ``+json`` types, …) goes to the route, which decides."""
    if content_type is None:
        return False
    media = content_type.split(b";", 1)[0].strip().lower()
    return media == b"application/json"


def _headers(scope: Scope) -> dict[bytes, bytes]:
    return dict(scope["headers"])


def _bearer(headers: dict[bytes, bytes]) -> str | None:
    value = headers.get(b"authorization")
    return None if value is None else bearer_token(value.decode("latin-1"))


async def _answer(send: Send, status: int, body: bytes, headers: list[tuple[bytes, bytes]]) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [*headers, (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})


class HotPaths:
    """ASGI middleware in front of the FastAPI app (see the module docstring)."""

    def __init__(self, app: Any, fastapi_app: FastAPI) -> None:
        self.app = app
        self.fastapi_app = fastapi_app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            path = scope.get("raw_path") or scope["path"].encode()
            if path == _CONTENT and scope["method"] == "GET":
                if await self._content(scope, send):
                    return
            elif path == _TICKETS and scope["method"] == "POST":
                await self._ticket(scope, receive, send)
                return
        await self.app(scope, receive, send)

    def _runtime(self) -> ServerRuntime | None:
        runtime: ServerRuntime | None = getattr(self.fastapi_app.state, "runtime", None)
        return runtime

    async def _content(self, scope: Scope, send: Send) -> bool:
        runtime = self._runtime()
        headers = _headers(scope)
        token = _bearer(headers)
        if runtime is None or token is None:
            return False
        kiosk = runtime.principals.peek(token)
        if not isinstance(kiosk, KioskPrincipal):
            return False
        await runtime.catch_up()
        hall = runtime.halls.peek(kiosk.hall_id)
        if hall is None or hall.etag is None or hall.snapshot is None:
            return False
        etag = hall.etag.encode()
        out = [(b"etag", etag), (b"cache-control", b"no-cache")]
        wanted = headers.get(b"if-none-match")
        if wanted is not None and newer_than_cached(wanted.decode("latin-1"), hall):
            return False  # another process published; the route re-reads the hall
        if wanted is not None and etag in (t.strip() for t in wanted.split(b",")):
            await _answer(send, 304, b"", out)
        else:
            await _answer(send, 200, hall.snapshot, [*out, _JSON])
        return True

    async def _ticket(self, scope: Scope, receive: Receive, send: Send) -> None:
        runtime = self._runtime()
        headers = _headers(scope)
        token = _bearer(headers)
        key = headers.get(b"idempotency-key", b"").decode("latin-1")
        declared = headers.get(b"content-length")
        who = runtime.principals.peek(token) if runtime is not None and token else None
        usable = (
            who is not None
            and _is_json(headers.get(b"content-type"))
            and IDEMPOTENCY_KEY.match(key) is not None
            and declared is not None
            and declared.isdigit()
            and int(declared) <= _MAX_TICKET_BODY
        )
        if runtime is None or who is None or not usable:
            await self.app(scope, receive, send)
            return
        # Read the (small) body, then decide; the routes get it replayed if we pass.
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > _MAX_TICKET_BODY:
                chunks.append(chunk)
                break
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        hall_id = who.hall_id if isinstance(who, KioskPrincipal | StaffPrincipal) else None
        hall = runtime.halls.peek(hall_id) if hall_id else None
        create = None
        if hall is not None and size <= _MAX_TICKET_BODY:
            try:
                create = TicketCreate.model_validate_json(body)
            except ValidationError:
                create = None
        if create is None or hall is None:
            await self.app(scope, _replay(body, receive), send)
            return
        try:
            result = await runtime.issue(IssueRequest(who, hall.hall_id, key, create))
        except Exception as exc:
            refusal = api_error(exc) if isinstance(exc, DomainError) else storage_error(exc)
            if refusal is None:
                raise  # a bug: the server's error middleware answers the JSON 500
            payload = json.dumps(refusal.body(), ensure_ascii=False, separators=(",", ":")).encode()
            extra = [(k.lower().encode(), v.encode()) for k, v in (refusal.headers or {}).items()]
            await _answer(send, refusal.status, payload, [_JSON, *extra])
            return
        await _answer(
            send,
            201 if result.created else 200,
            result.ticket.model_dump_json().encode(),
            [_JSON],
        )


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay
