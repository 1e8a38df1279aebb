"""The ticket courier: a background thread that delivers the outbox and keeps numbers ahead.

Round after round it

1. asks ``GET /kiosk/queues`` (at most every ``refresh_interval``): the server's clock
   (the outbox keeps the offset), this kiosk's number (its fallback series) and the
   waiting counts (offline estimates start from them);
2. delivers the pending tickets **in the order they were taken**: one alone with
   ``POST /tickets`` and its Idempotency-Key, a backlog in batches of ``batch_size`` with
   ``POST /tickets/batch`` (every item carries its key), so a retry of a delivery whose
   answer was lost never makes a second ticket;
3. tops up the leases of every open queue below ``low_water`` numbers by ``lease_size``.

A failure (server away, 5xx, a garbled answer) waits a full-jitter backoff
(:mod:`kiosk.sync.backoff`) and tries again; :meth:`TicketCourier.wake` (after a tap)
starts a round at once. A ticket the server refuses for itself (409 / 422: a number it
will not accept) is marked rejected with the reason and never blocks the ones after it.
A ``429`` (this kiosk delivers faster than its rate) is a failure like the others: the
tickets stay pending and go later.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from kiosk.core.wire import LeaseCreate, TicketBatchCreate, TicketPublic
from kiosk.sync.backoff import Backoff
from kiosk.sync.client import HallClient
from kiosk.sync.errors import RequestRejected, SyncError
from kiosk.sync.loop import BackgroundLoop
from kiosk.sync.outbox import KioskTicket, TicketOutbox

__all__ = ["CourierStatus", "TicketCourier"]

log = logging.getLogger("kiosk.sync.courier")

#: Answers that refuse one ticket for a reason of its own: retrying cannot help.
_ITEM_STATUSES = frozenset({409, 422})


@dataclass(frozen=True, slots=True)
class CourierStatus:
    online: bool
    backlog: int
    last_error: str | None


class TicketCourier:
    """Delivers ``outbox`` through ``client``; ``queues()`` names the queues to lease for.

    ``on_delivered(tickets)`` is called (from the courier thread) with tickets the server
    has just confirmed or refused, so a ticket on screen can show the server's figures.
    """

    def __init__(
        self,
        outbox: TicketOutbox,
        client: HallClient,
        *,
        queues: Callable[[], Iterable[str]] = lambda: (),
        on_delivered: Callable[[list[KioskTicket]], None] | None = None,
        batch_size: int = 200,
        lease_size: int = 20,
        low_water: int = 10,
        refresh_interval: float = 15.0,
        idle_interval: float = 10.0,
        backoff: Callable[[], Backoff] = Backoff,
    ) -> None:
        self.outbox = outbox
        self.client = client
        self._queues = queues
        self._on_delivered = on_delivered
        self.batch_size = batch_size
        self.lease_size = lease_size
        self.low_water = low_water
        self.refresh_interval = refresh_interval
        self.idle_interval = idle_interval
        self._backoff = backoff()
        self._loop = BackgroundLoop("ticket-courier", self._round, interrupt=client.interrupt)
        self._started = False
        self._last_refresh = -1e18
        self._online = False
        self._last_error: str | None = None
        self.delivered_count = 0

    # -- lifecycle -------------------------------------------------------------------

    def start(self) -> None:
        if self._started:
            return
        self._started = True
        self._loop.start()

    def wake(self) -> None:
        """Start a round now (a ticket was just taken). Any thread."""
        self._loop.wake()

    def stop(self, timeout: float = 5.0) -> None:
        """End the thread; a request in flight is cut off. Pending tickets stay on disk."""
        self._loop.stop(timeout)

    @property
    def status(self) -> CourierStatus:
        return CourierStatus(self._online, self.outbox.backlog(), self._last_error)

    # -- one round -------------------------------------------------------------------

    def run_once(self) -> bool:
        """One round (refresh, deliver everything pending, top up leases); True when all of
        it succeeded. Raises nothing: failures are recorded in :attr:`status`."""
        try:
            if time.monotonic() - self._last_refresh >= self.refresh_interval:
                self.refresh()
            self.deliver_all()
            self.top_up()
        except SyncError as exc:
            self._failed(exc)
            return False
        self._online = True
        self._last_error = None
        return True

    def refresh(self) -> None:
        sent = self.outbox.local_clock()
        info = self.client.queues()
        received = self.outbox.local_clock()
        self.outbox.observe_server(info, sent, received)
        self._last_refresh = time.monotonic()

    def deliver_all(self) -> int:
        """Deliver every pending ticket, oldest first; returns how many were settled."""
        settled = 0
        while not self._loop.stopping:
            batch = self.outbox.pending(self.batch_size)
            if not batch:
                break
            done = self._deliver(batch)
            settled += len(done)
            if done and self._on_delivered is not None:
                try:
                    self._on_delivered(done)
                except Exception:  # a screen's bug must not stop deliveries
                    log.exception("on_delivered callback failed")
        return settled

    def _deliver(self, batch: list[KioskTicket]) -> list[KioskTicket]:
        delivered: list[tuple[str, TicketPublic]] = []
        rejected: list[tuple[str, str]] = []
        if len(batch) == 1:
            (one,) = batch
            try:
                delivered.append(
                    (
                        one.idempotency_key,
                        self.client.issue_ticket(one.create(), one.idempotency_key),
                    )
                )
            except RequestRejected as exc:
                if exc.status not in _ITEM_STATUSES:
                    raise
                log.warning("ticket %s refused by the server: %s", one.number, exc)
                rejected.append((one.idempotency_key, str(exc)))
        else:
            answer = self.client.issue_batch(
                TicketBatchCreate(tickets=[t.batch_item() for t in batch])
            )
            for result in answer.results:
                if result.ticket is not None:
                    delivered.append((result.idempotency_key, result.ticket))
                else:
                    reason = (
                        f"{result.error.code}: {result.error.message}"
                        if result.error is not None
                        else "no ticket in the answer"
                    )
                    log.warning(
                        "ticket %s refused by the server: %s", result.idempotency_key, reason
                    )
                    rejected.append((result.idempotency_key, reason))
        self.delivered_count += len(delivered)
        return self.outbox.record_results(delivered, rejected)

    def top_up(self) -> None:
        """Lease more numbers for each open queue running low (today's service day)."""
        if self.outbox.kiosk_no is None:
            return  # not yet heard from the server
        day = self.outbox.today()
        for queue in list(self._queues()):
            if self._loop.stopping:
                return
            if self.outbox.numbers_left(queue, day) >= self.low_water:
                continue
            try:
                lease = self.client.lease(LeaseCreate(queue=queue, count=self.lease_size))
            except RequestRejected as exc:
                if exc.status in _ITEM_STATUSES or exc.status == 429:
                    log.info("no lease for queue %s: %s", queue, exc)
                    # Queue full or unknown today, or this kiosk's daily share of the
                    # queue is taken (429 kiosk_quota): the fallback series covers it.
                    continue
                raise
            self.outbox.add_lease(lease)

    # -- the thread ------------------------------------------------------------------

    def _failed(self, exc: Exception) -> None:
        message = str(exc)
        if message != self._last_error:
            log.warning("ticket courier: %s", message)
        self._online = False
        self._last_error = message
        self._last_refresh = -1e18  # re-learn the clock once the server is back

    def _round(self) -> float:
        """One round on the courier's thread; returns the seconds until the next."""
        try:
            ok = self.run_once()
        except Exception as exc:  # our own disk (CacheError is a SyncError) or a bug
            log.exception("ticket courier round failed")
            self._failed(exc)
            ok = False
        if ok:
            self._backoff.reset()
            return self.idle_interval
        return self._backoff.next_delay()
