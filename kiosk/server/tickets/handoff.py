"""SQLite with several server processes: one of them writes every process's tickets.

Each process has its own group commit (:class:`~kiosk.server.tickets.writer.IssueWriter`).
On one SQLite file, several processes' writers take turns (``Database.write_sync``), and
each turn costs more than it would in one process: SQLite drops a connection's page cache
whenever another process has written, and each process's batches are smaller, so there
are more commits per ticket. Two workers were slower than one (docs/PERFORMANCE.md,
"Round four of issue 16").

So the processes of one SQLite file elect an owner: the one holding an ``flock`` on
``<database>.tickets-owner``. The owner listens on an abstract Unix socket named after the
file; every other process hands its ticket requests to it there (one JSON line each) and
the owner's group commit writes them in its own batches, with its own. The owner checks
that a peer runs as its own user (``SO_PEERCRED``) and reads only JSON.

The hand-off is only ever a shortcut. A process that is not connected to an owner (it is
starting, the owner is starting, or the owner died) writes its tickets itself, as before,
and a request whose answer did not come back is written again locally with the same
idempotency key: if the owner committed it, the ticket comes back as a replay, so nothing
is lost or given twice. When the owner goes away, the first process to take the lock
becomes the next owner; the others connect to it.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import hashlib
import json
import logging
import os
import socket
import struct
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, Literal

from kiosk.core.wire import TicketCreate, TicketPublic
from kiosk.server.auth import KioskPrincipal, StaffPrincipal
from kiosk.server.domain_errors import Conflict, DomainError, Forbidden, Invalid, NotFound, TooMany
from kiosk.server.tasks import cancelled
from kiosk.server.tickets.issue import IssueRequest, IssueResult
from kiosk.server.tickets.writer import IssueWriter

__all__ = ["TicketHandoff"]

log = logging.getLogger(__name__)

#: How often a process that is not connected looks for an owner (or becomes one).
RETRY_SECONDS = 0.25
#: How long a process waits for the owner's answer before it writes the ticket itself
#: (as long as SQLite itself would wait for the write lock: ``busy_timeout``).
ANSWER_SECONDS = 30.0
_LINE_LIMIT = 1 << 20
_ERRORS: dict[str, type[DomainError]] = {
    cls.__name__: cls for cls in (DomainError, NotFound, Conflict, Invalid, Forbidden, TooMany)
}


def socket_name(database: str) -> str:
    """The abstract socket of ``database``'s owner (no file: nothing stale to clean up)."""
    digest = hashlib.sha256(os.path.realpath(database).encode()).hexdigest()[:24]
    return f"\0kiosk-tickets-{digest}"


def _principal(p: KioskPrincipal | StaffPrincipal) -> dict[str, Any]:
    if isinstance(p, KioskPrincipal):
        return {"kiosk": [p.device_id, p.hall_id, p.kiosk_no, p.name]}
    return {"staff": [p.account_id, p.username, p.role, p.hall_id]}


def _from_principal(data: dict[str, Any]) -> KioskPrincipal | StaffPrincipal:
    if "kiosk" in data:
        device_id, hall_id, kiosk_no, name = data["kiosk"]
        return KioskPrincipal(int(device_id), str(hall_id), int(kiosk_no), str(name))
    account_id, username, role, hall_id = data["staff"]
    return StaffPrincipal(int(account_id), str(username), role, hall_id)


def encode_request(n: int, request: IssueRequest) -> bytes:
    line = {
        "id": n,
        "p": _principal(request.principal),
        "h": request.hall_id,
        "k": request.key,
        "b": request.body.model_dump_json(),
    }
    return json.dumps(line, ensure_ascii=False, separators=(",", ":")).encode() + b"\n"


def decode_request(line: bytes) -> tuple[int, IssueRequest]:
    data = json.loads(line)
    body = TicketCreate.model_validate_json(data["b"])
    request = IssueRequest(_from_principal(data["p"]), str(data["h"]), str(data["k"]), body)
    return int(data["id"]), request


def encode_answer(n: int, outcome: IssueResult | DomainError | None) -> bytes:
    """``outcome`` None: the owner could not write it (not a refusal): the asker writes it."""
    line: dict[str, Any] = {"id": n}
    if isinstance(outcome, IssueResult):
        line.update(t=outcome.ticket.model_dump_json(), c=outcome.created, e=outcome.event)
    elif isinstance(outcome, DomainError):
        line["err"] = {
            "type": type(outcome).__name__,
            "code": outcome.code,
            "message": outcome.message,
            "field": outcome.field,
            "retry_after": getattr(outcome, "retry_after", None),
        }
    else:
        line["lost"] = True
    return json.dumps(line, ensure_ascii=False, separators=(",", ":")).encode() + b"\n"


def decode_answer(line: bytes) -> tuple[int, IssueResult | DomainError | None]:
    data = json.loads(line)
    n = int(data["id"])
    if "t" in data:
        event = data.get("e")
        return n, IssueResult(
            TicketPublic.model_validate_json(data["t"]),
            bool(data["c"]),
            (str(event[0]), int(event[1])) if event else None,
        )
    if "err" in data:
        err = data["err"]
        cls = _ERRORS.get(err["type"], DomainError)
        if cls is TooMany:
            return n, TooMany(
                err["code"], err["message"], retry_after=int(err["retry_after"]), field=err["field"]
            )
        return n, cls(err["code"], err["message"], field=err["field"])
    return n, None


async def _lines(reader: asyncio.StreamReader) -> AsyncIterator[bytes]:
    """The lines the other end sends, until it hangs up (or the stream breaks)."""
    while True:
        try:
            line = await reader.readline()
        except (OSError, ValueError):
            return
        if not line:
            return
        yield line


def _give_up(future: asyncio.Future[Any]) -> None:
    if not future.done():
        future.set_result(None)


def _line_id(line: bytes) -> int | None:
    try:
        return int(json.loads(line)["id"])
    except (ValueError, KeyError, TypeError):
        return None


def _same_user(sock: Any) -> bool:
    """The peer of a Unix socket runs as this process's user."""
    raw = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    _pid, uid, _gid = struct.unpack("3i", raw)
    return bool(uid == os.getuid())


# The sockets are made here and handed to the event loop: uvloop (the server's loop)
# refuses abstract socket names in open_unix_connection (EINVAL), not in connect().


def _listening(name: str) -> socket.socket:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.bind(name)
        sock.listen(128)
    except OSError:
        sock.close()
        raise
    sock.setblocking(False)
    return sock


def _connected(name: str) -> socket.socket:
    """A connection to the owner (a local connect: it does not wait, or fails at once)."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.settimeout(0.1)
        sock.connect(name)
    except OSError:
        sock.close()
        raise
    sock.setblocking(False)
    return sock


class _Lines:
    """Lines for one stream, sent together once per pass of the event loop: a group
    commit's answers (and a burst's requests) leave in one write, not one each."""

    __slots__ = ("_lines", "_stream")

    def __init__(self, stream: asyncio.StreamWriter) -> None:
        self._stream = stream
        self._lines: list[bytes] = []

    def send(self, line: bytes) -> None:
        if not self._lines:
            asyncio.get_running_loop().call_soon(self._flush)
        self._lines.append(line)

    def _flush(self) -> None:
        lines, self._lines = self._lines, []
        if lines and not self._stream.is_closing():
            with contextlib.suppress(OSError, ConnectionError):
                self._stream.write(b"".join(lines))


class TicketHandoff:
    """The ticket writer of a process on a SQLite file shared with others (module doc)."""

    def __init__(self, database: str, writer: IssueWriter) -> None:
        self.writer = writer
        self.name = socket_name(database)
        self._lock_path = Path(f"{database}.tickets-owner")
        self._lock_fd: int | None = None
        self._server: asyncio.AbstractServer | None = None
        self._task: asyncio.Task[None] | None = None
        self._out: _Lines | None = None
        self._pending: dict[int, asyncio.Future[IssueResult | DomainError | None]] = {}
        self._next = 0
        self._served: set[asyncio.Task[None]] = set()
        #: The owner's connections: the task serving each → its stream.
        self._peers: dict[asyncio.Task[Any], asyncio.StreamWriter] = {}
        #: Requests this process handed to the owner / the owner wrote for others.
        self.handed = 0
        self.served = 0

    @property
    def owner(self) -> bool:
        return self._server is not None

    @property
    def connected(self) -> bool:
        return self._out is not None

    @property
    def role(self) -> Literal["owner", "handed", "alone"]:
        """What ``/health`` says of this process's tickets."""
        return "owner" if self.owner else "handed" if self.connected else "alone"

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="ticket-handoff")

    async def stop(self) -> None:
        await cancelled(self._task)
        self._task = None
        self._disconnect()
        if self._server is not None:
            self._server.close()
            self._server = None
        peers = list(self._peers.items())
        for _task, stream in peers:
            stream.close()  # they write their tickets themselves, then find the next owner
        for task in list(self._served):
            task.cancel()
        if peers:
            await asyncio.wait([task for task, _ in peers], timeout=1.0)  # each sees its end
        if self._lock_fd is not None:
            os.close(self._lock_fd)  # and with it the owner's lock: another may take it
            self._lock_fd = None

    async def submit(self, request: IssueRequest) -> IssueResult:
        """Issue ``request``: through the owner when connected to one, else right here."""
        out = self._out
        if out is not None:
            result = await self._handed(out, request)
            if result is not None:
                return result
            # No answer: written here with the same key, a replay if the owner had it.
        return await self.writer.submit(request)

    async def _handed(self, out: _Lines, request: IssueRequest) -> IssueResult | None:
        """The owner's answer (raised if a refusal); None if none came."""
        self._next += 1
        n = self._next
        future: asyncio.Future[IssueResult | DomainError | None]
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        self._pending[n] = future
        # No answer in time: as if lost (the owner is stuck, or it dropped the line).
        timer = loop.call_later(ANSWER_SECONDS, _give_up, future)
        try:
            out.send(encode_request(n, request))
            outcome = await future
        finally:
            timer.cancel()
            self._pending.pop(n, None)
        if outcome is None:
            return None
        self.handed += 1
        if isinstance(outcome, DomainError):
            raise outcome
        self.writer.announce(outcome)
        return outcome

    # --- electing and connecting -------------------------------------------------------

    def _try_to_own(self) -> bool:
        if self._lock_fd is None:
            try:
                flags = os.O_RDWR | os.O_CREAT | os.O_CLOEXEC
                self._lock_fd = os.open(self._lock_path, flags, 0o600)
            except OSError:
                return False  # a read-only folder: every process writes its own
        try:
            fcntl.flock(self._lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return False
        return True

    async def _run(self) -> None:
        while True:
            if self._try_to_own():
                try:
                    self._server = await asyncio.start_unix_server(
                        self._serve, sock=_listening(self.name), limit=_LINE_LIMIT
                    )
                except OSError as exc:
                    log.warning("cannot serve the ticket hand-off (%s); writing alone", exc)
                    assert self._lock_fd is not None
                    fcntl.flock(self._lock_fd, fcntl.LOCK_UN)  # another process may try
                    await asyncio.sleep(RETRY_SECONDS * 20)
                    continue
                log.info("this process writes the tickets of every process on its SQLite file")
                return
            try:
                reader, writer = await asyncio.open_unix_connection(
                    sock=_connected(self.name), limit=_LINE_LIMIT
                )
            except OSError:
                await asyncio.sleep(RETRY_SECONDS)
                continue
            if not _same_user(writer.get_extra_info("socket")):
                writer.close()
                await asyncio.sleep(RETRY_SECONDS)
                continue
            self._out = _Lines(writer)
            log.info("tickets of this process are handed to the owner of its SQLite file")
            try:
                await self._read_answers(reader)
            finally:
                self._disconnect()
                writer.close()
            await asyncio.sleep(0)

    async def _read_answers(self, reader: asyncio.StreamReader) -> None:
        async for line in _lines(reader):
            try:
                n, outcome = decode_answer(line)
            except (ValueError, KeyError, TypeError, IndexError):
                # An answer this process cannot read (another version of the server?):
                # that request is written here.
                log.warning("a ticket hand-off answer this process cannot read")
                asked = _line_id(line)
                if asked is None:
                    continue  # its wait runs out (ANSWER_SECONDS)
                n, outcome = asked, None
            future = self._pending.get(n)
            if future is not None and not future.done():
                future.set_result(outcome)

    def _disconnect(self) -> None:
        self._out = None
        pending, self._pending = self._pending, {}
        for future in pending.values():
            if not future.done():
                future.set_result(None)  # written here instead

    # --- the owner's side --------------------------------------------------------------

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if not _same_user(writer.get_extra_info("socket")) or self._server is None:
            writer.close()
            return
        me = asyncio.current_task()
        assert me is not None
        self._peers[me] = writer
        answers = _Lines(writer)
        try:
            async for line in _lines(reader):
                task = asyncio.create_task(self._answer(line, answers))
                self._served.add(task)
                task.add_done_callback(self._served.discard)
        finally:
            del self._peers[me]
            writer.close()

    async def _answer(self, line: bytes, answers: _Lines) -> None:
        try:
            n, request = decode_request(line)
        except (ValueError, KeyError, TypeError):
            # Not a request this process understands (another version of the server on
            # the same file?): the asker writes it itself.
            log.warning("a ticket hand-off line that is not a request: sent back")
            asked = _line_id(line)
            if asked is not None:
                answers.send(encode_answer(asked, None))
            return
        outcome: IssueResult | DomainError | None
        try:
            outcome = await self.writer.submit(request)
            self.served += 1
        except DomainError as exc:
            outcome = exc
        except Exception:
            outcome = None  # the asker writes it itself and gets the real error
        answers.send(encode_answer(n, outcome))
