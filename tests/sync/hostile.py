"""A hostile network peer: a real HTTP proxy on loopback in front of the real server.

It forwards every request to the origin server unchanged, except where a :class:`Fault`
is set for a path: then it answers 5xx, garbles or cuts off the body, swaps media bytes,
stalls past the client's timeout, or hangs up. This is not a mock of our server — the
real server still answers; the proxy plays a broken network or a broken middlebox.
"""

from __future__ import annotations

import http.client
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "host"}


@dataclass
class Fault:
    """What to do to requests whose path (after /api/v1) starts with ``path``.

    kind: ``status`` (answer ``status`` with ``body`` without asking the origin),
    ``body`` (forward, then replace a 2xx body with ``body``), ``transform`` (forward,
    then replace a 2xx body with ``transform(body)``), ``delay`` (wait ``seconds`` first),
    ``truncate`` (forward, announce the full length but send half and close),
    ``hang_up`` (close the connection without a word), ``stale`` (for its first ``times``
    hits answer as a server process whose cache still holds the snapshot ``body`` with
    ``etag`` does: ``304`` to an If-None-Match of ``etag``, else ``200`` with ``body`` —
    but forward a request naming another ETag, as the real server re-reads then).
    """

    path: str
    kind: str
    status: int = 500
    body: bytes = b""
    seconds: float = 0.0
    transform: Callable[[bytes], bytes] | None = None
    etag: str = ""
    times: int = 0
    hits: int = field(default=0, init=False)


class HostileProxy:
    """``HostileProxy(origin_url)``; use ``base_url`` as the kiosk's server address."""

    def __init__(self, origin: str) -> None:
        parts = urlsplit(origin)
        assert parts.hostname and parts.port, origin
        self._origin = (parts.hostname, parts.port)
        self._lock = threading.Lock()
        self._faults: list[Fault] = []
        self.seen: list[str] = []  # "GET /kiosk/content" for every request received
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                proxy._handle(self)

            def do_POST(self) -> None:
                proxy._handle(self)

            def do_PUT(self) -> None:
                proxy._handle(self)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.base_url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    # -- control -----------------------------------------------------------------------

    def fault(self, fault: Fault) -> Fault:
        """Add a fault (the first matching one applies); returns it (see ``hits``)."""
        with self._lock:
            self._faults.insert(0, fault)
        return fault

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> HostileProxy:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- the proxying --------------------------------------------------------------------

    def _match(self, path: str) -> Fault | None:
        api_path = path.split("?", 1)[0].removeprefix("/api/v1")
        with self._lock:
            self.seen.append(api_path)
            for fault in self._faults:
                if api_path.startswith(fault.path):
                    fault.hits += 1
                    return fault
        return None

    def _handle(self, req: BaseHTTPRequestHandler) -> None:
        length = int(req.headers.get("Content-Length") or 0)
        body = req.rfile.read(length) if length else b""
        fault = self._match(req.path)
        if fault is not None and fault.kind == "hang_up":
            req.close_connection = True
            req.connection.shutdown(socket.SHUT_RDWR)
            return
        if fault is not None and fault.kind == "status":
            self._reply(req, fault.status, {"Content-Type": "application/json"}, fault.body)
            return
        if fault is not None and fault.kind == "stale" and fault.hits <= fault.times:
            named = req.headers.get("If-None-Match")
            headers = {"ETag": fault.etag, "Content-Type": "application/json"}
            if named == fault.etag:
                self._reply(req, 304, headers, b"")
                return
            if named is None:
                self._reply(req, 200, headers, fault.body)
                return
        if fault is not None and fault.kind == "delay":
            time.sleep(fault.seconds)
        try:
            status, headers, payload = self._forward(req, body)
        except OSError:
            self._reply(req, 502, {"Content-Type": "text/plain"}, b"origin unreachable")
            return
        if fault is not None and 200 <= status < 300:
            if fault.kind == "body":
                payload = fault.body
            elif fault.kind == "transform" and fault.transform is not None:
                payload = fault.transform(payload)
            elif fault.kind == "truncate":
                self._reply(req, status, headers, payload[: len(payload) // 2], length=len(payload))
                req.close_connection = True
                return
        self._reply(req, status, headers, payload)

    def _forward(
        self, req: BaseHTTPRequestHandler, body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        conn = http.client.HTTPConnection(*self._origin, timeout=60)
        try:
            headers = {k: v for k, v in req.headers.items() if k.lower() not in _HOP_BY_HOP}
            conn.request(req.command, req.path, body=body or None, headers=headers)
            resp = conn.getresponse()
            payload = resp.read()
            out = {k: v for k, v in resp.getheaders() if k.lower() not in _HOP_BY_HOP}
            return resp.status, out, payload
        finally:
            conn.close()

    @staticmethod
    def _reply(
        req: BaseHTTPRequestHandler,
        status: int,
        headers: dict[str, str],
        payload: bytes,
        *,
        length: int | None = None,
    ) -> None:
        try:
            req.send_response(status)
            for key, value in headers.items():
                req.send_header(key, value)
            if status not in (204, 304):
                req.send_header("Content-Length", str(len(payload) if length is None else length))
            req.end_headers()
            if status not in (204, 304):
                req.wfile.write(payload)
            req.wfile.flush()
        except OSError:
            req.close_connection = True  # the client gave up (a timeout); nothing to do
