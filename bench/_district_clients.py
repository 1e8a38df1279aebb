"""The clients of ``bench/district_sim.py`` (not a benchmark itself): kiosks long-polling,
counters calling, the district admin editing, over keep-alive HTTP/1.1 to nginx, and the
:class:`Tally` of what was sent and what each kiosk received, and when."""

from __future__ import annotations

import asyncio
import json
import os
import random
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from _district_site import ADMIN_PASSWORD, ADMIN_USER
from _http_load import http_request, read_response

__all__ = [
    "Conn",
    "Key",
    "Tally",
    "auth",
    "counter_loop",
    "editor_loop",
    "issue_tickets",
    "kiosk_loop",
    "load",
    "login",
    "pct",
]

HOST = "127.0.0.1"

#: What a sent change is known by: ("content", hall, version) or ("call", hall, number).
Key = tuple[str, str, str]


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} / {five:.2f} / {fifteen:.2f}"


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    data = sorted(values)
    return data[min(len(data) - 1, max(0, round(p / 100 * (len(data) - 1))))]


class Conn:
    """One keep-alive HTTP/1.1 connection to nginx."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None
        #: The worker that gave the last answer (nginx's ``X-Upstream``: its address).
        self.upstream = ""

    async def ask(
        self,
        method: str,
        path: str,
        headers: dict[str, str],
        body: bytes = b"",
        limit_s: float = 60,
    ) -> tuple[int, bytes]:
        for attempt in (1, 2):
            try:
                if self.writer is None:
                    self.reader, self.writer = await asyncio.open_connection(HOST, self.port)
                assert self.reader is not None
                self.writer.write(http_request(method, path, f"{HOST}:{self.port}", headers, body))
                status, head, data = await asyncio.wait_for(read_response(self.reader), limit_s)
                self.upstream = head.get("x-upstream", "")
                if head.get("connection", "").lower() == "close":
                    self.close()
                return status, data
            except (OSError, asyncio.IncompleteReadError, ValueError):
                self.close()
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


@dataclass
class Tally:
    sent: dict[Key, float] = field(default_factory=dict)  # key → perf_counter of the answer
    got: dict[Key, dict[int, float]] = field(default_factory=lambda: defaultdict(dict))
    #: The worker that answered the change, and each kiosk's poll that carried it.
    sent_via: dict[Key, str] = field(default_factory=dict)
    got_via: dict[Key, dict[int, str]] = field(default_factory=lambda: defaultdict(dict))
    hall_kiosks: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    empty_calls: int = 0
    polls: int = 0

    def latencies(self, kind: str) -> tuple[list[float], int, int]:
        """(latencies in s of every (change, kiosk) pair received, expected, missing)."""
        out: list[float] = []
        expected = missing = 0
        for key, at in self.sent.items():
            if key[0] != kind:
                continue
            for kiosk in self.hall_kiosks[key[1]]:
                expected += 1
                when = self.got.get(key, {}).get(kiosk)
                if when is None:
                    missing += 1
                else:
                    out.append(max(0.0, when - at))
        return out, expected, missing

    def split(self, kind: str) -> tuple[list[float], list[float]]:
        """Latencies (s) of kiosks held by the worker that made the change, and by others."""
        same: list[float] = []
        other: list[float] = []
        for key, at in self.sent.items():
            if key[0] != kind:
                continue
            for kiosk, when in self.got.get(key, {}).items():
                by = self.got_via.get(key, {}).get(kiosk)
                (same if by == self.sent_via.get(key) else other).append(max(0.0, when - at))
        return same, other

    def outstanding(self) -> int:
        return sum(
            1
            for key in self.sent
            for kiosk in self.hall_kiosks[key[1]]
            if kiosk not in self.got.get(key, {})
        )


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def kiosk_loop(
    idx: int,
    hall_id: str,
    token: str,
    port: int,
    tally: Tally,
    ready: asyncio.Event,
    counted: list[int],
    total: int,
) -> None:
    """Long-poll like a kiosk: re-poll at once; fetch the content after a content event."""
    conn = Conn(port)
    headers = auth(token)
    after = 0
    first = True
    etag = ""
    try:
        while True:
            try:
                status, body = await conn.ask(
                    "GET", f"/api/v1/kiosk/events?after={after}&wait=30", headers, limit_s=45
                )
            except (OSError, asyncio.IncompleteReadError, ValueError, TimeoutError) as exc:
                tally.errors[f"poll {type(exc).__name__}"] += 1
                await asyncio.sleep(0.5)
                continue
            now = time.perf_counter()
            tally.polls += 1
            if status != 200:
                tally.errors[f"poll {status}"] += 1
                await asyncio.sleep(0.5)
                continue
            page = json.loads(body)
            fetch = False
            for e in page["events"]:
                if e["type"] == "content":
                    key = ("content", hall_id, str(e["data"]["version"]))
                    tally.got[key].setdefault(idx, now)
                    tally.got_via[key].setdefault(idx, conn.upstream)
                    fetch = True
                elif e["type"] == "call":
                    key = ("call", hall_id, str(e["data"]["number"]))
                    tally.got[key].setdefault(idx, now)
                    tally.got_via[key].setdefault(idx, conn.upstream)
            after = page["last_seq"]
            if first:
                first = False
                counted[0] += 1
                if counted[0] == total:
                    ready.set()
            elif fetch:  # as a kiosk does: the new version, unless it has it already
                h = {**headers, "If-None-Match": etag} if etag else headers
                try:
                    status, _snap = await conn.ask("GET", "/api/v1/kiosk/content", h)
                except (OSError, asyncio.IncompleteReadError, ValueError, TimeoutError) as exc:
                    tally.errors[f"content {type(exc).__name__}"] += 1
                    continue
                if status not in (200, 304):
                    tally.errors[f"content {status}"] += 1
    finally:
        conn.close()


async def login(port: int) -> str:
    conn = Conn(port)
    body = json.dumps({"username": ADMIN_USER, "password": ADMIN_PASSWORD}).encode()
    status, data = await conn.ask(
        "POST", "/api/v1/auth/token", {"Content-Type": "application/json"}, body
    )
    conn.close()
    if status != 200:
        raise RuntimeError(f"admin login: {status} {data[:200]!r}")
    token: str = json.loads(data)["access_token"]
    return token


async def issue_tickets(
    port: int, jobs: list[tuple[str, str]], clients: int, tally: Tally
) -> tuple[int, float]:
    """Issue one ticket per (kiosk token, queue) job over ``clients`` connections."""
    todo = iter(jobs)
    issued = 0

    async def one() -> None:
        nonlocal issued
        conn = Conn(port)
        for token, queue in todo:
            headers = {
                **auth(token),
                "Content-Type": "application/json",
                "Idempotency-Key": uuid.uuid4().hex,
            }
            status, data = await conn.ask(
                "POST", "/api/v1/tickets", headers, json.dumps({"queue": queue}).encode()
            )
            if status in (200, 201):
                issued += 1
            else:
                tally.errors[f"ticket {status} {data[:80]!r}"] += 1
        conn.close()

    started = time.perf_counter()
    await asyncio.gather(*(one() for _ in range(clients)))
    return issued, time.perf_counter() - started


async def counter_loop(
    port: int,
    staff: str,
    counter_id: int,
    hall_id: str,
    until: float,
    interval: float,
    tally: Tally,
) -> None:
    conn = Conn(port)
    headers = {**auth(staff), "Content-Type": "application/json"}
    await asyncio.sleep(random.uniform(0, interval))
    while time.perf_counter() < until:
        t0 = time.perf_counter()
        try:
            status, data = await conn.ask(
                "POST", f"/api/v1/counters/{counter_id}/call-next", headers, b"{}"
            )
        except (OSError, asyncio.IncompleteReadError, ValueError, TimeoutError) as exc:
            tally.errors[f"call {type(exc).__name__}"] += 1
            continue
        now = time.perf_counter()
        if status == 200:
            key = ("call", hall_id, str(json.loads(data)["number"]))
            tally.sent[key] = now
            tally.sent_via[key] = conn.upstream
        elif status in (404, 409):
            tally.empty_calls += 1
        else:
            tally.errors[f"call {status} {data[:80]!r}"] += 1
        await asyncio.sleep(max(0.0, interval - (now - t0)) * random.uniform(0.8, 1.2))
    conn.close()


async def editor_loop(
    port: int,
    staff: str,
    halls: list[str],
    contents: dict[str, dict[str, Any]],
    start: float,
    spacing: float,
    tally: Tally,
) -> None:
    """Edit each hall of ``halls`` once, the i-th at ``start + i * spacing``."""
    conn = Conn(port)
    headers = {**auth(staff), "Content-Type": "application/json"}
    for i, hall_id in enumerate(halls):
        await asyncio.sleep(max(0.0, start + i * spacing - time.perf_counter()))
        content = contents[hall_id]
        content["hall"]["intro"] = f"区模拟编辑 {uuid.uuid4().hex[:8]}"
        body = json.dumps(content, ensure_ascii=False).encode()
        status, data = await conn.ask("PUT", f"/api/v1/halls/{hall_id}/content", headers, body)
        now = time.perf_counter()
        if status == 200:
            key = ("content", hall_id, str(json.loads(data)["version"]))
            tally.sent[key] = now
            tally.sent_via[key] = conn.upstream
        else:
            tally.errors[f"edit {status} {data[:120]!r}"] += 1
    conn.close()
