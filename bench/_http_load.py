"""A lean HTTP/1.1 load generator for the server benchmarks (not a benchmark itself).

Why not httpx/requests: on this 2-core machine the load generator shares the CPU with the
server, so it must cost as little as possible. This one is plain asyncio streams (on uvloop
when installed) with keep-alive connections, one per simulated client, each in a closed
loop: send one request, read the whole answer, record the latency, send the next. It
handles ``Content-Length`` and chunked bodies, which is all uvicorn sends.

Use: ``asyncio.run(closed_loop(host, port, build_request, clients=10, requests=5000))``
where ``build_request(i)`` returns the raw request bytes of the i-th request.
"""

from __future__ import annotations

import asyncio
import contextlib
import statistics
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

__all__ = ["LoadResult", "closed_loop", "http_request", "install_uvloop", "read_response"]


def install_uvloop() -> str:
    """Use uvloop if it is installed (it is, with uvicorn[standard]); says which loop."""
    try:
        import uvloop
    except ImportError:
        return "asyncio"
    asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    return "uvloop"


def http_request(
    method: str,
    path: str,
    host: str,
    headers: dict[str, str] | None = None,
    body: bytes = b"",
) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}"]
    for name, value in (headers or {}).items():
        lines.append(f"{name}: {value}")
    if body or method in ("POST", "PUT", "PATCH"):
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


async def read_response(reader: asyncio.StreamReader) -> tuple[int, dict[str, str], bytes]:
    """Read one whole HTTP/1.1 response: (status, lower-cased headers, body)."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers: dict[str, str] = {}
    for line in lines[1:]:
        if ":" in line:
            name, value = line.split(":", 1)
            headers[name.strip().lower()] = value.strip()
    if "content-length" in headers:
        body = await reader.readexactly(int(headers["content-length"]))
    elif headers.get("transfer-encoding", "").lower() == "chunked":
        parts = []
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            if size == 0:
                await reader.readuntil(b"\r\n")
                break
            parts.append(await reader.readexactly(size))
            await reader.readexactly(2)
        body = b"".join(parts)
    elif status in (204, 304) or 100 <= status < 200:
        body = b""
    else:
        body = await reader.read()
    return status, headers, body


@dataclass
class LoadResult:
    clients: int
    elapsed_s: float
    latencies_ms: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    bodies: list[bytes] = field(default_factory=list)
    client_cpu_s: float = 0.0  # CPU time the load generator itself used

    @property
    def ok(self) -> int:
        return sum(n for s, n in self.statuses.items() if 200 <= s < 400)

    @property
    def per_second(self) -> float:
        return self.ok / self.elapsed_s if self.elapsed_s else 0.0

    def percentile(self, p: float) -> float:
        if not self.latencies_ms:
            return float("nan")
        data = sorted(self.latencies_ms)
        k = min(len(data) - 1, max(0, round(p / 100 * (len(data) - 1))))
        return data[k]

    @property
    def mean_ms(self) -> float:
        return statistics.fmean(self.latencies_ms) if self.latencies_ms else float("nan")

    def summary(self) -> str:
        return (
            f"{self.clients:>3} clients: {self.per_second:8.0f}/s  "
            f"p50 {self.percentile(50):6.1f} ms  p99 {self.percentile(99):6.1f} ms  "
            f"({sum(self.statuses.values())} answers {dict(self.statuses)}"
            + (f", errors {dict(self.errors)}" if self.errors else "")
            + f"; load generator used {self.client_cpu_s / self.elapsed_s:.0%} of a core)"
        )


async def closed_loop(
    host: str,
    port: int,
    build_request: Callable[[int], bytes],
    *,
    clients: int,
    requests: int,
    keep_bodies: bool = False,
    timeout_s: float = 30.0,
) -> LoadResult:
    """``clients`` keep-alive connections share ``requests`` requests, one at a time each."""
    result = LoadResult(clients=clients, elapsed_s=0.0)
    counter = iter(range(requests))

    async def one_client() -> None:
        reader: asyncio.StreamReader | None = None
        writer: asyncio.StreamWriter | None = None
        for i in counter:
            try:
                if writer is None:
                    reader, writer = await asyncio.open_connection(host, port)
                assert reader is not None
                data = build_request(i)
                t0 = time.perf_counter()
                writer.write(data)
                status, headers, body = await asyncio.wait_for(read_response(reader), timeout_s)
                result.latencies_ms.append((time.perf_counter() - t0) * 1000)
                result.statuses[status] += 1
                if (keep_bodies or status >= 400) and len(result.bodies) < 10_000:
                    result.bodies.append(body)
                if headers.get("connection", "").lower() == "close":
                    writer.close()
                    writer = None
            except (OSError, asyncio.IncompleteReadError, TimeoutError, ValueError) as exc:
                result.errors[type(exc).__name__] += 1
                if writer is not None:
                    writer.close()
                writer = None
        if writer is not None:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()

    t_start, cpu_start = time.perf_counter(), time.process_time()
    await asyncio.gather(*(one_client() for _ in range(clients)))
    result.elapsed_s = time.perf_counter() - t_start
    result.client_cpu_s = time.process_time() - cpu_start
    return result
