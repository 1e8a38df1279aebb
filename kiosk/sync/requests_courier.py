"""Requests (诉求) on the wire: :class:`RequestsClient` and the :class:`RequestCourier`.

The courier is a :class:`~kiosk.sync.loop.BackgroundLoop` round after round:

1. delivers the pending requests **in the order they were made**, each with
   ``POST /api/v1/requests`` and its Idempotency-Key (a retry whose answer was lost
   never makes a second request); a 409 / 422 marks it rejected, with the reason, and
   never blocks the ones after it; anything else (server away, 5xx, 404 of a server
   without requests yet, 429) keeps it pending for the next round;
2. uploads the voice notes of delivered requests (``PUT …/{id}/voice-note``);
3. refreshes the caches (categories and 办理公开) every ``cache_interval`` seconds, or
   at once when asked (:meth:`RequestCourier.refresh_board`).

Look-ups by 查询码 are asked by the 办事进度 screen through :meth:`RequestCourier.lookup`,
on a thread of their own, so the UI thread never waits. Imports no kivy.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path

from kiosk.core import clock as wall_clock
from kiosk.core.wire import (
    PublicFigures,
    RequestCategoriesPublic,
    RequestCreate,
    RequestPublicView,
    RequestReceipt,
    RequestsLookupPublic,
)
from kiosk.sync.backoff import Backoff
from kiosk.sync.client import HallClient
from kiosk.sync.errors import RequestRejected, SyncError
from kiosk.sync.loop import BackgroundLoop
from kiosk.sync.requests_outbox import (
    CategoryChoice,
    KioskRequest,
    Lookup,
    RequestOutbox,
)

__all__ = ["Lookup", "RequestCourier", "RequestsClient"]

log = logging.getLogger("kiosk.sync.requests")

#: Answers that refuse one request for a reason of its own: retrying cannot help.
_ITEM_STATUSES = frozenset({409, 422})


class RequestsClient(HallClient):
    """The kiosk's calls of ``/api/v1/requests…`` (contract §1), with the shared wire
    models of :mod:`kiosk.core.wire`."""

    def categories(self) -> list[CategoryChoice]:
        reply = self._request("GET", "/requests/categories")
        found = self._parse(reply, RequestCategoriesPublic).categories
        return [
            CategoryChoice(c.id, c.label, c.limit_workdays, c.deadline_text, tuple(c.phrases))
            for c in found
        ]

    def create(self, body: RequestCreate, idempotency_key: str) -> RequestReceipt:
        """POST /requests: the server's receipt (201 first time, 200 for the same key)."""
        reply = self._request(
            "POST",
            "/requests",
            json=body.model_dump(mode="json"),
            headers={"Idempotency-Key": idempotency_key},
        )
        return self._parse(reply, RequestReceipt)

    def voice_note(self, request_id: str, wav: bytes) -> None:
        """PUT /requests/{id}/voice-note (204)."""
        reply = self._request(
            "PUT",
            f"/requests/{request_id}/voice-note",
            data=wav,
            headers={"Content-Type": "audio/wav"},
            read_timeout=30.0,
        )
        self._raise_for_status(reply)

    def lookup(self, code: str) -> list[RequestPublicView]:
        """GET /requests/lookup?code=…: the public views (404 → :class:`RequestRejected`)."""
        reply = self._request("GET", "/requests/lookup", params={"code": code})
        return self._parse(reply, RequestsLookupPublic).requests

    def public_board(self) -> PublicFigures:
        """GET /requests/public-board: 办理公开 of this month."""
        return self._parse(self._request("GET", "/requests/public-board"), PublicFigures)


class RequestCourier:
    """Delivers ``outbox`` through ``client`` and keeps its caches fresh."""

    def __init__(
        self,
        outbox: RequestOutbox,
        client: RequestsClient,
        *,
        on_delivered: Callable[[list[KioskRequest]], None] | None = None,
        on_board: Callable[[], None] | None = None,
        idle_interval: float = 10.0,
        cache_interval: float = 300.0,
        backoff: Callable[[], Backoff] = Backoff,
    ) -> None:
        self.outbox = outbox
        self.client = client
        self._on_delivered = on_delivered
        self._on_board = on_board
        self.idle_interval = idle_interval
        self.cache_interval = cache_interval
        self._backoff = backoff()
        self._loop = BackgroundLoop("request-courier", self._round, interrupt=client.interrupt)
        self._started = False
        self._last_cache = -1e18
        self.online = False
        self.last_error: str | None = None
        self.delivered_count = 0

    def start(self) -> None:
        if not self._started:
            self._started = True
            self._loop.start()

    def wake(self) -> None:
        """Start a round now (a request was just made). Any thread."""
        self._loop.wake()

    def refresh_board(self) -> None:
        """Fetch the caches in the next round, which starts now (办理公开 was opened)."""
        self._last_cache = -1e18
        self._loop.wake()

    def stop(self, timeout: float = 5.0) -> None:
        self._loop.stop(timeout)

    # -- one round -------------------------------------------------------------------

    def run_once(self) -> bool:
        """Deliver, upload, refresh; True when all of it succeeded. Raises nothing."""
        try:
            self.deliver_all()
            self.upload_voice()
            if time.monotonic() - self._last_cache >= self.cache_interval:
                self.refresh_caches()
        except SyncError as exc:
            if str(exc) != self.last_error:
                log.warning("request courier: %s", exc)
            self.online = False
            self.last_error = str(exc)
            return False
        self.online = True
        self.last_error = None
        return True

    def deliver_all(self) -> int:
        settled = 0
        while not self._loop.stopping:
            batch = self.outbox.pending()
            if not batch:
                break
            done = [self._deliver(r) for r in batch]
            settled += len(done)
            self._tell([r for r in done if r is not None])
        return settled

    def _deliver(self, request: KioskRequest) -> KioskRequest | None:
        key = request.idempotency_key
        try:
            receipt = self.client.create(request.create(), key)
        except RequestRejected as exc:
            if exc.status not in _ITEM_STATUSES:
                raise
            log.warning("request %s refused by the server: %s", request.public_id, exc)
            return self.outbox.rejected(key, str(exc))
        self.delivered_count += 1
        return self.outbox.delivered(key, receipt.model_dump(mode="json"))

    def upload_voice(self) -> None:
        for request in self.outbox.voice_pending():
            if self._loop.stopping or request.voice_path is None:
                return
            try:
                wav = Path(request.voice_path).read_bytes()
            except OSError as exc:
                log.warning("voice note %s unreadable: %s", request.voice_path, exc)
                self.outbox.voice_done(request.idempotency_key, sent=False)
                continue
            try:
                self.client.voice_note(request.public_id, wav)
            except RequestRejected as exc:
                if exc.status not in {*_ITEM_STATUSES, 413, 415}:
                    raise
                log.warning("voice note of %s refused: %s", request.public_id, exc)
                self.outbox.voice_done(request.idempotency_key, sent=False)
                continue
            self.outbox.voice_done(request.idempotency_key, sent=True)

    def refresh_caches(self) -> None:
        categories = self.client.categories()
        if categories:
            self.outbox.keep_categories(categories)
        figures = self.client.public_board().model_dump(mode="json")
        self.outbox.keep_board(figures, wall_clock.now())
        self._last_cache = time.monotonic()
        if self._on_board is not None:
            try:
                self._on_board()
            except Exception:
                log.exception("on_board callback failed")

    def lookup(self, code: str, on_done: Callable[[Lookup], None]) -> None:
        """Look ``code`` up on a thread of its own; ``on_done`` gets the :class:`Lookup`
        (from that thread)."""

        def run() -> None:
            on_done(self.lookup_now(code))

        threading.Thread(target=run, name="request-lookup", daemon=True).start()

    def lookup_now(self, code: str) -> Lookup:
        """The look-up itself (blocking: not for the UI thread)."""
        try:
            found = self.client.lookup(code)
        except RequestRejected as exc:
            if exc.status == 404:
                return Lookup(problem="not_found", local=tuple(self.outbox.by_query_code(code)))
            if exc.status == 429:
                return Lookup(problem="too_many")
            if exc.status == 422:
                return Lookup(problem="bad_code")
            return Lookup(problem="offline", local=tuple(self.outbox.by_query_code(code)))
        except SyncError:
            return Lookup(problem="offline", local=tuple(self.outbox.by_query_code(code)))
        if not found:
            return Lookup(problem="not_found", local=tuple(self.outbox.by_query_code(code)))
        return Lookup(found=tuple(v.model_dump(mode="json") for v in found))

    def _tell(self, done: list[KioskRequest]) -> None:
        if done and self._on_delivered is not None:
            try:
                self._on_delivered(done)
            except Exception:  # a screen's bug must not stop deliveries
                log.exception("on_delivered callback failed")

    def _round(self) -> float:
        try:
            ok = self.run_once()
        except Exception as exc:  # our own disk or a bug
            log.exception("request courier round failed")
            self.last_error = str(exc)
            ok = False
        if ok:
            self._backoff.reset()
            return self.idle_interval
        return self._backoff.next_delay()
