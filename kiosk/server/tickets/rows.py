"""The one typed ticket row the issue paths build, and its one builder.

A :class:`TicketRow` is what a new ticket's INSERT writes (:meth:`TicketRow.values`)
and, with its id, what :class:`~kiosk.server.tickets.reads.TicketView` turns into the
wire view without reading the row back.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from typing import Any

from kiosk.core.wire import TicketState

__all__ = ["INSERTED_COLUMNS", "TicketRow", "new_ticket_row"]


#: The columns of ``tickets`` a new ticket's INSERT writes (:meth:`TicketRow.values`).
INSERTED_COLUMNS = (
    "public_id",
    "hall_id",
    "queue",
    "number_queue",
    "service_id",
    "service_day",
    "seq",
    "number",
    "origin",
    "lease_id",
    "priority",
    "state",
    "issued_at",
    "queued_at",
    "kiosk_issued_at",
    "principal",
    "idempotency_key",
    "request_hash",
)


@dataclass(frozen=True, slots=True)
class TicketRow:
    """A ticket as issued (the columns of ``tickets`` an issue writes, plus its id)."""

    public_id: str
    hall_id: str
    queue: str
    number_queue: str
    service_id: str | None
    service_day: dt.date
    seq: int
    number: str
    origin: str
    lease_id: int | None
    priority: bool
    state: str
    issued_at: dt.datetime
    queued_at: dt.datetime
    kiosk_issued_at: dt.datetime | None
    principal: str
    idempotency_key: str
    request_hash: str
    #: The row's primary key; 0 until the INSERT has given one.
    id: int = 0
    #: Never set on a new ticket; here so the row reads like a stored one.
    called_at: dt.datetime | None = None
    window: int | None = None

    def values(self) -> dict[str, Any]:
        """The INSERT's parameters (everything but the id and the unset columns)."""
        return {name: getattr(self, name) for name in INSERTED_COLUMNS}

    def with_id(self, ticket_id: int) -> TicketRow:
        return dataclasses.replace(self, id=ticket_id)


def new_ticket_row(
    *,
    public_id: str,
    hall_id: str,
    queue: str,
    service_id: str | None,
    service_day: dt.date,
    seq: int,
    number: str,
    origin: str,
    lease_id: int | None,
    priority: bool,
    now: dt.datetime,
    kiosk_issued_at: dt.datetime | None,
    principal: str,
    idempotency_key: str,
    request_hash: str,
) -> TicketRow:
    """A new waiting ticket, issued and queued ``now``, numbered in its own queue."""
    return TicketRow(
        public_id=public_id,
        hall_id=hall_id,
        queue=queue,
        number_queue=queue,
        service_id=service_id,
        service_day=service_day,
        seq=seq,
        number=number,
        origin=origin,
        lease_id=lease_id,
        priority=priority,
        state=TicketState.WAITING.value,
        issued_at=now,
        queued_at=now,
        kiosk_issued_at=kiosk_issued_at,
        principal=principal,
        idempotency_key=idempotency_key,
        request_hash=request_hash,
    )
