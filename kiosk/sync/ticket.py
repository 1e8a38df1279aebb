"""A ticket as the kiosk holds it (:class:`KioskTicket`) and its wire form; and
:class:`NoNumberLeft`, the resident's reason when no number can be given.

Kept by :class:`kiosk.sync.outbox.TicketOutbox`, delivered by
:class:`kiosk.sync.courier.TicketCourier`, shown by the ticket screen. Imports no kivy.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from kiosk.core.wire import LeasedNumber, TicketBatchItem, TicketCreate

__all__ = ["KioskTicket", "NoNumberLeft"]


class NoNumberLeft(Exception):
    """No number can be given out now: no leased number, and no fallback series yet (the
    kiosk has never reached its server), or the queue's 999 numbers are used up.
    ``message`` is for the resident."""

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


@dataclass(frozen=True, slots=True)
class KioskTicket:
    """A ticket as the kiosk holds it; ``estimate`` is True until the server answered."""

    local_id: int
    idempotency_key: str
    queue: str
    service_id: str | None
    priority: bool
    number: str
    seq: int
    service_day: dt.date
    lease_id: int | None
    issued_at: dt.datetime
    people_ahead: int
    wait_minutes: int
    estimate: bool
    status: str  # pending | delivered | rejected
    public_id: str | None = None
    url: str | None = None
    server_state: str | None = None
    window: int | None = None
    error: str | None = None

    @property
    def delivered(self) -> bool:
        return self.status == "delivered"

    @property
    def fallback(self) -> bool:
        return "-" in self.number

    def create(self) -> TicketCreate:
        """The body that delivers this ticket (its number fixed, as shown)."""
        return TicketCreate(
            queue=self.queue,
            service_id=self.service_id,
            priority=self.priority,
            issued_at=self.issued_at,
            number=LeasedNumber(
                service_day=self.service_day,
                seq=self.seq,
                text=self.number,
                lease_id=self.lease_id,
            ),
            public_id=self.public_id,
        )

    def batch_item(self) -> TicketBatchItem:
        return TicketBatchItem(**self.create().model_dump(), idempotency_key=self.idempotency_key)
