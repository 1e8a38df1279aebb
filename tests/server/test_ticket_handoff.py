"""Several processes on one SQLite file hand their tickets to one owner
(kiosk/server/tickets/handoff.py). Two "processes" here are two complete sets of the
server's parts (engines, group commit, hand-off) in one test process, on one real SQLite
file, talking over the real abstract Unix socket: the ``flock`` that elects the owner is
per open file, so the second set is refused it as another process would be.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import fcntl
import functools
import json
import os
import socket
import subprocess
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa
import uvloop

from kiosk.core.wire import TicketCreate
from kiosk.server import models as m
from kiosk.server import seeding
from kiosk.server.auth import KioskPrincipal, StaffPrincipal
from kiosk.server.content_store import HallDirectory
from kiosk.server.db import Database, migrate
from kiosk.server.domain_errors import Conflict, TooMany
from kiosk.server.events import EventHub
from kiosk.server.kiosk_quota import KioskQuota
from kiosk.server.tickets import IssueRequest, IssueResult, IssueWriter, TicketView, request_hash
from kiosk.server.tickets.handoff import (
    TicketHandoff,
    decode_answer,
    decode_request,
    encode_answer,
    encode_request,
    socket_name,
)


def test_a_request_and_its_answers_cross_the_wire_unchanged() -> None:
    body = TicketCreate(
        queue="A",
        priority=True,
        issued_at=dt.datetime(
            2026, 12, 2, 9, 30, 1, 123456, tzinfo=dt.timezone(dt.timedelta(hours=8))
        ),
    )
    for who in (
        KioskPrincipal(7, "yaojia", 2, "大厅一号机「东」"),
        StaffPrincipal(3, "wang", "hall_staff", "yaojia"),
    ):
        request = IssueRequest(who, "yaojia", "key-1", body)
        n, back = decode_request(encode_request(41, request))
        assert n == 41 and back == request
        assert request_hash(back.body) == request_hash(body)  # replays still match
    refusal = TooMany("rate_limited", "请 3 秒后再提交", retry_after=3)
    n, out = decode_answer(encode_answer(5, refusal))
    assert n == 5 and isinstance(out, TooMany)
    assert (out.code, out.message, out.retry_after, out.field) == (
        "rate_limited",
        refusal.message,
        3,
        None,
    )
    n, out = decode_answer(encode_answer(6, Conflict("queue_full", "满了", field="queue")))
    assert isinstance(out, Conflict) and out.field == "queue"
    assert decode_answer(encode_answer(7, None)) == (7, None)


@dataclass
class _Process:
    db: Database
    writer: IssueWriter
    handoff: TicketHandoff


@contextlib.asynccontextmanager
async def two_processes(
    tmp_path: Path,
) -> AsyncIterator[tuple[_Process, _Process, list[IssueRequest]]]:
    path = tmp_path / "kiosk.sqlite3"
    made: list[_Process] = []
    for _ in range(2):
        made.append(await _one_process(path, seed=not made))
        await asyncio.sleep(0.05)  # the first one takes the lock before the second looks
    try:
        yield made[0], made[1], _template(made[0].db)
    finally:
        for p in made:
            await _stopped(p)


def _template(db: Database) -> list[IssueRequest]:
    """A request for each queue of the first demo kiosk's hall (keys to be filled in)."""
    dev = db.read_sync(lambda c: c.execute(sa.select(m.kiosk_devices)).first())
    assert dev is not None
    entry = db.read_sync(functools.partial(HallDirectory(db).get_sync, hall_id=dev.hall_id))
    assert entry is not None and entry.content is not None
    kiosk = KioskPrincipal(dev.id, dev.hall_id, dev.kiosk_no, dev.name)
    return [
        IssueRequest(kiosk, dev.hall_id, "", TicketCreate(queue=q.code))
        for q in entry.content.queues
    ]


async def _one_process(path: Path, *, seed: bool) -> _Process:
    """Engines, group commit and hand-off on the SQLite file at ``path``, as a server
    process has them (``seed``: migrate and load the demo halls first)."""
    url = f"sqlite:///{path}"
    if seed:
        migrate(url)
    db = Database(url)
    if seed:
        db.write_sync(seeding.load_demo)
        seeding.ensure_demo_logins(db, path.parent, "http://t")
    halls = HallDirectory(db)
    writer = IssueWriter(
        db, halls, TicketView("http://t", 5, halls), EventHub(db, 1.0), KioskQuota(10**6, 1e6, 999)
    )
    writer.start()
    handoff = TicketHandoff(str(path), writer)
    await handoff.start()
    return _Process(db, writer, handoff)


async def _stopped(p: _Process) -> None:
    await p.handoff.stop()
    await p.writer.stop()
    p.db.close()


#: The server runs on uvloop (as uvicorn picks it); the stdlib loop is tested too.
LOOPS = {"asyncio": asyncio.run, "uvloop": uvloop.run}


def _in_two(
    tmp_path: Path,
    scenario: Callable[[_Process, _Process, list[IssueRequest]], Awaitable[None]],
    loop: str = "asyncio",
) -> None:
    """Run ``scenario(owner, other, template)`` on two processes' parts, on ``loop``."""

    async def run() -> None:
        async with two_processes(tmp_path) as (owner, other, template):
            await scenario(owner, other, template)

    LOOPS[loop](run())


def _fresh(template: list[IssueRequest], count: int) -> list[IssueRequest]:
    return [
        IssueRequest(t.principal, t.hall_id, uuid.uuid4().hex, t.body)
        for t in (template * count)[:count]
    ]


async def _until(check: object, seconds: float = 5.0) -> None:
    deadline = asyncio.get_running_loop().time() + seconds
    while not check():  # type: ignore[operator]
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.02)


def _stored(db: Database, keys: set[str]) -> list[tuple[str, str, str]]:
    return db.read_sync(
        lambda c: [
            (r.idempotency_key, r.queue, r.number)
            for r in c.execute(sa.select(m.tickets).where(m.tickets.c.idempotency_key.in_(keys)))
        ]
    )


@pytest.mark.parametrize("loop", sorted(LOOPS))
def test_the_second_process_hands_its_tickets_to_the_owner(tmp_path: Path, loop: str) -> None:
    _in_two(tmp_path, _handed_over, loop)


async def _handed_over(owner: _Process, other: _Process, template: list[IssueRequest]) -> None:
    await _until(lambda: other.handoff.connected)
    assert owner.handoff.owner and not other.handoff.owner
    mine, theirs = _fresh(template, 20), _fresh(template, 20)
    results = await asyncio.gather(
        *(owner.handoff.submit(r) for r in mine), *(other.handoff.submit(r) for r in theirs)
    )
    assert all(isinstance(r, IssueResult) and r.created for r in results)
    assert other.handoff.handed == 20 and owner.handoff.served == 20
    numbers = [(r.ticket.queue, r.ticket.number) for r in results]
    assert len(set(numbers)) == 40  # no number twice
    rows = _stored(owner.db, {r.key for r in mine + theirs})
    assert len(rows) == 40
    # Answers for the asker are those of its own tickets, by key.
    again = await other.handoff.submit(theirs[0])
    assert again.created is False and again.ticket.number == results[20].ticket.number


@pytest.mark.parametrize("loop", sorted(LOOPS))
def test_when_the_owner_goes_the_other_process_writes_and_takes_over(
    tmp_path: Path, loop: str
) -> None:
    _in_two(tmp_path, _taken_over, loop)


async def _taken_over(owner: _Process, other: _Process, template: list[IssueRequest]) -> None:
    await _until(lambda: other.handoff.connected)
    in_flight = _fresh(template, 400)  # two group-commit batches (at most 200 each)
    asked = [asyncio.create_task(other.handoff.submit(r)) for r in in_flight]
    # The owner goes half-way: it has answered some, has more in its group commit (they
    # will be committed, their answers lost) and has not read the rest.
    await _until(lambda: owner.handoff.served >= 10)
    await owner.handoff.stop()
    results = await asyncio.gather(*asked)
    assert 10 <= other.handoff.handed < 400  # the rest were written here
    assert all(isinstance(r, IssueResult) for r in results)
    rows = _stored(owner.db, {r.key for r in in_flight})
    assert sorted(k for k, _, _ in rows) == sorted(r.key for r in in_flight)  # each once
    assert len({(q, n) for _, q, n in rows}) == 400
    by_key = {k: n for k, _, n in rows}
    assert all(
        by_key[r.key] == res.ticket.number for r, res in zip(in_flight, results, strict=True)
    )
    await _until(lambda: other.handoff.owner)  # the lock was free: it owns the file now
    later = await other.handoff.submit(_fresh(template, 1)[0])
    assert later.created


def test_a_line_the_owner_does_not_understand_is_sent_back(tmp_path: Path) -> None:
    _in_two(tmp_path, _not_understood)


async def _not_understood(owner: _Process, _other: _Process, _t: list[IssueRequest]) -> None:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(10)
        sock.connect(owner.handoff.name)
        sock.sendall(b'{"id": 9, "p": {"kiosk": [1]}, "h": "x", "k": "k", "b": "{}"}\n')
        answer = await asyncio.to_thread(sock.recv, 4096)
    assert json.loads(answer) == {"id": 9, "lost": True}  # the asker writes it itself


_OTHER_USER = """
import socket, sys
sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
sock.settimeout(10)
sock.connect("\\0" + sys.argv[1])  # an abstract name
try:
    sock.sendall(sys.argv[2].encode() + b"\\n")
    print(repr(sock.recv(4096)))
except (BrokenPipeError, ConnectionResetError):
    print("b''")  # hung up before it read the line
"""


#: The other user cannot read the project's virtualenv; the system's Python will do.
_SYSTEM_PYTHON = "/usr/bin/python3"


def test_a_process_of_another_user_is_not_served(tmp_path: Path) -> None:
    if os.getuid() != 0:
        pytest.skip("needs root to run a process as another user")
    _in_two(tmp_path, _another_user)


async def _another_user(owner: _Process, _other: _Process, template: list[IssueRequest]) -> None:
    line = encode_request(1, _fresh(template, 1)[0]).decode().strip()
    done = await asyncio.to_thread(
        subprocess.run,
        [_SYSTEM_PYTHON, "-c", _OTHER_USER, owner.handoff.name[1:], line],
        capture_output=True,
        text=True,
        timeout=60,
        user=65534,  # nobody
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "b''"  # the owner hung up without a word
    assert owner.handoff.served == 0


def test_an_answer_the_process_cannot_read_is_written_here(tmp_path: Path) -> None:
    asyncio.run(_unreadable_answer(tmp_path))


async def _unreadable_answer(tmp_path: Path) -> None:
    """An owner that answers what this version cannot read (another version of the
    server on the same file, say): the process writes the ticket itself, at once."""
    path = tmp_path / "kiosk.sqlite3"
    asked: list[bytes] = []
    handled = asyncio.Event()

    async def odd_owner(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while line := await reader.readline():
            asked.append(line)
            n = json.loads(line)["id"]
            writer.write(json.dumps({"id": n, "t": "not a ticket", "c": True}).encode() + b"\n")
        writer.close()
        handled.set()

    lock = os.open(f"{path}.tickets-owner", os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(lock, fcntl.LOCK_EX)  # the odd owner holds the owner's lock
    listening = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listening.bind(socket_name(str(path)))
    listening.listen()
    listening.setblocking(False)
    server = await asyncio.start_unix_server(odd_owner, sock=listening)
    try:
        made = await _one_process(path, seed=True)
        try:
            await _until(lambda: made.handoff.connected)
            first = _template(made.db)[0]
            request = IssueRequest(first.principal, first.hall_id, "odd-1", first.body)
            t0 = asyncio.get_running_loop().time()
            result = await made.handoff.submit(request)
            assert asyncio.get_running_loop().time() - t0 < 5  # not after ANSWER_SECONDS
            assert result.created and made.handoff.handed == 0
            assert len(asked) == 1  # it was asked, could not read the answer, wrote it here
            assert _stored(made.db, {"odd-1"})[0][2] == result.ticket.number
        finally:
            await _stopped(made)
        await asyncio.wait_for(handled.wait(), 10)  # the process hung up: so does the owner
    finally:
        server.close()
        os.close(lock)
